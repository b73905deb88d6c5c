"""Order state and how each input event changes it (pure: no AWS, no clock)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from delaydesk.core.events import (
    AdditionalPeriodSet,
    CancelRequested,
    Channel,
    Customer,
    DelayAccepted,
    DeliveryConfirmed,
    Destination,
    DisputeOpened,
    Event,
    InquiryReceived,
    Instant,
    Item,
    Money,
    OrderPaid,
    OrderShipped,
    RefundIssued,
    RefundRequested,
    RefundSellerResponded,
    ReturnShipped,
    ReviewPosted,
    Tag,
    Tracking,
)
from delaydesk.core.experiments import Assignment
from delaydesk.core.record import Record, field
from delaydesk.core.taxonomy import is_collection_scan


class OrderStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


OPEN_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED})


class EventRejected(Exception):
    """The event is well-formed but cannot apply to this order; retrying will not help."""


class OrderNotFound(Exception):
    """The event names an order DelayDesk has not seen (yet): retried, then dead-lettered."""


class State(Record):
    """An order's state, as the store holds it (mutable: ``apply_event`` changes it in place)."""


class Shipment(State):
    carrier: str
    tracking_number: str
    shipped_at: Instant
    last_scan_at: Instant
    last_tag: Tag = Tag.INFO_RECEIVED
    last_sub_status: str | None = None
    last_location: str | None = None
    last_message: str | None = None
    scans: int = 0
    carrier_eta: Instant | None = None
    past_pickup: bool | None = None
    """Whether a scan after the carrier's collection has been applied: False while every scan so
    far is a label, an acceptance or the collection scan (揽收, "picked up"), whatever tag the
    vendor gave it; None for a parcel recorded before this was tracked (its last tag decides)."""


class Delay(State):
    """A delay in progress. ``kind`` is the notice kind that announced it."""

    kind: str
    rule: str
    reason: str
    started_at: Instant
    stage: int = 0
    next_update_at: Instant
    escalated: list[str] = field(default_factory=list)
    """Escalation reasons already raised for this delay (escalation.py)."""
    eta_from: date | None = None
    eta_to: date | None = None
    """The delivery estimate the latest notice of this delay gave (the order page shows it)."""


class TimerState(State):
    """A deadline as the policy engine computed it with the windows in force (policy.py)."""

    at: Instant
    default_at: Instant
    window_id: str | None = None


class LawState(State):
    """What the buyer's consumer rules decided for the order (policy/consumer_rules.py)."""

    rules: str
    """us_ftc | eu_crd | uk_cra | cn_platform | none."""
    source: str
    """Why these rules: ``destination`` (the buyer's country) or ``merchant`` (a stricter choice)."""
    note: str | None = None
    """A merchant setting that was refused (laxer than the buyer's law), with the reason."""
    promised_at: Instant
    """The applicable time: the ship-by the order promised (16 CFR 435.1(a))."""
    option_sent_at: Instant | None = None
    """When the delay-option notice was queued (16 CFR 435.2(b)(1))."""
    revised_ship_by: Instant | None = None
    """The definite revised shipping date that notice gave (None: none could be given)."""
    silence_consents: bool = False
    """Whether the buyer's silence counts as consent until ``revised_ship_by``."""
    renewed_at: Instant | None = None
    """When the renewed option (``delay_consent_request``) was queued (16 CFR 435.2(b)(2))."""
    cancel_at: Instant | None = None
    """Without express consent the unshipped order is cancelled and refunded at this instant."""
    refund_due_at: Instant | None = None
    """A cancellation's refund must be confirmed by then (7 working days under us_ftc), else escalated."""


MAX_CONTACTS = 100
"""Inquiries (and disputes) kept on one order; more are still counted in the statistics."""


class Contact(State):
    """One inquiry about the order (``topic`` as sent or classified) or one dispute (``topic`` None)."""

    at: Instant
    topic: str | None = None
    channel: str | None = None


class Order(State):
    order_id: str
    merchant_id: str
    status: OrderStatus = OrderStatus.PAID
    paid_at: Instant
    ship_within_hours: int
    channel: Channel
    value: Money
    customer: Customer
    destination: Destination
    items: list[Item] = field(default_factory=list)
    shipment: Shipment | None = None
    delay: Delay | None = None
    delays_resolved: int = 0
    stages_used: int = 0
    """Delay notice stages issued so far (a stage number is never reused within an order)."""
    delivered_at: Instant | None = None
    refund_requested_at: Instant | None = None
    cancel_requested_at: Instant | None = None
    updated_at: Instant
    # Refund, return and cancellation state, and the policy timers (timers.py).
    refund_status: str | None = None  # requested | approved | rejected | auto_approved
    return_shipped_at: Instant | None = None
    return_status: str | None = None  # in_transit | confirmed | auto_refunded
    cancel_status: str | None = None  # requested | granted | refused
    timers: dict[str, TimerState] = field(default_factory=dict)
    """Effective deadlines by timer kind, as last computed with the windows in force."""
    timers_decided: list[str] = field(default_factory=list)
    """Decision keys already taken by the timers (each is taken once)."""
    announced_windows: list[str] = field(default_factory=list)
    # The buyer's consumer rules (policy/consumer_rules.py).
    law: LawState | None = None
    delay_accepted_at: Instant | None = None
    """The buyer's express consent to wait (``delay.accepted``, or "wait" on the order page)."""
    additional_period_until: Instant | None = None
    """EU/UK: the additional period for delivery the buyer set (``additional_period.set``)."""
    refund_issued_at: Instant | None = None
    inquiries: list[Contact] = field(default_factory=list)
    """Extension (issue 14): the customer's inquiries about this order, oldest first."""
    disputes: list[Contact] = field(default_factory=list)
    """Extension (issue 14): disputes, chargebacks and complaints opened on this order."""
    rating: int | None = None
    """Extension (issue 14): the buyer's rating, 1-5 (the latest review)."""
    experiments: dict[str, Assignment] = field(default_factory=dict)
    """Extension (issue 14): the order's arm in each holdout experiment it met, by experiment id,
    recorded once at its first evaluation (core/experiments.py) and never rewritten."""
    rated_at: Instant | None = None
    """The merchant confirmed the refund was paid out (``refund.issued``)."""

    @property
    def default_ship_by_at(self) -> datetime:
        return self.paid_at + timedelta(hours=self.ship_within_hours)

    @property
    def ship_by_at(self) -> datetime:
        """The ship-by commitment: a window may have suspended or extended the default one."""
        default = self.default_ship_by_at
        stored = self.timers.get("ship_by")
        if stored is not None and stored.default_at == default and stored.at > default:
            return stored.at
        return default

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _end_delay(order: Order) -> None:
    if order.delay is not None:
        order.delay = None
        order.delays_resolved += 1


def new_order(event: OrderPaid) -> Order:
    data = event.order
    return Order(
        order_id=data.order_id,
        merchant_id=data.merchant_id,
        paid_at=data.paid_at,
        ship_within_hours=data.ship_within_hours,
        channel=data.channel,
        value=data.value,
        customer=data.customer,
        destination=data.destination,
        items=list(data.items),
        updated_at=event.at,
    )


def _apply_tracking(order: Order, event: Tracking) -> None:
    if order.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        raise EventRejected(f"order {order.order_id} is {order.status}; tracking ignored")
    shipment = order.shipment
    if shipment is None:
        if event.carrier is None or event.tracking_number is None:
            raise EventRejected(f"order {order.order_id} has not shipped and the scan names no parcel")
        # A first scan before order.shipped arrived: the scan itself proves the hand-over.
        shipment = order.shipment = Shipment(
            carrier=event.carrier, tracking_number=event.tracking_number, shipped_at=event.at, last_scan_at=event.at
        )
        order.status = OrderStatus.SHIPPED
    if event.at < shipment.last_scan_at:
        return  # an older scan delivered late changes nothing
    moved = event.at > shipment.last_scan_at or event.status != shipment.last_tag
    if event.status in (Tag.PENDING, Tag.INFO_RECEIVED) or is_collection_scan(
        event.status, event.sub_status, event.message
    ):
        shipment.past_pickup = bool(shipment.past_pickup)
    else:
        shipment.past_pickup = True
    shipment.last_scan_at = event.at
    shipment.last_tag = event.status
    shipment.last_sub_status = event.sub_status
    shipment.last_location = event.location
    shipment.last_message = event.message
    shipment.scans += 1
    if event.estimated_delivery is not None:
        shipment.carrier_eta = event.estimated_delivery
    if event.status == Tag.DELIVERED:
        order.status = OrderStatus.DELIVERED
        order.delivered_at = event.at
        _end_delay(order)
    elif moved and order.delay is not None and order.delay.kind == "in_transit_delayed":
        # The parcel moves again: the stall is over (the notice series stops).
        _end_delay(order)
    elif (
        moved
        and event.status not in (Tag.EXCEPTION, Tag.ATTEMPT_FAIL, Tag.EXPIRED)
        and order.delay is not None
        and order.delay.kind == "delivery_exception"
    ):
        # A normal scan after an exception: the problem is resolved.
        _end_delay(order)


def _seller_responded(order: Order, event: RefundSellerResponded) -> None:
    if order.refund_status != "requested" and order.return_status != "in_transit":
        raise EventRejected(f"order {order.order_id} has no refund waiting for the seller")
    if order.return_status == "in_transit":
        # The seller's answer after the buyer sent the item back confirms (or refuses) receipt.
        order.return_status = "confirmed" if event.decision == "approved" else "disputed"
        if event.decision == "approved":
            order.status = OrderStatus.REFUNDED
        return
    order.refund_status = event.decision
    if event.decision == "approved" and order.status == OrderStatus.PAID:
        order.status = OrderStatus.CANCELLED  # refunded before shipping
        _end_delay(order)


def apply_event(order: Order | None, event: Event) -> Order:
    """The order after ``event``. Raises OrderNotFound or EventRejected."""
    if isinstance(event, OrderPaid):
        if order is not None:
            raise EventRejected(f"order {order.order_id} was already paid (duplicate order.paid, new event_id)")
        return new_order(event)
    if order is None:
        raise OrderNotFound(f"event {event.event_id} ({event.type}) names an unknown order")
    order = order.model_copy(deep=True)
    if isinstance(event, OrderShipped):
        if order.status != OrderStatus.PAID:
            raise EventRejected(f"order {order.order_id} is {order.status}; cannot ship it")
        order.status = OrderStatus.SHIPPED
        order.shipment = Shipment(
            carrier=event.carrier,
            tracking_number=event.tracking_number,
            shipped_at=event.at,
            last_scan_at=event.at,
        )
        if order.delay is not None and order.delay.kind == "shipment_delayed":
            _end_delay(order)
    elif isinstance(event, Tracking):
        _apply_tracking(order, event)
    elif isinstance(event, DeliveryConfirmed):
        order.status = OrderStatus.COMPLETED
        order.delivered_at = order.delivered_at or event.at
        _end_delay(order)
    elif isinstance(event, CancelRequested):
        order.cancel_requested_at = event.at
        after_period = order.additional_period_until is not None and event.at >= order.additional_period_until
        if order.cancel_status is None or (order.cancel_status == "refused" and after_period):
            # EU/UK: after the buyer's additional period, a request refused before is asked anew.
            order.cancel_status = "requested"
    elif isinstance(event, RefundRequested):
        if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            raise EventRejected(f"order {order.order_id} is {order.status}; nothing left to refund")
        order.refund_requested_at = event.at
        order.refund_status = "requested"
    elif isinstance(event, RefundSellerResponded):
        _seller_responded(order, event)
    elif isinstance(event, ReturnShipped):
        order.return_shipped_at = event.at
        order.return_status = "in_transit"
    elif isinstance(event, DelayAccepted):
        if order.status != OrderStatus.PAID:
            raise EventRejected(f"order {order.order_id} is {order.status}; there is no delay to accept")
        order.delay_accepted_at = order.delay_accepted_at or event.at
    elif isinstance(event, AdditionalPeriodSet):
        if order.status not in OPEN_STATUSES:
            raise EventRejected(f"order {order.order_id} is {order.status}; no delivery to wait for")
        if event.until <= event.at:
            raise EventRejected(f"the additional period must end after it is set ({event.until.isoformat()})")
        order.additional_period_until = event.until
    elif isinstance(event, RefundIssued):
        order.refund_issued_at = order.refund_issued_at or event.at
    elif isinstance(event, InquiryReceived):
        if event.topic is None:
            raise EventRejected("an inquiry must be classified before it is applied")  # ingest does it
        if len(order.inquiries) < MAX_CONTACTS:
            order.inquiries.append(Contact(at=event.at, topic=event.topic, channel=event.channel))
            order.inquiries.sort(key=lambda c: c.at)
    elif isinstance(event, DisputeOpened):
        if len(order.disputes) < MAX_CONTACTS:
            order.disputes.append(Contact(at=event.at))
    elif isinstance(event, ReviewPosted) and (order.rated_at is None or event.at >= order.rated_at):
        order.rating, order.rated_at = event.rating, event.at
    order.updated_at = max(order.updated_at, event.at)
    return order
