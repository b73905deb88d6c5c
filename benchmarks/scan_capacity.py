"""Benchmark: the fanned-out scan's capacity in evaluations per day (prints figures; not a test).

    .venv/bin/python benchmarks/scan_capacity.py [--due 2000] [--concurrency 8 16 50]

It seeds ``--due`` late orders in the embedded AWS, fires the scan schedule (which plans one work
item per due-index shard), and delivers the work items one at a time to scan_worker, timing each
invocation. Evaluations per worker-second = orders evaluated / seconds spent in workers. The
model: a day holds 288 runs; each run the workers evaluate at most ``shards x budget`` orders, and
at most ``evaluations per worker-second x min(concurrency, shards) x 300 s`` (a shard's pages run
one after the other, so no more workers than shards are busy); per day, 288 times the smaller.
``DUE_SHARDS`` (up to 64) and ``ScanMaxConcurrency`` are the deployment's settings.
The serial scan it replaces evaluated at most ``scan_max_orders`` (2,000) per run.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

TEMPLATE = json.loads((Path(__file__).parents[1] / "tests/events/contract/order_paid.json").read_text(encoding="utf-8"))
NOW = datetime(2020, 1, 25, tzinfo=UTC)
RUNS_PER_DAY = 288  # rate(5 minutes)


def measure(due: int) -> tuple[int, float, int, int, int]:
    """Orders evaluated, seconds in workers, work items, shards and the per-shard budget."""
    from delaydesk import store
    from delaydesk.core.config import get_settings

    with LocalAws() as local:
        seed_orders(TEMPLATE, due + due // 10, due, NOW)
        local.invoke("ScanDueFunction", local.scheduled_event("arn:aws:events:::rule/bench", NOW))
        binding = next(b for b in local.queue_bindings if b.function.logical_id == "ScanWorkerFunction")
        sqs = local.client("sqs")
        busy, items = 0.0, 0
        while messages := local._receive(binding):
            started = time.perf_counter()
            local.invoke("ScanWorkerFunction", local.sqs_event(binding, messages))
            busy += time.perf_counter() - started
            items += len(messages)
            for message in messages:
                sqs.delete_message(QueueUrl=binding.queue_url, ReceiptHandle=message["ReceiptHandle"])
        evaluated = sum(1 for r in store.all_orders() if r.next_due_at is None or r.next_due_at > NOW)
        evaluated -= due // 10  # the orders that were never due
        settings = get_settings()
        return evaluated, busy, items, settings.due_shards, settings.scan_shard_budget


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--due", type=int, default=2000)
    parser.add_argument(
        "--configs", nargs="*", default=["8:8", "32:32", "64:50"], help="SHARDS:CONCURRENCY pairs to model"
    )
    args = parser.parse_args()
    evaluated, busy, items, shards, budget = measure(args.due)
    rate = evaluated / busy
    print(
        f"measured: {evaluated} evaluations in {items} work items, {busy:.1f} s in workers: "
        f"{rate:.0f} per worker-second"
    )
    print(
        f"budget cap: {shards} shards x {budget} per shard x {RUNS_PER_DAY} runs = "
        f"{shards * budget * RUNS_PER_DAY:,}/day"
    )
    print(f"serial scan before: at most 2,000 per run = {2000 * RUNS_PER_DAY:,}/day")
    for config in args.configs:
        n_shards, concurrency = (int(x) for x in config.split(":"))
        per_run = min(n_shards * budget, rate * min(concurrency, n_shards) * 300)
        print(f"shards {n_shards:>2}, concurrency {concurrency:>3}: {per_run * RUNS_PER_DAY:>14,.0f} evaluations/day")


if __name__ == "__main__":
    main()
