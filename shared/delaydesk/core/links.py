"""Signed customer links: the order page and the unsubscribe link in every notice.

A customer is not an AWS principal, so the links a notice carries are capabilities: the order id
plus ``t``, an HMAC-SHA256 of the order id under the deployment's order-link key, cut to 12
base64url characters (72 bits). That is short enough to keep a CJK SMS within two segments and far
beyond online guessing. Each purpose (page, unsubscribe) has its own token, so a forwarded
unsubscribe link does not open the order page. Checks are constant-time.

An SMS carries a **short link** instead, ``{base}/o/CODE``: ``CODE`` is 11 base62 characters
(65 bits) derived by HMAC from the order id under the same key (its own purpose, so a code is no
token), and stored (``store.short_links``: code → order, expiring) by the first SMS that carries it.
Derived, the same order always gets the same code, so a redelivered notice writes the same item
and no read is needed before the write; stored, the route needs no key to find the order, and a
code stays valid when the key is rotated (until it expires).

The key is an SSM SecureString (``OrderLinkKeyParameter`` in template.yaml), read through the
powertools parameters utility and cached for five minutes. Everything else here is pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import string
from enum import StrEnum
from urllib.parse import quote, urlencode

from delaydesk.core.config import Settings

TOKEN_CHARS = 12

SHORT_CODE_CHARS = 11
"""62**11 > 2**65: over 64 bits, so codes can neither be guessed nor enumerated."""
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SHORT_CODE = re.compile(f"[0-9A-Za-z]{{{SHORT_CODE_CHARS}}}")


class Purpose(StrEnum):
    ORDER_PAGE = "order"
    UNSUBSCRIBE = "unsubscribe"
    SHORT_LINK = "short"


class LinkKeyMissing(RuntimeError):
    """The order-link key is not in SSM: notices cannot carry working links, so none is sent."""


def token(key: bytes, purpose: Purpose, order_id: str) -> str:
    digest = hmac.new(key, f"{purpose.value}:{order_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:TOKEN_CHARS]


def verify(key: bytes, purpose: Purpose, order_id: str, given: str | None) -> bool:
    """Whether ``given`` is the token, in constant time. Anything that is not ASCII cannot be one
    (tokens are base64url), and ``compare_digest`` refuses non-ASCII strings with a TypeError: such
    input (``?t=%C3%A9``, a lone surrogate) is a wrong token, not an error."""
    if not given or not str(given).isascii():
        return False
    return hmac.compare_digest(token(key, purpose, order_id).encode("ascii"), str(given).encode("ascii"))


def order_url(base: str, template: str | None, order_id: str, key: bytes) -> str:
    """The order page link of a notice.

    ``template`` is a merchant's own page (``settings.order_page_url`` with ``{order_id}`` and
    optionally ``{token}``); without one, DelayDesk's page at ``base``/ORDER_ID?t=TOKEN.
    """
    signed = token(key, Purpose.ORDER_PAGE, order_id)
    if template:
        return template.format(order_id=quote(order_id), token=signed)
    return f"{base.rstrip('/')}/{quote(order_id)}?t={signed}"


def short_code(key: bytes, order_id: str) -> str:
    """The order's short-link code: its HMAC read as a number, in 11 base62 digits."""
    digest = hmac.new(key, f"{Purpose.SHORT_LINK.value}:{order_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big") % len(BASE62) ** SHORT_CODE_CHARS
    digits = []
    for _ in range(SHORT_CODE_CHARS):
        number, digit = divmod(number, len(BASE62))
        digits.append(BASE62[digit])
    return "".join(reversed(digits))


def is_short_code(value: str | None) -> bool:
    """Whether ``value`` can be a code at all (checked before any read: anything else is refused)."""
    return value is not None and _SHORT_CODE.fullmatch(value) is not None


def short_url(base: str, code: str) -> str:
    """The short link of an SMS: ``base`` is the custom domain (``ShortLinkDomain``) or the API's stage."""
    return f"{base.rstrip('/')}/o/{code}"


def unsubscribe_url(base: str, order_id: str, merchant_id: str, key: bytes) -> str:
    query = urlencode({"order": order_id, "merchant": merchant_id, "t": token(key, Purpose.UNSUBSCRIBE, order_id)})
    return f"{base}?{query}"


def signing_key(settings: Settings) -> bytes:
    """The deployment's order-link key (SSM SecureString, cached five minutes per container)."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(settings.order_link_key_parameter, decrypt=True, max_age=300)
    except parameters.exceptions.GetParameterError as exc:
        raise LinkKeyMissing(
            f"the order-link key {settings.order_link_key_parameter} is not in SSM (see README, Deploying)"
        ) from exc
    if not value:
        raise LinkKeyMissing(f"the order-link key {settings.order_link_key_parameter} is empty")
    return str(value).encode("utf-8")
