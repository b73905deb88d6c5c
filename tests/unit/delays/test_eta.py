"""ETA ranges: carrier estimate, else delivered history (p50–p90), else the configured default."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.transit import MIN_SAMPLES, TransitStats, bucket_for
from delaydesk.delays.eta import estimate

POLICY = DelayPolicy.for_merchant(merchant(), Settings())
NOW = instant("2020-01-24T00:00:00+00:00")
ORDER = order_from(
    paid("o1", "2020-01-20T10:00:00+08:00"),
    shipped("o1", "2020-01-20T10:00:00+00:00"),
    scan("o1", "2020-01-21T08:00:00+08:00"),
)


def _history(samples: int, p50_days: float = 6, p90_days: float = 9) -> TransitStats:
    return TransitStats(samples, timedelta(days=p50_days), timedelta(days=p90_days))


def test_histogram_percentiles_are_upper_bucket_edges() -> None:
    buckets = {bucket_for(timedelta(days=d)): 1 for d in range(1, 11)}  # 1..10 days, one each
    stats = TransitStats.from_histogram(buckets)
    assert stats is not None and stats.samples == 10
    assert stats.p50 == timedelta(days=5, hours=6) and stats.p90 == timedelta(days=9, hours=6)
    assert TransitStats.from_histogram({}) is None
    assert bucket_for(timedelta(days=400)) == bucket_for(timedelta(days=60))


@pytest.mark.parametrize(("samples", "from_history"), [(MIN_SAMPLES - 1, False), (MIN_SAMPLES, True)])
def test_history_is_used_from_min_samples(samples: int, from_history: bool) -> None:
    policy = msgspec.structs.replace(POLICY, transit=_history(samples))
    low, high = estimate(ORDER, Kind.IN_TRANSIT_DELAYED, policy, NOW)
    if from_history:
        assert (str(low), str(high)) == ("2020-01-26", "2020-01-29")  # shipped 20th + 6 / + 9 days
    else:  # the configured default: 2-5 days from now
        assert (low, high) == ((NOW + timedelta(days=2)).date(), (NOW + timedelta(days=5)).date())


def test_history_never_promises_a_day_already_past() -> None:
    policy = msgspec.structs.replace(POLICY, transit=_history(20, p50_days=1, p90_days=2))
    low, high = estimate(ORDER, Kind.IN_TRANSIT_DELAYED, policy, NOW)
    assert (str(low), str(high)) == ("2020-01-25", "2020-01-26")


def test_carrier_estimate_wins_over_history() -> None:
    order = order_from(
        paid("o1", "2020-01-20T10:00:00+08:00"),
        shipped("o1", "2020-01-20T10:00:00+00:00"),
        scan("o1", "2020-01-21T08:00:00+08:00", estimated_delivery="2020-01-30T12:00:00+08:00"),
    )
    low, high = estimate(order, Kind.IN_TRANSIT_DELAYED, msgspec.structs.replace(POLICY, transit=_history(50)), NOW)
    assert (str(low), str(high)) == ("2020-01-30", "2020-01-31")


def test_unshipped_orders_use_the_configured_default() -> None:
    order = order_from(paid("o2", "2020-01-20T10:00:00+08:00"))
    low, high = estimate(order, Kind.SHIPMENT_DELAYED, msgspec.structs.replace(POLICY, transit=_history(50)), NOW)
    assert (low, high) == ((NOW + timedelta(days=3)).date(), (NOW + timedelta(days=7)).date())
