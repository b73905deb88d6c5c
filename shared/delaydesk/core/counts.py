"""What a recorded decision, an applied event and an order's change add to the statistics
counters (``core.stats`` names them and holds the rows; this module reads the domain's models)."""

from __future__ import annotations

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import DisputeOpened, Event, InquiryReceived, ReviewPosted, Tag
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.core.stats import (
    CANCELLATIONS,
    DISPUTES,
    ESCALATIONS_OPENED,
    INQUIRIES,
    ORDERS_PAID,
    RATING_SUM,
    REFUNDS,
    REVIEWS,
    SHIPPED,
    SHIPPED_LATE_EXEMPTED,
    SHIPPED_LATE_RECORDED,
    SHIPPED_ON_TIME,
    UNKNOWN,
    delays,
    exceptions,
    inquiries_without_order,
    inquiry_topics,
)

_DECISION_COUNTERS: dict[Action, str] = {
    Action.LATE_SHIPMENT_RECORDED: SHIPPED_LATE_RECORDED,
    Action.LATE_SHIPMENT_EXEMPTED: SHIPPED_LATE_EXEMPTED,
    Action.ESCALATED: ESCALATIONS_OPENED,
    Action.REFUND_AUTO_APPROVED: REFUNDS,
    Action.RETURN_REFUND_AUTO_APPROVED: REFUNDS,
}


def decision_counts(decision: Decision) -> dict[str, int]:
    """What one recorded decision adds to the counters (counted once, when its record is written)."""
    if decision.action == Action.DELAY_DETECTED:
        return {delays(decision.rule): 1}
    if decision.action == Action.ORDER_CANCELLED:
        return {CANCELLATIONS: 1, REFUNDS: 1}  # cancelled while late, for a full refund
    name = _DECISION_COUNTERS.get(decision.action)
    return {name: 1} if name else {}


def event_counts(before: Order | None, after: Order) -> dict[str, int]:
    """What applying one event (``before`` -> ``after``) adds to the counters.

    Read from the change of state, so an event that changes nothing (a re-application) counts
    nothing: a new order is paid; a first shipment on or before the ship-by is on time (a late one is
    counted by the scan's ``late_shipment_*`` decision); a new exception scan counts its sub-status; a
    seller's refund approval counts a refund, and a refund before shipping also a cancellation.
    """
    counts: dict[str, int] = {}
    if before is None:
        counts[ORDERS_PAID] = 1
    old_ship = before.shipment if before is not None else None
    ship = after.shipment
    if ship is not None and old_ship is None:
        counts[SHIPPED] = 1
        if ship.shipped_at <= after.ship_by_at:
            counts[SHIPPED_ON_TIME] = 1
    if ship is not None and ship.last_tag == Tag.EXCEPTION and ship.scans > (old_ship.scans if old_ship else 0):
        counts[exceptions(ship.last_sub_status or UNKNOWN)] = 1
    if before is not None:
        refunded = after.status == OrderStatus.REFUNDED and before.status != OrderStatus.REFUNDED
        if refunded or (after.refund_status == "approved" and before.refund_status != "approved"):
            counts[REFUNDS] = 1
        if after.status == OrderStatus.CANCELLED and before.status != OrderStatus.CANCELLED:
            counts[CANCELLATIONS] = 1
    return counts


def contact_counts(event: Event, before: Order | None) -> dict[str, int]:
    """What one applied inquiry, dispute or review adds to the counters (``before``: the order as it
    was, None for an inquiry without an order). Counted from the event, once per applied event
    (idempotency makes a redelivery apply nothing): an inquiry by its topic, a dispute, and a review
    as one rating (a later review of the same order replaces its rating: only the difference)."""
    if isinstance(event, InquiryReceived):
        topic = event.topic or "other"
        counts = {INQUIRIES: 1, inquiry_topics(topic): 1}
        if event.order_id is None:
            counts[inquiries_without_order(topic)] = 1
        return counts
    if isinstance(event, DisputeOpened):
        return {DISPUTES: 1}
    if isinstance(event, ReviewPosted) and before is not None:
        if before.rating is None:
            return {REVIEWS: 1, RATING_SUM: event.rating}
        if before.rated_at is not None and event.at >= before.rated_at:
            return {RATING_SUM: event.rating - before.rating}
    return {}
