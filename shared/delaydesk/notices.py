"""Notice kinds, notice requests (one per order, kind, stage and channel) and channel choice."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from delaydesk.events import Contract, Customer, Instant


class Kind(StrEnum):
    SHIPMENT_DELAYED = "shipment_delayed"
    IN_TRANSIT_DELAYED = "in_transit_delayed"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELAY_UPDATE = "delay_update"
    DISRUPTION_ANNOUNCEMENT = "disruption_announcement"
    REFUND_APPROVED = "refund_approved"
    ORDER_CANCELLED = "order_cancelled"
    CANCEL_REFUSED = "cancel_refused"


class NoticeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


URGENT_KINDS = frozenset({Kind.DELIVERY_EXCEPTION})


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
    window_id: str | None = None
    """Policy notices: the window that changed the outcome (optional extension)."""
    details: dict[str, str] = Field(default_factory=dict)
    """Policy notices: what changed (timer kind -> new deadline, RFC 3339), refund amounts."""

    @property
    def notice_id(self) -> str:
        """The key that makes a notice unique within its order (sent at most once)."""
        return f"{self.kind}#{self.stage}#{self.channel}"


def choose_channels(customer: Customer, kind: Kind) -> list[NoticeChannel]:
    """E-mail when the customer has an address; SMS when e-mail is missing or the matter is urgent."""
    channels = []
    if customer.email:
        channels.append(NoticeChannel.EMAIL)
    if customer.phone and (not customer.email or kind in URGENT_KINDS):
        channels.append(NoticeChannel.SMS)
    return channels
