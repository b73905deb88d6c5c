"""Notices on the deployed template: quiet hours, send rate, suppression and SES feedback, SMS
opt-outs, merchant overrides, compensation, poison messages and permanent refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import instant, load_event, merchant, notice_request, paid

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.notices import dispatch, inbox
from delaydesk.notices.templates_admin import TemplateRejected, upload
from delaydesk_local.runtime import LocalAws


def _order(local: LocalAws, order_id: str, **customer: Any) -> None:
    local.send("OrderEventsQueue", json.dumps(paid(order_id, "2020-01-20T10:00:00+08:00", hours=72, customer=customer)))
    local.drain()


def _request(order_id: str, channel: NoticeChannel, at: str, kind: Kind = Kind.SHIPMENT_DELAYED) -> NoticeRequest:
    return notice_request(order_id=order_id, kind=kind, channel=channel, requested_at=instant(at))


def _sms(local: LocalAws) -> list[dict[str, Any]]:
    return [m for m in local.sent_messages() if m["channel"] == "sms"]


def test_an_sms_in_quiet_hours_is_held_and_sent_when_they_end(local_aws: LocalAws) -> None:
    _order(local_aws, "Q-1", email=None, phone="+8613800138001")
    local_aws.send("NoticesQueue", _request("Q-1", NoticeChannel.SMS, "2020-01-24T23:00:00+08:00").model_dump_json())
    local_aws.drain()
    assert _sms(local_aws) == []
    local_aws.tick(datetime(2020, 1, 24, 20, 0, tzinfo=UTC))  # 04:00 in Shanghai: still quiet
    assert _sms(local_aws) == []
    local_aws.tick(datetime(2020, 1, 25, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    (sms,) = _sms(local_aws)
    assert sms["to"] == "+8613800138001" and "Q-1" in sms["text"]
    (notice,) = [n for n in store.all_notices() if n.channel == "sms"]
    assert notice.status == "sent" and notice.sent_at == datetime(2020, 1, 25, 1, 0, tzinfo=UTC)


def test_an_urgent_sms_is_not_held(local_aws: LocalAws) -> None:
    _order(local_aws, "Q-2", email=None, phone="+8613800138002")
    request = _request("Q-2", NoticeChannel.SMS, "2020-01-24T23:00:00+08:00", Kind.DELIVERY_EXCEPTION)
    assert dispatch.dispatch(request, request.requested_at) == "sent"


def test_a_merchant_send_rate_defers_the_excess_with_its_reserved_slot(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_merchant(merchant(settings={"notices": {"max_send_rate": 5}}))
    clock = [1_700_000_000.0]
    monkeypatch.setattr(dispatch, "wall_clock", lambda: clock[0])
    deferred: list[tuple[NoticeRequest, int]] = []
    outcomes = []
    for i in range(20):
        _order(local_aws, f"R-{i}", email=f"r{i}@mail.example")
        request = _request(f"R-{i}", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00")
        outcomes.append(dispatch.dispatch(request, request.requested_at, requeue=lambda r, d: deferred.append((r, d))))
    assert outcomes.count("sent") == 1 and outcomes.count("deferred") == 19  # no burst: 5 a second
    assert [d for _, d in deferred] == [1] * 5 + [2] * 5 + [3] * 5 + [4] * 4
    clock[0] += 4.0
    again = [dispatch.dispatch(r, r.requested_at, requeue=lambda r, d: None) for r, _ in deferred]
    assert again.count("sent") == 19  # each uses the slot it holds
    assert sum(1 for m in local_aws.sent_messages() if m["channel"] == "email") == 20


def test_a_notice_queued_before_its_orders_commit_waits_for_it_once(local_aws: LocalAws) -> None:
    _order(local_aws, "V-1", email="v1@mail.example")
    record = store.get_order("V-1")
    assert record is not None and record.version is not None
    ahead = _request("V-1", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00").model_copy(
        update={"order_version": record.version + 1}
    )
    requeued: list[tuple[NoticeRequest, int]] = []
    assert dispatch.dispatch(ahead, ahead.requested_at, requeue=lambda r, d: requeued.append((r, d))) == "deferred"
    ((again, delay),) = requeued
    assert delay == dispatch.COMMIT_WAIT_SECONDS and again.order_version is None
    assert list(local_aws.sent_messages()) == []
    # Once: back from the queue it is sent as the order is (its claim was released).
    assert dispatch.dispatch(again, again.requested_at, requeue=lambda r, d: requeued.append((r, d))) == "sent"
    # A notice whose order holds the version it names goes straight out.
    _order(local_aws, "V-2", email="v2@mail.example")
    landed = store.get_order("V-2")
    assert landed is not None
    request = _request("V-2", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00").model_copy(
        update={"order_version": landed.version}
    )
    assert dispatch.dispatch(request, request.requested_at, requeue=lambda r, d: requeued.append((r, d))) == "sent"
    assert len(requeued) == 1 and sum(1 for m in local_aws.sent_messages() if m["channel"] == "email") == 2


def test_feedback_events_update_suppressions_and_the_notice(local_aws: LocalAws) -> None:
    _order(local_aws, "B-1", email="recipient@example.com", phone="+8613800138003")
    delivery = load_event("ses_event_delivery")
    delivery["mail"]["tags"] |= {"order_id": ["B-1"], "kind": ["shipment_delayed"], "stage": ["0"]}
    complaint = load_event("ses_event_complaint")
    wrapped = load_event("sns_sqs_wrapped_ses_bounce")["Records"][0]["body"]
    for body in (json.dumps(delivery), json.dumps(complaint), wrapped, "not json"):
        local_aws.send("SesFeedbackQueue", body)
    local_aws.drain()
    assert store.suppression_of("recipient@example.com") in ("complaint", "hard_bounce")
    assert store.feedback_of("B-1") == []  # the delivery is not written (nothing reads it)
    assert local_aws.queue_depth("SesFeedbackQueue") == 0
    (poison,) = local_aws.client("sqs").receive_message(
        QueueUrl=local_aws.queue_url("SesFeedbackDLQ"), MessageAttributeNames=["All"]
    )["Messages"]
    assert poison["Body"] == "not json" and "not JSON" in poison["MessageAttributes"]["reason"]["StringValue"]
    request = _request("B-1", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00")
    local_aws.send("NoticesQueue", request.model_dump_json())
    local_aws.drain()
    statuses = {n.channel: n.status for n in store.all_notices()}
    assert statuses == {"email": "suppressed", "sms": "sent", "inbox": "sent"}  # fell back to SMS and inbox
    assert not [m for m in local_aws.sent_messages() if m["channel"] == "email"]


def test_sms_opt_outs_are_synchronised_daily(local_aws: LocalAws) -> None:
    local_aws.tick(datetime(2020, 1, 24, 2, 0, tzinfo=UTC))
    assert list(store.all_suppressions()) == []
    local_aws.tick(datetime(2020, 1, 24, 3, 0, tzinfo=UTC))
    opted_out = local_aws.client("sns").list_phone_numbers_opted_out()["phoneNumbers"]
    assert opted_out and all(store.suppression_of(n) == "sms_opt_out" for n in opted_out)


def test_a_merchant_override_is_validated_and_used(local_aws: LocalAws) -> None:
    settings = get_settings()
    now = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(TemplateRejected) as refused:
        upload("m-teahouse", Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, "{{ ''.__class__ }}", settings, now)
    assert len(refused.value.problems) >= 2
    source = "【{{ merchant_name }}】亲，订单{{ order_id }}晚点发货，预计{{ estimate }}到。{{ order_url }}"
    upload("m-teahouse", Kind.SHIPMENT_DELAYED, "zh-CN", NoticeChannel.SMS, source, settings, now)
    _order(local_aws, "O-1", email=None, phone="+8613800138004")
    request = _request("O-1", NoticeChannel.SMS, "2020-01-24T12:00:00+08:00")
    assert dispatch.dispatch(request, request.requested_at) == "sent"
    (sms,) = _sms(local_aws)
    assert sms["text"].startswith("【西湖茶舍 West Lake Tea House】亲，订单O-1晚点发货")
    (copy,) = inbox.list_inbox("O-1")
    assert "O-1" in copy["title"] and "O-1" in copy["body"]


def test_compensation_is_granted_once_per_order_within_budget(local_aws: LocalAws) -> None:
    rules = {"rules": [{"grant": "coupon", "value": "10.00", "min_delay_days": 3}], "budget": "15.00"}
    store.put_merchant(merchant(settings={"notices": {"compensation": rules}}))
    for i in range(3):
        _order(local_aws, f"C-{i}", email=f"comp{i}@mail.example", phone="+8613800138005")
    early = _request("C-0", NoticeChannel.EMAIL, "2020-01-21T12:00:00+08:00")  # 1 day late: nothing
    assert dispatch.dispatch(early, early.requested_at) == "sent"
    assert store.grant_of("C-0") is None
    for i in range(3):
        for channel in (NoticeChannel.EMAIL, NoticeChannel.SMS):
            late = _request(f"C-{i}", channel, "2020-01-24T12:00:00+08:00", Kind.DELAY_UPDATE)
            dispatch.dispatch(late.model_copy(update={"stage": 1}), late.requested_at)
    granted = [store.grant_of(f"C-{i}") for i in range(3)]
    assert [g is not None for g in granted] == [True, False, False]  # the budget allows one coupon
    bodies = [m["message"].body for m in local_aws.sent_messages() if m["channel"] == "email"]
    assert sum("10.00" in b and "优惠券" in b for b in bodies) == 1
    (decision,) = [d for d in store.all_decisions() if d.action == "compensation_granted"]
    assert decision.order_id == "C-0"


def test_poison_goes_to_the_dlq_with_its_reason_and_a_refusal_is_not_retried(local_aws: LocalAws) -> None:
    local_aws.send("NoticesQueue", '{"order_id": "nothing else"}')
    _order(local_aws, "P-1", email="p1@mail.example")
    store.put_merchant(merchant(from_email="nobody@unverified.example"))  # SES refuses: MessageRejected
    local_aws.send("NoticesQueue", _request("P-1", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00").model_dump_json())
    local_aws.drain()
    assert local_aws.queue_depth("NoticesQueue") == 0
    (dead,) = local_aws.client("sqs").receive_message(
        QueueUrl=local_aws.queue_url("NoticesDLQ"), MessageAttributeNames=["All"]
    )["Messages"]
    assert "not a notice request" in dead["MessageAttributes"]["reason"]["StringValue"]
    (notice,) = store.all_notices()
    assert notice.status == "failed" and "SES refused" in (notice.error or "")


def test_the_cli_stores_lints_previews_and_lists(
    local_aws: LocalAws, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from delaydesk.cli import main

    bad = tmp_path / "bad.j2"
    bad.write_text("{{ cycler.__init__.__globals__.os }} it is the fault of the courier", encoding="utf-8")
    good = tmp_path / "good.j2"
    good.write_text("{{ merchant_name }}: order {{ order_id }} is late, now {{ estimate }}. {{ order_url }}")
    put = ["templates", "put", "--stack-name", "delaydesk-local", "--merchant", "m-teahouse"]
    put += ["--kind", "in_transit_delayed", "--locale", "en", "--channel", "sms"]
    assert main([*put, str(bad)]) == 2
    refused = capsys.readouterr().err
    assert "internals" in refused and "blames a partner" in refused and "sandbox" in refused
    assert main([*put, str(good)]) == 0
    assert main(["templates", "lint", "--stored", "--stack-name", "delaydesk-local"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    preview = ["notices", "preview", "--kind", "order_cancelled", "--locale", "zh-TW", "--channel", "sms"]
    assert main(preview) == 0
    assert "已取消" in capsys.readouterr().out
    _order(local_aws, "L-1", email="l1@mail.example")
    request = _request("L-1", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00")
    assert dispatch.dispatch(request, request.requested_at) == "sent"
    capsys.readouterr()
    assert main(["notices", "inbox", "L-1", "--stack-name", "delaydesk-local"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["notice"] == "shipment_delayed#0" and "L-1" in listed["title"]


def test_the_inbox_is_one_entry_per_notice_from_the_notice_log_and_older_copies(local_aws: LocalAws) -> None:
    _order(local_aws, "IB-1", email="li.lei@mail.example", phone="+8613800138011")
    first = _request("IB-1", NoticeChannel.EMAIL, "2020-01-24T12:00:00+08:00")
    assert dispatch.dispatch(first, first.requested_at) == "sent"
    also = first.model_copy(update={"channel": NoticeChannel.SMS})
    assert dispatch.dispatch(also, also.requested_at) == "sent"
    (email,) = [n for n in store.notices_for("IB-1") if n.channel == "email"]
    assert email.inbox and email.subject  # the copy is kept on the notice's own record
    # A copy stored before the notice log held them (the notice-state table) is still listed.
    older = store.NoticeStateRecord("inbox#IB-1", "delay_update#1", title="旧通知", text="正文", label="zh-CN")
    older.at = instant("2020-01-27T12:00:00+08:00")
    older.save()
    entries = inbox.entries("IB-1")
    assert [e.key for e in entries] == ["shipment_delayed#0", "delay_update#1"]  # e-mail and SMS: one entry
    assert entries[0].body == email.inbox and entries[1].title == "旧通知"
