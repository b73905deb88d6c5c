"""WISMO ("where is my order?") answers for a chatbot or an IM robot (pure).

A robot asks ``POST /answers/wismo`` with an order number and what the buyer gave it: the
e-mail address or phone number of the order, or the signed token of the order's link. When they
belong together it gets a short answer in the buyer's language: the status in words, the
estimate and the order page link. Otherwise (a wrong pair, an unknown order, another merchant's
order) it gets the *neutral* answer, which has the same shape and status code, so that nobody can
learn which order numbers exist (``wismo_api.py`` also does the same reads either way).

E-mail addresses are compared case-insensitively and trimmed; phone numbers in E.164, a national
number being read in the order's destination country (``138 0013 8000`` for CN is
``+8613800138000``). Comparisons are constant-time.
"""

from __future__ import annotations

import hmac
import re
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.core.record import Check, FrozenRecord, Meta

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CALLING_CODES = {
    "CN": "86", "TW": "886", "HK": "852", "MO": "853", "SG": "65", "MY": "60", "JP": "81", "KR": "82",
    "US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "AU": "61", "NZ": "64", "NL": "31",
}  # fmt: skip
"""Countries whose national numbers (trunk prefix 0 dropped) are read without a ``+``."""
_SEPARATORS = re.compile(r"[\s\-().\u00a0\u3000]")


_MERCHANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _plain_text(value: str) -> str:
    """Surrounding blanks dropped; no control characters, no lone surrogates."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("control characters and lone surrogates are not allowed")
    return value.strip()


def _merchant_id(value: str) -> str:
    value = value.strip()
    if not _MERCHANT_ID.fullmatch(value):
        raise ValueError("must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


class WismoQuestion(FrozenRecord, forbid_unknown_fields=True):
    """The robot's request body. Every field bounded; no control characters, no lone surrogates
    (surrounding blanks dropped)."""

    merchant_id: Annotated[str, Meta(max_length=256), Check(_merchant_id)]
    """The shop the robot answers for (an order of another shop gets the neutral answer)."""
    order_number: Annotated[str, Meta(min_length=1, max_length=64), Check(_plain_text), Check(_not_blank)]
    email: Annotated[str, Meta(max_length=254), Check(_plain_text)] | None = None
    phone: Annotated[str, Meta(max_length=32), Check(_plain_text)] | None = None
    token: Annotated[str, Meta(max_length=64), Check(_plain_text)] | None = None
    """The ``t`` of the order page link, instead of a contact."""
    locale: Annotated[str, Meta(max_length=35), Check(_plain_text)] | None = None

    def _valid(self) -> None:
        if not (self.email or self.phone or self.token):
            raise ValueError("give the buyer's email or phone, or the token of the order's link")


def normalise_email(raw: str | None) -> str | None:
    if not raw:
        return None
    value = raw.strip().lower()
    return value if EMAIL.match(value) else None


def normalise_phone(raw: str | None, country: str | None) -> str | None:
    """E.164, or None when it cannot be one. ``00`` stands for ``+``; a national number is read in
    ``country`` (its trunk ``0`` dropped)."""
    if not raw:
        return None
    value = _SEPARATORS.sub("", raw.strip())
    if value.startswith("00"):
        value = "+" + value[2:]
    if not value.startswith("+"):
        code = CALLING_CODES.get(country or "")
        if code is None or not value.isdigit():
            return None
        value = "+" + code + value.lstrip("0")
    return value if E164.match(value) else None


def _same(given: str | None, known: str | None) -> bool:
    # Always one comparison, whatever is missing, so that the work does not depend on the order.
    return hmac.compare_digest((given or "\x00given").encode(), (known or "\x00known").encode()) and bool(given)


def matches(question: WismoQuestion, order: Order | None, merchant_id: str, token_ok: bool) -> bool:
    """Whether the question proves it is about ``order``: the order is the merchant's and the
    e-mail, the phone or the link token is the order's."""
    customer = order.customer if order else None
    country = order.destination.country if order else None
    email = _same(normalise_email(question.email), normalise_email(customer.email if customer else None))
    phone = _same(normalise_phone(question.phone, country), customer.phone if customer else None)
    return order is not None and order.merchant_id == merchant_id and (email or phone or token_ok)


# ---------------------------------------------------------------- words

_BABEL = {"zh-CN": "zh_Hans_CN", "zh-TW": "zh_Hant_TW", "en": "en"}

WORDS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "paid": "已付款，待发货",
        "late": "发货延迟，我们正在尽快安排",
        "shipped": "已发货，运输中",
        "delayed": "运输延误",
        "delivered": "已签收",
        "cancelled": "已取消",
        "refunded": "已退款",
        "order": "订单 {order}：{status}。",
        "ships_by": "预计 {date} 前发货。",
        "estimate": "预计送达：{start}至{end}。",
        "link": "查看订单：{link}",
        "neutral": "抱歉，无法核实订单号 {order} 与联系方式。请核对后重试，或联系客服{support}。",
        "flood": "查询过于频繁，请 {minutes} 分钟后再试，或联系客服{support}。",
    },
    "zh-TW": {
        "paid": "已付款，待出貨",
        "late": "出貨延遲，我們正在盡快安排",
        "shipped": "已出貨，運送中",
        "delayed": "運送延誤",
        "delivered": "已簽收",
        "cancelled": "已取消",
        "refunded": "已退款",
        "order": "訂單 {order}：{status}。",
        "ships_by": "預計 {date} 前出貨。",
        "estimate": "預計送達：{start}至{end}。",
        "link": "查看訂單：{link}",
        "neutral": "抱歉，無法核實訂單編號 {order} 與聯絡方式。請核對後重試，或聯絡客服{support}。",
        "flood": "查詢過於頻繁，請 {minutes} 分鐘後再試，或聯絡客服{support}。",
    },
    "en": {
        "paid": "paid, waiting to ship",
        "late": "late to ship; we are working on it",
        "shipped": "shipped, on its way",
        "delayed": "delayed in transit",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "refunded": "refunded",
        "order": "Order {order}: {status}.",
        "ships_by": "It should ship by {date}.",
        "estimate": "Estimated delivery: {start} to {end}.",
        "link": "Details: {link}",
        "neutral": "Sorry, we could not match order {order} with these contact details. Please check them "
        "and try again, or contact support{support}.",
        "flood": "Too many questions: please try again in {minutes} min, or contact support{support}.",
    },
}


def status_key(order: Order, now: datetime) -> str:
    if order.status == OrderStatus.PAID:
        return "late" if order.delay is not None or now >= order.ship_by_at else "paid"
    if order.status == OrderStatus.SHIPPED:
        return "delayed" if order.delay is not None else "shipped"
    if order.status == OrderStatus.COMPLETED:
        return "delivered"
    return order.status.value


def _date(day: date, locale: str) -> str:
    from babel.dates import format_skeleton  # Babel where an answer is written, not at import (cold start)

    return str(format_skeleton("MMMd", day, locale=_BABEL[locale]))


def _support(merchant: Merchant | None, locale: str) -> str:
    contact = merchant.support.email or merchant.support.phone or merchant.support.url if merchant else None
    if not contact:
        return ""
    return f"（{contact}）" if locale != "en" else f" ({contact})"


def answer(
    order: Order,
    locale: str,
    zone: ZoneInfo,
    estimate: tuple[date, date] | None,
    link: str,
    now: datetime,
) -> dict[str, Any]:
    """The answer for a matched question: the status in words, the estimate, the link."""
    words = WORDS[locale]
    key = status_key(order, now)
    parts = [words["order"].format(order=order.order_id, status=words[key])]
    ships_by = order.ship_by_at.astimezone(zone).date() if key == "paid" else None
    if ships_by is not None:
        parts.append(words["ships_by"].format(date=_date(ships_by, locale)))
    if estimate is not None:
        parts.append(words["estimate"].format(start=_date(estimate[0], locale), end=_date(estimate[1], locale)))
    parts.append(words["link"].format(link=link))
    return {
        "matched": True,
        "locale": locale,
        "order_number": order.order_id,
        "status": key,
        "text": ("" if locale != "en" else " ").join(parts),
        "ships_by": ships_by.isoformat() if ships_by else None,
        "estimate": {"from": estimate[0].isoformat(), "to": estimate[1].isoformat()} if estimate else None,
        "link": link,
    }


def neutral(
    order_number: str, merchant: Merchant | None, locale: str, retry_after: int | None = None
) -> dict[str, Any]:
    """The same answer for a wrong pair, an unknown order and a flood (only the words differ for a
    flood, whose 429 says so anyway)."""
    words = WORDS[locale]
    support = _support(merchant, locale)
    if retry_after is None:
        text = words["neutral"].format(order=order_number, support=support)
    else:
        text = words["flood"].format(minutes=max(1, -(-retry_after // 60)), support=support)
    return {
        "matched": False,
        "locale": locale,
        "order_number": order_number,
        "status": None,
        "text": text,
        "ships_by": None,
        "estimate": None,
        "link": None,
    }
