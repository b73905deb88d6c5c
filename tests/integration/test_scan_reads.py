"""The scan reads what is due and nothing else: its cost grows with due orders, not the table."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import load_event
from scan_runs import run_scan

from delaydesk_local.metering import metered
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

NOW = datetime(2020, 1, 25, tzinfo=UTC)


def test_scan_over_ten_thousand_orders_reads_only_the_hundred_due(local_aws: LocalAws) -> None:
    seed_orders(load_event("contract/order_paid"), total=10_000, due=100, now=NOW)
    with metered() as meter:
        report = run_scan(local_aws, NOW)
    assert report["examined"] == 100
    # Each due order: the delay is detected, and the broken ship-by is recorded (policy timers).
    assert report["decisions"] == 200
    assert report["failed"] == 0 and report["notices"] == 100
    # 100 keys from the keys-only index, then the 100 orders by key (a hundred per BatchGetItem),
    # plus the planner's one key per shard (8) to measure the scan lag.
    assert meter.items_read <= 213, meter.calls
    assert meter.calls.get("BatchGetItem", 0) <= 8, meter.calls  # one per shard page
    assert "Scan" not in meter.calls
    # And each due order got its notice queued exactly once.
    assert local_aws.queue_depth("NoticesQueue") == 100
