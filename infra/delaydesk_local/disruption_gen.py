"""Generate an early-warning scenario: weeks of ordinary traffic, then one carrier's disruption to one region.

Ordinary traffic: ``per_day`` parcels a day for every carrier x region of one shop (m-teahouse, zh-CN),
each paid, shipped within its commitment, scanned on the way and delivered; now and then
(``stall_share``) an ordinary parcel sits 50-70 hours without a scan before it moves on, so every scope
has its usual one or two stalls a day. From ``disruption_day`` for ``disruption_days`` days, the
parcels of ``carrier`` to ``region`` (``hot_per_day`` a day there) get no scan after pickup: they stall
until the carrier moves again, then they are delivered. Everything else goes on as usual.

Deterministic (``random.Random(seed)``); reusable at any size: ``python
infra/delaydesk_local/disruption_gen.py OUT.json [--days N --per-day N --hot-per-day N]`` writes one for a
benchmark. ``expected(scenario)`` says what the early warning should find.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from delaydesk_local.scenario_catalogue import CARRIER_ZH, DOMESTIC, MERCHANTS

START = datetime.fromisoformat("2021-03-01T00:00:00+08:00")


@dataclass(frozen=True)
class Disruption:
    carrier: str = "ZTO"
    region: str = "CN-HB"
    day: int = 8
    days: int = 3

    @property
    def starts(self) -> datetime:
        return START + timedelta(days=self.day)

    @property
    def ends(self) -> datetime:
        return self.starts + timedelta(days=self.days)


def _event(at: datetime, kind: str, event_id: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "at": at.isoformat(timespec="seconds"), "type": kind, **fields}


def _customer(rng: random.Random, n: int) -> dict[str, Any]:
    customer: dict[str, Any] = {"name": f"顾客{n:05d}", "locale": "zh-CN", "timezone": "Asia/Shanghai"}
    if rng.random() < 0.8:
        customer["email"] = f"buyer{n:05d}@mail.example"
    else:
        customer["phone"] = f"+86139{rng.randrange(10**8):08d}"
    return customer


def disruption_scenario(
    *,
    days: int = 14,
    carriers: tuple[str, ...] = ("SF", "ZTO", "YTO"),
    regions: tuple[str, ...] = ("CN-HB", "CN-ZJ", "CN-GD"),
    per_day: int = 3,
    hot_per_day: int = 12,
    stall_share: float = 0.3,
    disruption: Disruption = Disruption(),
    tick_minutes: int = 60,
    seed: int = 13,
) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible scenario, not a secret
    merchant = next(m for m in MERCHANTS if m["merchant_id"] == "m-teahouse")
    end = START + timedelta(days=days)
    events: list[dict[str, Any]] = []
    n = 0
    for day in range(days - 1):
        for carrier in carriers:
            for region in regions:
                hot = (carrier, region) == (disruption.carrier, disruption.region)
                for _ in range(hot_per_day if hot else per_day):
                    n += 1
                    oid = f"EW{n:05d}"
                    paid = START + timedelta(days=day, hours=rng.uniform(8, 22))
                    order = {
                        "order_id": oid,
                        "merchant_id": merchant["merchant_id"],
                        "paid_at": paid.isoformat(timespec="seconds"),
                        "ship_within_hours": 48,
                        "channel": "domestic",
                        "value": {"amount": f"{rng.randrange(30, 300)}.00", "currency": "CNY"},
                        "customer": _customer(rng, n),
                        "destination": {"country": "CN", "region": region},
                        "items": [{"sku": "TEA-1", "name": "龙井茶", "quantity": 1}],
                    }
                    ids = {"merchant_id": merchant["merchant_id"], "order_id": oid}
                    events.append(
                        _event(paid, "order.paid", f"{oid}.paid", merchant_id=ids["merchant_id"], order=order)
                    )
                    shipped = paid + timedelta(hours=rng.uniform(4, 30))
                    number = f"{carrier}{rng.randrange(10**12):012d}"
                    events.append(
                        _event(
                            shipped, "order.shipped", f"{oid}.shipped", **ids, carrier=carrier, tracking_number=number
                        )
                    )
                    hub = DOMESTIC[region][0] if region in DOMESTIC else region
                    picked = shipped + timedelta(hours=rng.uniform(1, 3))
                    moved = picked + timedelta(hours=rng.uniform(10, 30))
                    if hot and disruption.starts - timedelta(hours=30) <= picked < disruption.ends:
                        moved = max(moved, disruption.ends + timedelta(hours=rng.uniform(1, 12)))  # stuck
                    elif rng.random() < stall_share / (1 if not hot else hot_per_day / per_day):
                        moved = picked + timedelta(hours=rng.uniform(50, 70))  # an ordinary stall
                    delivered = moved + timedelta(hours=rng.uniform(8, 30))
                    scans = [
                        (picked, "info_received", f"{CARRIER_ZH.get(carrier, carrier)}已揽收"),
                        (moved, "in_transit", f"快件已到达【{hub}】"),
                        (delivered, "delivered", "已签收，签收人：本人"),
                    ]
                    for k, (at, status, message) in enumerate(scans, 1):
                        if at < end:
                            events.append(
                                _event(
                                    at,
                                    "tracking",
                                    f"{oid}.scan{k}",
                                    **ids,
                                    status=status,
                                    location=hub,
                                    message=message,
                                )
                            )
    events.sort(key=lambda e: (e["at"], e["event_id"]))
    return {
        "start": START.isoformat(),
        "end": end.isoformat(),
        "tick_minutes": tick_minutes,
        "merchants": [merchant],
        "windows": [],
        "events": events,
    }


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("out", type=Path)
    cli.add_argument("--days", type=int, default=21)
    cli.add_argument("--per-day", type=int, default=3)
    cli.add_argument("--hot-per-day", type=int, default=12)
    cli.add_argument("--disruption-day", type=int, default=14)
    args = cli.parse_args()
    data = disruption_scenario(
        days=args.days,
        per_day=args.per_day,
        hot_per_day=args.hot_per_day,
        disruption=Disruption(day=args.disruption_day),
    )
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(data['events'])} events")


if __name__ == "__main__":
    main()
