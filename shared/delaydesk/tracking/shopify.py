"""Shopify ``fulfillments/update`` and ``fulfillment_events/create`` webhooks → one ``tracking`` event (pure).

Signature (shopify.dev, "Webhooks" → "Headers" and "Verify the webhook"; see tests/events/SOURCES.md):
``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body keyed with the app's client
secret. ``X-Shopify-Topic`` names the topic; it is not signed, so the body must also have the
topic's shape. Shopify signs no timestamp: the freshness window is checked on the signed body's
own ``updated_at`` (a fulfillment) or ``created_at`` (a fulfillment event).

The order keeps Shopify's order id: the event's ``order_id`` is the payload's ``order_id`` (as a
string), so an order fed from Shopify (``order.paid`` with that id) receives its scans directly.
A fulfillment names its parcel (``tracking_company``, ``tracking_number``); a fulfillment event
names only the order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from delaydesk.core.carriers import normalise
from delaydesk.core.events import Tag
from delaydesk.core.taxonomy import UNMAPPED, Normalised, SubStatus
from delaydesk.core.times import iso
from delaydesk.tracking.webhook_errors import Malformed, Unauthorized, check_fresh
from delaydesk.tracking.webhook_errors import as_object as _obj
from delaydesk.tracking.webhook_errors import optional_instant as _instant

HEADER = "x-shopify-hmac-sha256"
TOPIC_HEADER = "x-shopify-topic"
TOPICS = ("fulfillments/update", "fulfillment_events/create")

_S = SubStatus
STATUSES: dict[str | None, Normalised] = {
    None: Normalised(Tag.INFO_RECEIVED),  # a fulfillment without shipment news yet
    "label_printed": Normalised(Tag.INFO_RECEIVED),
    "label_purchased": Normalised(Tag.INFO_RECEIVED),
    "confirmed": Normalised(Tag.INFO_RECEIVED),
    "carrier_picked_up": Normalised(Tag.IN_TRANSIT, _S.PICKED_UP),
    "in_transit": Normalised(Tag.IN_TRANSIT),
    "out_for_delivery": Normalised(Tag.OUT_FOR_DELIVERY),
    "attempted_delivery": Normalised(Tag.ATTEMPT_FAIL, _S.FAILED_ATTEMPT),
    "ready_for_pickup": Normalised(Tag.AVAILABLE_FOR_PICKUP),
    "picked_up": Normalised(Tag.DELIVERED),  # collected by the customer at the pickup point
    "delivered": Normalised(Tag.DELIVERED),
    "delayed": Normalised(Tag.EXCEPTION, _S.EXTERNAL_FACTORS),
    "failure": Normalised(Tag.EXCEPTION, _S.EXCEPTION),
}
"""Shopify's fulfillment ``shipment_status`` and fulfillment event ``status`` values (the same list)."""


def normalise_status(status: str | None) -> Normalised:
    key = status.lower() if isinstance(status, str) else None
    return STATUSES.get(key, UNMAPPED)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The header Shopify adds to a delivery signed with the app's client ``secret``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return {HEADER: base64.b64encode(digest).decode()}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _order_id(payload: Mapping[str, Any]) -> str:
    value = payload.get("order_id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise Malformed("shopify payload needs order_id")
    return str(value).strip()


def adapt(
    payload: Mapping[str, Any], headers: Mapping[str, str], now: datetime, tolerance: timedelta
) -> tuple[dict[str, Any], Normalised, str]:
    """A verified delivery → (contract event, normalised status, vendor status)."""
    topic = _header(headers, TOPIC_HEADER)
    if topic not in TOPICS:
        raise Malformed(f"shopify topic {topic!r} is not one of {', '.join(TOPICS)}")
    if topic == "fulfillments/update":
        return _fulfillment(payload, now, tolerance)
    return _fulfillment_event(payload, now, tolerance)


def _fresh(payload: Mapping[str, Any], field: str, now: datetime, tolerance: timedelta) -> datetime:
    moment = _instant(payload.get(field))
    if moment is None:
        raise Unauthorized(f"shopify payload has no {field}: its freshness cannot be checked")
    check_fresh(moment, now, tolerance)
    return moment


def _fulfillment(
    payload: Mapping[str, Any], now: datetime, tolerance: timedelta
) -> tuple[dict[str, Any], Normalised, str]:
    updated = _fresh(payload, "updated_at", now, tolerance)
    if payload.get("id") is None or "shipment_status" not in payload:
        raise Malformed("a fulfillments/update body needs id and shipment_status (a fulfillment)")
    number = payload.get("tracking_number")
    company = payload.get("tracking_company")
    status = payload.get("shipment_status")
    where = _obj(payload.get("destination"))
    event = {
        "type": "tracking",
        "event_id": f"shopify-fulfillment-{payload['id']}-{iso(updated)}",
        "at": iso(updated),
        "order_id": _order_id(payload),
        "carrier": normalise(company) if isinstance(company, str) and company.strip() else None,
        "tracking_number": number.strip() if isinstance(number, str) and number.strip() else None,
        "message": f"fulfillment {payload.get('name') or payload['id']}: {status or payload.get('status')}",
        "location": ", ".join(str(where[k]) for k in ("city", "province_code", "country_code") if where.get(k)) or None,
    }
    return event, normalise_status(status), f"shipment_status/{status}"


def _fulfillment_event(
    payload: Mapping[str, Any], now: datetime, tolerance: timedelta
) -> tuple[dict[str, Any], Normalised, str]:
    _fresh(payload, "created_at", now, tolerance)
    happened = _instant(payload.get("happened_at"))
    if payload.get("id") is None or happened is None or "status" not in payload:
        raise Malformed("a fulfillment_events/create body needs id, status and happened_at (a fulfillment event)")
    status = payload.get("status")
    estimate = _instant(payload.get("estimated_delivery_at"))
    event = {
        "type": "tracking",
        "event_id": f"shopify-event-{payload['id']}",
        "at": iso(happened),
        "order_id": _order_id(payload),
        "location": ", ".join(str(payload[k]) for k in ("city", "province", "country") if payload.get(k)) or None,
        "message": payload.get("message") or None,
        "estimated_delivery": iso(estimate) if estimate else None,
    }
    return event, normalise_status(status if isinstance(status, str) else None), f"status/{status}"
