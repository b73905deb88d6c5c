"""DynamoDB ``TransactWriteItems`` in the embedded AWS without copying whole tables.

Before each transaction, moto's ``transact_write_items`` deep-copies every table the transaction
names, so that it can put the copies back if the transaction is cancelled. A replay's notice,
claim and statistics tables grow all along and most writes that must be exact are transactions,
so each one cost more than the one before (about a tenth of a replay, and growing).

While the embedded AWS runs, the backup holds only the items the transaction names (each one
deep-copied, or its absence), and a cancelled transaction puts exactly those back; moto's own code
does everything else (conditions, the writes, the errors and their cancellation reasons), unchanged.
A transaction writes nothing but the items it names, so the tables end up as moto's copies
would have left them. What moto would not roll back is not rolled back either: a transaction
whose shape moto refuses before writing (an entry with more than one operation, more than 100
entries), or whose keys cannot be read, runs moto's own way, copies and all. The stack's tables
have no streams (moto's copies would also have dropped the stream records of a cancelled write).
``tests/integration/test_fast_transact.py`` replays random transactions both ways.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from delaydesk_local.patching import Patch

Saved = tuple[Table, DynamoType, DynamoType | None, bool, Item | None]
"""A named item before the transaction: its table, keys, whether its partition existed, its copy."""


class _TablesKept:
    """``copy`` as moto's transaction sees it: a table is kept as it is (its items are saved
    here instead); everything else is copied by the real ``copy``."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _named(backend: Any, transact_items: list[dict[str, Any]]) -> list[Saved] | None:
    """The items the transaction names, as they are now; None when moto's own way must run."""
    if not isinstance(transact_items, list) or len(transact_items) > 100:
        return None
    saved: list[Saved] = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            return None
        op_type, op = next(iter(entry.items()))
        if not isinstance(op, dict):
            return None
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue  # moto cancels it before writing anything
        attrs: Any = op.get("Item") if op_type == "Put" else op.get("Key")
        try:
            hash_value = DynamoType(attrs[table.hash_key_attr])
            range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError, AttributeError, ValueError):
            return None
        partition = table.items.get(hash_value)
        if range_value is not None:
            current = partition.get(range_value) if partition is not None else None
        else:
            current = partition
        saved.append((table, hash_value, range_value, partition is not None, copy.deepcopy(current)))
    return saved


def _put_back(saved: list[Saved]) -> None:
    """The named items as they were (in reverse, so that an item named twice gets its first state)."""
    for table, hash_value, range_value, had_partition, before in reversed(saved):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before  # type: ignore[assignment]
            continue
        partition = table.items.get(hash_value)
        if before is not None:
            table.items[hash_value][range_value] = before
        elif partition is not None:
            partition.pop(range_value, None)
            if not partition and not had_partition:
                del table.items[hash_value]


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    saved = _named(self, transact_items)
    if saved is None:
        _patch.original(self, transact_items)
        return
    setattr(models, "copy", _TablesKept())  # the module moto's transaction copies with  # noqa: B010
    try:
        _patch.original(self, transact_items)
    except (TransactionCanceledException, MockValidationException):  # moto rolled back: so do we
        _put_back(saved)
        raise
    finally:
        setattr(models, "copy", copy)  # noqa: B010


_patch = Patch(models.DynamoDBBackend, "transact_write_items", _transact_write_items)


def installed() -> contextlib.AbstractContextManager[None]:
    """Transactions save only their named items while the block runs (``patching``)."""
    return _patch.installed()
