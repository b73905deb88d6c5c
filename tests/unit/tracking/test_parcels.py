"""Which order a scan is about, and its local time in the order's zone (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import contract_event, order_from, paid, shipped

from delaydesk.core.events import Tracking, parse_event
from delaydesk.core.orders import EventRejected, OrderNotFound
from delaydesk.tracking.parcels import find_order, in_local_time

INDEX = {("ups", "1Z1"): "A"}
NUMBERS = {"1Z1": [("A", "ups")], "SHARED": [("B", "sf-express"), ("C", "zto")], "LONE": [("D", "usps")]}


def _find(carrier: str | None, number: str) -> str:
    return find_order(
        carrier,
        number,
        by_key=lambda c, n: INDEX.get((c.lower(), n)),
        by_number=lambda n: NUMBERS.get(n, []),
    )


def test_by_carrier_and_number_then_by_number_alone() -> None:
    assert _find("UPS", "1Z1") == "A"
    assert _find(None, "1Z1") == "A"  # no carrier: the number alone is unambiguous
    assert _find(None, "LONE") == "D"
    assert _find("Speedy Parcels", "LONE") == "D"  # an unknown carrier name does not contradict


def test_ambiguous_or_contradicting_numbers_are_refused_with_the_reason() -> None:
    with pytest.raises(EventRejected, match="belongs to 2 orders"):
        _find(None, "SHARED")
    with pytest.raises(EventRejected, match="ships with usps"):
        _find("FedEx", "LONE")
    with pytest.raises(OrderNotFound):
        _find(None, "NOBODY")


def _order(country: str, region: str) -> object:
    return order_from(
        paid("Z-1", "2024-04-08T10:00:00+08:00", destination={"country": country, "region": region}),
        shipped("Z-1", "2024-04-08T18:00:00+08:00"),
    )


def _scan(local: str, sent: str) -> Tracking:
    event = parse_event(contract_event("tracking", order_id="Z-1", at=sent, local_time=local))
    assert isinstance(event, Tracking)
    return event


def test_local_time_is_read_in_the_destination_zone() -> None:
    order = _order("US", "US-CA")
    event = in_local_time(_scan("2024-04-09T22:30:00", "2024-04-10T09:00:00Z"), order)  # type: ignore[arg-type]
    assert event.at == datetime(2024, 4, 10, 5, 30, tzinfo=UTC)
    order = _order("CN", "CN-SH")
    event = in_local_time(_scan("2024-04-09T22:30:00", "2024-04-10T09:00:00Z"), order)  # type: ignore[arg-type]
    assert event.at == datetime(2024, 4, 9, 14, 30, tzinfo=UTC)


def test_a_local_time_after_the_send_time_is_refused() -> None:
    order = _order("CN", "CN-SH")
    with pytest.raises(EventRejected, match="after the source sent it"):
        in_local_time(_scan("2024-05-30T10:00:00", "2024-04-10T09:00:00Z"), order)  # type: ignore[arg-type]
