"""Stall thresholds per carrier and destination (merchant settings), at their boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core.config import Settings
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.record import ValidationError
from delaydesk.delays.detect import detect, next_due_at

THRESHOLDS = [
    {"carrier": "sf", "region": "CN-HB", "hours": 24},
    {"carrier": "SF", "hours": 36},
    {"country": "TW", "hours": 72},
    {"rule": "stalled_at_delivery", "hours": 12},
]
POLICY = DelayPolicy.for_merchant(merchant(settings={"stall_thresholds": THRESHOLDS}), Settings())
LAST_SCAN = "2020-01-21T08:00:00+08:00"


def _order(region: str = "CN-HB", carrier: str = "SF", status: str = "in_transit", country: str = "CN") -> object:
    return order_from(
        paid("o1", "2020-01-20T10:00:00+08:00", destination={"country": country, "region": region}),
        shipped("o1", "2020-01-20T18:00:00+08:00", carrier=carrier),
        scan("o1", LAST_SCAN, status),
    )


@pytest.mark.parametrize(("hours", "stalled"), [(23, False), (24, True), (25, True)])
def test_carrier_and_region_threshold_boundary(hours: int, stalled: bool) -> None:
    order = _order()
    assert (detect(order, POLICY, instant(LAST_SCAN) + timedelta(hours=hours)) is not None) is stalled  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "hours"),
    [
        ({}, 24),  # carrier + region
        ({"region": "CN-ZJ"}, 36),  # carrier only
        ({"region": "TW-TPE", "country": "TW", "carrier": "EMS"}, 72),  # country
        ({"carrier": "EMS", "region": "CN-ZJ"}, 48),  # nothing matches: the default
        ({"carrier": "EMS", "region": "CN-ZJ", "status": "out_for_delivery"}, 12),  # rule-specific
    ],
)
def test_the_most_specific_threshold_wins(kwargs: dict[str, str], hours: int) -> None:
    order = _order(**kwargs)
    assert next_due_at(order, POLICY) == instant(LAST_SCAN) + timedelta(hours=hours)  # type: ignore[arg-type]


def test_defaults_are_unchanged_without_thresholds() -> None:
    policy = DelayPolicy.for_merchant(merchant(), Settings())
    assert next_due_at(_order(), policy) == instant(LAST_SCAN) + timedelta(hours=48)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        [{"carrier": "SF", "hours": 0}],
        [{"region": "Hubei", "hours": 24}],
        [{"rule": "stalled_forever", "hours": 24}],
        [{"carrier": "SF", "hours": 24}, {"carrier": "sf", "hours": 30}],
    ],
)
def test_thresholds_are_validated(bad: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        merchant(settings={"stall_thresholds": bad})
