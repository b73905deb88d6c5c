"""Counting what DynamoDB does for the code under test (tests and benchmarks)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection.base import Connection


@dataclass
class DynamoMeter:
    """Items read (Query/Scan: ScannedCount; GetItem: 1 if found) and calls per operation."""

    items_read: int = 0
    calls: dict[str, int] = field(default_factory=dict)

    def observe(self, operation: str, response: dict[str, Any]) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if operation in ("Query", "Scan"):
            self.items_read += int(response.get("ScannedCount", 0))
        elif operation == "GetItem":
            self.items_read += 1 if "Item" in response else 0
        elif operation in ("BatchGetItem", "TransactGetItems"):
            self.items_read += sum(len(v) for v in response.get("Responses", {}).values())

    def reset(self) -> None:
        self.items_read = 0
        self.calls.clear()


@contextlib.contextmanager
def metered() -> Iterator[DynamoMeter]:
    """Meter every pynamodb call made inside the block."""
    meter = DynamoMeter()
    original = Connection.dispatch

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = original(self, operation_name, operation_kwargs)
        meter.observe(operation_name, response)
        return response

    Connection.dispatch = counting  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        Connection.dispatch = original  # type: ignore[method-assign]
