"""The fanned-out scan's plan: what the deployed ScanDue function does on its schedule.

One work item per due-index shard for the workers (``scan.scan_page``), in rotating order, and the
scan lag. The plan reads one due-index item per shard and evaluates nothing: it builds no domain
record and imports neither the scan nor the domain's records (README, "Scale": cold start). A work item is
written as the JSON that ``scan.ScanWork`` validates where the worker reads it
(``tests/unit/delays/test_scan_plan.py`` checks the two agree).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.observability import MetricUnit, logger, metrics

if TYPE_CHECKING:
    from delaydesk.core.config import Settings


def rotation(now: datetime, shards: int, every_seconds: int = 300) -> list[int]:
    """The shards in this run's order: each run starts one shard further (fair under load)."""
    first = int(now.timestamp() // every_seconds) % shards
    return [(first + i) % shards for i in range(shards)]


def work_item(shard: int, until: datetime, budget: int) -> str:
    """The first page of ``shard`` up to ``until`` as a ``scan.ScanWork`` message body."""
    if until.tzinfo is None:
        raise ValueError("a work item's until must carry its offset")
    item = {"shard": shard, "until": until.isoformat(), "budget": budget, "start_key": None, "page": 0}
    return json.dumps(item, separators=(",", ":"))


def plan(now: datetime, settings: Settings) -> int:
    """The schedule's part of a fanned-out run: one work item per shard, in rotating order."""
    items = [work_item(shard, now, settings.scan_shard_budget) for shard in rotation(now, settings.due_shards)]
    aws.send_batches(settings.scan_work_queue_url, items, "scan work item(s)")
    # Scan lag, measured where the run starts: one item read per shard (the workers read pages).
    report_lag(now, store.oldest_due(now, range(settings.due_shards)))
    logger.info("scan planned", items=len(items), until=now.isoformat())
    return len(items)


def report_lag(now: datetime, oldest: datetime | None) -> None:
    """ScanLagSeconds: how long the oldest due order had been waiting when this run started
    (0 when nothing is due); the dashboard shows it and ScanLagAlarm watches it."""
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    metrics.add_metric(name="ScanLagSeconds", unit=MetricUnit.Seconds, value=lag)
