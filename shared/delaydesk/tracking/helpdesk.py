"""Help-desk webhooks: authentication, then a ticket → one contract ``inquiry.received`` event (pure).

A help-desk account belongs to one merchant, so every source here is per merchant: the merchant is
named in the URL (``POST /helpdesk/{source}/{merchant_id}``), its secret is
``{WebhookSecretsPrefix}/helpdesk/{source}/{merchant_id}`` and its origin
``helpdesk:{source}:{merchant_id}`` may send ``inquiry.received`` only, about that merchant's orders
(``core.origins``).

- ``zendesk``: ``X-Zendesk-Webhook-Signature`` is the base64 HMAC-SHA256 of ``timestamp + body``
  under the webhook's signing secret; the replay window is checked on the signed
  ``X-Zendesk-Webhook-Signature-Timestamp``.
- ``freshdesk``: Freshdesk signs nothing; the rule's "Requires authentication" sends HTTP Basic
  credentials, whose password is the secret. No time is signed: no replay window (see README).
- ``generic``: as the generic carrier webhook, ``x-delaydesk-signature: sha256=<hex>`` of
  ``<x-delaydesk-timestamp>.<body>``; the window is checked on ``x-delaydesk-timestamp``.

Zendesk and Freshdesk send the JSON body the merchant writes in the trigger or rule from
placeholders; the bodies to configure are in the README ("Help-desk intake") and in
``tests/events/helpdesk/``. Mapping: the ticket id → ``event_id`` (``<source>-<id>``; ingest
namespaces it by origin); its creation time → ``at`` (so a retried delivery is the same event);
the ticket's channel → ``channel``; an order id from the merchant's custom field → ``order_id``,
else an order number read in the subject or description → ``order_ref`` (a guess, see
``core.events.InquiryReceived``); the ticket's own topic or tags → ``topic`` when they name one of
the contract's topics, else subject and description go as ``text`` for ingest's classifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from delaydesk.core.events import TOPICS, parse_event
from delaydesk.core.fields import MAX_TEXT, body_problem
from delaydesk.core.origins import MERCHANT_ID
from delaydesk.core.record import ValidationError, first_problem
from delaydesk.core.times import iso, parse_instant, utc
from delaydesk.tracking.webhook_errors import Malformed, TooLarge, Unauthorized, UnknownSource, check_fresh
from delaydesk.tracking.webhook_errors import as_object as _obj

SOURCES = ("zendesk", "freshdesk", "generic")
ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
GENERIC_SIGNATURE = "x-delaydesk-signature"
GENERIC_TIMESTAMP = "x-delaydesk-timestamp"

TOPIC_TAGS: dict[str, str] = {
    **{topic: topic for topic in TOPICS if topic != "other"},
    "wismo": "where_is_my_order",
    "order_status": "where_is_my_order",
    "where_is_my_parcel": "where_is_my_order",
    "tracking": "where_is_my_order",
    "delivery_status": "where_is_my_order",
    "shipping_status": "where_is_my_order",
    "cancellation": "cancel",
    "cancel_order": "cancel",
    "order_cancellation": "cancel",
    "refunds": "refund",
    "refund_request": "refund",
    "money_back": "refund",
    "address_change": "address",
    "change_address": "address",
    "wrong_address": "address",
}
"""A help desk's own tag (or topic field value), lower-cased with spaces and dashes as ``_``, →
the contract's topic. Only these count as the sender's topic; any other tag is ignored."""
_TOPIC_ORDER = ("cancel", "refund", "address", "where_is_my_order")
"""When tags name several topics, the classifier's own order decides (a cancellation first)."""

_CHANNELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone", ("phone", "voice", "call", "voicemail")),
    (
        "im",
        (
            "whatsapp",
            "wechat",
            "line",
            "facebook",
            "messenger",
            "instagram",
            "twitter",
            "sms",
            "text message",
            "telegram",
            "viber",
            "kakao",
            "social",
            "native_messaging",
            "x corp",
        ),
    ),
    ("chat", ("chat", "web widget", "web_widget", "messaging", "widget")),
    ("email", ("mail", "email", "e-mail")),
)
"""The channel a help desk names (Zendesk ``{{ticket.via}}``, Freshdesk ``{{ticket.source_name}}``),
by the first word group found; a web form, portal, API or anything else is ``other``."""

_ORDER_PATTERNS = (
    re.compile(
        r"(?<![a-z])order\s*(?:number|no\.?|id|#|nr\.?)?\s*[:#]?\s*#?\s*([a-z0-9][a-z0-9_-]{2,63})", re.IGNORECASE
    ),
    re.compile(r"(?:订单|訂單)(?:号码|號碼|编号|編號|号|號)?\s*[:#]?\s*([a-z0-9][a-z0-9_-]{2,63})", re.IGNORECASE),
)
"""An order number after "order" (English) or 订单/訂單, as written (order ids are case-sensitive)."""
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t\f\v]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ud800-\udfff]")
_ZENDESK_MINUTES = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(Z|[+-]\d\d:?\d\d)$")
_NAIVE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?$")


class Inquiry(msgspec.Struct, frozen=True):
    """A verified help-desk delivery turned into one contract ``inquiry.received`` event."""

    event: dict[str, Any]
    topic_from: str  # "sender" (the ticket's topic or tag), "text" (ingest classifies) or "event"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def merchant_problem(merchant_id: str) -> str | None:
    if not MERCHANT_ID.match(merchant_id):
        return "the merchant in the URL is not a merchant id (letters, digits, . _ -; at most 64)"
    return None


# ------------------------------------------------------------------ signatures


def sign(source: str, secret: str, body: bytes, timestamp: datetime, merchant_id: str = "delaydesk") -> dict[str, str]:
    """The headers the help desk adds to ``body`` (used by tests, ``simulate`` and operators)."""
    if source == "zendesk":
        stamp = iso(timestamp)
        mac = hmac.new(secret.encode("utf-8"), stamp.encode() + body, hashlib.sha256).digest()
        return {ZENDESK_SIGNATURE: base64.b64encode(mac).decode(), ZENDESK_TIMESTAMP: stamp}
    if source == "freshdesk":
        token = base64.b64encode(f"{merchant_id}:{secret}".encode("utf-8", "surrogatepass")).decode()
        return {"authorization": f"Basic {token}"}
    stamp = str(int(timestamp.timestamp()))
    hexdigest = hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {GENERIC_TIMESTAMP: stamp, GENERIC_SIGNATURE: f"sha256={hexdigest}"}


def _same(given: str | None, expected: str, name: str) -> None:
    if given is None:
        raise Unauthorized(f"missing {name} header")
    if not hmac.compare_digest(given.strip().encode("utf-8", "surrogatepass"), expected.encode()):
        raise Unauthorized("signature does not match")


def verify(
    source: str, secret: str, body: bytes, headers: Mapping[str, str], now: datetime, tolerance: timedelta
) -> None:
    """Raise ``Unauthorized`` unless the delivery is authentic and (where a time is signed) fresh."""
    if source == "zendesk":
        stamp = _header(headers, ZENDESK_TIMESTAMP)
        if stamp is None or len(stamp) > 40:
            raise Unauthorized(f"missing or malformed {ZENDESK_TIMESTAMP} header")
        mac = hmac.new(secret.encode("utf-8"), stamp.encode("utf-8", "surrogatepass") + body, hashlib.sha256)
        _same(_header(headers, ZENDESK_SIGNATURE), base64.b64encode(mac.digest()).decode(), ZENDESK_SIGNATURE)
        try:
            signed_at = parse_instant(stamp.strip())
        except ValueError:
            raise Unauthorized(f"{ZENDESK_TIMESTAMP} is not a time") from None
        check_fresh(signed_at, now, tolerance)
    elif source == "freshdesk":
        _basic_auth(secret, _header(headers, "authorization"))
    else:
        stamp = _header(headers, GENERIC_TIMESTAMP)
        if stamp is None or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
            raise Unauthorized(f"missing or malformed {GENERIC_TIMESTAMP} header")
        hexdigest = hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        _same(_header(headers, GENERIC_SIGNATURE), f"sha256={hexdigest}", GENERIC_SIGNATURE)
        try:
            signed_at = datetime.fromtimestamp(int(stamp), tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise Unauthorized(f"{GENERIC_TIMESTAMP} is not a time") from None
        check_fresh(signed_at, now, tolerance)


def _basic_auth(secret: str, value: str | None) -> None:
    """Freshdesk signs nothing: its rule sends HTTP Basic credentials; the password is the secret."""
    if value is None or not value[:6].lower() == "basic ":
        raise Unauthorized("missing authorization header (Basic: the rule's 'Requires authentication')")
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthorized("authorization: not Basic credentials") from None
    _, colon, password = decoded.partition(":")
    if not colon or not hmac.compare_digest(password.encode(), secret.encode()):
        raise Unauthorized("credentials do not match")


# ------------------------------------------------------------------ mapping


def channel_of(value: Any) -> str:
    """The contract's channel for a help desk's channel name (``Mail``, ``Phone call (incoming)``…)."""
    if not isinstance(value, str):
        return "other"
    folded = value.casefold().replace("-", " ")
    for channel, words in _CHANNELS:
        if any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded) for word in words):
            return channel
    return "other"


def topic_of(*values: Any) -> str | None:
    """The sender's own topic: the first of the contract's topics (in the classifier's order) named
    by a topic field or a tag (tags separated by spaces or commas, as the help desks render them)."""
    found = set()
    for value in values:
        items = value if isinstance(value, list) else re.split(r"[\s,;]+", value) if isinstance(value, str) else []
        for item in items:
            if isinstance(item, str) and item.strip():
                key = re.sub(r"[\s-]+", "_", unicodedata.normalize("NFKC", item).strip().casefold())
                if key in TOPIC_TAGS:
                    found.add(TOPIC_TAGS[key])
    return next((topic for topic in _TOPIC_ORDER if topic in found), None)


def plain_text(*parts: Any, limit: int = MAX_TEXT) -> str | None:
    """Subject and description as one plain text (HTML tags dropped, entities read, no control
    characters), cut at ``limit`` characters; None when there is nothing."""
    lines = []
    for part in parts:
        if isinstance(part, str) and part.strip():
            text = html.unescape(_TAG.sub(" ", part))
            text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
            lines.append("\n".join(_SPACE.sub(" ", line).strip() for line in text.split("\n") if line.strip()))
    joined = "\n".join(line for line in lines if line)
    return joined[:limit] or None


def order_ref_in(text: str | None) -> str | None:
    """The one order number the text names ("order #1042", "订单号：A1042"), or None (none, or
    several different ones). A number must have a digit in it."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text)  # full-width ＃ and digits read as ASCII
    found = {
        match.group(1)
        for pattern in _ORDER_PATTERNS
        for match in pattern.finditer(folded)
        if any(ch.isdigit() for ch in match.group(1))
    }
    return found.pop() if len(found) == 1 else None


def _order_field(value: Any) -> str | None:
    """An order id from the merchant's custom field (an empty field renders as ``""``)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _ticket_id(value: Any, source: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise Malformed(f"{source}: the body needs the ticket id")
    text = str(value).strip()
    if len(text) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise Malformed(f"{source}: the ticket id is not an id (letters, digits, _ -; at most 64)")
    return text


def _created(value: Any, source: str, zone: Any = None) -> datetime:
    """The ticket's creation time: RFC 3339, Zendesk's minutes-only form (``2013-12-12T05:35Z``),
    or a time without offset read in the help desk's time zone (``zone``, an IANA name)."""
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"{source}: the body needs the ticket's creation time (see README, Help-desk intake)")
    text = value.strip()
    if _ZENDESK_MINUTES.match(text):
        text = text[:16] + ":00" + text[16:]
    if _NAIVE.match(text):
        if not isinstance(zone, str) or not zone.strip():
            raise Malformed(f"{source}: {text[:40]!r} has no offset: add the help desk's time zone to the body")
        try:
            return utc(datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=ZoneInfo(zone.strip())))
        except (ZoneInfoNotFoundError, ValueError):
            raise Malformed(f"{source}: {zone[:60]!r} is not an IANA time zone") from None
    try:
        return parse_instant(text)
    except ValueError:
        raise Malformed(f"{source}: {text[:40]!r} is not a time with an offset") from None


def _inquiry(
    source: str,
    merchant_id: str,
    ticket: str,
    at: datetime,
    channel: str,
    order: str | None,
    topic: str | None,
    text: str | None,
) -> Inquiry:
    event: dict[str, Any] = {
        "type": "inquiry.received",
        "event_id": f"{source}-{ticket}",
        "at": iso(at),
        "merchant_id": merchant_id,
        "channel": channel,
    }
    if order:
        event["order_id"] = order
    elif (ref := order_ref_in(text)) is not None:
        event["order_ref"] = ref
    if topic:
        event["topic"] = topic
    else:
        event["text"] = text or "(no text)"
    return Inquiry(event, "sender" if topic else "text")


ZENDESK_TICKET_CREATED = "zen:event-type:ticket.created"


def _zendesk(payload: dict[str, Any], merchant_id: str) -> Inquiry:
    """Either a webhook subscribed to the event ``zen:event-type:ticket.created`` (Zendesk's own
    fixed body: ``detail`` is the ticket, ``detail.via.channel`` a via type, no custom fields), or a
    trigger's body as the README defines it (``ticket``: the placeholders, the order id field)."""
    kind = payload.get("type")
    if isinstance(kind, str) and kind.startswith("zen:event-type:"):
        if kind != ZENDESK_TICKET_CREATED:
            raise Malformed(f"zendesk: event {kind[:80]!r} is not {ZENDESK_TICKET_CREATED}")
        detail = _obj(payload.get("detail"))
        ticket = {**detail, "via": _obj(detail.get("via")).get("channel"), "order_id": None, "topic": None}
    else:
        ticket = _obj(payload.get("ticket"))
    if not ticket:
        raise Malformed("zendesk: the body needs a 'ticket' object (see README, Help-desk intake)")
    text = plain_text(ticket.get("subject"), ticket.get("description"))
    return _inquiry(
        "zendesk",
        merchant_id,
        _ticket_id(ticket.get("id"), "zendesk"),
        _created(ticket.get("created_at"), "zendesk"),
        channel_of(ticket.get("via")),
        _order_field(ticket.get("order_id")),
        topic_of(ticket.get("topic"), ticket.get("tags")),
        text,
    )


def _freshdesk(payload: dict[str, Any], merchant_id: str) -> Inquiry:
    ticket = _obj(payload.get("freshdesk_webhook"))
    if not ticket:
        raise Malformed("freshdesk: the body needs a 'freshdesk_webhook' object (see README, Help-desk intake)")
    text = plain_text(ticket.get("ticket_subject"), ticket.get("ticket_description"))
    return _inquiry(
        "freshdesk",
        merchant_id,
        _ticket_id(ticket.get("ticket_id"), "freshdesk"),
        _created(ticket.get("ticket_created_at"), "freshdesk", ticket.get("helpdesk_time_zone")),
        channel_of(ticket.get("ticket_source")),
        _order_field(ticket.get("ticket_order_id")),
        topic_of(ticket.get("ticket_topic"), ticket.get("ticket_tags")),
        text,
    )


def _generic(payload: dict[str, Any], merchant_id: str) -> Inquiry:
    if payload.get("type") != "inquiry.received":
        raise Malformed("the generic help-desk webhook takes one contract event of type 'inquiry.received'")
    if payload.get("merchant_id") not in (None, merchant_id):
        raise Malformed(f"merchant_id: this sender speaks for {merchant_id} only")
    return Inquiry({**payload, "merchant_id": merchant_id}, "event")


def adapt(source: str, payload: Any, merchant_id: str) -> Inquiry:
    """A verified, decoded body → one validated ``inquiry.received`` event (``Malformed`` if not)."""
    if source not in SOURCES:
        raise UnknownSource(f"unknown help-desk source {source[:40]!r}")
    if not isinstance(payload, dict):
        raise Malformed("the body must be a JSON object")
    adapter = {"zendesk": _zendesk, "freshdesk": _freshdesk, "generic": _generic}[source]
    inquiry = adapter(payload, merchant_id)
    try:
        parse_event(inquiry.event)
    except ValidationError as exc:
        raise Malformed(first_problem(exc)) from None
    return inquiry


def receive(
    source: str,
    merchant_id: str,
    secret: str | None,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
    tolerance: timedelta,
) -> Inquiry:
    """Authenticate, decode and adapt one help-desk delivery. Raises a ``WebhookError`` with its
    HTTP status: 404 unknown source, 413/400 too large or deep, 400 a bad merchant id, 401 no secret
    or a bad signature or stale timestamp, 400 a body that is not a usable ticket."""
    if source not in SOURCES:
        raise UnknownSource(f"unknown help-desk source {source[:40]!r}")
    problem = body_problem(body)
    if problem is not None:
        raise (TooLarge if "bytes" in problem else Malformed)(problem)
    if (bad := merchant_problem(merchant_id)) is not None:
        raise Malformed(bad)
    if not secret:
        raise Unauthorized(f"no secret is configured for {source} of merchant {merchant_id}")
    verify(source, secret, body, headers, now, tolerance)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not JSON") from None
    return adapt(source, payload, merchant_id)
