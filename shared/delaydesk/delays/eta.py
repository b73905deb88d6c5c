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

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from delaydesk.core.kinds import Kind
from delaydesk.core.transit import MIN_SAMPLES, bucket_for, history_key

if TYPE_CHECKING:
    from delaydesk.core.merchants import DelayPolicy
    from delaydesk.core.orders import Order


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


def record_delivery(previous_status: str | None, order: Order, now: datetime) -> bool:
    """Add the order's transit time to its history when this event delivered it (ingest).

    Called before the order is saved, and idempotent per order: a retry after a failed save adds
    nothing more, and a retry after a failed sample adds it then.
    """
    from delaydesk import store

    shipment = order.shipment
    if order.status != "delivered" or previous_status == "delivered" or shipment is None or order.delivered_at is None:
        return False
    key = history_key(order.merchant_id, shipment.carrier, order.destination.region)
    return store.add_transit_sample(key, bucket_for(order.delivered_at - shipment.shipped_at), order.order_id, now)
