"""Fault tests of dispatch through the deployed template: every message delivered twice, SES
throttling on 30 % of calls, a crash injected after the claim and after the send, and a hard
bounce mid-campaign. Counted: zero lost notices, zero duplicates outside the documented window
(a crash after the send, README "Exactly-once notices"), suppressed addresses never sent to."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import instant, load_event, notice_request, paid

from delaydesk import store
from delaydesk.core.kinds import Kind, NoticeRequest, choose_channels
from delaydesk.core.orders import Order
from delaydesk.notices import dispatch, inbox, reads, senders
from delaydesk_local.runtime import LocalAws

pytestmark = pytest.mark.e2e

ORDERS = 40
ORDER_ID = re.compile(r"F-\d{3}")
AT = "2020-01-24T12:00:00+08:00"  # noon in Shanghai: no quiet hours


class Crash(Exception):
    """The process dies here: no clean-up runs (the claim is not released)."""


class Faults:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = 1_700_000_000.0
        self.calls = 0
        self.throttled = 0
        self.provider_calls = 0
        self.crash_after_claim: set[str] = set()
        self.crash_after_send: set[str] = set()
        self.crashed_after_send: list[str] = []
        self._crashing = False
        monkeypatch.setattr(dispatch, "wall_clock", lambda: self.clock)
        real_send = senders.send
        real_order = reads.order  # dispatch's first read after the claim (the batch's prefetch)
        real_record = store.record_outcome
        real_release = store.release_claim

        def send(*args: Any, **kwargs: Any) -> str:
            self.calls += 1
            if self.calls % 10 in (1, 4, 7):  # 30 % of calls
                self.throttled += 1
                raise ClientError(
                    {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                    "SendEmail",
                )
            self.provider_calls += 1
            return real_send(*args, **kwargs)

        def get_order(order_id: str) -> Any:
            if order_id in self.crash_after_claim:
                self.crash_after_claim.discard(order_id)
                self._crashing = True
                raise Crash(f"crash after the claim of {order_id}")
            return real_order(order_id)

        def record_outcome(claim: Any, status: str, **fields: Any) -> None:
            order_id = claim.record.order_id
            if status == "sent" and order_id in self.crash_after_send:
                self.crash_after_send.discard(order_id)
                self.crashed_after_send.append(f"{order_id}/{claim.record.channel}")
                self._crashing = True
                raise Crash(f"crash after the send of {order_id}")
            real_record(claim, status, **fields)

        def release_claim(claim: Any) -> None:
            if self._crashing:
                self._crashing = False
                return
            real_release(claim)

        monkeypatch.setattr(senders, "send", send)
        monkeypatch.setattr(reads, "order", get_order)
        monkeypatch.setattr(store, "record_outcome", record_outcome)
        monkeypatch.setattr(store, "release_claim", release_claim)


def _orders(local: LocalAws) -> list[Order]:
    events = []
    for i in range(ORDERS):
        customer: dict[str, Any] = {"name": f"Customer {i}", "email": f"c{i}@mail.example", "phone": None}
        if i % 4 == 0:
            customer["phone"] = f"+86138{i:08d}"
        if i % 10 == 9:
            customer["email"] = None
            customer["phone"] = f"+86139{i:08d}"
        events.append(paid(f"F-{i:03d}", "2020-01-20T10:00:00+08:00", hours=72, customer=customer))
    for event in events:
        local.send("OrderEventsQueue", json.dumps(event, ensure_ascii=False))
    local.drain()
    orders = []
    for i in range(ORDERS):
        record = store.get_order(f"F-{i:03d}")
        assert record is not None
        orders.append(record.order())
    return orders


def _requests(order: Order, kind: Kind) -> list[NoticeRequest]:
    return [
        notice_request(
            order_id=order.order_id,
            merchant_id=order.merchant_id,
            kind=kind,
            channel=channel,
            requested_at=instant(AT),
            rule="window_declared",
            reason="public_health",
            delay_started_at=instant(AT),
            eta_from=date(2020, 2, 10),
            eta_to=date(2020, 2, 14),
            details={"window_id": "cny2020", "window_reason": "public_health"},
        )
        for channel in choose_channels(order.customer, Kind.DISRUPTION_ANNOUNCEMENT)
    ]


def _run_until_quiet(local: LocalAws, faults: Faults, rounds: int = 30) -> None:
    """Deliver, let failed messages come back after their visibility timeout, repeat."""
    for _ in range(rounds):
        local.release_failed()
        local.drain()
        faults.clock += 200  # one visibility timeout: past the claim lease (120 s)
        if local.queue_depth("NoticesQueue") == 0 and local.queue_depth("SesFeedbackQueue") == 0:
            return
    raise AssertionError("notices still queued")


def _sent_per_key(local: LocalAws) -> tuple[Counter[tuple[str, str]], list[str]]:
    per_key: Counter[tuple[str, str]] = Counter()
    emails_to: list[str] = []
    for sent in local.sent_messages():
        if sent["channel"] == "email":
            message = sent["message"]
            order_id = ORDER_ID.findall(message.subject)[0]
            per_key[(order_id, "email")] += 1
            emails_to += message.destinations["ToAddresses"]
        else:
            order_id = ORDER_ID.findall(sent["text"])[0]
            per_key[(order_id, "sms")] += 1
    return per_key, emails_to


def _bounce(local: LocalAws, address: str) -> None:
    """An SES bounce record as the configuration set publishes it to the feedback topic."""
    record = load_event("ses_event_bounce")
    record["bounce"]["bouncedRecipients"][0]["emailAddress"] = address
    record["mail"]["destination"] = [address]
    local.client("sns").publish(TopicArn=local.stack.outputs["SesFeedbackTopicArn"], Message=json.dumps(record))


def test_no_notice_is_lost_or_doubled_under_redelivery_throttling_crashes_and_a_bounce(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = _orders(local_aws)
    faults = Faults(monkeypatch)
    faults.crash_after_claim = {"F-003", "F-011"}
    faults.crash_after_send = {"F-006", "F-027"}
    first, second = orders[: ORDERS // 2], orders[ORDERS // 2 :]
    send: Callable[[NoticeRequest], None] = lambda r: local_aws.send("NoticesQueue", r.model_dump_json())  # noqa: E731

    for order in first:
        for request in _requests(order, Kind.DISRUPTION_ANNOUNCEMENT):
            send(request)
            send(request)  # every message delivered twice
    _run_until_quiet(local_aws, faults)

    bounced = {"c21@mail.example", "c24@mail.example", "c30@mail.example"}  # c24 and c20… have phones
    for address in bounced:
        _bounce(local_aws, address)
    local_aws.drain()
    assert all(store.suppression_of(a) == "hard_bounce" for a in bounced)

    for order in second:
        for request in _requests(order, Kind.DISRUPTION_ANNOUNCEMENT):
            send(request)
            send(request)
    _run_until_quiet(local_aws, faults)

    per_key, emails_to = _sent_per_key(local_aws)
    log = {(n.order_id, n.channel): n for n in store.all_notices()}
    expected = {(r.order_id, r.channel.value) for o in orders for r in _requests(o, Kind.DISRUPTION_ANNOUNCEMENT)}
    window = {tuple(key.split("/")) for key in faults.crashed_after_send}

    lost = [k for k in expected if log.get(k) is None or log[k].status not in ("sent", "suppressed")]
    duplicates = [k for k, n in per_key.items() if n > 1 and k not in window]
    assert lost == [] and duplicates == []
    assert all(per_key[k] == 2 for k in window), "a crash after the send is the documented window"
    assert len(window) == 2
    for key in expected - window:
        if log[key].status == "sent":
            assert per_key[key] == 1, key
    assert not bounced & set(emails_to), "a suppressed address was sent to"
    suppressed = {k for k in expected if log[k].status == "suppressed"}
    assert suppressed == {("F-021", "email"), ("F-024", "email"), ("F-030", "email")}
    # fallbacks: F-024 has a phone (SMS), the others only the inbox
    assert per_key[("F-024", "sms")] == 1
    assert log[("F-021", "inbox")].status == "sent" and log[("F-030", "inbox")].status == "sent"
    assert faults.throttled >= 0.25 * faults.calls and not faults.crash_after_claim, "every fault fired"
    assert all(inbox.entries(o.order_id) for o in orders), "every notice has its inbox copy"
    assert local_aws.queue_depth("NoticesDLQ") == 0
    print(
        f"fault run: {len(expected)} notice keys, {sum(per_key.values())} provider sends, {faults.calls} send "
        f"attempts ({faults.throttled} throttled), 4 crashes (2 after the claim, 2 after the send), "
        f"{len(suppressed)} suppressed; lost {len(lost)}, duplicates outside the window {len(duplicates)}, "
        f"inside it {len(window)}"
    )
