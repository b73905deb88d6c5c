"""Enforcing the policy timers, driven the way the scan drives them: at each next_due_at (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conftest import instant, merchant, order_from, paid, shipped
from pure_runs import drive as replay

from delaydesk.core.config import Settings
from delaydesk.core.decisions import Decision
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.core.windows import Window, preset
from delaydesk.delays.detect import next_due_at
from delaydesk.policy import timers

POLICY = DelayPolicy.for_merchant(merchant(timezone="Asia/Shanghai"), Settings())
CNY = preset("spring_festival_2020")
ZONE = POLICY.timers.zone


def _event(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-{at}", "at": at, "order_id": "o1", **fields}


def drive(
    order: Order,
    windows: list[Window],
    until: datetime,
    events: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> tuple[Order, list[Decision], list[NoticeRequest]]:
    """Evaluate at every due instant (and apply each event at its time) up to ``until``."""
    return replay(order, POLICY, windows, until, events, steps=200)


def _actions(decisions: list[Decision]) -> list[tuple[str, str, str | None]]:
    return [(d.action.value, d.rule, d.window_id) for d in decisions]


def test_a_late_shipment_is_recorded_at_the_promise_outside_any_window() -> None:
    order = order_from(paid("o1", "2020-03-02T10:00:00+08:00"))
    _, decisions, _ = drive(order, CNY, instant("2020-03-05T00:00:00+08:00"))
    assert _actions(decisions)[:2] == [
        ("late_shipment_recorded", "ship_by", None),
        ("delay_detected", "ship_by", None),
    ]
    assert decisions[0].at == instant("2020-03-03T10:00:00+08:00")


def test_inside_the_spring_festival_the_late_shipment_is_exempted_and_the_customer_told() -> None:
    order = order_from(paid("o1", "2020-01-25T10:00:00+08:00"))
    final, decisions, notices = drive(order, CNY, instant("2020-02-12T00:00:00+08:00"))
    assert _actions(decisions) == [
        ("deadline_extended", "ship_by", "cny2020"),
        ("late_shipment_exempted", "ship_by", "cny2020"),
        ("delay_detected", "ship_by", None),
    ]
    # Exempted at the broken 24 h promise; the customer hears of the new date at once, and of a
    # delay only when the restarted commitment (window end + 24 h) passes too.
    assert decisions[0].at == instant("2020-01-25T10:00:00+08:00")  # told at payment
    assert decisions[1].at == instant("2020-01-26T10:00:00+08:00")
    assert decisions[2].at == instant("2020-02-10T23:59:59+08:00")
    assert [(n.kind.value, n.stage) for n in notices] == [("disruption_announcement", 0), ("shipment_delayed", 0)]
    assert notices[0].details["ship_by"] == "2020-02-10T15:59:59Z"
    assert notices[0].details["changes"] == "ship_by_extended"
    assert final.ship_by_at == instant("2020-02-10T23:59:59+08:00")


def test_refunds_are_auto_approved_after_5_days_or_15_inside_the_window() -> None:
    for requested, days, window in (
        ("2020-03-03T09:00:00+08:00", 5, None),
        ("2020-01-22T09:00:00+08:00", 15, "cny2020"),
    ):
        paid_at = (instant(requested) - timedelta(days=1)).isoformat()
        order = order_from(paid("o1", paid_at), shipped("o1", paid_at))
        final, decisions, notices = drive(
            order, CNY, instant(requested) + timedelta(days=20), [_event("refund.requested", requested, reason="x")]
        )
        refund = next(d for d in decisions if d.action == "refund_auto_approved")
        assert refund.at - instant(requested) == timedelta(days=days)
        assert (refund.rule, refund.window_id) == ("refund_confirm_timeout", window)
        assert final.status == OrderStatus.REFUNDED
        assert [n.kind.value for n in notices if n.kind.value == "refund_approved"] == ["refund_approved"]
        extended = [d for d in decisions if d.action == "deadline_extended"]
        # Inside the window the customer hears of the 15 days when asking, not when 5 days run out.
        assert [(d.rule, d.at) for d in extended] == ([("refund_confirm", instant(requested))] if window else [])


def test_a_seller_who_answers_in_time_stops_the_refund_timer() -> None:
    order = order_from(paid("o1", "2020-03-02T10:00:00+08:00"), shipped("o1", "2020-03-02T12:00:00+08:00"))
    events = [
        _event("refund.requested", "2020-03-03T09:00:00+08:00", reason="x"),
        _event("refund.seller_responded", "2020-03-05T09:00:00+08:00", decision="rejected"),
    ]
    _, decisions, _ = drive(order, [], instant("2020-03-20T00:00:00+08:00"), events)
    assert "refund_auto_approved" not in [d.action for d in decisions]


def test_a_return_not_confirmed_in_time_is_refunded() -> None:
    order = order_from(paid("o1", "2020-03-02T10:00:00+08:00"), shipped("o1", "2020-03-02T12:00:00+08:00"))
    events = [
        _event("refund.requested", "2020-03-04T09:00:00+08:00", reason="x"),
        _event("refund.seller_responded", "2020-03-05T09:00:00+08:00", decision="approved"),
        _event("return.shipped", "2020-03-06T09:00:00+08:00"),
    ]
    final, decisions, notices = drive(order, [], instant("2020-03-30T00:00:00+08:00"), events)
    (refund,) = [d for d in decisions if d.action == "return_refund_auto_approved"]
    assert refund.at == instant("2020-03-16T09:00:00+08:00")
    assert final.status == OrderStatus.REFUNDED
    assert [(n.kind.value, n.stage) for n in notices if n.kind.value == "refund_approved"] == [("refund_approved", 1)]


def test_cross_border_orders_are_auto_confirmed_on_day_11_or_34_inside_the_window() -> None:
    for paid_at, day, window in (
        ("2020-03-02T10:00:00+08:00", 11, None),
        ("2020-01-15T10:00:00+08:00", 34, "cny2020-cross-border"),
    ):
        order = order_from(paid("o1", paid_at, channel="cross_border"), shipped("o1", paid_at))
        final, decisions, _ = drive(order, CNY, instant(paid_at) + timedelta(days=40))
        (confirm,) = [d for d in decisions if d.action == "receipt_auto_confirmed"]
        assert confirm.at.astimezone(ZONE).date() - instant(paid_at).date() == timedelta(days=day)
        assert confirm.window_id == window
        assert final.status == OrderStatus.COMPLETED


def test_cancel_while_late_is_granted_with_a_full_refund_and_refused_once_shipped() -> None:
    late = order_from(paid("o1", "2020-03-02T10:00:00+08:00"))
    final, decisions, notices = drive(
        late, [], instant("2020-03-06T00:00:00+08:00"), [_event("cancel.requested", "2020-03-04T08:00:00+08:00")]
    )
    cancelled = next(d for d in decisions if d.action == "order_cancelled")
    assert (cancelled.at, cancelled.rule, cancelled.inputs["refund"]) == (
        instant("2020-03-04T08:00:00+08:00"),
        "cancel_while_late",
        "128.00 CNY",
    )
    assert final.status == OrderStatus.CANCELLED and next_due_at(final, POLICY) is None
    assert "order_cancelled" in [n.kind.value for n in notices]

    inside = order_from(paid("o1", "2020-01-25T10:00:00+08:00"))
    _, decisions, _ = drive(
        inside, CNY, instant("2020-01-26T00:00:00+08:00"), [_event("cancel.requested", "2020-01-25T12:00:00+08:00")]
    )
    assert ("order_cancelled", "cancel_inside_window", "cny2020") in _actions(decisions)

    on_time = order_from(paid("o1", "2020-03-02T10:00:00+08:00", hours=48))
    _, decisions, _ = drive(
        on_time, [], instant("2020-03-05T00:00:00+08:00"), [_event("cancel.requested", "2020-03-02T12:00:00+08:00")]
    )
    granted = next(d for d in decisions if d.action == "order_cancelled")
    assert granted.at == instant("2020-03-04T10:00:00+08:00")  # waited until the promise was broken

    sent = order_from(paid("o1", "2020-03-02T10:00:00+08:00"), shipped("o1", "2020-03-02T18:00:00+08:00"))
    final, decisions, notices = drive(
        sent, [], instant("2020-03-04T00:00:00+08:00"), [_event("cancel.requested", "2020-03-03T08:00:00+08:00")]
    )
    assert _actions(decisions) == [("cancel_refused", "cancel_after_shipping", None)]
    assert final.status == OrderStatus.SHIPPED and notices[0].kind.value == "cancel_refused"


def test_evaluating_again_decides_nothing_twice() -> None:
    order = order_from(paid("o1", "2020-01-25T10:00:00+08:00"))
    first = timers.evaluate(order, POLICY, CNY, instant("2020-01-27T00:00:00+08:00"))
    again = timers.evaluate(first.order, POLICY, CNY, instant("2020-01-28T00:00:00+08:00"))
    assert len(first.decisions) == 2 and len(first.notices) == 1
    assert again.decisions == [] and again.notices == []


def test_ending_a_window_early_brings_the_deadline_back_and_says_so() -> None:
    order = order_from(paid("o1", "2020-01-25T10:00:00+08:00"))
    first = timers.evaluate(order, POLICY, CNY, instant("2020-01-26T00:00:00+08:00"))
    ended = [CNY[0].ended(instant("2020-02-01T00:00:00+08:00")), CNY[1]]
    again = timers.evaluate(first.order, POLICY, ended, instant("2020-02-01T00:00:00+08:00"))
    assert _actions(again.decisions) == [
        ("deadline_shortened", "ship_by", "cny2020"),
        ("late_shipment_exempted", "ship_by", "cny2020"),  # paid inside: still exempt
    ]
    assert again.decisions[0].inputs["new_at"] == "2020-02-01T16:00:00Z"  # the new end + 24 h
    assert again.order.ship_by_at == instant("2020-02-02T00:00:00+08:00")
    assert again.notices == []
