"""Easyship ``shipment.tracking.checkpoints.created`` and ``shipment.tracking.status.changed`` → one
``tracking`` event (pure).

Signature (developers.easyship.com, "Webhooks guide" → "Verifying an incoming event with Easyship's
signature"; see tests/events/SOURCES.md): ``X-EASYSHIP-SIGNATURE`` is a JSON web token signed
HS256 with the webhook's ``secret_key`` (``webh_…``); its documented claims name the company
(``easyship_company_id``). It is checked exactly so: three base64url parts, header ``alg`` HS256,
the HMAC-SHA256 of ``header.payload`` under the secret, and ``exp`` when the token has one.

The token does not cover the body: it proves the sender holds the secret, not that this body is
the one Easyship sent (Easyship's design; the README says what that means). Nor does it carry a
send time, so there is no freshness window beyond ``exp``; a redelivery carries the same event id.

Payloads: the checkpoints event lists ``checkpoints`` (each with ``checkpoint_time`` in UTC,
``handler`` (the carrier), ``primary_status``, ``message``, place); the status event has only
``status`` and the tracking number, and no time: it is dated when it arrives. Older Easyship API
versions put the shipment under ``tracking_status``, newer ones under ``data``: both are read. No
carrier is named except a checkpoint's handler, so the order is found by tracking number alone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from delaydesk.core.carriers import normalise
from delaydesk.core.events import Tag
from delaydesk.core.taxonomy import UNMAPPED, Normalised, SubStatus
from delaydesk.core.times import iso
from delaydesk.tracking.webhook_errors import Malformed, Unauthorized
from delaydesk.tracking.webhook_errors import as_object as _obj
from delaydesk.tracking.webhook_errors import optional_instant as _instant

HEADER = "x-easyship-signature"
EVENTS = ("shipment.tracking.checkpoints.created", "shipment.tracking.status.changed")

_S = SubStatus
STATUSES: dict[str, Normalised] = {
    "shipped": Normalised(Tag.INFO_RECEIVED),
    "shipped (no tracking provided)": Normalised(Tag.INFO_RECEIVED),
    "uncancelled": Normalised(Tag.INFO_RECEIVED),
    "in transit to consolidation center": Normalised(Tag.IN_TRANSIT),
    "arrived at consolidation center": Normalised(Tag.IN_TRANSIT),
    "processing at consolidation center": Normalised(Tag.IN_TRANSIT),
    "in transit to customer": Normalised(Tag.IN_TRANSIT),
    "out for delivery": Normalised(Tag.OUT_FOR_DELIVERY),
    "failed delivery attempt": Normalised(Tag.ATTEMPT_FAIL, _S.FAILED_ATTEMPT),
    "delivered": Normalised(Tag.DELIVERED),
    # Easyship stopped receiving updates and presumes delivery: nothing confirms it.
    "delivery expected (end of updates)": Normalised(Tag.EXPIRED),
    "exception": Normalised(Tag.EXCEPTION, _S.EXCEPTION),
    "lost by courier": Normalised(Tag.EXCEPTION, _S.LOST),
    "liquidated": Normalised(Tag.EXCEPTION, _S.LOST),  # disposed of: it will not arrive
    # The parcel stopped moving, by Easyship's own measure: told as a delay, not taken as a scan.
    "no recent tracking updates": Normalised(Tag.EXCEPTION, _S.EXTERNAL_FACTORS),
    "to be returned": Normalised(Tag.EXCEPTION, _S.RETURNING_TO_SENDER),
}
"""Easyship's documented tracking statuses (``status`` / ``primary_status``), compared in lower case."""


def normalise_status(status: str | None) -> Normalised:
    return STATUSES.get(status.strip().lower(), UNMAPPED) if isinstance(status, str) else UNMAPPED


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, claims: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The header Easyship adds: an HS256 JWT under the webhook's ``secret`` (claims as documented)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(dict(claims or {"easyship_company_id": "local"}), separators=(",", ":")).encode())
    mac = hmac.new(secret.encode("utf-8"), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return {HEADER: f"{header}.{body}.{_b64url(mac)}"}


def verify(secret: str, token: str | None, now: datetime) -> dict[str, Any]:
    """The token's claims; raises ``Unauthorized`` unless it is an HS256 JWT under ``secret``, unexpired."""
    if not token:
        raise Unauthorized(f"missing {HEADER} header")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise Unauthorized("signature is not a JSON web token")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
        given = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise Unauthorized("signature is not a JSON web token") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise Unauthorized("signature is not an HS256 JSON web token")
    expected = hmac.new(secret.encode("utf-8"), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("signature does not match")
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and datetime.fromtimestamp(exp, tz=UTC) < now:
        raise Unauthorized("signature has expired")
    return claims


def _sequence(checkpoint: Mapping[str, Any]) -> int:
    number = checkpoint.get("order_number")
    return number if isinstance(number, int) and not isinstance(number, bool) else 0


def adapt(payload: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], Normalised, str]:
    """A verified delivery → (contract event, normalised status, vendor status)."""
    kind = payload.get("event_type")
    if kind not in EVENTS:
        raise Malformed(f"easyship event {kind!r} is not one of {', '.join(EVENTS)}")
    shipment = _obj(payload.get("data")) or _obj(payload.get("tracking_status"))
    number = shipment.get("tracking_number")
    ident = shipment.get("easyship_shipment_id") or payload.get("resource_id")
    if not isinstance(number, str) or not number.strip() or not isinstance(ident, str) or not ident:
        raise Malformed("easyship shipment needs easyship_shipment_id and tracking_number")
    checkpoints = [c for c in shipment.get("checkpoints") or [] if isinstance(c, dict)]
    if kind == "shipment.tracking.checkpoints.created":
        if not checkpoints:
            raise Malformed("easyship checkpoints event has no checkpoints")
        last = max(checkpoints, key=lambda c: (_instant(c.get("checkpoint_time")) or now, _sequence(c)))
        at = _instant(last.get("checkpoint_time")) or now
        status = last.get("primary_status") or shipment.get("status")
        handler = last.get("handler")
        event_id = f"easyship-{ident}-checkpoint-{last.get('order_number') or iso(at)}"
        location, message = last.get("location"), last.get("message")
    else:
        at, status, handler = now, shipment.get("status"), None
        event_id = f"easyship-{ident}-status-{status}"
        location, message = None, status
    event = {
        "type": "tracking",
        "event_id": event_id,
        "at": iso(at),
        "carrier": normalise(handler) if isinstance(handler, str) and handler.strip() else None,
        "tracking_number": number.strip(),
        "location": location or None,
        "message": message or None,
    }
    return event, normalise_status(status if isinstance(status, str) else None), f"{status}"
