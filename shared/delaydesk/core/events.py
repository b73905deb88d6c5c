"""The input-event contract (../shared/contracts/scenario.md) as records (core/record.py).

Every message on the OrderEvents / TrackingEvents queues is one of these. Validation errors
are permanent: the message is stored for an operator (``delaydesk rejected``), never retried.
"""

from __future__ import annotations

import json
import typing
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from delaydesk.core.fields import MAX_ITEMS, Email, Id, Locale, Name, Phone, Text, Zone, in_range
from delaydesk.core.record import Check, FrozenRecord, Meta, ValidationError, field
from delaydesk.core.times import utc

Instant = Annotated[datetime, Check(utc), Check(in_range)]
"""An RFC 3339 instant with an offset, normalised to UTC (naive times are refused), 1970–2200."""


def _naive_local(text: str) -> str:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        raise ValueError("a local time has no offset (send an offset in `at` instead)")
    return moment.isoformat()


NaiveLocal = Annotated[str, Meta(max_length=40), Check(_naive_local)]
"""An ISO 8601 date-time without an offset: a carrier's local wall-clock time."""


class Contract(FrozenRecord):
    """A value of the contract: unknown fields are tolerated (the contract grows by optional
    fields) but not kept."""


class Tag(StrEnum):
    """Normalised tracking status tags (DESIGN.md, "Tracking status taxonomy")."""

    PENDING = "pending"
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ATTEMPT_FAIL = "attempt_fail"
    DELIVERED = "delivered"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    EXCEPTION = "exception"
    EXPIRED = "expired"


class Channel(StrEnum):
    DOMESTIC = "domestic"
    CROSS_BORDER = "cross_border"


def _amount(value: Decimal) -> Decimal:
    if not value.is_finite() or not 0 <= value < 10**12:
        raise ValueError("must be at least 0 and less than 10^12")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4 and value != value.quantize(Decimal("0.0001")):
        raise ValueError("has more than 4 decimal places")
    return value


class Money(Contract):
    amount: Annotated[Decimal, Check(_amount)]
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]


class Customer(Contract):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    locale: Locale = "en"
    timezone: Zone | None = None


class Destination(Contract):
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
    region: Annotated[str, Meta(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")]


class Item(Contract):
    sku: Id
    name: Name
    quantity: Annotated[int, Meta(ge=1)]


class OrderData(Contract):
    order_id: Id
    merchant_id: Id
    paid_at: Instant
    ship_within_hours: Annotated[int, Meta(gt=0, le=24 * 60)]
    channel: Channel = Channel.DOMESTIC
    value: Money
    customer: Customer
    destination: Destination
    items: Annotated[list[Item], Meta(max_length=MAX_ITEMS)] = field(default_factory=list)


class BaseEvent(Contract):
    event_id: Id
    at: Instant
    merchant_id: Id | None = None


class OrderPaid(BaseEvent):
    type: Literal["order.paid"]
    order: OrderData


class OrderShipped(BaseEvent):
    type: Literal["order.shipped"]
    order_id: Id
    carrier: Name
    tracking_number: Id


class Tracking(BaseEvent):
    type: Literal["tracking"]
    order_id: Id | None = None
    carrier: Name | None = None
    tracking_number: Id | None = None
    status: Tag
    sub_status: Name | None = None
    location: Text | None = None
    message: Text | None = None
    estimated_delivery: Instant | None = None
    """Optional extension: the carrier's own delivery estimate, when its payload has one."""
    local_time: NaiveLocal | None = None
    """Optional extension: the scan's wall-clock time as the vendor sent it, without an offset and
    in no zone the vendor named. Ingest reads it in the order's destination zone and uses that as
    ``at`` (which holds the delivery time until then); see core/zones.py."""

    def _valid(self) -> None:
        if self.order_id is None and self.tracking_number is None:
            raise ValueError("tracking needs order_id or tracking_number (with carrier when known)")


class RefundRequested(BaseEvent):
    type: Literal["refund.requested"]
    order_id: Id
    reason: Text


class RefundSellerResponded(BaseEvent):
    type: Literal["refund.seller_responded"]
    order_id: Id
    decision: Literal["approved", "rejected"]


class ReturnShipped(BaseEvent):
    type: Literal["return.shipped"]
    order_id: Id


class CancelRequested(BaseEvent):
    type: Literal["cancel.requested"]
    order_id: Id


class DeliveryConfirmed(BaseEvent):
    type: Literal["order.delivered_confirmed"]
    order_id: Id


class DelayAccepted(BaseEvent):
    """The buyer expressly agreed to wait for a late order (the order page's "wait" sends it too)."""

    type: Literal["delay.accepted"]
    order_id: str


class AdditionalPeriodSet(BaseEvent):
    """Extension: the buyer set an additional period for delivery (EU CRD art. 18(2), UK CRA s. 28(6)),
    on the order page; when it passes undelivered, the buyer may terminate for a refund."""

    type: Literal["additional_period.set"]
    order_id: str
    until: Instant


class RefundIssued(BaseEvent):
    """Extension: the merchant's payment system confirms that a refund was paid out (it stops the
    refund deadline of a cancellation, e.g. the FTC's 7 working days, from escalating)."""

    type: Literal["refund.issued"]
    order_id: str


Topic = Literal["where_is_my_order", "cancel", "refund", "address", "other"]
TOPICS: tuple[str, ...] = ("where_is_my_order", "cancel", "refund", "address", "other")
ContactChannel = Literal["email", "chat", "phone", "im", "other"]


class InquiryReceived(BaseEvent):
    """A customer contacted support (from the merchant's help desk). Without ``order_id`` it counts
    for the merchant (then ``merchant_id`` is required). Extension: ``topic`` may be left out when
    ``text`` (the message's subject or first lines) is given; ingest then classifies the text
    (customer.classify_topic). A topic the sender gives always wins. Extension: ``order_ref`` is an
    order number a help-desk adapter read in the inquiry's own text (not a field the help desk
    vouches for): ingest takes it as the order only when it names an order of the sender's
    merchant; otherwise the inquiry counts for the merchant, without an order."""

    type: Literal["inquiry.received"]
    order_id: Id | None = None
    topic: Topic | None = None
    channel: ContactChannel = "other"
    text: Text | None = None
    order_ref: Id | None = None

    def _valid(self) -> None:
        if self.order_id is None and self.merchant_id is None:
            raise ValueError("an inquiry without order_id needs merchant_id")
        if self.topic is None and self.text is None:
            raise ValueError("an inquiry needs topic (or text to classify)")


class DisputeOpened(BaseEvent):
    """A platform dispute, chargeback or complaint was opened."""

    type: Literal["dispute.opened"]
    order_id: Id
    reason: Text


class ReviewPosted(BaseEvent):
    """The buyer rated the order (1-5); a later review of the same order replaces the earlier one."""

    type: Literal["review.posted"]
    order_id: Id
    rating: Annotated[int, Meta(ge=1, le=5)]
    _exact = ("rating",)


Event = (
    OrderPaid
    | OrderShipped
    | Tracking
    | RefundRequested
    | RefundSellerResponded
    | ReturnShipped
    | CancelRequested
    | DeliveryConfirmed
    | DelayAccepted
    | AdditionalPeriodSet
    | RefundIssued
    | InquiryReceived
    | DisputeOpened
    | ReviewPosted
)

_BY_TYPE: dict[str, type[BaseEvent]] = {
    "order.paid": OrderPaid,
    "order.shipped": OrderShipped,
    "tracking": Tracking,
    "refund.requested": RefundRequested,
    "refund.seller_responded": RefundSellerResponded,
    "return.shipped": ReturnShipped,
    "cancel.requested": CancelRequested,
    "order.delivered_confirmed": DeliveryConfirmed,
    "delay.accepted": DelayAccepted,
    "additional_period.set": AdditionalPeriodSet,
    "refund.issued": RefundIssued,
    "inquiry.received": InquiryReceived,
    "dispute.opened": DisputeOpened,
    "review.posted": ReviewPosted,
}
EVENT_TYPES = tuple(_BY_TYPE)


def parse_event(payload: Any) -> Event:
    """Validate one message body (a JSON string or an already-decoded object): its ``type`` names
    the record it is read as."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise ValidationError(f"not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise ValidationError(f"Expected `object`, got `{type(payload).__name__}`")
    kind = payload.get("type")
    record = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if record is None:
        if kind is None:
            raise ValidationError("Object missing required field `type`")
        raise ValidationError(f"{str(kind)[:64]!r} is not one of {', '.join(EVENT_TYPES)} - at `$.type`")
    return typing.cast(Event, record.model_validate(payload))


MAX_FUTURE_SKEW = timedelta(days=1)
"""How far ahead of its arrival an event may be dated. Wide enough for a sender's clock, or a local
time read in the wrong zone (±14 h), to be taken as it comes; an event dated further ahead (a scan
in the year 9000) would freeze its order's deadlines until then, so it is refused."""


def dated_ahead(event: BaseEvent, received_at: datetime) -> str | None:
    """Why ``event`` cannot be applied when it arrives at ``received_at``: dated too far ahead."""
    if event.at > received_at + MAX_FUTURE_SKEW:
        return (
            f"dated {event.at.isoformat()}, more than {MAX_FUTURE_SKEW.days} day after it arrived "
            f"({received_at.isoformat()}): a wrong clock or date"
        )
    return None
