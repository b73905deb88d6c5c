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
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from delaydesk_local.scenario_catalogue import (
    ABROAD,
    CARRIER_ZH,
    COMPOUNDS_CLOSED,
    DAY_WEIGHTS,
    DOMAINS,
    DOMESTIC,
    END,
    HOUR_WEIGHTS,
    LOCKDOWN,
    MERCHANTS,
    NAMES,
    PAUSE,
    REOPEN,
    SHOPS,
    START,
    TONGDA,
    Shop,
)

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


def _order(rng: random.Random, shop: Shop, paid: datetime, order_id: str, region: str = "") -> dict[str, Any]:
    """One paid order; ``region``: a domestic destination chosen by the caller, not drawn."""
    abroad = not region and bool(shop.abroad) and rng.random() < shop.abroad_share
    if region:
        locale, tz, phone_prefix, phone_digits = "zh-CN", "Asia/Shanghai", "+861", 10
    elif abroad:
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


def _fulfil(rng: random.Random, shop: Shop, order: dict[str, Any], emit: Emit, carrier: str = "") -> None:
    """Everything after payment: a cancel or refund while waiting, shipping, scans, confirmation
    (``carrier``: the domestic carrier chosen by the caller, not drawn)."""
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
    if carrier:
        pass
    elif abroad:
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


STEADY = ("m-gadgets", "SF", "CN-HB")
"""The bundled scenario's one busy lane: Shenzhen Gadget Works ships to Hubei (Wuhan's Optics
Valley resellers) with SF every day until its last pickup. The early warning needs a scope's own
ordinary traffic (``Thresholds.min_orders`` parcels over its baseline days) before a spike counts,
so this lane is the one where the Wuhan lockdown raises an alert (issue 13 item 6)."""


def _steady_lane(rng: random.Random, per_day: int, serial: dict[str, int], emit: Emit) -> None:
    """``per_day`` orders a day on the ``STEADY`` lane from the start to the shop's last pickup
    (drawn from their own ``rng``: the other orders stay what the seed made them)."""
    merchant_id, carrier, region = STEADY
    shop = next(s for s in SHOPS if s.merchant_id == merchant_id)
    paid_times = []
    day = START
    while day < shop.last_pickup:
        for _ in range(per_day):
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            paid_times.append(day + timedelta(hours=hour, seconds=rng.randrange(3600)))
        day += timedelta(days=1)
    for paid in sorted(paid_times):
        day_key = f"{shop.prefix}{paid:%Y%m%d}"
        serial[day_key] += 1
        order = _order(rng, shop, paid, f"{day_key}-{serial[day_key]:04d}", region=region)
        emit(paid, "order.paid", f"{order['order_id']}.paid", merchant_id=shop.merchant_id, order=order)
        _fulfil(rng, shop, order, emit, carrier=carrier)


def spring_festival_2020(orders: int = 300, seed: int = 2020, steady_per_day: int = 12) -> dict[str, Any]:
    """The bundled scenario: ``orders`` drawn over the shops and days, plus ``steady_per_day`` a day
    on the ``STEADY`` lane (0: none)."""
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
    _steady_lane(random.Random(seed + 1), steady_per_day, serial, emit)
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
