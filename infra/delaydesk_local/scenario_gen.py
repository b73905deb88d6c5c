"""Generate ``scenarios/spring_festival_2020.json``: the 2020 Spring Festival and the COVID-19 halt.

Story (15 January - 20 February 2020, China Standard Time). Three shops sell through the holiday:
西湖茶点铺 (``m-teahouse``, Hangzhou tea and snacks, zh-CN), Shenzhen Gadget Works (``m-gadgets``,
accessories, domestic and cross-border to US/GB/DE/SG/HK/TW, en) and 閩台茶器坊 (``m-minnan``, Xiamen
tea ware for Taiwan and Fujian, zh-TW). Orders pile up before New Year's Eve (24 January) and
trickle in while the warehouses are shut: last pickup 21/22 January, then the provinces extend the
holiday and they reopen on 10 February with a backlog. Orders paid in between ship days after their
24/48/72-hour commitment or not at all, and some buyers cancel or ask for a refund while waiting.
Wuhan is locked down from 10:00 on 23 January: parcels for Hubei (CN-HB) stop for 3-12 days without
a scan (or until the end). The network couriers (ZTO, YTO) shut their outlets from 23 January to
1 February; SF, EMS and JD keep running. In February, compounds closed to couriers send parcels to
lockers (``available_for_pickup``) and cut flights slow customs (``customs_delay``); as in any
month, a few addresses are wrong and a few addressees are out. Three customers who wait in vain
have an SES mailbox simulator address (``SIMULATOR_MAILBOXES``): their first e-mail hard-bounces,
draws a complaint or meets the suppression list, so their later notices fall back to SMS.

Deterministic: everything is drawn from ``random.Random(seed)``; the wall clock is never read.
Usage: ``python infra/delaydesk_local/scenario_gen.py [OUT.json]``.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
START, END = datetime(2020, 1, 15, tzinfo=CST), datetime(2020, 2, 20, tzinfo=CST)
LOCKDOWN = datetime(2020, 1, 23, 10, tzinfo=CST)  # Wuhan
PAUSE = (datetime(2020, 1, 23, tzinfo=CST), datetime(2020, 2, 1, 8, tzinfo=CST))  # ZTO/YTO
COMPOUNDS_CLOSED = datetime(2020, 2, 1, tzinfo=CST)
REOPEN = datetime(2020, 2, 10, 9, tzinfo=CST)
TONGDA = ("ZTO", "YTO")  # network couriers: outlets shut over the holiday
DAY_WEIGHTS = [4.0] * 6 + [3.0] + [0.8] * 2 + [0.3] * 7 + [0.5] * 6  # 15 Jan .. 5 Feb
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.5, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 4, 2]
CARRIER_ZH = {"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "EMS": "中国邮政EMS", "JD": "京东物流"}

MERCHANTS: list[dict[str, Any]] = [
    {
        "merchant_id": "m-teahouse",
        "name": "西湖茶点铺",
        "timezone": "Asia/Shanghai",
        "default_locale": "zh-CN",
        "from_email": "service@teahouse.example",
        "support": {"email": "help@teahouse.example", "phone": "+8657188880000"},
        "settings": {"escalate_value": {"amount": "2000.00", "currency": "CNY"}},
    },
    {
        "merchant_id": "m-gadgets",
        "name": "Shenzhen Gadget Works",
        "timezone": "Asia/Shanghai",
        "default_locale": "en",
        "from_email": "care@gadgets.example",
        "support": {"email": "support@gadgets.example", "phone": "+8675586660000"},
        "settings": {"escalate_value": {"amount": "3000.00", "currency": "CNY"}},
    },
    {
        "merchant_id": "m-minnan",
        "name": "閩台茶器坊",
        "timezone": "Asia/Shanghai",
        "default_locale": "zh-TW",
        "from_email": "service@minnan-teaware.example",
        "support": {"email": "kefu@minnan-teaware.example", "phone": "+865922123456"},
        "settings": {},
    },
]


@dataclass(frozen=True)
class Shop:
    merchant_id: str
    prefix: str
    city: str  # pickup point (domestic scans)
    hub: str
    city_en: str
    last_pickup: datetime
    share: float
    carriers: dict[str, float]  # domestic carrier -> weight
    abroad: tuple[str, ...]  # cross-border destinations (keys of ABROAD)
    abroad_share: float
    catalog: tuple[tuple[str, str, str, int, float], ...]  # sku, zh name, en name, CNY price, weight


SHOPS = (
    Shop(
        "m-teahouse",
        "TS",
        "杭州西湖营业点",
        "杭州转运中心",
        "Hangzhou",
        datetime(2020, 1, 21, 18, tzinfo=CST),
        0.45,
        {"ZTO": 4, "YTO": 3, "SF": 2, "EMS": 1},
        (),
        0,
        (
            ("TS-LJ-250", "西湖龙井 明前特级 250g", "West Lake Longjing, pre-Qingming, 250 g", 588, 3),
            ("TS-GH-12", "桂花糕礼盒 12枚", "Osmanthus cake gift box, 12 pieces", 68, 6),
            ("TS-NH-01", "杭州年货零食大礼包", "Hangzhou New Year snack hamper", 128, 6),
            ("TS-AJ-100", "安吉白茶 100g", "Anji white tea, 100 g", 298, 3),
            ("TS-JQ-200", "九曲红梅红茶 200g", "Jiuqu Hongmei black tea, 200 g", 168, 3),
            ("TS-TJ-06", "青瓷功夫茶具 六件套", "Celadon gongfu tea set, 6 pieces", 358, 2),
            ("TS-SF-500", "狮峰龙井 特级 500g 礼盒", "Shifeng Longjing, special grade, 500 g gift box", 2380, 0.5),
        ),
    ),
    Shop(
        "m-gadgets",
        "GW",
        "深圳南山营业点",
        "深圳转运中心",
        "Shenzhen",
        datetime(2020, 1, 22, 18, tzinfo=CST),
        0.40,
        {"SF": 4, "JD": 3, "ZTO": 2, "EMS": 1},
        ("US-CA", "US-NY", "US-WA", "GB-ENG", "DE-BE", "SG-01", "HK-HCW", "TW-TPE"),
        0.3,
        (
            ("GW-GAN65", "65W 氮化镓快充充电器", "65W GaN USB-C charger", 149, 5),
            ("GW-TWS2", "真无线蓝牙耳机", "True wireless earbuds", 299, 4),
            ("GW-PB20K", "20000mAh 移动电源", "20000 mAh power bank", 129, 5),
            ("GW-CBL2", "USB-C 编织数据线 2m", "Braided USB-C cable, 2 m", 39, 6),
            ("GW-KB87", "87键机械键盘 茶轴", "87-key mechanical keyboard, brown switches", 459, 2),
            ("GW-MON156", "15.6英寸 4K 便携显示器", "15.6-inch 4K portable monitor", 1899, 0.8),
            ("GW-DRN4K", "4K 折叠航拍无人机 畅飞套装", "Foldable 4K camera drone, fly-more kit", 4999, 0.4),
        ),
    ),
    Shop(
        "m-minnan",
        "MN",
        "厦门思明营业点",
        "厦门转运中心",
        "Xiamen",
        datetime(2020, 1, 21, 18, tzinfo=CST),
        0.15,
        {"YTO": 3, "EMS": 2, "SF": 2},
        ("TW-TPE", "TW-NWT", "TW-TXG", "TW-KHH"),
        0.6,
        (
            ("MN-ZNH-200", "朱泥手拉壺 200ml", "Zhuni clay teapot, 200 ml", 680, 2),
            ("MN-TGY-250", "安溪鐵觀音 清香型 250g", "Anxi Tieguanyin, light roast, 250 g", 238, 4),
            ("MN-DHC-06", "德化白瓷品茗杯 六入", "Dehua white porcelain cups, set of 6", 198, 3),
            ("MN-GLY-BX", "鼓浪嶼餡餅禮盒", "Gulangyu pastry gift box", 88, 4),
            ("MN-DHP-500", "武夷大紅袍 特級 500g", "Wuyi Da Hong Pao, special grade, 500 g", 2680, 0.4),
        ),
    ),
)

# region -> (hub, delivery stations, weight)
DOMESTIC: dict[str, tuple[str, tuple[str, ...], float]] = {
    "CN-HB": ("武汉转运中心", ("武汉洪山", "武汉江汉", "武汉武昌", "孝感", "黄冈"), 12),
    "CN-GD": ("广州转运中心", ("广州天河", "深圳南山", "东莞"), 16),
    "CN-ZJ": ("杭州转运中心", ("杭州", "宁波"), 12),
    "CN-SH": ("上海转运中心", ("上海浦东", "上海徐汇"), 11),
    "CN-BJ": ("北京转运中心", ("北京朝阳", "北京海淀"), 10),
    "CN-JS": ("南京转运中心", ("南京鼓楼", "苏州工业园区"), 11),
    "CN-SC": ("成都转运中心", ("成都武侯", "成都锦江"), 8),
    "CN-FJ": ("厦门转运中心", ("厦门思明", "福州鼓楼"), 6),
    "CN-SD": ("济南转运中心", ("济南历下", "青岛市南"), 6),
    "CN-HN": ("长沙转运中心", ("长沙岳麓", "株洲"), 5),
}
# region -> (gateway, delivery city, customer locale, customer timezone, phone prefix, phone digits)
ABROAD: dict[str, tuple[str, str, str, str, str, int]] = {
    "US-CA": ("Los Angeles gateway", "Los Angeles, CA", "en", "America/Los_Angeles", "+1213", 7),
    "US-NY": ("New York JFK gateway", "Brooklyn, NY", "en", "America/New_York", "+1718", 7),
    "US-WA": ("Seattle gateway", "Seattle, WA", "en", "America/Los_Angeles", "+1206", 7),
    "GB-ENG": ("London Heathrow gateway", "Manchester", "en", "Europe/London", "+447", 9),
    "DE-BE": ("Leipzig hub", "Berlin", "en", "Europe/Berlin", "+4915", 9),
    "SG-01": ("Singapore Changi gateway", "Singapore", "en", "Asia/Singapore", "+659", 7),
    "HK-HCW": ("Hong Kong gateway", "Central, Hong Kong", "zh-TW", "Asia/Hong_Kong", "+8529", 7),
    "TW-TPE": ("Taoyuan airport gateway", "Taipei", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-NWT": ("Taoyuan airport gateway", "New Taipei", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-TXG": ("Taoyuan airport gateway", "Taichung", "zh-TW", "Asia/Taipei", "+8869", 8),
    "TW-KHH": ("Kaohsiung gateway", "Kaohsiung", "zh-TW", "Asia/Taipei", "+8869", 8),
}
NAMES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {  # (surnames, given names)
    "zh-CN": (
        (
            ("王", "wang"),
            ("李", "li"),
            ("张", "zhang"),
            ("刘", "liu"),
            ("陈", "chen"),
            ("杨", "yang"),
            ("黄", "huang"),
            ("赵", "zhao"),
            ("吴", "wu"),
            ("周", "zhou"),
            ("徐", "xu"),
            ("胡", "hu"),
        ),
        (
            ("芳", "fang"),
            ("伟", "wei"),
            ("娜", "na"),
            ("敏", "min"),
            ("静", "jing"),
            ("磊", "lei"),
            ("艳", "yan"),
            ("军", "jun"),
            ("婷", "ting"),
            ("浩然", "haoran"),
            ("子涵", "zihan"),
            ("欣怡", "xinyi"),
        ),
    ),
    "zh-TW": (
        (
            ("陳", "chen"),
            ("林", "lin"),
            ("黃", "huang"),
            ("張", "chang"),
            ("李", "lee"),
            ("王", "wang"),
            ("吳", "wu"),
            ("劉", "liu"),
            ("蔡", "tsai"),
            ("楊", "yang"),
        ),
        (
            ("怡君", "yichun"),
            ("志明", "chihming"),
            ("雅婷", "yating"),
            ("家豪", "chiahao"),
            ("淑芬", "shufen"),
            ("冠宇", "kuanyu"),
            ("佳穎", "chiaying"),
            ("俊傑", "chunchieh"),
        ),
    ),
    "en": (
        tuple(
            (n, n.lower())
            for n in (
                "Smith",
                "Johnson",
                "Brown",
                "Taylor",
                "Miller",
                "Wilson",
                "Clarke",
                "Schmidt",
                "Tan",
                "Lim",
                "Walker",
                "Evans",
            )
        ),
        tuple(
            (n, n.lower())
            for n in (
                "Emily",
                "James",
                "Olivia",
                "Daniel",
                "Sophie",
                "Michael",
                "Hannah",
                "Lukas",
                "Grace",
                "Ryan",
                "Chloe",
                "Ethan",
            )
        ),
    ),
}
DOMAINS = ("mail.example", "inbox.example", "post.example")
Scan = tuple[datetime, str, str | None, str, str]  # at, status, sub_status, location, message
Step = tuple[float, float, str, str | None, str, str]  # gap hours (lo, hi), status, sub_status, location, message


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _tracking_number(rng: random.Random, carrier: str, cross_border: bool) -> str:
    if carrier == "EMS" and cross_border:  # UPU S10 with its check digit
        body = _digits(rng, 8)
        check = 11 - sum(int(d) * w for d, w in zip(body, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
        check = {10: 0, 11: 5}.get(check, check)
        return f"E{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{body}{check}CN"
    prefix, n = {
        "SF": ("SF", 13),
        "ZTO": ("75", 12),
        "YTO": ("YT", 13),
        "JD": ("JDVA", 11),
        "EMS": ("11", 11),
        "DHL": ("", 10),
        "FedEx": ("", 12),
    }[carrier]
    return prefix + _digits(rng, n)


def _customer(rng: random.Random, locale: str, tz: str, phone_prefix: str, phone_digits: int) -> dict[str, Any]:
    surnames, given_names = NAMES[locale]
    (family, family_ascii), (given, given_ascii) = rng.choice(surnames), rng.choice(given_names)
    name = f"{given} {family}" if locale == "en" else family + given
    handle = f"{given_ascii}.{family_ascii}" if locale == "en" else f"{family_ascii}.{given_ascii}"
    customer: dict[str, Any] = {"name": name}
    contact = rng.random()
    if contact >= 0.1:  # 10 % phone only, 40 % both, 50 % email only
        customer["email"] = f"{handle}{rng.randrange(100) if rng.random() < 0.4 else ''}@{rng.choice(DOMAINS)}"
    if contact < 0.5:
        customer["phone"] = phone_prefix + _digits(rng, phone_digits)
    return customer | {"locale": locale, "timezone": tz}


def _daytime(rng: random.Random, t: datetime) -> datetime:
    """Move a last-mile scan into couriers' working hours (08:00-21:00)."""
    if t.hour >= 21:
        t += timedelta(days=1)
    if t.hour >= 21 or t.hour < 8:
        t = t.replace(hour=8, minute=rng.randrange(60))
    return t


def _domestic_route(rng: random.Random, shop: Shop, region: str, carrier: str, ship: datetime) -> list[Step]:
    hub, stations, _ = DOMESTIC[region]
    station = f"{rng.choice(stations)}营业部"
    route: list[Step] = [(0.5, 2, "info_received", None, shop.city, f"{CARRIER_ZH[carrier]}已揽收")]
    if hub != shop.hub:
        route.append((3, 8, "in_transit", None, shop.hub, f"快件已从【{shop.hub}】发出，下一站【{hub}】"))
    route += [
        (12, 30, "in_transit", None, hub, f"快件已到达【{hub}】"),
        (4, 12, "in_transit", None, station, f"快件已到达【{station}】"),
    ]
    odd = rng.random()
    if odd < 0.03:
        route += [
            (2, 6, "exception", "incorrect_address", station, "收件地址有误，快件暂存营业部，正在联系收件人"),
            (24, 60, "in_transit", None, station, "地址已更正，重新安排派送"),
        ]
    route.append((2, 10, "out_for_delivery", None, station, "快件正在派送中，请保持电话畅通"))
    if odd > 0.97:
        route += [
            (3, 8, "attempt_fail", "addressee_not_available", station, "收件人不在，派送未成功，将再次派送"),
            (14, 24, "out_for_delivery", None, station, "快件再次派送中"),
        ]
    if ship >= COMPOUNDS_CLOSED and rng.random() < 0.35:
        locker = station.replace("营业部", "丰巢智能柜")
        return [
            *route,
            (1, 4, "available_for_pickup", None, locker, "小区封闭管理，快件已放入智能柜，请凭取件码取件"),
            (2, 40, "delivered", None, locker, "已签收，签收人：智能柜取件"),
        ]
    return [*route, (1, 5, "delivered", None, station, "已签收，签收人：本人")]


def _abroad_route(rng: random.Random, shop: Shop, region: str, ship: datetime) -> list[Step]:
    gateway, city = ABROAD[region][:2]
    route: list[Step] = [
        (0.5, 2, "info_received", None, shop.city_en, "Shipment information received"),
        (3, 10, "in_transit", None, f"{shop.city_en} hub", "Departed facility"),
    ]
    if shop.city_en == "Shenzhen" and not region.startswith("HK"):
        route.append((10, 30, "in_transit", None, "Hong Kong hub", "Departed Hong Kong hub"))
    route.append((18, 40, "in_transit", None, gateway, "Arrived at destination gateway"))
    if rng.random() < (0.45 if ship >= REOPEN else 0.06):
        route += [
            (
                2,
                8,
                "exception",
                "customs_delay",
                gateway,
                "Clearance delay: flights reduced, shipment awaiting customs inspection",
            ),
            (72, 200, "in_transit", None, gateway, "Customs clearance completed"),
        ]
    else:
        route.append((4, 20, "in_transit", None, gateway, "Customs clearance completed"))
    route += [
        (10, 30, "in_transit", None, city, "Arrived at delivery facility"),
        (2, 12, "out_for_delivery", None, city, "Out for delivery"),
    ]
    if rng.random() < 0.04:
        route += [
            (3, 8, "attempt_fail", "addressee_not_available", city, "Delivery attempted, addressee not in"),
            (18, 28, "out_for_delivery", None, city, "Out for delivery (second attempt)"),
        ]
    return [*route, (1, 6, "delivered", None, city, "Delivered, signed for by recipient")]


def _walk(rng: random.Random, route: list[Step], ship: datetime, region: str, carrier: str) -> list[Scan]:
    """Turn a route into timed scans; the disruptions add silent gaps. Stops at the end of the scenario."""
    t, stalled, scans = ship, False, list[Scan]()
    for lo, hi, status, sub_status, location, message in route:
        t += timedelta(hours=rng.uniform(lo, hi))
        hold = 1 if carrier in TONGDA else 3  # Hubei parcels stop after pickup (ZTO/YTO) or at the hub
        if region == "CN-HB" and t >= LOCKDOWN and len(scans) >= hold and not stalled and rng.random() < 0.85:
            stalled, t = True, t + timedelta(days=rng.uniform(3, 12))
        if carrier in TONGDA and PAUSE[0] <= t < PAUSE[1]:
            t = PAUSE[1] + timedelta(hours=rng.uniform(0, 72))
        if status in ("out_for_delivery", "attempt_fail", "available_for_pickup", "delivered"):
            t = _daytime(rng, t)
        if t >= END:
            break
        scans.append((t, status, sub_status, location, message))
    return scans


def _order(rng: random.Random, shop: Shop, paid: datetime, order_id: str) -> dict[str, Any]:
    abroad = bool(shop.abroad) and rng.random() < shop.abroad_share
    if abroad:
        region = rng.choice(shop.abroad)
        _, _, locale, tz, phone_prefix, phone_digits = ABROAD[region]
    else:
        region = rng.choices(list(DOMESTIC), [w for _, _, w in DOMESTIC.values()])[0]
        expat = shop.prefix == "GW" and region in ("CN-SH", "CN-BJ", "CN-GD") and rng.random() < 0.2
        locale, tz, phone_prefix, phone_digits = "en" if expat else "zh-CN", "Asia/Shanghai", "+861", 10
    customer = _customer(rng, locale, tz, phone_prefix, phone_digits)
    weights = [p[4] for p in shop.catalog]
    picks = {p[0]: p for p in rng.choices(shop.catalog, weights, k=rng.choice((1, 1, 1, 2, 3)))}
    items, cents = [], 0
    for sku, zh, en, cny, _ in picks.values():
        quantity = rng.choices((1, 2, 3), (8, 2, 1))[0]
        items.append({"sku": sku, "name": en if locale == "en" else zh, "quantity": quantity})
        cents += quantity * (round(cny / 6.9) * 100 - 1 if abroad else cny * 100)  # USD x.99 abroad
    return {
        "order_id": order_id,
        "merchant_id": shop.merchant_id,
        "paid_at": paid.isoformat(),
        "ship_within_hours": rng.choice((48, 72) if abroad else (24, 48, 48, 72)),
        "channel": "cross_border" if abroad else "domestic",
        "value": {"amount": f"{cents // 100}.{cents % 100:02d}", "currency": "USD" if abroad else "CNY"},
        "customer": customer,
        "destination": {"country": region[:2], "region": region},
        "items": items,
    }


def _ship_time(rng: random.Random, shop: Shop, paid: datetime, hours: int) -> datetime | None:
    """When the parcel is handed over: in time, late (out of stock), after the holiday, or never."""
    late = rng.random() < 0.03
    ready = paid + timedelta(hours=hours + rng.uniform(4, 36) if late else rng.uniform(1.5, 0.85 * hours))
    if ready <= shop.last_pickup:
        return ready
    backlog = REOPEN + timedelta(hours=rng.expovariate(1 / 60))
    return None if rng.random() < 0.08 else backlog.replace(hour=rng.randint(10, 19))


Emit = Callable[..., None]


def _fulfil(rng: random.Random, shop: Shop, order: dict[str, Any], emit: Emit) -> None:
    """Everything after payment: a cancel or refund while waiting, shipping, scans, confirmation."""
    oid, region, abroad = order["order_id"], order["destination"]["region"], order["channel"] == "cross_border"

    def event(at: datetime, kind: str, suffix: str, **fields: Any) -> None:
        emit(at, kind, f"{oid}.{suffix}", merchant_id=shop.merchant_id, order_id=oid, **fields)

    zh_buyer = order["customer"]["locale"] != "en"
    paid, hours = datetime.fromisoformat(order["paid_at"]), order["ship_within_hours"]
    deadline, ship = paid + timedelta(hours=hours), _ship_time(rng, shop, paid, hours)
    if ship is None or ship > deadline + timedelta(hours=24):
        ask, act = deadline + timedelta(hours=rng.uniform(12, 96)), rng.random()
        if act < 0.22 and ask < (ship or END):
            ship = None
            if act < 0.15:
                event(ask, "cancel.requested", "cancel")
            else:
                event(
                    ask,
                    "refund.requested",
                    "refund",
                    reason="商家未按约定时间发货" if zh_buyer else "Order not shipped on time",
                )
    if ship is None or ship >= END:
        return
    if abroad:
        carrier = rng.choices(("DHL", "FedEx", "EMS", "SF"), (3, 2, 3, 2 if region[:2] in ("HK", "TW") else 0))[0]
    elif Decimal(order["value"]["amount"]) >= 2000:
        carrier = "SF"  # insured
    else:
        carrier = rng.choices(list(shop.carriers), list(shop.carriers.values()))[0]
    event(ship, "order.shipped", "shipped", carrier=carrier, tracking_number=_tracking_number(rng, carrier, abroad))
    route = _abroad_route(rng, shop, region, ship) if abroad else _domestic_route(rng, shop, region, carrier, ship)
    scans = _walk(rng, route, ship, region, carrier)
    for n, (at, status, sub_status, location, message) in enumerate(scans, 1):
        extra = {"sub_status": sub_status} if sub_status else {}
        event(at, "tracking", f"scan{n:02d}", status=status, location=location, message=message, **extra)
    last = scans[-1][0] if scans else ship
    if scans and scans[-1][1] == "delivered":
        if rng.random() < 0.3:
            event(last + timedelta(hours=rng.uniform(3, 72)), "order.delivered_confirmed", "confirmed")
    elif END - last > timedelta(days=4) and rng.random() < 0.3:  # stalled until the end
        event(
            last + timedelta(days=rng.uniform(3, 6)),
            "refund.requested",
            "refund",
            reason="物流长时间未更新，申请退款" if zh_buyer else "No tracking update for days",
        )


SIMULATOR_MAILBOXES = ("bounce", "complaint", "suppressionlist")
"""SES mailbox simulator scenarios given to a few customers, so that a replay shows feedback."""


def _simulator_customers(events: list[dict[str, Any]]) -> None:
    """Give the first customers of unshipped, never-cancelled orders who left both an e-mail and a
    phone a mailbox simulator address (labelled with the order, as SES allows): they receive
    several e-mails while they wait, so the feedback on the first one shows on the next. Chosen
    after the draws, so the rest of the scenario is what the seed made it."""
    settled = {e["order_id"] for e in events if e["type"] in ("order.shipped", "refund.requested", "cancel.requested")}
    waiting = [
        e["order"]
        for e in events
        if e["type"] == "order.paid"
        and e["order"]["order_id"] not in settled
        and {"email", "phone"} <= set(e["order"]["customer"])
    ]
    for mailbox, order in zip(SIMULATOR_MAILBOXES, waiting, strict=False):
        order["customer"]["email"] = f"{mailbox}+{order['order_id'].lower()}@simulator.amazonses.com"


def spring_festival_2020(orders: int = 300, seed: int = 2020) -> dict[str, Any]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []

    def emit(at: datetime, kind: str, event_id: str, **fields: Any) -> None:
        if at < END:  # what would happen after the end of the scenario is left out
            events.append({"event_id": event_id, "at": at.isoformat(timespec="seconds"), "type": kind, **fields})

    draws = []
    for _ in range(orders):
        day = rng.choices(range(len(DAY_WEIGHTS)), DAY_WEIGHTS)[0]
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        paid = START + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))
        draws.append((paid, rng.choices(SHOPS, [s.share for s in SHOPS])[0]))
    serial: dict[str, int] = defaultdict(int)
    for paid, shop in sorted(draws, key=lambda draw: draw[0]):
        day_key = f"{shop.prefix}{paid:%Y%m%d}"
        serial[day_key] += 1
        order = _order(rng, shop, paid, f"{day_key}-{serial[day_key]:04d}")
        emit(paid, "order.paid", f"{order['order_id']}.paid", merchant_id=shop.merchant_id, order=order)
        _fulfil(rng, shop, order, emit)
    events.sort(key=lambda event: datetime.fromisoformat(event["at"]))
    _simulator_customers(events)
    return {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "tick_minutes": 60,
        "merchants": MERCHANTS,
        "windows": [],
        "events": events,
    }


def main() -> None:
    default = Path(__file__).resolve().parents[2] / "scenarios" / "spring_festival_2020.json"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(spring_festival_2020(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
