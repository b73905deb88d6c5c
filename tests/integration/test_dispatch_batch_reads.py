"""Dispatch reads a queue batch's orders and suppression records in two calls (notices/reads.py),
and each guarantee that depended on reading them per notice still holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import instant, notice_request, paid
from pynamodb.exceptions import GetError

from delaydesk import store
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.notices import reads, senders
from delaydesk.notices.senders import PermanentSendError
from delaydesk_local.runtime import LocalAws

AT = "2020-01-24T12:00:00+08:00"


def _order(local: LocalAws, order_id: str, **customer: Any) -> None:
    local.send("OrderEventsQueue", json.dumps(paid(order_id, "2020-01-20T10:00:00+08:00", hours=72, customer=customer)))
    local.drain()


def _request(order_id: str, channel: NoticeChannel, kind: Kind = Kind.SHIPMENT_DELAYED) -> NoticeRequest:
    return notice_request(order_id=order_id, kind=kind, channel=channel, requested_at=instant(AT))


def _queue(local: LocalAws, *requests: NoticeRequest) -> None:
    for request in requests:
        local.send("NoticesQueue", request.model_dump_json())


def _statuses() -> dict[tuple[str, str], str]:
    return {(n.order_id, n.channel): n.status for n in store.all_notices()}


def test_a_batch_reads_its_orders_and_suppressions_in_two_calls(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        _order(local_aws, f"BR-{i}", email=f"br{i}@mail.example", phone=None)
    store.suppress_address("BR3@mail.example", "hard_bounce", "test", instant(AT))  # any case
    monkeypatch.setattr(reads, "elapsed", lambda: 0.0)  # however slow this machine, the prefetch is fresh
    single: list[str] = []
    for name in ("get_order", "suppression_of"):
        read = getattr(store, name)
        monkeypatch.setattr(store, name, lambda key, read=read, name=name: single.append(name) or read(key))
    _queue(local_aws, *(_request(f"BR-{i}", NoticeChannel.EMAIL) for i in range(6)))
    local_aws.aws_calls.reset()
    local_aws.drain()
    assert single == []  # no order or suppression read per notice
    calls = local_aws.aws_calls.summary()["dispatch_notices"]
    # The orders, then their addresses' suppression records; then the orders of the next batch
    # (BR-3's fallback to the inbox: it has no phone, and the inbox no address to check).
    assert calls["dynamodb.BatchGetItem"] == 2 + 1
    assert calls["sesv2.SendEmail"] == 5
    assert calls["dynamodb.PutItem"] == 6 + 1  # the claims, and the fallback's
    sent = [n for n in store.all_notices() if n.kind == "shipment_delayed"]
    assert {(n.order_id, n.channel): n.status for n in sent if n.channel == "email"} == {
        **{(f"BR-{i}", "email"): "sent" for i in range(6) if i != 3},
        ("BR-3", "email"): "suppressed",
    }
    assert ("BR-3", "inbox") in {(n.order_id, n.channel) for n in sent}


def test_an_address_suppressed_by_the_batch_is_seen_by_its_later_notices(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = "+8613800138099"
    for order_id in ("BS-1", "BS-2"):
        _order(local_aws, order_id, email=None, phone=phone)
    refused: list[str] = []

    def refuse(channel: NoticeChannel, to: str, *args: Any, **kwargs: Any) -> str:
        refused.append(to)
        raise PermanentSendError("SNS refused: invalid number", code="InvalidParameter")

    monkeypatch.setattr(senders, "send", refuse)
    _queue(
        local_aws,
        _request("BS-1", NoticeChannel.SMS, Kind.DELIVERY_EXCEPTION),
        _request("BS-2", NoticeChannel.SMS, Kind.DELIVERY_EXCEPTION),
    )
    local_aws.drain()
    assert refused == [phone]  # the second notice of the batch found the number suppressed
    statuses = _statuses()
    assert {statuses[("BS-1", "sms")], statuses[("BS-2", "sms")]} == {"failed", "suppressed"}
    assert store.suppression_of(phone) == "refused"


def test_a_prefetch_older_than_its_age_is_read_again(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    _order(local_aws, "BA-1", email="ba1@mail.example", phone=None)
    clock = [1000.0]
    monkeypatch.setattr(reads, "elapsed", lambda: clock[0])
    request = _request("BA-1", NoticeChannel.EMAIL)
    with reads.prefetched([request]) as prefetched:
        assert prefetched is not None and prefetched.orders["BA-1"] is not None
        store.suppress_address("ba1@mail.example", "complaint", "test", instant(AT))  # after the prefetch
        assert reads.suppressed("ba1@mail.example") is None  # within its age: the batch's view
        clock[0] += reads.MAX_AGE + 0.1
        assert reads.suppressed("ba1@mail.example") == "complaint"  # too old: read again
    assert reads.suppressed("ba1@mail.example") == "complaint"  # outside a batch: read


def test_a_failed_prefetch_leaves_each_notice_to_read_its_own(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(2):
        _order(local_aws, f"BF-{i}", email=f"bf{i}@mail.example", phone=None)

    def throttled(order_ids: Any) -> Any:
        raise GetError("Failed to batch get items: ProvisionedThroughputExceededException")

    monkeypatch.setattr(store, "orders_by_id", throttled)
    _queue(local_aws, *(_request(f"BF-{i}", NoticeChannel.EMAIL) for i in range(2)))
    local_aws.aws_calls.reset()
    local_aws.drain()
    assert _statuses() == {("BF-0", "email"): "sent", ("BF-1", "email"): "sent"}
    assert local_aws.aws_calls.summary()["dispatch_notices"]["dynamodb.GetItem"] >= 2  # each its order


def test_each_body_of_a_batch_is_validated_once(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    for order_id in ("BV-1", "BV-2"):
        _order(local_aws, order_id, email=f"{order_id.lower()}@mail.example", phone=None)
    first = _request("BV-1", NoticeChannel.EMAIL)
    bodies = [first.model_dump_json(), _request("BV-2", NoticeChannel.EMAIL).model_dump_json()]
    validated: list[str] = []
    validate = NoticeRequest.model_validate_json

    def counting(body: str | bytes, *args: Any, **kwargs: Any) -> NoticeRequest:
        validated.append(body if isinstance(body, str) else body.decode())
        return validate(body, *args, **kwargs)

    monkeypatch.setattr(NoticeRequest, "model_validate_json", counting)
    for body in (*bodies, bodies[0], '{"not": "a notice"}'):  # a redelivered copy and a poison message
        local_aws.send("NoticesQueue", body)
    local_aws.drain()
    assert sorted(b for b in validated if b in bodies) == sorted([*bodies, bodies[0]])  # once per copy
    sent = [n for n in store.all_notices() if n.kind == "shipment_delayed" and n.channel == "email"]
    assert {n.order_id: n.status for n in sent} == {"BV-1": "sent", "BV-2": "sent"}  # the copy sent nothing more
    assert len([m for m in local_aws.sent_messages() if m["channel"] == "email"]) == 2
