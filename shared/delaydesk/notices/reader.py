"""How a customer reads what DelayDesk tells them (pure): their locale, their zone, an instant in
both, a carrier's tracking link. Apart from ``rendering``, which uses them: the WISMO answers and
the order page render no notice, and importing ``rendering`` (with the SMS measure) for these cost
them its classes at every cold start (``benchmarks/cold_start.py``). Babel is imported where an
instant is formatted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from delaydesk.core.merchants import SUPPORTED_LOCALES

if TYPE_CHECKING:
    from delaydesk.core.merchants import Merchant
    from delaydesk.core.orders import Order

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


def babel_locale(locale: str) -> str:
    return locale.replace("-", "_")


def customer_zone(order: Order, merchant: Merchant | None) -> str:
    """The zone a customer reads times in: their own, else the merchant's, else UTC."""
    return order.customer.timezone or (merchant.timezone if merchant else "UTC")


def instant_formatter(zone: str, locale: str, form: str = "medium") -> Callable[[datetime], str]:
    """An instant as the customer reads it: their zone, the locale's medium (or ``short``, for an
    SMS: no seconds) date and time."""
    from babel.dates import format_datetime

    tz, babel = ZoneInfo(zone), babel_locale(locale)

    def when(moment: datetime) -> str:
        return format_datetime(moment.astimezone(tz), format=form, locale=babel)

    return when
