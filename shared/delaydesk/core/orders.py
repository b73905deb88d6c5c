"""Order state and how each input event changes it (pure: no AWS, no clock)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from delaydesk.core.events import (
    CancelRequested,
    Channel,
    Customer,
    DeliveryConfirmed,
    Destination,
    Event,
    Instant,
    Item,
    Money,
    OrderPaid,
    OrderShipped,
    RefundRequested,
    RefundSellerResponded,
    ReturnShipped,
    Tag,
    Tracking,
)


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


class State(BaseModel):
    model_config = ConfigDict(extra="ignore")


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


class Delay(State):
    """A delay in progress. ``kind`` is the notice kind that announced it."""

    kind: str
    rule: str
    reason: str
    started_at: Instant
    stage: int = 0
    next_update_at: Instant
    escalated: list[str] = []
    """Escalation reasons already raised for this delay (escalation.py)."""
    eta_from: date | None = None
    eta_to: date | None = None
    """The delivery estimate the latest notice of this delay gave (the order page shows it)."""


class TimerState(State):
    """A deadline as the policy engine computed it with the windows in force (policy.py)."""

    at: Instant
    default_at: Instant
    window_id: str | None = None


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
    items: list[Item] = []
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
    timers: dict[str, TimerState] = {}
    """Effective deadlines by timer kind, as last computed with the windows in force."""
    timers_decided: list[str] = []
    """Decision keys already taken by the timers (each is taken once)."""
    announced_windows: list[str] = []

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
        if order.cancel_status is None:
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
    order.updated_at = max(order.updated_at, event.at)
    return order
