"""Rendering notices from the jinja2 templates in ``templates/notices`` (a Lambda layer in AWS).

A kind's template renders the plain-text body and exports ``subject`` and ``sms``; the HTML
e-mail is the same paragraphs in the shared, autoescaped ``layout.html.j2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_interval
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from delaydesk.config import Settings
from delaydesk.merchants import SUPPORTED_LOCALES, Merchant
from delaydesk.notices import NoticeRequest
from delaydesk.orders import Order
from delaydesk.times import parse_instant

TRACKING_URLS = {
    "sf": "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
    "ems": "https://www.ems.com.cn/qps/yjcx?mailNum={number}",
    "yto": "https://www.yto.net.cn/gw/service/Servicequery.html?no={number}",
    "zto": "https://www.zto.com/GuestService/Bill?txtbill={number}",
    "jd": "https://www.jdl.com/orderSearch/?waybillCodes={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
}
GENERIC_TRACKING_URL = "https://t.17track.net/en#nums={number}"


@dataclass(frozen=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str
    sms: str


def pick_locale(requested: str | None, merchant: Merchant | None) -> str:
    """The customer's locale if we have templates for it, else the merchant's default, else en."""
    if requested:
        for candidate in (requested, requested.replace("_", "-")):
            if candidate in SUPPORTED_LOCALES:
                return candidate
        lowered = requested.lower().replace("_", "-")
        if lowered in ("zh-hk", "zh-mo", "zh-hant"):
            return "zh-TW"
        if lowered in ("zh", "zh-sg", "zh-hans"):
            return "zh-CN"
        if lowered.startswith("en"):
            return "en"
    if merchant and merchant.default_locale in SUPPORTED_LOCALES:
        return merchant.default_locale
    return "en"


def tracking_url(carrier: str, number: str) -> str:
    pattern = TRACKING_URLS.get(carrier.strip().lower(), GENERIC_TRACKING_URL)
    return pattern.format(number=quote(number))


@lru_cache(maxsize=4)
def environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


def _babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


def notice_context(
    request: NoticeRequest, order: Order, merchant: Merchant | None, locale: str, settings: Settings
) -> dict[str, Any]:
    """Everything a template may use, already formatted for the locale and time zone."""
    zone = ZoneInfo(order.customer.timezone or (merchant.timezone if merchant else "UTC"))
    babel = _babel_locale(locale)

    def when(moment: datetime) -> str:
        return format_datetime(moment.astimezone(zone), format="medium", locale=babel)

    def span(start: date, end: date) -> str:
        return format_interval(start, end, skeleton="yMMMd", locale=babel)

    shipment = order.shipment
    support = merchant.support if merchant else None
    page = merchant.settings.order_page_url if merchant and merchant.settings.order_page_url else None
    order_url = (
        page.format(order_id=quote(order.order_id))
        if page
        else f"{settings.order_page_base_url.rstrip('/')}/{quote(order.order_id)}"
    )
    amount: Decimal = order.value.amount
    return {
        "order_id": order.order_id,
        "customer_name": order.customer.name,
        "merchant_name": merchant.name if merchant else order.merchant_id,
        "kind": request.kind.value,
        "delay_kind": request.delay_kind.value,
        "stage": request.stage,
        "rule": request.rule,
        "reason": request.reason,
        "estimate": span(request.eta_from, request.eta_to),
        "paid_at": when(order.paid_at),
        "ship_by": when(order.ship_by_at),
        "delay_started": when(request.delay_started_at),
        "carrier": shipment.carrier if shipment else None,
        "tracking_number": shipment.tracking_number if shipment else None,
        "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number) if shipment else None,
        "last_location": shipment.last_location if shipment else None,
        "last_scan": when(shipment.last_scan_at) if shipment else None,
        "order_url": order_url,
        "order_value": format_currency(amount, order.value.currency, locale=babel),
        "items": [f"{item.name} × {item.quantity}" for item in order.items],
        "support_email": support.email if support else None,
        "support_phone": support.phone if support else None,
        **_policy_context(request, when),
    }


_TIMER_KINDS = ("ship_by", "refund_confirm", "return_receipt", "return_window", "auto_confirm")


def _policy_context(request: NoticeRequest, when: Any) -> dict[str, Any]:
    """What the policy notices (announcement, refund, cancellation) add: the changed deadlines."""
    details = request.details

    def moment(key: str) -> str | None:
        return when(parse_instant(details[key])) if key in details else None

    return {
        "window_id": request.window_id,
        "changes": [(kind, when(parse_instant(details[kind]))) for kind in _TIMER_KINDS if kind in details],
        "shipped_on": moment("shipped_at"),
        "return_until": moment("return_until"),
        "promised_by": moment("promised_by"),
    }


def render(request: NoticeRequest, order: Order, merchant: Merchant | None, settings: Settings) -> Rendered:
    locale = pick_locale(order.customer.locale, merchant)
    context = notice_context(request, order, merchant, locale, settings)
    env = environment(settings.resolved_templates_dir)
    module = env.get_template(f"{locale}/{request.kind.value}.txt.j2").make_module(context)
    text = str(module).strip() + "\n"
    exported = module.__dict__  # the template's top-level {% set %} blocks
    subject = " ".join(str(exported["subject"]).split())
    sms = " ".join(str(exported["sms"]).split())
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    html = env.get_template("layout.html.j2").render(
        context, subject=subject, paragraphs=[p.split("\n") for p in paragraphs], locale=locale
    )
    return Rendered(locale=locale, subject=subject, text=text, html=html, sms=sms)
