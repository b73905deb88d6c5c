"""DynamoDB ``Query`` in the embedded AWS without sorting the whole table first.

moto's ``Table.query`` starts from ``Table.all_items()``: every item of the table, sorted by
primary key (``DynamoType`` comparisons), on every call, then keeps the matches and sorts them
again. A replay's tables grow all along, so each query costs more than the one before: the
statistics table, read by the early warning every hour, and the order table's indexes, read by
ingest and the scans, made a long replay quadratic.

While the embedded AWS runs, ``Table.query`` is given the candidates it would have kept, without
the table-wide sort; everything else (conditions, paging, limits, projections, filters, the
answer's order) is moto's own code, unchanged:

- a query on the table itself reads only the partition of its hash key (``Table.items[hash]``,
  the dict moto keeps per hash key): exactly the items whose ``hash_key`` equals it. moto then
  sorts them by range key (unique within a partition), so the order they came in does not matter;
- a query on an index scans every item, unsorted: moto then sorts the matches by the index keys
  and the table's hash and range keys (``Table.sorted_items``), a key unique per item, so the
  order they came in does not matter either.

``Scan`` and exports still read ``all_items()`` in moto's order. ``tests/integration/
test_fast_query.py`` compares both ways of answering on random tables and queries.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from delaydesk_local.patching import Patch


def _candidates(table: Table, hash_key: Any, index_name: str | None) -> list[Item]:
    if index_name:
        items: list[Item] = []
        for partition in table.items.values():
            if table.range_key_attr:
                items.extend(partition.values())
            else:
                items.append(partition)  # type: ignore[arg-type]
        return items
    found = table.items.get(hash_key)
    if found is None:
        return []
    if table.range_key_attr:
        return list(found.values())
    return [found]  # type: ignore[list-item]


def _query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    if not index_name and hash_key is None:  # not a query DynamoDB answers: moto's own way
        return _patch.original(self, hash_key, *args, **kwargs)
    candidates = _candidates(self, hash_key, index_name)
    # An instance attribute shadows the method for this one call (the embedded AWS answers one
    # request at a time).
    self.all_items = lambda: candidates  # type: ignore[method-assign]
    try:
        return _patch.original(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


_patch = Patch(Table, "query", _query)


def installed() -> contextlib.AbstractContextManager[None]:
    """``Table.query`` answers from the candidates above while the block runs (``patching``)."""
    return _patch.installed()
