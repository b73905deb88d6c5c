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

What a decision, an event or an order's change adds to the counters is ``core.counts``: reading and
adding counters (the SES feedback, the early warning) needs no domain model, and this module
imports none (README, "Scale": cold start).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import msgspec

if TYPE_CHECKING:
    from delaydesk.core.orders import Order

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


class CounterRow(msgspec.Struct, frozen=True):
    """The counters of one merchant, hour, carrier and destination region."""

    merchant_id: str
    hour: datetime
    carrier: str
    region: str
    counts: dict[str, int] = msgspec.field(default_factory=dict)

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


AlertKind = Literal["delay_spike"]


class Alert(msgspec.Struct, frozen=True):
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
