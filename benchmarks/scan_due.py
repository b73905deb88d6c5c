"""Benchmark: what one due-order scan costs as the table grows (prints figures; not a test).

    .venv/bin/python benchmarks/scan_due.py [TOTAL ...]

For each table size, 1 % of the orders are due. It prints the items DynamoDB read, the calls
made and the wall time of one scan run (scan_due plans, scan_worker evaluates each shard's page),
through the real template in the embedded AWS. Expect items read ≈ 2 x due orders (the keys from
the keys-only index, then the orders by key) + merchants, flat in the table size.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from delaydesk_local.metering import metered
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

TEMPLATE = json.loads((Path(__file__).parents[1] / "tests/events/contract/order_paid.json").read_text(encoding="utf-8"))
NOW = datetime(2020, 1, 25, tzinfo=UTC)


def main(sizes: list[int]) -> None:
    print(f"{'orders':>8} {'due':>6} {'items read':>11} {'reads/due':>10} {'queries':>8} {'writes':>7} {'scan s':>8}")
    for total in sizes:
        due = max(1, total // 100)
        with LocalAws() as local:
            seed_orders(TEMPLATE, total, due, NOW)
            with metered() as meter:
                started = time.perf_counter()
                local.invoke("ScanDueFunction", local.scheduled_event("arn:aws:events:::rule/bench", NOW))
                binding = next(b for b in local.queue_bindings if b.function.logical_id == "ScanWorkerFunction")
                while messages := local._receive(binding):
                    local.invoke("ScanWorkerFunction", local.sqs_event(binding, messages))
                    for message in messages:
                        local.client("sqs").delete_message(
                            QueueUrl=binding.queue_url, ReceiptHandle=message["ReceiptHandle"]
                        )
                elapsed = time.perf_counter() - started
            writes = sum(n for op, n in meter.calls.items() if op in ("PutItem", "UpdateItem"))
            print(
                f"{total:>8} {due:>6} {meter.items_read:>11} {meter.items_read / due:>10.2f} "
                f"{meter.calls.get('Query', 0):>8} {writes:>7} {elapsed:>8.2f}"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 30_000])
