"""Counting what DynamoDB does for the code under test (tests and benchmarks)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection.base import Connection

from delaydesk_local.partiql_insert import parse_insert


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


_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "BatchExecuteStatement")


def _written_keys(operation: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """(table, the item a put writes or None, its key or the item) for each item a write request names."""
    if operation == "PutItem":
        return [(body["TableName"], body["Item"], body["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(body["TableName"], None, body["Key"])]
    if operation == "BatchExecuteStatement":
        # Each statement is billed as the single write it is (not twice, as in a transaction);
        # a refused INSERT (DuplicateItem) is metered like a failed conditional write, by size.
        inserted: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
        for statement in body.get("Statements", []):
            text = statement["Statement"]
            if text.lstrip()[:6].upper() == "SELECT":
                continue
            insert = parse_insert(text, statement.get("Parameters", []))
            if insert is None:
                raise ValueError(f"the write-unit meter reads INSERT statements only: {text!r}")
            inserted.append((insert[0], insert[1], insert[1]))
        return inserted
    if operation == "BatchWriteItem":
        return [
            (
                table,
                r["PutRequest"]["Item"] if "PutRequest" in r else None,
                (r.get("PutRequest") or {}).get("Item") or r["DeleteRequest"]["Key"],
            )
            for table, requests in body["RequestItems"].items()
            for r in requests
        ]
    out: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    for entry in body.get("TransactItems", []):
        for kind in ("Put", "Update", "Delete"):
            if kind in entry:
                spec = entry[kind]
                out.append((spec["TableName"], spec.get("Item"), spec.get("Item") or spec["Key"]))
    return out


@dataclass
class WriteUnits:
    """DynamoDB write units, as DynamoDB bills them, computed from the items before and after each
    write in moto's backend: the table's (1 per KB of the larger of the two), plus each global
    index's (1 per KB of the projected item when its projection changed; a moved index key is a
    delete and a put), twice for a transaction. Used through ``aws_calls.AwsCalls``."""

    by_table: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _backend() -> Any:
        from moto.dynamodb.models import dynamodb_backends

        from delaydesk_local.stack import ACCOUNT_ID, REGION

        return dynamodb_backends[ACCOUNT_ID][REGION]

    def before(self, operation: str, body: dict[str, Any]) -> list[tuple[Any, Any, Any]] | None:
        """The tables, keys and items before a write (to be passed to ``after``)."""
        if operation not in _WRITES:
            return None
        import copy

        from moto.dynamodb.models.dynamo_type import DynamoType

        backend = self._backend()
        snapshot = []
        for table_name, _, key in _written_keys(operation, body):
            table = backend.get_table(table_name)
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            old = table.get_item(hash_value, range_value)
            snapshot.append((table, (hash_value, range_value), copy.deepcopy(old) if old is not None else None))
        return snapshot

    def after(self, operation: str, snapshot: list[tuple[Any, Any, Any]]) -> int:
        """Units of the write whose ``before`` snapshot is given; adds them per table."""
        factor = 2 if operation == "TransactWriteItems" else 1
        total = 0
        for table, (hash_value, range_value), old in snapshot:
            new = table.get_item(hash_value, range_value)
            units = _kb(max(old.size() if old else 0, new.size() if new else 0))
            for index in table.global_indexes:
                units += _index_units(index, old, new)
            self.by_table[table.name] = self.by_table.get(table.name, 0) + units * factor
            total += units * factor
        return total


def _kb(size: int) -> int:
    return max(1, -(-size // 1024))


def _index_units(index: Any, old: Any, new: Any) -> int:
    keys = index.schema_key_attrs
    old_in = old is not None and all(k in old.attrs for k in keys)
    new_in = new is not None and all(k in new.attrs for k in keys)
    old_proj = index.project(old) if old_in else None
    new_proj = index.project(new) if new_in else None
    if old_proj is not None and new_proj is not None:
        if old_proj.to_json() == new_proj.to_json():
            return 0
        if all(old.attrs[k] == new.attrs[k] for k in keys):
            return _kb(new_proj.size())
        return _kb(old_proj.size()) + _kb(new_proj.size())
    if new_proj is not None:
        return _kb(new_proj.size())
    if old_proj is not None:
        return _kb(old_proj.size())
    return 0
