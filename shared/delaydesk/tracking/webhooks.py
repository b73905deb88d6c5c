"""Carrier webhooks: signature and freshness checks, then vendor payload → contract ``tracking`` event.

Each source signs as its vendor documents, with its own secret (SSM Parameter Store,
``{WebhookSecretsPrefix}/{source}``); the vendor adapters are one module each:

| source | signature header | signed bytes | freshness (replay window) |
|---|---|---|---|
| ``aftership`` | ``aftership-hmac-sha256``: base64 digest | the body | the body's ``ts`` (unix seconds) |
| ``easypost`` | ``x-hmac-signature``: ``hmac-sha256-hex=<hex>`` (NFKD secret) | the body | body ``updated_at`` |
| ``17track`` | ``sign``: hex ``sha256(body + "/" + key)`` | the body | none signed (see seventeen_track.py) |
| ``shopify`` | ``x-shopify-hmac-sha256``: base64 digest | the body | body ``updated_at`` / ``created_at`` |
| ``easyship`` | ``x-easyship-signature``: HS256 JWT | the token only, not the body | the token's ``exp`` if any |
| ``generic`` | ``x-delaydesk-signature``: ``sha256=<hex>`` | ``<timestamp>.<body>`` | ``x-delaydesk-timestamp`` |

The generic source is per merchant: the sender names its merchant in ``x-delaydesk-merchant``,
signs with that merchant's own secret (``{WebhookSecretsPrefix}/generic/{merchant_id}``) and
speaks only for that merchant's orders (``authority``: ingest refuses any other order).

Where there is a timestamp, it is inside what the signature covers, so it cannot be moved forward
by a replayer; the window (4 days by default) is wider than the vendors' retries. A bad or
missing signature, or a timestamp outside ``tolerance``, is ``Unauthorized`` (401); a signed
body that is not JSON or not a usable payload is ``Malformed`` (400). Nothing is queued in
either case. A delivery replayed inside the window carries the same vendor event id,
which ingest applies once (the order remembers its last 32 event ids).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from delaydesk.core.carriers import normalise as normalise_carrier
from delaydesk.core.events import parse_event
from delaydesk.core.fields import body_problem
from delaydesk.core.origins import MERCHANT_ID
from delaydesk.core.record import ValidationError, first_problem
from delaydesk.core.taxonomy import Normalised, from_aftership, from_easypost, from_generic
from delaydesk.core.times import iso, parse_instant
from delaydesk.core.zones import naive_local, read_local, zone_for
from delaydesk.tracking import easyship, seventeen_track, shopify
from delaydesk.tracking.webhook_errors import Malformed as Malformed
from delaydesk.tracking.webhook_errors import TooLarge as TooLarge
from delaydesk.tracking.webhook_errors import Unauthorized as Unauthorized
from delaydesk.tracking.webhook_errors import UnknownSource as UnknownSource
from delaydesk.tracking.webhook_errors import WebhookError as WebhookError
from delaydesk.tracking.webhook_errors import check_fresh as _check_fresh

SOURCES = ("aftership", "easypost", "17track", "shopify", "easyship", "generic")
PER_MERCHANT = frozenset({"generic"})
"""Sources whose secret, and authority, are per merchant (``x-delaydesk-merchant``)."""
MERCHANT_HEADER = "x-delaydesk-merchant"
AFTERSHIP_EVENTS = ("tracking_update", "edd_revise")
EASYPOST_EVENTS = ("tracker.updated", "tracker.created")


def merchant_of(source: str, headers: Mapping[str, str]) -> str | None:
    """The merchant a per-merchant source speaks for (its header); None for a vendor source."""
    if source not in PER_MERCHANT:
        return None
    value = _header(headers, MERCHANT_HEADER)
    if not value:
        raise Unauthorized(f"the {source} source is per merchant: {MERCHANT_HEADER} header is missing")
    if not MERCHANT_ID.match(value):
        raise Malformed(f"{MERCHANT_HEADER}: not a merchant id (letters, digits, . _ -; at most 64)")
    return value


def check_size(body: bytes) -> None:
    """Refuse a body too large (413) or too deeply nested (400) before anything reads it."""
    problem = body_problem(body)
    if problem is not None:
        raise (TooLarge if "bytes" in problem else Malformed)(problem)


class Received(msgspec.Struct, frozen=True):
    """A verified webhook turned into one contract ``tracking`` event."""

    event: dict[str, Any]
    normalised: Normalised
    vendor_status: str


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _hmac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()


def sign(source: str, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers a sender of ``source`` would add (used by tests and by operators' scripts)."""
    if source == "aftership":
        return {"aftership-hmac-sha256": base64.b64encode(_hmac(secret, body)).decode()}
    if source == "easypost":
        digest = _hmac(unicodedata.normalize("NFKD", secret), body).hex()
        return {"x-hmac-signature": f"hmac-sha256-hex={digest}"}
    if source == "17track":
        return seventeen_track.sign(secret, body)
    if source == "shopify":
        return shopify.sign(secret, body)
    if source == "easyship":
        return easyship.sign(secret)  # a token of the secret, not of the body (Easyship's scheme)
    if timestamp is None:
        raise ValueError("the generic form signs a timestamp")
    digest = _hmac(secret, f"{timestamp}.".encode() + body).hex()
    return {"x-delaydesk-timestamp": str(timestamp), "x-delaydesk-signature": f"sha256={digest}"}


def verify_signature(source: str, secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise ``Unauthorized`` unless ``headers`` carry a valid signature of ``body`` by ``secret``."""
    if source == "generic":
        timestamp = _header(headers, "x-delaydesk-timestamp")
        if timestamp is None or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            raise Unauthorized("missing or malformed x-delaydesk-timestamp header")
        expected = sign(source, secret, body, int(timestamp))
    else:
        expected = sign(source, secret, body)
    for name, value in expected.items():
        given = _header(headers, name)
        if given is None:
            raise Unauthorized(f"missing {name} header")
        if not hmac.compare_digest(given.strip().encode("utf-8", "surrogatepass"), value.encode()):
            raise Unauthorized("signature does not match")


def _from_epoch(seconds: int) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise Unauthorized(f"timestamp {str(seconds)[:20]} is not a time") from None


def decode_body(raw: str, is_base64: bool) -> bytes:
    """The bytes API Gateway received (a binary body arrives base64-encoded)."""
    if not is_base64:
        return raw.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(raw, validate=True)
    except (ValueError, TypeError):
        raise Malformed("the body is not valid base64") from None


def _instant(value: Any) -> datetime | None:
    """An RFC 3339 instant or a bare date (taken as midnight UTC); None when absent or naive."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return parse_instant(value)
    except ValueError:
        return None


def _aftership(payload: dict[str, Any], now: datetime, tolerance: timedelta) -> tuple[dict[str, Any], Normalised, str]:
    ts = payload.get("ts")
    if not isinstance(ts, int):
        raise Unauthorized("aftership payload has no ts: its freshness cannot be checked")
    sent_at = _from_epoch(ts)
    _check_fresh(sent_at, now, tolerance)
    if payload.get("event") not in AFTERSHIP_EVENTS:
        raise Malformed(f"aftership event {payload.get('event')!r} is not one of {', '.join(AFTERSHIP_EVENTS)}")
    msg = payload.get("msg")
    if not isinstance(msg, dict) or not msg.get("slug") or not msg.get("tracking_number"):
        raise Malformed("aftership msg needs slug and tracking_number")
    checkpoints = [c for c in msg.get("checkpoints") or [] if isinstance(c, dict)]
    last = checkpoints[-1] if checkpoints else {}
    tag, subtag = msg.get("tag"), msg.get("subtag")
    normalised = from_aftership(tag, subtag)
    # checkpoint_time is the carrier's local time, often without an offset: it is read in the
    # checkpoint's zone, else (ingest) in the order's destination zone; never as UTC or as ts.
    at, local_time = _checkpoint_time(last, sent_at)
    edd = msg.get("latest_estimated_delivery") or {}
    estimate = (
        (_instant(edd.get("datetime_max")) or _instant(edd.get("datetime")) if isinstance(edd, dict) else None)
        or _instant(msg.get("expected_delivery"))
        or _instant((msg.get("aftership_estimated_delivery_date") or {}).get("estimated_delivery_date"))
    )
    location = last.get("location") or ", ".join(str(last[k]) for k in ("city", "state", "country_iso3") if last.get(k))
    event = {
        "type": "tracking",
        "event_id": f"aftership-{payload.get('event_id') or msg.get('id')}",
        "at": iso(at),
        "carrier": normalise_carrier(str(msg["slug"])),
        "tracking_number": str(msg["tracking_number"]),
        "location": location or None,
        "message": last.get("message") or msg.get("subtag_message"),
        "estimated_delivery": iso(estimate) if estimate else None,
        "local_time": local_time,
    }
    return event, normalised, f"{tag}/{subtag}"


def _checkpoint_time(checkpoint: dict[str, Any], sent_at: datetime) -> tuple[datetime, str | None]:
    """A checkpoint's instant, and its local time when no zone could be found for it here."""
    text = checkpoint.get("checkpoint_time")
    if not isinstance(text, str) or not text:
        return sent_at, None
    moment = naive_local(text)
    if moment is None:
        return _instant(text) or sent_at, None
    zone = zone_for(checkpoint.get("country_iso3") or checkpoint.get("country_region"), checkpoint.get("state"))
    if zone is None:
        return sent_at, moment.isoformat()  # ingest reads it in the destination's zone
    return read_local(moment, zone), None


def _easypost(payload: dict[str, Any], now: datetime, tolerance: timedelta) -> tuple[dict[str, Any], Normalised, str]:
    updated = _instant(payload.get("updated_at"))
    if updated is None:
        raise Unauthorized("easypost event has no updated_at: its freshness cannot be checked")
    _check_fresh(updated, now, tolerance)
    if payload.get("description") not in EASYPOST_EVENTS:
        raise Malformed(f"easypost event {payload.get('description')!r} is not one of {', '.join(EASYPOST_EVENTS)}")
    tracker = payload.get("result")
    if not isinstance(tracker, dict) or not tracker.get("carrier") or not tracker.get("tracking_code"):
        raise Malformed("easypost result needs carrier and tracking_code")
    details = [d for d in tracker.get("tracking_details") or [] if isinstance(d, dict)]
    last = details[-1] if details else {}
    status, detail = tracker.get("status"), tracker.get("status_detail")
    where = last.get("tracking_location") or {}
    location = ", ".join(str(where[k]) for k in ("city", "state", "country") if where.get(k))
    at = _instant(last.get("datetime")) or _instant(tracker.get("updated_at")) or updated
    estimate = _instant(tracker.get("est_delivery_date"))
    event = {
        "type": "tracking",
        "event_id": f"easypost-{payload.get('id')}-{tracker.get('updated_at') or iso(updated)}",
        "at": iso(at),
        "carrier": normalise_carrier(str(tracker["carrier"])),
        "tracking_number": str(tracker["tracking_code"]),
        "location": location or None,
        "message": last.get("message"),
        "estimated_delivery": iso(estimate) if estimate else None,
    }
    return event, from_easypost(status, detail), f"{status}/{detail}"


def _generic(
    payload: dict[str, Any], headers: Mapping[str, str], now: datetime, tolerance: timedelta
) -> dict[str, Any]:
    timestamp = _header(headers, "x-delaydesk-timestamp")
    assert timestamp is not None  # verify_signature required it
    _check_fresh(_from_epoch(int(timestamp)), now, tolerance)
    if payload.get("type") != "tracking":
        raise Malformed("the generic webhook takes one contract event of type 'tracking'")
    merchant = _header(headers, MERCHANT_HEADER)
    if payload.get("merchant_id") not in (None, merchant):
        raise Malformed(f"merchant_id: this sender speaks for {merchant} only")
    return {**payload, "merchant_id": merchant}


def adapt(source: str, payload: Any, headers: Mapping[str, str], now: datetime, tolerance: timedelta) -> Received:
    """A verified, decoded payload → one validated contract ``tracking`` event."""
    if not isinstance(payload, dict):
        raise Malformed("the body must be a JSON object")
    if source == "aftership":
        event, normalised, vendor = _aftership(payload, now, tolerance)
    elif source == "easypost":
        event, normalised, vendor = _easypost(payload, now, tolerance)
    elif source == "17track":
        event, normalised, vendor = seventeen_track.adapt(payload, now)
    elif source == "shopify":
        event, normalised, vendor = shopify.adapt(payload, headers, now, tolerance)
    elif source == "easyship":
        event, normalised, vendor = easyship.adapt(payload, now)
    else:
        event = _generic(payload, headers, now, tolerance)
        vendor = f"{event.get('status')}/{event.get('sub_status')}"
        normalised = from_generic(event.get("status"), event.get("sub_status"))
    event["status"] = normalised.tag.value
    event["sub_status"] = normalised.sub_status
    if not normalised.mapped:
        event["vendor_status"] = f"{source}:{vendor}"  # an optional extension field; ingest ignores it
    event = {k: v for k, v in event.items() if v is not None}
    try:
        parse_event(event)
    except ValidationError as exc:
        raise Malformed(first_problem(exc)) from None
    return Received(event, normalised, vendor)


def receive(
    source: str,
    secret: str | None,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance: timedelta,
) -> Received:
    """Verify, decode and adapt one webhook delivery. Raises a ``WebhookError`` with its HTTP status."""
    if source not in SOURCES:
        raise UnknownSource(f"unknown webhook source {source[:40]!r}")
    check_size(body)
    merchant_of(source, headers)  # a per-merchant source must name its merchant
    if not secret:
        raise Unauthorized(f"no secret is configured for {source}")
    if source == "easyship":
        easyship.verify(secret, _header(headers, easyship.HEADER), now)
    else:
        verify_signature(source, secret, body, headers)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not JSON") from None
    return adapt(source, payload, headers, now, tolerance)


def dumps(event: dict[str, Any]) -> str:
    """The queue message body of a normalised event."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))
