"""The storefront delay banner: the shop-wide message while a disruption affects shipping (pure).

A merchant's shop embeds ``banner.js``, which asks ``GET /banner/{merchant}?locale=`` and shows
what this module decides: one message per disruption in force for the merchant (its own windows
and the platform's), saying what is affected (the carriers, the destination regions) and the new
shipping times (ship-by suspended until the window ends, or extended by N hours), in the visitor's
locale. Nothing in force: no messages, and the script renders nothing.

The banner is built from :class:`Announcement`, not from windows directly: a window becomes one
with :func:`from_window`. An early-warning alert confirmed by an operator (being built in
``operations``) will become one the same way, as a second source, without changing the rest.

The answer is public and cacheable: it depends on the merchant, the locale and the announcements
only (never on a customer), and its ETag is a hash of its bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from delaydesk.core.merchants import SUPPORTED_LOCALES, Merchant
from delaydesk.core.windows import ExtendShipBy, Window, WindowRules

Source = Literal["window", "alert"]

CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
"""A changed window reaches shops within a minute; a cache may serve the old answer five more
minutes while it asks again (the banner is informative: a minute late is harmless)."""

MAX_MESSAGES = 3


class Announcement(msgspec.Struct, frozen=True):
    """Something that affects shipping for a merchant's customers, in force from ``starts_at`` to
    ``ends_at``: what the banner is made of, whatever its source."""

    source: Source
    source_id: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    regions: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    ship_by: Literal["suspend"] | int | None = None
    """``"suspend"``: orders ship after ``ends_at``; N: ship-by extended by N hours; None: unchanged."""
    title: str | None = None

    def in_force(self, now: datetime) -> bool:
        return self.starts_at <= now <= self.ends_at


def affects_shipping(window: Window) -> bool:
    """Whether a window is news for a shop's visitors: it changes the ship-by promise, names the
    carriers or regions it hits, or changes no deadline at all (a plain announcement). A window
    that only changes after-sale timeouts (auto-confirm, refund and return days) is not."""
    rules = window.rules
    return rules.ship_by is not None or bool(window.scope.regions or window.scope.carriers) or rules == WindowRules()


def from_window(window: Window) -> Announcement:
    rule = window.rules.ship_by
    return Announcement(
        source="window",
        source_id=window.window_id,
        reason=window.reason.value,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        regions=tuple(window.scope.regions),
        carriers=tuple(window.scope.carriers),
        ship_by=rule.extend_hours if isinstance(rule, ExtendShipBy) else rule,
        title=window.title,
    )


# ---------------------------------------------------------------- locale

_LANGUAGE_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$"
)


def supported(tag: str | None) -> str | None:
    """The supported locale a language tag stands for (zh-Hant, zh-HK → zh-TW; zh, zh-SG → zh-CN)."""
    if not tag:
        return None
    lowered = tag.strip().lower().replace("_", "-")
    for locale in SUPPORTED_LOCALES:
        if lowered == locale.lower():
            return locale
    if lowered.startswith(("zh-hant", "zh-hk", "zh-mo")):
        return "zh-TW"
    if lowered == "zh" or lowered.startswith(("zh-hans", "zh-sg", "zh-cn")):
        return "zh-CN"
    if lowered == "en" or lowered.startswith("en-"):
        return "en"
    return None


def negotiate(param: str | None, accept_language: str | None, default: str) -> str:
    """The visitor's locale: the ``locale`` parameter, else the best Accept-Language range we
    support (RFC 9110 q-values; malformed ranges are skipped), else the merchant's default."""
    if (chosen := supported(param)) is not None:
        return chosen
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:512].split(",")[:32]):
        match = _LANGUAGE_RANGE.match(part)
        if match is None:
            continue
        quality = float(match.group(2)) if match.group(2) else 1.0
        if quality > 0:
            ranges.append((-quality, position, match.group(1)))
    for _, _, tag in sorted(ranges):
        if (chosen := supported(tag)) is not None:
            return chosen
    return default if default in SUPPORTED_LOCALES else "en"


# ---------------------------------------------------------------- words

_REASONS: dict[str, tuple[str, str, str]] = {
    "public_health": ("疫情防控", "疫情防控", "public health measures"),
    "natural_disaster": ("自然灾害", "自然災害", "a natural disaster"),
    "extreme_weather": ("极端天气", "極端天氣", "extreme weather"),
    "holiday": ("节假日", "節假日", "the holidays"),
    "logistics_halt": ("物流停运", "物流停運", "a halt in logistics"),
    "customs": ("海关查验", "海關查驗", "customs checks"),
    "social_event": ("大型活动", "大型活動", "a major event"),
    "technical_failure": ("系统故障", "系統故障", "a technical failure"),
}

# ISO 3166-2:CN subdivisions (and the places the countries' names would make political).
_REGIONS: dict[str, tuple[str, str, str]] = {
    "CN-AH": ("安徽", "安徽", "Anhui"),
    "CN-BJ": ("北京", "北京", "Beijing"),
    "CN-CQ": ("重庆", "重慶", "Chongqing"),
    "CN-FJ": ("福建", "福建", "Fujian"),
    "CN-GD": ("广东", "廣東", "Guangdong"),
    "CN-GS": ("甘肃", "甘肅", "Gansu"),
    "CN-GX": ("广西", "廣西", "Guangxi"),
    "CN-GZ": ("贵州", "貴州", "Guizhou"),
    "CN-HA": ("河南", "河南", "Henan"),
    "CN-HB": ("湖北", "湖北", "Hubei"),
    "CN-HE": ("河北", "河北", "Hebei"),
    "CN-HI": ("海南", "海南", "Hainan"),
    "CN-HL": ("黑龙江", "黑龍江", "Heilongjiang"),
    "CN-HN": ("湖南", "湖南", "Hunan"),
    "CN-JL": ("吉林", "吉林", "Jilin"),
    "CN-JS": ("江苏", "江蘇", "Jiangsu"),
    "CN-JX": ("江西", "江西", "Jiangxi"),
    "CN-LN": ("辽宁", "遼寧", "Liaoning"),
    "CN-NM": ("内蒙古", "內蒙古", "Inner Mongolia"),
    "CN-NX": ("宁夏", "寧夏", "Ningxia"),
    "CN-QH": ("青海", "青海", "Qinghai"),
    "CN-SC": ("四川", "四川", "Sichuan"),
    "CN-SD": ("山东", "山東", "Shandong"),
    "CN-SH": ("上海", "上海", "Shanghai"),
    "CN-SN": ("陕西", "陝西", "Shaanxi"),
    "CN-SX": ("山西", "山西", "Shanxi"),
    "CN-TJ": ("天津", "天津", "Tianjin"),
    "CN-XJ": ("新疆", "新疆", "Xinjiang"),
    "CN-XZ": ("西藏", "西藏", "Tibet"),
    "CN-YN": ("云南", "雲南", "Yunnan"),
    "CN-ZJ": ("浙江", "浙江", "Zhejiang"),
    "TW": ("台湾", "台灣", "Taiwan"),
    "HK": ("香港", "香港", "Hong Kong"),
    "MO": ("澳门", "澳門", "Macao"),
    "CN-HK": ("香港", "香港", "Hong Kong"),
    "CN-MO": ("澳门", "澳門", "Macao"),
    "CN-TW": ("台湾", "台灣", "Taiwan"),
}

_INDEX = {locale: i for i, locale in enumerate(SUPPORTED_LOCALES)}
_BABEL = {"zh-CN": "zh_Hans_CN", "zh-TW": "zh_Hant_TW", "en": "en"}


def region_name(code: str, locale: str) -> str:
    """A region (ISO 3166-2) or country (ISO 3166-1) in words; an unknown code as it is."""
    if code in _REGIONS:
        return _REGIONS[code][_INDEX[locale]]
    if len(code) == 2:
        from babel import Locale  # Babel where a banner is written, not at import (cold start)

        return str(Locale.parse(_BABEL[locale]).territories.get(code, code))
    return code


def _join(names: list[str], locale: str) -> str:
    if locale != "en":
        return "、".join(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _day(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    from babel.dates import format_skeleton

    return str(format_skeleton("MMMd", moment.astimezone(zone), locale=_BABEL[locale]))


def _text(item: Announcement, zone: ZoneInfo, locale: str) -> str:
    reason = _REASONS.get(item.reason, ("", "", ""))[_INDEX[locale]] or item.reason
    until = _day(item.ends_at, zone, locale)
    regions = _join([region_name(r, locale) for r in item.regions], locale) if item.regions else ""
    carriers = _join(list(item.carriers), locale) if item.carriers else ""
    if locale == "en":
        scope = (f" to {regions}" if regions else "") + (f" with {carriers}" if carriers else "")
        head = f"Shipping{scope} is affected by {reason} until {until}."
        if item.ship_by == "suspend":
            tail = f" Orders placed until then ship after {until}."
        elif isinstance(item.ship_by, int):
            tail = f" Orders ship up to {item.ship_by} hours later than usual."
        else:
            tail = " Deliveries may take longer than usual."
        return head + tail
    simplified = locale == "zh-CN"
    scope = (f"发往{regions}" if simplified else f"發往{regions}") if regions else ""
    if carriers:
        scope += (f"经{carriers}" if simplified else f"經{carriers}") + "配送"
    order_word = "的订单" if simplified else "的訂單"
    affected = "影响" if simplified else "影響"
    head = f"受{reason}{affected}，{until}前{scope}{order_word}"
    if item.ship_by == "suspend":
        tail = f"将于{until}后发货。" if simplified else f"將於{until}後出貨。"
    elif isinstance(item.ship_by, int):
        tail = f"发货时间延长{item.ship_by}小时。" if simplified else f"出貨時間延長{item.ship_by}小時。"
    else:
        tail = "配送时间可能比平时长。" if simplified else "配送時間可能比平時長。"
    return head + tail


LABELS = {
    "zh-CN": {"label": "发货通知", "dismiss": "关闭通知"},
    "zh-TW": {"label": "出貨通知", "dismiss": "關閉通知"},
    "en": {"label": "Shipping notice", "dismiss": "Dismiss notice"},
}


def content(merchant: Merchant, announcements: list[Announcement], now: datetime, locale: str) -> dict[str, Any]:
    """The banner's answer: the announcements in force now, newest first (at most three), each
    with its text in ``locale`` (dates on the merchant's clock). ``messages`` empty: no banner."""
    zone = ZoneInfo(merchant.timezone)
    live = sorted((a for a in announcements if a.in_force(now)), key=lambda a: (a.starts_at, a.source_id), reverse=True)
    messages = [
        {
            "id": f"{item.source}:{item.source_id}",
            "source": item.source,
            "reason": item.reason,
            "text": _text(item, zone, locale),
            "starts_at": item.starts_at.isoformat(),
            "ends_at": item.ends_at.isoformat(),
            "scope": {"regions": list(item.regions), "carriers": list(item.carriers)},
            "ship_by": {"suspended": True}
            if item.ship_by == "suspend"
            else {"extend_hours": item.ship_by}
            if isinstance(item.ship_by, int)
            else None,
        }
        for item in live[:MAX_MESSAGES]
    ]
    return {
        "merchant_id": merchant.merchant_id,
        "merchant_name": merchant.name,
        "locale": locale,
        "labels": LABELS[locale] if messages else {},
        "messages": messages,
    }


def encode(answer: dict[str, Any]) -> str:
    """The answer's bytes (compact, keys sorted), so that the ETag of equal answers is equal."""
    return json.dumps(answer, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def etag(body: str | bytes, coding: str = "") -> str:
    """A strong entity tag: a hash of the body, marked with its content coding when it is sent
    compressed (``"…-gzip"``), since that is another sequence of bytes."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return '"' + hashlib.sha256(data).hexdigest()[:32] + (f"-{coding}" if coding else "") + '"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (or ``*``); weak comparison, RFC 9110 13.1.2."""
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    return "*" in candidates or any(c.removeprefix("W/") == tag for c in candidates)


def cors(origin: str | None, allowed: list[str]) -> dict[str, str]:
    """CORS headers for a request from ``origin``: only one of the shop's own origins is allowed
    (the answer is public anyway, but other sites need not embed it through our API)."""
    if origin and origin.rstrip("/") in allowed:
        return {"Access-Control-Allow-Origin": origin.rstrip("/"), "Access-Control-Max-Age": "600"}
    return {}
