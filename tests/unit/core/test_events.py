"""The input-event contract: what is accepted and what is refused, with useful errors."""

from __future__ import annotations

from datetime import UTC

import pytest
from conftest import contract_event

from delaydesk.core.events import OrderPaid, Tracking, parse_event
from delaydesk.core.record import ValidationError


def test_contract_samples_parse_and_times_are_utc() -> None:
    event = parse_event(contract_event("order_paid"))
    assert isinstance(event, OrderPaid)
    assert event.at.tzinfo == UTC and event.at.hour == 2


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"at": "2020-01-20T10:00:00"}, "at"),  # no offset
        ({"order": {"customer": {"phone": "13800138000"}}}, "phone"),  # not E.164
        ({"order": {"destination": {"region": "Hubei"}}}, "region"),
        ({"order": {"value": {"amount": "-1", "currency": "CNY"}}}, "amount"),
        ({"type": "order.teleported"}, "type"),
    ],
)
def test_invalid_events_say_where(overrides: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_event(contract_event("order_paid", **overrides))
    assert where in str(info.value)


def test_tracking_needs_an_order_or_a_parcel() -> None:
    raw = contract_event("tracking")
    del raw["order_id"]
    with pytest.raises(ValidationError, match="order_id or tracking_number"):
        parse_event(raw)
    event = parse_event(raw | {"carrier": "SF", "tracking_number": "SF1"})
    assert isinstance(event, Tracking)
    # Several vendors send no carrier: the number alone addresses the parcel (ingest refuses ambiguity).
    assert isinstance(parse_event(raw | {"tracking_number": "SF1"}), Tracking)


def test_a_local_time_has_no_offset() -> None:
    raw = contract_event("tracking", local_time="2021-01-14T00:52:00")
    event = parse_event(raw)
    assert isinstance(event, Tracking) and event.local_time == "2021-01-14T00:52:00"
    with pytest.raises(ValidationError, match="no offset"):
        parse_event(raw | {"local_time": "2021-01-14T00:52:00+08:00"})


def test_unknown_fields_are_tolerated_for_forward_compatibility() -> None:
    assert parse_event(contract_event("order_shipped", shipping_label_url="https://x.example"))
