"""Field types that every input is validated with at the edge (pure): bounded, printable, well-formed.

One place for the limits (README, "Validation limits"): an input outside them is refused with
the field and the reason (a 4xx answer or a ``rejected`` entry), never a 500 and never a retry.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from delaydesk.core.record import Check, Meta

MAX_BODY_BYTES = 64 * 1024
"""A queue message or webhook body (SQS itself takes 256 KiB; no real event is near 64 KiB)."""
MAX_DEPTH = 16
"""JSON nesting: the deepest contract event is 3 levels, a vendor payload about 8."""
MAX_ID = 128
MAX_NAME = 200
MAX_TEXT = 2000
MAX_ITEMS = 200
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\r\n]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(value: str) -> str:
    """No lone surrogates, no control characters (tabs and line breaks allowed)."""
    if _SURROGATE.search(value):
        raise ValueError("contains a lone surrogate (not valid Unicode text)")
    if _CONTROL.search(value):
        raise ValueError("contains a control character")
    return value


def one_line(value: str) -> str:
    """``printable`` and no CR/LF: safe in a header, a subject, a log line, a key."""
    printable(value)
    if _LINE_BREAK.search(value) or "\t" in value:
        raise ValueError("contains a line break or tab")
    return value


def iana_zone(value: str) -> str:
    """An IANA time zone name (``Asia/Shanghai``), as the zone database knows it."""
    one_line(value)
    if value not in _zones():
        raise ValueError(f"{value[:64]!r} is not an IANA time zone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value[:64]!r} is not an IANA time zone") from None
    return value


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


def in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year}")
    return moment


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"
Id = Annotated[str, Meta(min_length=1, max_length=MAX_ID), Check(one_line)]
Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME), Check(one_line)]
Text = Annotated[str, Meta(max_length=MAX_TEXT), Check(printable)]
Email = Annotated[
    str,
    Meta(
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
    ),
]
"""An e-mail address: the RFC 5321 dot-atom local part and a DNS host name (no quoting, no IP)."""
Phone = Annotated[str, Meta(pattern=r"^\+[1-9]\d{6,14}$")]
"""E.164."""
Zone = Annotated[str, Meta(max_length=64), Check(iana_zone)]
Locale = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")]
"""A BCP 47 language tag (``zh-CN``, ``en``)."""


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests (iteratively: a hostile depth cannot overflow the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def body_problem(body: str | bytes) -> str | None:
    """Why a JSON body cannot be read safely (too large, too deep), before it is parsed."""
    size = len(body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body)
    if size > MAX_BODY_BYTES:
        return f"(body): {size} bytes, more than the {MAX_BODY_BYTES} allowed"
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    # Count brackets outside strings: bounded work, no recursion, before json.loads recurses.
    level = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif char in "]}":
            level -= 1
    if deepest > MAX_DEPTH:
        return f"(body): nested {deepest} levels deep, more than the {MAX_DEPTH} allowed"
    return None


def loads(body: str | bytes) -> Any:
    """``json.loads`` after ``body_problem`` said nothing (raises ValueError with the reason)."""
    problem = body_problem(body)
    if problem:
        raise ValueError(problem)
    return json.loads(body)


def at_least_zero(value: Decimal) -> Decimal:
    """A finite amount, 0 or more (msgspec's bounds do not apply to decimals)."""
    if not value.is_finite() or value < 0:
        raise ValueError("must be greater than or equal to 0")
    return value


def above_zero(value: Decimal) -> Decimal:
    """A finite amount, more than 0."""
    if not value.is_finite() or value <= 0:
        raise ValueError("must be greater than 0")
    return value
