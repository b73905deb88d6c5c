"""Paced announcements through the deployed template, in real time: a declared window reaches the
covered orders a recompute page at a time; each page's announcements take their tickets of the
merchant's bulk share up front and are queued once, with DelaySeconds up to the ticket (or, beyond
15 minutes, in the slot table until ``release_notices`` queues them); dispatch sends each once,
and a transactional notice queued meanwhile goes out before the announcement has drained."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime

import pytest
from conftest import merchant, notice_request, paid

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core.kinds import Kind
from delaydesk.notices import dispatch, notice_jobs
from delaydesk_local.runtime import LocalAws

DECLARED_AT = "2020-01-22T12:00:00+08:00"
ANNOUNCEMENT = "disruption_announcement#0#email"


def _declare_over(local: LocalAws, orders: int, send_rate: float, bulk_share: float) -> None:
    store.put_merchant(merchant(settings={"notices": {"max_send_rate": send_rate, "bulk_share": bulk_share}}))
    store.forget_cached_merchants()
    for n in range(orders):
        local.send("OrderEventsQueue", json.dumps(paid(f"P-{n}", "2020-01-20T10:00:00+08:00", hours=72)))
    local.drain()
    stack = ["--stack-name", local.stack.name]
    assert main(["windows", "declare", "--preset", "spring_festival_2020", "--at", DECLARED_AT, *stack]) == 0
    local.drain()  # recompute's pages: the announcements are scheduled and queued (or slotted)


def _deliveries(local: LocalAws) -> Counter[tuple[str, str]]:
    """How many times each notice reached dispatch: every message queued for it was delivered once."""
    bodies = [
        json.loads(record["body"])
        for run in local.invocations
        if run.function == "DispatchNoticesFunction"
        for record in run.event["Records"]
    ]
    return Counter((b["order_id"], f"{b['kind']}#{b['stage']}#{b['channel']}") for b in bodies)


def _drain_until_sent(local: LocalAws, expected: int, seconds: float) -> list[Counter[str]]:
    """Deliver what becomes visible (DelaySeconds runs in real time here) until ``expected`` are
    sent; what was sent by kind after each pass."""
    passes = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        local.drain()
        passes.append(Counter(n.kind for n in store.all_notices() if n.status == "sent"))
        if passes[-1].total() >= expected:
            return passes
        time.sleep(0.2)
    raise AssertionError(f"not all sent in {seconds} s: {Counter(n.status for n in store.all_notices())}")


def test_an_announcement_is_queued_once_per_notice_sent_once_and_overtaken_by_an_urgent_notice(
    local_aws: LocalAws,
) -> None:
    orders = 24
    # One announcement a second: longer than the recompute takes on moto (a few seconds).
    _declare_over(local_aws, orders, send_rate=2, bulk_share=0.5)
    sent_before = sum(1 for n in store.all_notices() if n.kind == "disruption_announcement")
    assert sent_before < orders / 2, "the rest wait for their tickets on the queue, not in a dispatcher"
    at = datetime.fromisoformat(DECLARED_AT)
    urgent = notice_request(order_id="P-7", kind=Kind.DELIVERY_EXCEPTION, requested_at=at)
    local_aws.send("NoticesQueue", urgent.model_dump_json())
    passes = _drain_until_sent(local_aws, orders + 1, seconds=60)

    deliveries = _deliveries(local_aws)
    announced = {order: count for (order, key), count in deliveries.items() if key == ANNOUNCEMENT}
    assert len(announced) == orders and max(announced.values()) <= 2, announced
    # Twice: dispatch found the send slot more than half a second away (one a second in real time,
    # with moto's latency between a ticket and its delivery) and queued it again, holding the slot.
    assert sum(1 for n in announced.values() if n == 1) >= orders / 2, announced
    assert deliveries[("P-7", "delivery_exception#0#email")] <= 2
    log = [(n.order_id, n.kind, n.status) for n in store.all_notices()]
    assert len(log) == orders + 1 and {status for *_, status in log} == {"sent"}
    assert sum(1 for m in local_aws.sent_messages() if m["channel"] == "email") == orders + 1, "each sent once"
    first = next(p for p in passes if p["delivery_exception"])
    assert first["disruption_announcement"] <= orders - 5, "the urgent notice went out while the announcement drained"


def test_far_tickets_wait_in_the_slot_table_until_the_release_function_queues_them_once(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders = 10
    # The merchant's bulk share is busy for the next 1,000 s: this announcement's tickets are beyond
    # SQS's 15 minutes, 0.2 s apart.
    store.reserve_send_slot("m-teahouse", time.time(), 1_000.0, "bulk")
    _declare_over(local_aws, orders, send_rate=10, bulk_share=0.5)
    slotted = list(store.NoticeStateRecord.scan(store.NoticeStateRecord.pk.startswith("slot#")))
    assert len(slotted) == orders and _deliveries(local_aws) == Counter()
    assert all(item.expires_at is not None for item in slotted)

    # The release runs when the tickets have come (its clock, and dispatch's, moved on by 1,003 s).
    monkeypatch.setattr(notice_jobs, "wall_clock", lambda: time.time() + 1_003)
    monkeypatch.setattr(dispatch, "wall_clock", lambda: time.time() + 1_003)
    rule = "arn:aws:events:us-east-1:123456789012:rule/release"
    event = local_aws.scheduled_event(rule, datetime.fromisoformat("2020-01-22T12:20:00+08:00"))
    assert local_aws.invoke("ReleaseNoticesFunction", event)["slots_released"] == orders
    assert local_aws.invoke("ReleaseNoticesFunction", event)["slots_released"] == 0, "the cursor moved past them"
    _drain_until_sent(local_aws, orders, seconds=30)

    announced = {order: n for (order, key), n in _deliveries(local_aws).items() if key == ANNOUNCEMENT}
    assert len(announced) == orders and max(announced.values()) <= 2
    assert Counter(n.status for n in store.all_notices()) == Counter({"sent": orders})
    assert sum(1 for m in local_aws.sent_messages() if m["channel"] == "email") == orders
