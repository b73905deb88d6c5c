"""How events change an order (pure)."""

from __future__ import annotations

import pytest
from conftest import contract_event, order_from, paid, scan, shipped

from delaydesk.core.events import parse_event
from delaydesk.core.orders import EventRejected, OrderNotFound, OrderStatus, apply_event

PAID_AT = "2020-01-20T10:00:00+08:00"


def test_paid_then_shipped_then_delivered() -> None:
    order = order_from(
        paid("o1", PAID_AT),
        shipped("o1", "2020-01-20T18:00:00+08:00"),
        scan("o1", "2020-01-22T10:00:00+08:00", "delivered"),
    )
    assert order.status == OrderStatus.DELIVERED
    assert order.shipment is not None and order.shipment.carrier == "SF"


def test_event_for_an_unknown_order_is_retryable() -> None:
    with pytest.raises(OrderNotFound):
        apply_event(None, parse_event(shipped("nope", PAID_AT)))


def test_a_second_order_paid_is_refused() -> None:
    order = order_from(paid("o1", PAID_AT))
    again = paid("o1", PAID_AT) | {"event_id": "another"}
    with pytest.raises(EventRejected):
        apply_event(order, parse_event(again))


def test_cannot_ship_twice() -> None:
    order = order_from(paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00"))
    with pytest.raises(EventRejected):
        apply_event(order, parse_event(shipped("o1", "2020-01-21T18:00:00+08:00") | {"event_id": "x"}))


def test_an_older_scan_arriving_late_changes_nothing() -> None:
    order = order_from(
        paid("o1", PAID_AT), shipped("o1", "2020-01-20T18:00:00+08:00"), scan("o1", "2020-01-22T10:00:00+08:00")
    )
    late = apply_event(order, parse_event(scan("o1", "2020-01-21T10:00:00+08:00", "info_received")))
    assert late.shipment == order.shipment


def test_confirmation_completes_the_order() -> None:
    order = order_from(
        paid("o1", PAID_AT),
        contract_event("order_shipped", order_id="o1"),
        contract_event("tracking", event_id="c", order_id="o1", type="order.delivered_confirmed"),
    )
    assert order.status == OrderStatus.COMPLETED and not order.is_open
