"""Delivery estimates as ranges, computed from data (pure, except ``record_delivery``).

In order of preference, the range a delay notice shows is:

1. the carrier's own estimate, when its latest scan carried one that is still ahead;
2. this merchant's delivered history for the same carrier and destination region: the p50–p90
   of transit times (shipped → delivered), counted from the hand-over and never earlier than
   tomorrow. The history is a running histogram (6-hour buckets) updated on each delivery, and
   it is used once it holds ``MIN_SAMPLES`` deliveries;
3. the configured default of the merchant (``*_eta_days`` settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from delaydesk.notices import Kind

if TYPE_CHECKING:
    from delaydesk.merchants import DelayPolicy
    from delaydesk.orders import Order

BUCKET_HOURS = 6
MAX_BUCKET = 60 * 24 // BUCKET_HOURS  # transit times over 60 days share the last bucket
MIN_SAMPLES = 5


@dataclass(frozen=True)
class TransitStats:
    """Delivered transit times of one merchant, carrier and destination region."""

    samples: int
    p50: timedelta
    p90: timedelta

    @classmethod
    def from_histogram(cls, buckets: dict[int, int]) -> TransitStats | None:
        total = sum(buckets.values())
        if total == 0:
            return None
        return cls(total, _percentile(buckets, total, 0.5), _percentile(buckets, total, 0.9))


def _percentile(buckets: dict[int, int], total: int, q: float) -> timedelta:
    """The upper edge of the bucket holding the q-quantile (a conservative estimate)."""
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= q * total:
            return timedelta(hours=(bucket + 1) * BUCKET_HOURS)
    return timedelta(hours=(max(buckets) + 1) * BUCKET_HOURS)


def bucket_for(transit: timedelta) -> int:
    return min(max(int(transit.total_seconds() // 3600) // BUCKET_HOURS, 0), MAX_BUCKET)


def history_key(merchant_id: str, carrier: str, region: str) -> str:
    return f"{merchant_id}#{carrier.strip().lower()}#{region}"


def estimate(order: Order, kind: Kind, policy: DelayPolicy, now: datetime) -> tuple[date, date]:
    """The new delivery estimate of a delay notice, as a (from, to) range of dates."""
    shipment = order.shipment
    if kind == Kind.IN_TRANSIT_DELAYED and shipment and shipment.carrier_eta and shipment.carrier_eta > now:
        eta = shipment.carrier_eta.date()
        return eta, eta + timedelta(days=1)
    history = policy.transit
    if shipment is not None and kind != Kind.SHIPMENT_DELAYED and history and history.samples >= MIN_SAMPLES:
        tomorrow = (now + timedelta(days=1)).date()
        low = max((shipment.shipped_at + history.p50).date(), tomorrow)
        high = max((shipment.shipped_at + history.p90).date(), low + timedelta(days=1))
        return low, high
    low_days, high_days = {
        Kind.SHIPMENT_DELAYED: policy.ship_delay_eta_days,
        Kind.IN_TRANSIT_DELAYED: policy.transit_delay_eta_days,
        Kind.DELIVERY_EXCEPTION: policy.exception_eta_days,
    }[kind]
    return (now + timedelta(days=low_days)).date(), (now + timedelta(days=high_days)).date()


def record_delivery(previous_status: str | None, order: Order) -> bool:
    """Add the order's transit time to its history when this event delivered it (ingest)."""
    from delaydesk import store

    shipment = order.shipment
    if order.status != "delivered" or previous_status == "delivered" or shipment is None or order.delivered_at is None:
        return False
    key = history_key(order.merchant_id, shipment.carrier, order.destination.region)
    store.add_transit_sample(key, bucket_for(order.delivered_at - shipment.shipped_at))
    return True
