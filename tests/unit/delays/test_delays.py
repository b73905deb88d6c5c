"""Delay rules at their boundaries (pure: no AWS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import OrderStatus
from delaydesk.delays.detect import detect, evaluate, next_due_at
from delaydesk.policy import timers

POLICY = DelayPolicy.for_merchant(merchant(), Settings())
PAID_AT = "2020-01-20T10:00:00+08:00"
SHIP_BY = instant("2020-01-21T10:00:00+08:00")
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(("offset", "delayed"), [(-SECOND, False), (timedelta(0), True), (SECOND, True)])
def test_ship_by_boundary(offset: timedelta, delayed: bool) -> None:
    order = order_from(paid("o1", PAID_AT))
    result = evaluate(order, POLICY, SHIP_BY + offset)
    assert bool(result.decisions) is delayed
    if delayed:
        (decision,) = result.decisions
        assert (decision.action, decision.rule) == ("delay_detected", "ship_by")
        assert decision.inputs["ship_by_at"] == "2020-01-21T02:00:00Z"
        assert {(n.kind, n.stage) for n in result.notices} == {(Kind.SHIPMENT_DELAYED, 0)}


def test_due_time_is_the_ship_by_deadline_then_the_next_update() -> None:
    order = order_from(paid("o1", PAID_AT, hours=48))
    # A new order is due at once (the scan applies the windows in force), then at its ship-by.
    assert next_due_at(order, POLICY) == instant(PAID_AT)
    order = timers.evaluate(order, POLICY, [], instant(PAID_AT)).order
    assert next_due_at(order, POLICY) == instant("2020-01-22T10:00:00+08:00")
    # The scan runs the policy timers (the late-shipment decision) and then the delay rules.
    timed = timers.evaluate(order, POLICY, [], instant("2020-01-22T10:00:00+08:00")).order
    detected = evaluate(timed, POLICY, instant("2020-01-22T10:00:00+08:00")).order
    assert next_due_at(detected, POLICY) == instant("2020-01-25T10:00:00+08:00")


def test_shipping_ends_the_shipment_delay_and_starts_the_stall_clock() -> None:
    order = order_from(paid("o1", PAID_AT))
    delayed = evaluate(order, POLICY, SHIP_BY).order
    assert delayed.delay is not None
    from delaydesk.core.events import parse_event
    from delaydesk.core.orders import apply_event

    after = apply_event(delayed, parse_event(shipped("o1", "2020-01-22T09:00:00+08:00")))
    assert after.delay is None and after.delays_resolved == 1
    assert next_due_at(after, POLICY) == instant("2020-01-24T09:00:00+08:00")


@pytest.mark.parametrize(("hours", "rule"), [(47, None), (48, "stalled_in_transit"), (49, "stalled_in_transit")])
def test_stalled_in_transit_boundary(hours: int, rule: str | None) -> None:
    order = order_from(
        paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00"), scan("o1", "2020-01-21T08:00:00+08:00")
    )
    finding = detect(order, POLICY, instant("2020-01-21T08:00:00+08:00") + timedelta(hours=hours))
    assert (finding.rule if finding else None) == rule


def test_stall_rule_follows_the_last_scan() -> None:
    base = [paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00")]
    later = instant("2020-01-25T00:00:00+08:00")
    assert detect(order_from(*base), POLICY, later).rule == "stalled_after_pickup"  # type: ignore[union-attr]
    at_door = order_from(*base, scan("o1", "2020-01-21T08:00:00+08:00", "out_for_delivery"))
    assert detect(at_door, POLICY, later).rule == "stalled_at_delivery"  # type: ignore[union-attr]


def test_merchant_stall_threshold_overrides_the_default() -> None:
    policy = DelayPolicy.for_merchant(merchant(settings={"stall_hours": 24}), Settings())
    order = order_from(paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00"))
    assert detect(order, policy, instant("2020-01-21T18:00:00+08:00")) is not None
    assert detect(order, POLICY, instant("2020-01-21T18:00:00+08:00")) is None


def test_exception_is_reported_at_once_and_urgent_kinds_also_go_by_sms() -> None:
    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-21T08:00:00+08:00", "exception", sub_status="incorrect_address"),
    )
    assert next_due_at(order, POLICY) == instant("2020-01-21T08:00:00+08:00")
    result = evaluate(order, POLICY, instant("2020-01-21T08:05:00+08:00"))
    assert [d.rule for d in result.decisions] == ["carrier_exception", "customer_action"]  # address: escalated too
    assert {n.channel for n in result.notices} == {NoticeChannel.EMAIL, NoticeChannel.SMS}
    assert result.notices[0].reason == "incorrect_address"


def test_staged_updates_every_three_days_never_repeat_a_stage() -> None:
    order = order_from(paid("o1", PAID_AT))
    now = SHIP_BY
    stages = []
    for day in range(0, 10):
        result = evaluate(order, POLICY, now + timedelta(days=day))
        order = result.order
        stages += [(n.kind.value, n.stage) for n in result.notices if n.channel == NoticeChannel.EMAIL]
    assert stages == [("shipment_delayed", 0), ("delay_update", 1), ("delay_update", 2), ("delay_update", 3)]


def test_a_second_delay_continues_the_stage_numbering() -> None:
    order = order_from(paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00"))
    first = evaluate(order, POLICY, instant("2020-01-23T00:00:00+08:00"))
    from delaydesk.core.events import parse_event
    from delaydesk.core.orders import apply_event

    moved = apply_event(first.order, parse_event(scan("o1", "2020-01-23T06:00:00+08:00")))
    assert moved.delay is None
    second = evaluate(moved, POLICY, instant("2020-01-25T07:00:00+08:00"))
    assert [n.stage for n in first.notices] == [0]
    assert [n.stage for n in second.notices] == [1]
    assert second.decisions[0].decision_id != first.decisions[0].decision_id


def test_delivered_orders_leave_the_index_and_take_no_decision() -> None:
    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-22T08:00:00+08:00", "delivered"),
    )
    assert order.status == OrderStatus.DELIVERED
    assert next_due_at(order, POLICY) is None
    assert not evaluate(order, POLICY, instant("2020-02-01T00:00:00+08:00")).changed


def test_carrier_estimate_is_used_for_the_transit_range() -> None:
    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-21T08:00:00+08:00", estimated_delivery="2020-01-30T12:00:00+08:00"),
    )
    result = evaluate(order, POLICY, instant("2020-01-24T00:00:00+08:00"))
    notice = result.notices[0]
    assert (str(notice.eta_from), str(notice.eta_to)) == ("2020-01-30", "2020-01-31")
