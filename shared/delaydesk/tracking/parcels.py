"""Which order a scan is about, and when it happened in the order's own time (pure: no AWS).

A scan names its order directly (``order_id``), or its parcel: a tracking number, with the
carrier when the source knows it (17TRACK, AfterShip, EasyPost do; Shopify's fulfillment events
and several aggregators name only the order or only the number). ``find_order`` takes the store's
two look-ups as arguments: by carrier code and number (the ``parcel-index``, filtered on the
carrier key it projects), then by number alone (the same index), and refuses what the number alone
cannot decide.

``in_local_time`` reads a scan's offset-less local time (``Tracking.local_time``) in the zone of
the order's destination, else the customer's own zone (core/zones.py).
"""

from __future__ import annotations

from collections.abc import Callable

from delaydesk.core.carriers import is_known, normalise
from delaydesk.core.events import MAX_FUTURE_SKEW, Tracking
from delaydesk.core.orders import EventRejected, Order, OrderNotFound
from delaydesk.core.times import iso, utc
from delaydesk.core.zones import naive_local, named_zone, read_local, zone_for

ByKey = Callable[[str, str], str | None]
ByNumber = Callable[[str], list[tuple[str, str]]]


def find_order(carrier: str | None, number: str, *, by_key: ByKey, by_number: ByNumber) -> str:
    """The one order shipped as ``number`` (by ``carrier`` when given).

    Raises ``OrderNotFound`` (retried: the order may not have shipped yet) when no order has the
    number, and ``EventRejected`` (refused with the reason) when the number alone is ambiguous: it
    belongs to several orders, or to one order of another known carrier than the scan names.
    """
    if carrier:
        found = by_key(carrier, number)
        if found is not None:
            return found
    candidates = sorted(set(by_number(number)))
    orders = sorted({order_id for order_id, _ in candidates})
    named = f"{carrier} {number}" if carrier else f"{number} (no carrier named)"
    if not orders:
        raise OrderNotFound(f"no order ships as {named} (yet)")
    if len(orders) > 1:
        listed = ", ".join(orders[:3]) + (", …" if len(orders) > 3 else "")
        raise EventRejected(
            f"tracking number {number} belongs to {len(orders)} orders ({listed}) and the scan names "
            f"{'carrier ' + carrier if carrier else 'no carrier'} that tells them apart: ambiguous, not applied"
        )
    ((order_id, code),) = {(o, c) for o, c in candidates}
    if carrier and is_known(carrier) and is_known(code) and normalise(carrier) != code:
        raise EventRejected(
            f"the scan names carrier {carrier} ({normalise(carrier)}) but the only order with tracking number "
            f"{number}, {order_id}, ships with {code}: not applied"
        )
    return order_id


def in_local_time(event: Tracking, order: Order) -> Tracking:
    """``event`` with its ``local_time`` read in the order's destination zone as ``at``.

    Without a known zone (a multi-zone country without a known region, and no customer time zone)
    the scan keeps ``at`` as the source gave it: the webhook's own signed send time, which is
    never earlier than the scan. A local time that reads later than that send time by more than
    the clock skew allowed is refused: the zone or the vendor's clock is wrong.
    """
    if event.local_time is None:
        return event
    moment = naive_local(event.local_time)
    zone = zone_for(order.destination.country, order.destination.region) or named_zone(order.customer.timezone)
    if moment is None or zone is None:
        return event
    at = utc(read_local(moment, zone))
    if at > event.at + MAX_FUTURE_SKEW:
        raise EventRejected(
            f"local time {event.local_time} read in {zone.key} is {iso(at)}, after the source sent it "
            f"({iso(event.at)}): a wrong zone or clock, not applied"
        )
    return event.model_copy(update={"at": at})
