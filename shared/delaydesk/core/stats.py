"""Operations vocabulary: statistics counters and early-warning alerts (DESIGN.md, "Operations").

Counters are kept per merchant x hour (UTC) x carrier x destination region; each row holds
named integer counters. A counter's name says what it counts and, after ``#``, its breakdown:

    orders_paid, shipped (an extension: every first shipment),
    shipped_on_time, shipped_late_recorded, shipped_late_exempted,
    delays#<rule>, exceptions#<sub_status>, notices#<kind>#<channel>#<outcome>,
    escalations_opened, escalations_closed, cancellations, refunds, inquiries,
    inquiry_topics#<topic>, inquiries_without_order#<topic>, disputes, reviews, rating_sum
    (the last six are extensions of issue 14: ``rating_sum / reviews`` is the mean rating)

``outcome`` is one of ``sent``, ``failed``, ``bounced``, ``complained``, ``suppressed``.
Reports read these rows, never the order table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import DisputeOpened, Event, InquiryReceived, ReviewPosted, Tag
from delaydesk.core.orders import Order, OrderStatus

UNKNOWN = "unknown"
"""The carrier or region of a counter when the order has none (not shipped, no address)."""

ORDERS_PAID = "orders_paid"
SHIPPED = "shipped"
"""An extension: every first shipment, under its carrier and region (the early warning's volume;
a late shipment's ``shipped_late_*`` is decided before it ships, under no carrier)."""
SHIPPED_ON_TIME = "shipped_on_time"
SHIPPED_LATE_RECORDED = "shipped_late_recorded"
SHIPPED_LATE_EXEMPTED = "shipped_late_exempted"
ESCALATIONS_OPENED = "escalations_opened"
ESCALATIONS_CLOSED = "escalations_closed"
CANCELLATIONS = "cancellations"
REFUNDS = "refunds"
INQUIRIES = "inquiries"
INQUIRIES_WITHOUT_ORDER = "inquiries_without_order"
DISPUTES = "disputes"
REVIEWS = "reviews"
RATING_SUM = "rating_sum"


def inquiry_topics(topic: str) -> str:
    return f"inquiry_topics#{topic}"


def inquiries_without_order(topic: str) -> str:
    return f"{INQUIRIES_WITHOUT_ORDER}#{topic}"


NoticeOutcome = Literal["sent", "failed", "bounced", "complained", "suppressed"]


def delays(rule: str) -> str:
    return f"delays#{rule}"


def exceptions(sub_status: str) -> str:
    return f"exceptions#{sub_status}"


def notices(kind: str, channel: str, outcome: NoticeOutcome) -> str:
    return f"notices#{kind}#{channel}#{outcome}"


def hour_of(at: datetime) -> datetime:
    """The UTC hour bucket an instant counts in."""
    return at.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class CounterRow:
    """The counters of one merchant, hour, carrier and destination region."""

    merchant_id: str
    hour: datetime
    carrier: str
    region: str
    counts: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)

    def total(self, prefix: str) -> int:
        """The sum of every counter named ``prefix`` or ``prefix#...`` (e.g. all delays)."""
        return sum(v for k, v in self.counts.items() if k == prefix or k.startswith(prefix + "#"))


def totals(rows: Iterable[CounterRow]) -> Counter[str]:
    """Every counter summed over rows."""
    out: Counter[str] = Counter()
    for row in rows:
        out.update(row.counts)
    return out


def scope_of(order: Order | None) -> tuple[str, str]:
    """The carrier and destination region an order counts under (``UNKNOWN`` when it has none)."""
    if order is None:
        return UNKNOWN, UNKNOWN
    carrier = order.shipment.carrier if order.shipment is not None else UNKNOWN
    return carrier or UNKNOWN, order.destination.region or UNKNOWN


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


AlertKind = Literal["delay_spike"]


@dataclass(frozen=True)
class Alert:
    """An early warning (contract: ``alerts``): delays in one scope well above its own baseline.

    ``carriers`` and ``regions`` are the scope (either may be empty: every carrier, every region).
    ``rate`` and ``baseline`` are new delays per order over the detection span, now and usually;
    ``delays`` and ``orders`` the volume behind ``rate``. ``proposed_window`` is the contract's
    window object that the alert suggests declaring, or None.
    """

    alert_id: str
    merchant_id: str
    kind: AlertKind
    carriers: tuple[str, ...]
    regions: tuple[str, ...]
    opened_at: datetime
    resolved_at: datetime | None
    rate: float
    baseline: float
    delays: int
    orders: int
    locale: str
    proposed_window: dict[str, Any] | None = None
