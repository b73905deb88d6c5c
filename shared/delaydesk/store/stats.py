"""The statistics table: counters per merchant x hour x carrier x destination region (core.stats).

One item per (merchant, hour, carrier, region): key ``merchant_id`` and ``row`` (``<hour>#<carrier>#<region>``,
the hour as ``YYYY-MM-DDTHH`` UTC, so that a range of hours is one key-range query). Each counter is a top-level
number attribute named ``c:<counter name>``, incremented with an ``ADD`` update (which creates the item and the
counter when missing), so a count costs one write unit and never reads.

Exactly once: callers increment only after the conditional write of the decision or event being counted
succeeded (on that write's success branch), so a redelivery or a repaired flush, whose conditional write
fails, never counts again. The one gap: a process that dies between the two writes, or an ADD that fails,
loses that count (undercounts by one, logged and metered as ``CountersLost``; it never double counts).

Batched: inside ``batched_counts()`` (a Lambda batch of queue messages, a scan page) the counts are summed
in memory per row and written when the block ends, one ADD per row touched instead of one per count; the
gap above then spans the rest of the batch (a process that dies within it loses the batch's counts).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.core.stats import UNKNOWN, CounterRow, hour_of
from delaydesk.store.base import register

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_PREFIX = "c:"
_HOUR = "%Y-%m-%dT%H"


class StatsRecord(Model):
    """The table's keys (counters are dynamic attributes, read and written by ``add_counts``/``counter_rows``)."""

    class Meta:
        table_name = "delaydesk-stats"
        region = "us-east-1"

    merchant_id = UnicodeAttribute(hash_key=True)
    row = UnicodeAttribute(range_key=True)


register("stats_table", StatsRecord)


@lru_cache(maxsize=4)
def _client(region: str) -> DynamoDBClient:
    return boto3.client("dynamodb", region_name=region)


def _part(value: str | None) -> str:
    """A carrier or region as a key part (``#`` would split the key)."""
    return (value or UNKNOWN).replace("#", "_") or UNKNOWN


def row_key(hour: datetime, carrier: str | None, region: str | None) -> str:
    return f"{hour_of(hour.astimezone(UTC)).strftime(_HOUR)}#{_part(carrier)}#{_part(region)}"


_batch: ContextVar[dict[tuple[str, str], Counter[str]] | None] = ContextVar("delaydesk_counts_batch", default=None)


@contextlib.contextmanager
def batched_counts() -> Iterator[None]:
    """Sum the ``add_counts`` made inside the block per row, and write them when it ends (one ADD
    per row touched, never raising). A block inside another adds to the outer one's sums."""
    if _batch.get() is not None:
        yield
        return
    rows: dict[tuple[str, str], Counter[str]] = {}
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
        for (merchant_id, row), counts in rows.items():
            _add(merchant_id, row, counts)


def add_counts(
    merchant_id: str, at: datetime, carrier: str | None, region: str | None, counts: Mapping[str, int]
) -> bool:
    """Add ``counts`` to the row of ``at``'s hour (one ADD update; zero counts are left out), or
    to the open batch's sums (``batched_counts``: written when it ends).

    Never raises: it runs after the write it counts has succeeded, and a retry of that would find
    the write done and count nothing (an ingest retry would even refuse its event as a duplicate).
    A failed update is logged and metered (``CountersLost``) and the count is lost: False.
    """
    deltas = {name: n for name, n in counts.items() if n}
    if not deltas:
        return True
    row = row_key(at, carrier, region)
    batch = _batch.get()
    if batch is not None:
        batch.setdefault((merchant_id, row), Counter()).update(deltas)
        return True
    return _add(merchant_id, row, deltas)


def _add(merchant_id: str, row: str, counts: Mapping[str, int]) -> bool:
    deltas = {name: n for name, n in counts.items() if n}
    if not deltas:
        return True
    names = {f"#c{i}": _PREFIX + name for i, name in enumerate(deltas)}
    values = {f":c{i}": {"N": str(n)} for i, n in enumerate(deltas.values())}
    try:
        _client(StatsRecord.Meta.region).update_item(
            TableName=StatsRecord.Meta.table_name,
            Key={"merchant_id": {"S": merchant_id}, "row": {"S": row}},
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except (BotoCoreError, ClientError) as exc:
        logger.error("counters not updated; these counts are lost", counts=deltas, error=str(exc))
        metrics.add_metric(name="CountersLost", unit=MetricUnit.Count, value=sum(deltas.values()))
        return False
    return True


def _row(item: Mapping[str, Any]) -> CounterRow:
    hour, carrier, region = item["row"]["S"].split("#", 2)
    counts = {k[len(_PREFIX) :]: int(v["N"]) for k, v in item.items() if k.startswith(_PREFIX)}
    return CounterRow(
        merchant_id=item["merchant_id"]["S"],
        hour=datetime.strptime(hour, _HOUR).replace(tzinfo=UTC),
        carrier=carrier,
        region=region,
        counts=counts,
    )


def counter_rows(merchant_id: str, start: datetime, end: datetime) -> list[CounterRow]:
    """The rows of the hours that start in [start, end) (one key-range query, paged), oldest first."""
    first = hour_of(start.astimezone(UTC))
    if first < start:
        first += timedelta(hours=1)
    last = hour_of((end - timedelta(microseconds=1)).astimezone(UTC))
    if last < first:
        return []
    paginator = _client(StatsRecord.Meta.region).get_paginator("query")
    pages = paginator.paginate(
        TableName=StatsRecord.Meta.table_name,
        KeyConditionExpression="merchant_id = :m AND #r BETWEEN :a AND :b",
        ExpressionAttributeNames={"#r": "row"},
        ExpressionAttributeValues={
            ":m": {"S": merchant_id},
            ":a": {"S": first.strftime(_HOUR)},
            ":b": {"S": last.strftime(_HOUR) + "#\uffff"},
        },
    )
    return [_row(item) for page in pages for item in page.get("Items", [])]


def all_counter_rows() -> list[CounterRow]:
    """Every row of every merchant (an operator's or a test's listing: a scan)."""
    paginator = _client(StatsRecord.Meta.region).get_paginator("scan")
    rows: Iterable[Mapping[str, Any]] = (
        item for page in paginator.paginate(TableName=StatsRecord.Meta.table_name) for item in page.get("Items", [])
    )
    return sorted((_row(item) for item in rows), key=lambda r: (r.merchant_id, r.hour, r.carrier, r.region))
