"""Consumer rules benchmark (a script, not a test): what the buyer's rules add to the scan's pure
evaluation of one due order, and how many times an order is due over its life.

    .venv/bin/python benchmarks/consumer_rules.py [--orders 2000]

It drives orders that never ship (the longest life: delay option, staged updates, renewal,
cancellation, refund deadline) through ``timers.evaluate`` + ``detect.evaluate`` at each
``next_due_at`` for 60 days, once as US orders (us_ftc) and once as Chinese orders
(cn_platform), and prints evaluations per second and evaluations per order. No AWS is involved.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest import merchant, order_from, paid

from delaydesk.core.config import Settings
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order
from delaydesk.delays.detect import evaluate, next_due_at
from delaydesk.policy import consumer_rules, timers

PAID_AT = "2020-03-02T09:00:00-08:00"


def life(order: Order, policy: DelayPolicy, until: datetime) -> int:
    """Evaluate the order at each of its due instants up to ``until``; the number of evaluations."""
    runs = 0
    while (due := next_due_at(order, policy)) is not None and due <= until:
        timed = timers.evaluate(order, policy, [], due)
        order = evaluate(timed.order, policy, due).order
        runs += 1
    return runs


def measure(country: dict[str, Any], orders: int) -> tuple[float, float]:
    policy = DelayPolicy.for_merchant(merchant(timezone="America/Los_Angeles"), Settings())
    base = order_from(paid("b1", PAID_AT, hours=48, **country))
    until = base.paid_at + timedelta(days=60)
    started = time.perf_counter()
    runs = sum(life(base.model_copy(update={"order_id": f"b{n}"}), policy, until) for n in range(orders))
    elapsed = time.perf_counter() - started
    return runs / elapsed, runs / orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    us = {"destination": {"country": "US", "region": "US-CA"}, "value": {"amount": "89.00", "currency": "USD"}}
    cn = {"destination": {"country": "CN", "region": "CN-ZJ"}}
    for label, country in (("us_ftc", us), ("cn_platform", cn)):
        rate, per_order = measure(country, args.orders)
        print(f"{label:12s} {rate:10,.0f} evaluations/s   {per_order:5.1f} evaluations per order over 60 days")
    started = time.perf_counter()
    for n in range(100_000):
        consumer_rules.choose(("US", "DE", "GB", "CN", "JP")[n % 5], "us_ftc" if n % 3 else None)
    print(f"choose       {100_000 / (time.perf_counter() - started):10,.0f} choices/s")


if __name__ == "__main__":
    main()
