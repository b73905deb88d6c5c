"""The vertical slice end to end through the deployed template: events in, notices out, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import paid, scan, shipped

from delaydesk import store
from delaydesk_local.runtime import LocalAws

pytestmark = pytest.mark.e2e


def _feed(local: LocalAws, *events: dict[str, Any]) -> None:
    for event in events:
        queue = "TrackingEventsQueue" if event["type"] == "tracking" else "OrderEventsQueue"
        local.send(queue, json.dumps(event, ensure_ascii=False))
    local.drain()


def _sent(local: LocalAws) -> list[dict[str, Any]]:
    return list(local.sent_messages())


def _hours(start: datetime, hours: int, step: int = 1) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(0, hours + 1, step)]


def test_unshipped_order_gets_one_delay_notice_in_its_locale(local_aws: LocalAws) -> None:
    _feed(local_aws, paid("TS-1", "2020-01-20T10:00:00+08:00", hours=24))
    for now in _hours(datetime(2020, 1, 21, 0, tzinfo=UTC), 6):
        local_aws.tick(now)
    (sent,) = _sent(local_aws)
    message = sent["message"]
    assert message.destinations["ToAddresses"] == ["wang.fang@mail.example"]
    assert message.source == "service@teahouse.example"
    assert "TS-1" in message.subject and "发货延迟" in message.subject
    (notice,) = store.all_notices()
    assert (notice.kind, int(notice.stage), notice.channel, notice.status, notice.locale) == (
        "shipment_delayed",
        0,
        "email",
        "sent",
        "zh-CN",
    )
    assert notice.sent_at == datetime(2020, 1, 21, 2, tzinfo=UTC)  # first tick at or after ship-by
    # The delay, and the broken promise recorded against the merchant (no window exempts it).
    decisions = sorted((d.action, d.rule, d.window_id) for d in store.all_decisions())
    assert decisions == [("delay_detected", "ship_by", None), ("late_shipment_recorded", "ship_by", None)]
    record = store.get_order("TS-1")
    assert record is not None and not record.has_outbox()


def test_redelivering_every_message_of_the_slice_twice_sends_nothing_more(local_aws: LocalAws) -> None:
    _feed(local_aws, paid("TS-2", "2020-01-20T10:00:00+08:00", customer={"email": None, "phone": "+8613800138000"}))
    for now in _hours(datetime(2020, 1, 21, 0, tzinfo=UTC), 4):
        local_aws.tick(now)
    before = len(_sent(local_aws))
    assert before == 1 and _sent(local_aws)[0]["channel"] == "sms"
    consumed = [
        (binding.queue_url, record["body"])
        for invocation in local_aws.invocations
        if "Records" in invocation.event
        for record in invocation.event["Records"]
        for binding in local_aws.queue_bindings
        if binding.queue_arn == record["eventSourceARN"]
    ]
    assert {url.rsplit("-", 1)[0].rsplit("/", 1)[-1] for url, _ in consumed} == {
        "delaydesk-local-OrderEventsQueue",
        "delaydesk-local-NoticesQueue",
        "delaydesk-local-ScanWorkQueue",  # the scan's work items: redelivered too, they decide nothing twice
    }
    sqs = local_aws.client("sqs")
    for _ in range(2):
        for url, body in consumed:
            sqs.send_message(QueueUrl=url, MessageBody=body)
    local_aws.drain()
    local_aws.tick(datetime(2020, 1, 21, 6, tzinfo=UTC))
    assert len(_sent(local_aws)) == before
    assert [n.status for n in store.all_notices()] == ["sent"]


def test_a_parcel_stalled_for_two_days_is_announced_and_the_series_stops_on_delivery(local_aws: LocalAws) -> None:
    _feed(
        local_aws,
        paid("TS-3", "2020-01-20T10:00:00+08:00", customer={"locale": "en", "name": "Alice Chen"}),
        shipped("TS-3", "2020-01-20T18:00:00+08:00"),
        scan("TS-3", "2020-01-21T08:00:00+08:00", location="Wuhan hub"),
    )
    start = datetime(2020, 1, 21, 0, tzinfo=UTC)
    for now in _hours(start, 24 * 4, 2):
        local_aws.tick(now)
    kinds = [(n.kind, int(n.stage)) for n in store.all_notices()]
    assert kinds == [("in_transit_delayed", 0)]
    assert [d.rule for d in store.all_decisions()] == ["stalled_in_transit"]
    subject = _sent(local_aws)[0]["message"].subject
    assert subject == "Order #TS-3: your parcel is delayed in transit"
    _feed(local_aws, scan("TS-3", "2020-01-25T09:00:00+08:00", "delivered"))
    for now in _hours(start + timedelta(days=4), 24 * 10, 6):
        local_aws.tick(now)
    assert len(_sent(local_aws)) == 1
    record = store.get_order("TS-3")
    assert record is not None and record.status == "delivered" and record.next_due_at is None


def test_an_exception_is_told_at_once_by_email_and_sms(local_aws: LocalAws) -> None:
    _feed(
        local_aws,
        paid("TS-4", "2020-01-20T10:00:00+08:00", customer={"locale": "zh-TW"}),
        shipped("TS-4", "2020-01-20T18:00:00+08:00"),
        scan("TS-4", "2020-01-21T08:00:00+08:00", "exception", sub_status="incorrect_address"),
    )
    local_aws.tick(datetime(2020, 1, 21, 0, 5, tzinfo=UTC))
    channels = sorted(n.channel for n in store.all_notices())
    assert channels == ["email", "sms"]
    sms = next(s for s in _sent(local_aws) if s["channel"] == "sms")
    assert sms["to"] == "+8613800138000" and "TS-4" in sms["text"] and "配送異常" in sms["text"]
