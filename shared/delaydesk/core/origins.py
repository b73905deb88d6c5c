"""Who may say what (pure): each input's origin, the events it may send, the id namespace it owns.

Every message on the event queues comes from one *origin*, carried in the SQS message attribute
``delaydesk-origin`` (set by the intake that queued it; a message without it comes from the
merchant's own systems, which hold IAM rights on the queues):

| origin | set by | may send | for |
|---|---|---|---|
| ``producer`` | the order system, a carrier feed (no attribute) | every contract event | every order |
| ``webhook:<source>`` | ``receive_webhook`` (a vendor: aftership, easypost, …) | ``tracking`` | the parcels it tracks |
| ``webhook:generic:<merchant>`` | ``receive_webhook``, per-merchant secret | ``tracking`` | that merchant's orders |
| ``helpdesk:<source>:<merchant>`` | ``receive_webhook``, a help desk | ``inquiry.received`` | that merchant's orders |
| ``order-page`` | ``serve_order_page`` (signed link) | the customer's choices (``MAY_SEND``) | the linked order |

Event ids are namespaced by origin (``<origin>|<event_id>``): the idempotency record, and hence
"applied once", is per origin, so no sender can squat an id that another origin will use (the
order page's ``order-page-cancel-<order>``, another vendor's, the merchant's own).
"""

from __future__ import annotations

import re

import msgspec

ORIGIN_ATTRIBUTE = "delaydesk-origin"
PRODUCER = "producer"
ORDER_PAGE = "order-page"
WEBHOOK = "webhook"
HELPDESK = "helpdesk"

MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
"""A merchant id that may appear in a header, an SSM parameter name and an origin."""

_ORIGIN = re.compile(
    r"^(producer|order-page|webhook:[a-z0-9_-]{1,32}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?"
    r"|helpdesk:[a-z0-9_-]{1,32}:[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"
)


class Origin(msgspec.Struct, frozen=True):
    kind: str  # producer | order-page | webhook | helpdesk
    source: str | None = None  # the webhook (or help-desk) source
    merchant_id: str | None = None  # the merchant a per-merchant source speaks for

    @property
    def name(self) -> str:
        if self.kind not in (WEBHOOK, HELPDESK):
            return self.kind
        return ":".join(p for p in (self.kind, self.source, self.merchant_id) if p)

    def key(self, event_id: str) -> str:
        """The namespaced id: what idempotency and the rejected record are keyed by."""
        return f"{self.name}|{event_id}"


def webhook(source: str, merchant_id: str | None = None) -> Origin:
    return Origin(WEBHOOK, source, merchant_id)


def helpdesk(source: str, merchant_id: str) -> Origin:
    """A merchant's help desk: its account (and secret) belongs to that one merchant."""
    return Origin(HELPDESK, source, merchant_id)


def parse_origin(value: str | None) -> Origin:
    """The origin a message attribute names; a missing one is the producer. Raises ValueError."""
    if not value:
        return Origin(PRODUCER)
    if not _ORIGIN.match(value):
        raise ValueError(f"unknown origin {value[:80]!r}")
    if value in (PRODUCER, ORDER_PAGE):
        return Origin(value)
    parts = value.split(":")
    return Origin(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


MAY_SEND: dict[str, frozenset[str]] = {
    WEBHOOK: frozenset({"tracking"}),
    # A help desk reports customers' contacts, nothing else (it cannot pay, ship, cancel, refund).
    HELPDESK: frozenset({"inquiry.received"}),
    # The customer's choices on the page: cancel (and terminate), accept the delay, set an
    # additional period (EU/UK), return a delivered order.
    ORDER_PAGE: frozenset({"cancel.requested", "delay.accepted", "additional_period.set", "refund.requested"}),
}


def refusal(origin: Origin, event_type: str, event_merchant: str | None) -> str | None:
    """Why ``origin`` may not send this event at all (before any order is read), or None."""
    allowed = MAY_SEND.get(origin.kind)
    if allowed is not None and event_type not in allowed:
        return f"{origin.name} may send only {', '.join(sorted(allowed))}, not {event_type}"
    if origin.merchant_id and event_merchant is not None and event_merchant != origin.merchant_id:
        return f"{origin.name} speaks only for merchant {origin.merchant_id}, not {event_merchant}"
    return None


def order_refusal(origin: Origin, order_merchant: str) -> str | None:
    """Why ``origin`` may not change an order of ``order_merchant``, or None."""
    if origin.merchant_id and order_merchant != origin.merchant_id:
        return f"{origin.name} speaks only for merchant {origin.merchant_id}'s orders"
    return None
