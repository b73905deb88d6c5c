"""Masking customers' data (pure): what an operator's record or a log line may keep of an input.

An e-mail keeps its first character and its domain (``a***@example.com``), a phone its last
two digits (``+*********34``); names, addresses and free text about a person are replaced by
``***``. Everything else (ids, times, statuses, carriers) is kept, so a record still says what
went wrong.
"""

from __future__ import annotations

import json
import re
from typing import Any

from delaydesk.core.fields import MAX_DEPTH, body_problem

MASK = "***"
PERSONAL_KEYS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "full_name",
        "contact_name",
        "customer_name",
        "address",
        "address1",
        "address2",
        "street",
        "street1",
        "street2",
        "line1",
        "line2",
        "address_line_1",
        "address_line_2",
        "zip",
        "postal_code",
        "company",
        "signed_by",
        "recipient",
        "receiver",
        "phone",
        "mobile",
        "tel",
        "telephone",
    }
)
"""Keys whose value is personal wherever they appear (an item's ``name`` is masked too: a product
name rarely matters to an operator and sometimes names a person)."""

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]"
_EMAIL = re.compile(rf"({_ATOM}){_ATOM}*@([A-Za-z0-9.-]+\.[A-Za-z]{{2,}})")
"""An address: the RFC 5322 dot-atom local part (masked but its first character), the domain kept."""
_PHONE = re.compile(r"\+\d[\d \-().]{5,}\d|(?<!\d)1[3-9]\d{9}(?!\d)")
"""An international number (``+`` first) or a mainland mobile number (11 digits, ``1[3-9]``); other
digit runs (tracking numbers, timestamps) are kept."""


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < 7:
        return match.group(0)
    return ("+" if match.group(0).startswith("+") else "") + "*" * (len(digits) - 2) + digits[-2:]


def mask_text(text: str) -> str:
    """E-mail addresses and phone numbers in free text, masked (and lone surrogates replaced)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _PHONE.sub(_phone, _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text))


def mask_value(value: Any, key: str | None = None, level: int = 0) -> Any:
    if key is not None and key.lower() in PERSONAL_KEYS and value not in (None, ""):
        return MASK
    if level > MAX_DEPTH:
        return MASK
    if isinstance(value, dict):
        return {mask_text(str(k)): mask_value(v, str(k), level + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, key, level + 1) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_body(body: str) -> str:
    """A message body with its personal data masked (JSON keeps its shape; anything else is text)."""
    if body_problem(body) is None:
        try:
            data = json.loads(body)
        except ValueError:
            pass
        else:
            return json.dumps(mask_value(data), ensure_ascii=False)
    return mask_text(body[:4096].encode("utf-8", "replace").decode("utf-8"))
