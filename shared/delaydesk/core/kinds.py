"""Notice kinds, notice requests (one per order, kind, stage and channel) and channel choice."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from delaydesk.core.events import Contract, Customer, Instant


class Kind(StrEnum):
    SHIPMENT_DELAYED = "shipment_delayed"
    IN_TRANSIT_DELAYED = "in_transit_delayed"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELAY_UPDATE = "delay_update"
    DISRUPTION_ANNOUNCEMENT = "disruption_announcement"
    REFUND_APPROVED = "refund_approved"
    ORDER_CANCELLED = "order_cancelled"
    CANCEL_REFUSED = "cancel_refused"
    DELAY_CONSENT_REQUEST = "delay_consent_request"
    """A renewed delay notice that needs the buyer's express consent (16 CFR 435.2(b)(2))."""


class NoticeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"


URGENT_KINDS = frozenset({Kind.DELIVERY_EXCEPTION})
BULK_KINDS = frozenset({Kind.DISRUPTION_ANNOUNCEMENT})
"""Kinds sent to every order a window covers at once: paced on their own share of the send rate
(``ratelimit.py``) so that they never hold up the transactional kinds."""
DELAY_KINDS = frozenset(
    {
        Kind.SHIPMENT_DELAYED,
        Kind.IN_TRANSIT_DELAYED,
        Kind.DELIVERY_EXCEPTION,
        Kind.DELAY_UPDATE,
        Kind.DELAY_CONSENT_REQUEST,
    }
)
"""Kinds that announce (or update) a delay: they must carry an estimate and the order page link."""

DETAIL_KEYS: dict[str, str] = {
    # refund_approved / order_cancelled
    "refund_amount": "decimal string; default: the order value",
    "refund_currency": "ISO 4217; default: the order currency",
    "refund_method": "original_payment (default) | balance | bank_transfer",
    "refund_days": "business days until the money arrives, e.g. '1-5' (default) ",
    "cancel_reason": "customer_request (default) | not_shipped_in_time | out_of_stock | address_unreachable "
    "| parcel_lost | merchant_policy",
    # disruption_announcement
    "window_id": "the disruption window",
    "window_reason": "public_health | natural_disaster | extreme_weather | holiday | logistics_halt | customs "
    "| social_event | technical_failure",
    "window_starts": "RFC 3339 instant the window starts",
    "window_ends": "RFC 3339 instant the window ends",
    "changes": "comma-separated: ship_by_suspended, ship_by_extended, refund_confirm_extended, "
    "return_window_extended, auto_confirm_extended",
    # delay notices under the buyer's consumer rules (policy/consumer_rules.py)
    "rules": "us_ftc | eu_crd | uk_cra | cn_platform | none: the rule set the notice's wording follows",
    "revised_ship_by": "RFC 3339: the definite revised shipping date (absent: none can be given)",
    "silence_consents": "'true' when the buyer's silence is consent to the revised date (435.2(b)(1)(ii))",
    "consent_by": "RFC 3339: without express consent by then the order is cancelled and refunded",
    "clause": "the clause that requires the notice, e.g. 16 CFR 435.2(b)(1)",
    # any kind: a grant of the merchant's compensation policy (compensation.py)
    "compensation_type": "coupon | points",
    "compensation_value": "coupon amount (decimal string, order currency) or number of points",
    "compensation_code": "optional coupon code",
    "compensation_held_out": "the holdout experiment that withholds compensation from this notice "
    "(core/experiments.py): dispatch grants none",
}
"""The documented keys of ``NoticeRequest.details``; every one is optional."""


class NoticeRequest(Contract):
    """What the Notices queue carries: enough to render the notice the same way every time."""

    order_id: str
    merchant_id: str
    kind: Kind
    stage: int
    channel: NoticeChannel
    requested_at: Instant
    rule: str
    reason: str
    delay_kind: Kind
    delay_started_at: Instant
    eta_from: date
    eta_to: date
    details: dict[str, str] = Field(default_factory=dict)
    """Optional facts for the non-delay kinds and for compensation (keys: ``DETAIL_KEYS``)."""
    not_before: Instant | None = None
    """Set by dispatch when it holds a notice (SMS quiet hours, the merchant's rate limit)."""
    send_slot: float | None = None
    """Set by dispatch when it defers an e-mail to the merchant's send rate: the reserved slot
    (wall-clock epoch seconds), used instead of reserving another when the message returns."""
    bulk_slot: float | None = None
    """A bulk e-mail's (``BULK_KINDS``) ticket of the merchant's bulk share (wall-clock epoch
    seconds): taken up front by the fan-out that queues an announcement (``core.pacing``), or by
    dispatch for one queued without; at the ticket it takes a send slot."""
    fallback_from: NoticeChannel | None = None
    """Set when this request replaces a suppressed channel of the same notice."""
    window_id: str | None = None
    """Policy notices: the window that changed the outcome (optional extension)."""
    order_version: int | None = None
    """The order's version once the evaluation that queued this notice is committed: the scan
    queues a page's notices before it writes each order (``delays/scan.py``), so dispatch, reading
    the order in the few milliseconds between, puts the notice back once for a few seconds rather
    than render from the order as it was (cleared when it does)."""

    @property
    def notice_id(self) -> str:
        """The key that makes a notice unique within its order (sent at most once)."""
        return f"{self.kind}#{self.stage}#{self.channel}"

    @property
    def urgent(self) -> bool:
        return self.kind in URGENT_KINDS

    def effective_now(self, now: datetime) -> datetime:
        """A held request is acted on no earlier than the time it was held until."""
        return max(now, self.not_before) if self.not_before else now


def address_for(customer: Customer, channel: NoticeChannel) -> str | None:
    """Where a notice on ``channel`` goes: the customer's e-mail or phone (None for the inbox, or
    when the customer gave none)."""
    if channel == NoticeChannel.EMAIL:
        return customer.email
    if channel == NoticeChannel.SMS:
        return customer.phone
    return None


def choose_channels(customer: Customer, kind: Kind) -> list[NoticeChannel]:
    """E-mail when the customer has an address; SMS when e-mail is missing or the matter is urgent.

    The in-app inbox always gets a copy: dispatch stores one for every notice it handles
    (``inbox.py``). A customer without e-mail or phone gets the inbox channel alone.
    """
    channels = []
    if customer.email:
        channels.append(NoticeChannel.EMAIL)
    if customer.phone and (not customer.email or kind in URGENT_KINDS):
        channels.append(NoticeChannel.SMS)
    return channels or [NoticeChannel.INBOX]
