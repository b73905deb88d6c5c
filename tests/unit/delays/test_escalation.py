"""Escalation rules at their boundaries (pure: no AWS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core.config import Settings
from delaydesk.core.decisions import Action
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order
from delaydesk.delays.detect import _delay_due, evaluate, next_due_at

POLICY = DelayPolicy.for_merchant(merchant(), Settings())  # escalate_value 2000.00 CNY
PAID_AT = "2020-01-20T10:00:00+08:00"
SHIP_BY = instant("2020-01-21T10:00:00+08:00")
SECOND = timedelta(seconds=1)
WEEK = timedelta(days=7)


def _detected(**order: object) -> Order:
    result = evaluate(order_from(paid("o1", PAID_AT, **order)), POLICY, SHIP_BY)
    return result.order


def _escalations(order: Order, now_offset: timedelta) -> list[str]:
    return [d.rule for d in evaluate(order, POLICY, SHIP_BY + now_offset).decisions if d.action == Action.ESCALATED]


@pytest.mark.parametrize(("offset", "escalated"), [(WEEK - SECOND, False), (WEEK, False), (WEEK + SECOND, True)])
def test_a_delay_longer_than_seven_days_is_escalated(offset: timedelta, escalated: bool) -> None:
    assert _escalations(_detected(), offset) == (["long_delay"] if escalated else [])


def test_the_scan_is_due_just_after_the_seven_days() -> None:
    # The delay rules' own due time (the policy timers fold in separately: tests/unit/policy/test_timers.py).
    order = _detected()
    assert _delay_due(order, POLICY) == SHIP_BY + timedelta(days=3)  # the first staged update comes first
    later = evaluate(evaluate(order, POLICY, SHIP_BY + timedelta(days=3)).order, POLICY, SHIP_BY + timedelta(days=6))
    assert _delay_due(later.order, POLICY) == SHIP_BY + WEEK + SECOND
    escalated = evaluate(later.order, POLICY, SHIP_BY + WEEK + SECOND)
    assert [d.rule for d in escalated.decisions] == ["long_delay"] and not escalated.notices
    assert _delay_due(escalated.order, POLICY) == SHIP_BY + timedelta(days=9)
    assert _escalations(escalated.order, timedelta(days=20)) == []  # once per delay


def test_merchant_sets_its_own_escalation_delay() -> None:
    policy = DelayPolicy.for_merchant(merchant(settings={"escalate_after_days": 2}), Settings())
    order = evaluate(order_from(paid("o1", PAID_AT)), policy, SHIP_BY).order
    rules = [d.rule for d in evaluate(order, policy, SHIP_BY + timedelta(days=2) + SECOND).decisions]
    assert rules == ["long_delay"]


@pytest.mark.parametrize(("amount", "escalated"), [("1999.99", False), ("2000.00", True), ("2000.01", True)])
def test_high_value_boundary(amount: str, escalated: bool) -> None:
    result = evaluate(order_from(paid("o1", PAID_AT, value={"amount": amount})), POLICY, SHIP_BY)
    assert [(d.action, d.rule) for d in result.decisions] == [("delay_detected", "ship_by")] + (
        [("escalated", "high_value")] if escalated else []
    )


def test_value_in_another_currency_is_never_compared() -> None:
    result = evaluate(order_from(paid("o1", PAID_AT, value={"amount": "99999", "currency": "USD"})), POLICY, SHIP_BY)
    assert [d.action for d in result.decisions] == ["delay_detected"]


def test_no_value_threshold_no_value_escalation() -> None:
    policy = DelayPolicy.for_merchant(merchant(settings={"escalate_value": None}), Settings())
    result = evaluate(order_from(paid("o1", PAID_AT, value={"amount": "99999"})), policy, SHIP_BY)
    assert [d.action for d in result.decisions] == ["delay_detected"]


@pytest.mark.parametrize(
    ("sub_status", "escalated"),
    [("incorrect_address", True), ("customer_moved", True), ("held_for_payment", True), ("customs_delay", False)],
)
def test_exceptions_needing_the_customer_are_escalated_at_once(sub_status: str, escalated: bool) -> None:
    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-21T08:00:00+08:00", "exception", sub_status=sub_status),
    )
    result = evaluate(order, POLICY, instant("2020-01-21T08:05:00+08:00"))
    rules = [d.rule for d in result.decisions if d.action == Action.ESCALATED]
    assert rules == (["customer_action"] if escalated else [])
    if escalated:
        assert result.decisions[-1].inputs["sub_status"] == sub_status


def test_no_delay_no_escalation() -> None:
    order = order_from(paid("o1", PAID_AT, value={"amount": "99999"}))
    assert not evaluate(order, POLICY, SHIP_BY - SECOND).decisions


def test_an_address_problem_during_a_running_exception_is_escalated_at_once() -> None:
    from conftest import scan as scan_event

    from delaydesk.core.events import parse_event
    from delaydesk.core.orders import apply_event

    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-21T08:00:00+08:00", "exception", sub_status="customs_delay"),
    )
    customs = evaluate(order, POLICY, instant("2020-01-21T08:05:00+08:00"))
    assert [d.rule for d in customs.decisions] == ["carrier_exception"]
    address = apply_event(
        customs.order,
        parse_event(scan_event("o1", "2020-01-22T08:00:00+08:00", "exception", sub_status="incorrect_address")),
    )
    assert address.delay is not None  # the same delivery exception goes on
    assert next_due_at(address, POLICY) == instant("2020-01-22T08:00:00+08:00")
    result = evaluate(address, POLICY, instant("2020-01-22T08:05:00+08:00"))
    assert [d.rule for d in result.decisions] == ["customer_action"] and not result.notices
