"""policy.choices: the one function that decides what a customer may choose (page and notices)."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import merchant, order_from, paid, scan, shipped

from delaydesk.core.orders import LawState, TimerState
from delaydesk.policy import choice_names, choices_for

PAID = "2020-01-20T10:00:00+08:00"
PROMISE = datetime.fromisoformat("2020-01-21T10:00:00+08:00")  # 24 hours after payment


def test_wait_and_cancel_open_when_the_promise_breaks_and_close_on_shipping_or_cancelling() -> None:
    order = order_from(paid("C-1", PAID))
    assert choice_names(order, merchant(), PROMISE - timedelta(seconds=1)) == []
    assert choice_names(order, merchant(), PROMISE) == ["wait", "cancel"]
    covered = order.model_copy(deep=True)
    covered.timers["ship_by"] = TimerState(at=PROMISE, default_at=PROMISE, window_id="cny2020")
    assert choice_names(covered, merchant(), PROMISE - timedelta(hours=20)) == ["wait", "cancel"]
    assert choice_names(order.model_copy(update={"cancel_status": "requested"}), merchant(), PROMISE) == []
    assert choice_names(order.model_copy(update={"cancel_status": "waiting"}), merchant(), PROMISE) == [
        "wait",
        "cancel",
    ]
    late_shipped = order_from(paid("C-1", PAID), shipped("C-1", "2020-01-22T11:00:00+08:00"))
    assert choice_names(late_shipped, merchant(), PROMISE + timedelta(days=2)) == []


def test_return_opens_on_delivery_until_the_return_window_closes_and_once() -> None:
    events = [paid("C-1", PAID), shipped("C-1", "2020-01-20T18:00:00+08:00")]
    delivered = order_from(*events, scan("C-1", "2020-01-22T10:00:00+08:00", status="delivered"))
    (choice,) = choices_for(delivered, merchant(), PROMISE + timedelta(days=1))
    assert choice.kind == "return" and choice.route == "return"
    assert choice.until == datetime.fromisoformat("2020-01-29T10:00:00+08:00")  # 7 days by default
    assert choice_names(delivered, merchant(), choice.until) == []
    moved = delivered.model_copy(deep=True)  # a window extended the return window
    moved.timers["return_window"] = TimerState(
        at=choice.until + timedelta(days=8), default_at=choice.until, window_id="cny2020"
    )
    assert choice_names(moved, merchant(), choice.until + timedelta(days=1)) == ["return"]
    asked = delivered.model_copy(update={"refund_status": "requested"})
    assert choice_names(asked, merchant(), PROMISE + timedelta(days=1)) == []


# ------------------------------------------------------------------ the buyer's consumer rules (law)

US = {"destination": {"country": "US", "region": "US-CA"}, "value": {"amount": "89.00", "currency": "USD"}}
DE = {"destination": {"country": "DE", "region": "DE-BE"}, "value": {"amount": "89.00", "currency": "EUR"}}


def _event(kind: str, at: str, **fields: str) -> dict[str, str]:
    return {"type": kind, "event_id": f"{kind}-{at}", "at": at, "order_id": "L-1", **fields}


def test_a_us_buyer_is_offered_the_delay_options_two_answers_and_waiting_closes_the_wait() -> None:
    order = order_from(paid("L-1", PAID, **US))
    assert choice_names(order, merchant(), PROMISE - timedelta(seconds=1)) == []
    assert choice_names(order, merchant(), PROMISE) == ["wait", "cancel"]
    accepted = order_from(paid("L-1", PAID, **US), _event("delay.accepted", "2020-01-21T12:00:00+08:00"))
    assert choice_names(accepted, merchant(), PROMISE + timedelta(hours=3)) == ["cancel"]  # consent given once


def test_an_eu_buyer_sets_an_additional_period_then_may_terminate_through_the_cancel_route() -> None:
    order = order_from(paid("L-1", PAID, **DE))
    assert choice_names(order, merchant(), PROMISE - timedelta(seconds=1)) == []
    late = choices_for(order, merchant(), PROMISE)
    assert [c.kind for c in late] == ["wait", "cancel", "additional_period"]
    period = late[2]
    assert period.route == "additional-period" and period.until is None
    assert period.clause == "Directive 2011/83/EU art. 18(2)"
    until = "2020-03-05T00:00:00+08:00"
    gone = order_from(
        paid("L-1", PAID, **DE),
        shipped("L-1", "2020-01-22T11:00:00+08:00"),
        _event("additional_period.set", "2020-02-21T12:00:00+08:00", until=until),
    )
    gone = gone.model_copy(update={"law": LawState(rules="eu_crd", source="destination", promised_at=PROMISE)})
    during = datetime.fromisoformat("2020-02-22T00:00:00+08:00")  # delivery was due 30 days after the order
    (set_,) = choices_for(gone, merchant(), during)
    assert set_.kind == "additional_period" and set_.until == datetime.fromisoformat(until)
    (end,) = choices_for(gone, merchant(), datetime.fromisoformat("2020-03-06T00:00:00+08:00"))
    assert end.kind == "terminate" and end.route == "cancel"
