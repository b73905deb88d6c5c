"""The scan reads what is due and nothing else: its cost grows with due orders, not the table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import order_from, paid
from pynamodb.connection.base import Connection

from delaydesk import store
from delaydesk.config import get_settings
from delaydesk.delays import next_due_at
from delaydesk.merchants import DelayPolicy
from delaydesk.store import OrderRecord
from delaydesk_local.runtime import LocalAws

NOW = datetime(2020, 1, 25, tzinfo=UTC)


class ReadCounter:
    """Counts the items DynamoDB read for every pynamodb call (Query/Scan: ScannedCount)."""

    def __init__(self) -> None:
        self.items = 0
        self.calls: dict[str, int] = {}

    def observe(self, operation: str, response: dict[str, Any]) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation in ("Query", "Scan"):
            self.items += int(response.get("ScannedCount", 0))
        elif operation == "GetItem":
            self.items += 1 if "Item" in response else 0
        elif operation in ("BatchGetItem", "TransactGetItems"):
            self.items += sum(len(v) for v in response.get("Responses", {}).values())


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReadCounter]:
    counter = ReadCounter()
    original = Connection.dispatch

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = original(self, operation_name, operation_kwargs)
        counter.observe(operation_name, response)
        return response

    monkeypatch.setattr(Connection, "dispatch", counting)
    yield counter


def _seed(total: int, due: int) -> None:
    settings = get_settings()
    policy = DelayPolicy.for_merchant(None, settings)
    with OrderRecord.batch_write() as batch:
        for n in range(total):
            # Due orders were paid two days ago (24 h promise); the rest paid after NOW.
            paid_at = NOW - timedelta(days=2) if n < due else NOW + timedelta(hours=1 + n % 500)
            order = order_from(paid(f"o{n:05d}", paid_at.isoformat()))
            record = OrderRecord(order.order_id, merchant_id=order.merchant_id, version=1)
            record.state = order.model_dump(mode="json")
            store._set_due(record, order, next_due_at(order, policy), settings.due_shards)
            batch.save(record)


def test_scan_over_ten_thousand_orders_reads_only_the_hundred_due(local_aws: LocalAws, reads: ReadCounter) -> None:
    _seed(total=10_000, due=100)
    reads.items = 0
    reads.calls.clear()
    report = local_aws.invoke("ScanDueFunction", local_aws.scheduled_event("arn:aws:events:::rule/x", NOW))
    assert report["examined"] == 100
    # Each due order: the delay is detected, and the broken ship-by is recorded (policy timers).
    assert report["decisions"] == 200
    assert report["rules"] == {"ship_by": 200}
    assert reads.items <= 105, reads.calls
    assert "Scan" not in reads.calls
    # And each due order got its notice queued exactly once.
    assert local_aws.queue_depth("NoticesQueue") == 100
