"""The statistics table: counters per merchant x hour x carrier x destination region (core.stats).

One item per (merchant, hour, carrier, region): key ``merchant_id`` and ``row`` (``<hour>#<carrier>#<region>``,
the hour as ``YYYY-MM-DDTHH`` UTC, so that a range of hours is one key-range query). Each counter is a top-level
number attribute named ``c:<counter name>``, incremented with an ``ADD`` update (which creates the item and the
counter when missing), so a count costs one write unit and never reads.

Exactly once: callers increment only after the conditional write of the decision or event being counted
succeeded (``count_for`` and friends are called on that write's True branch), so a redelivery or a repaired
flush, whose conditional write fails, never counts again. The one gap: a process that dies between the two
writes loses that count (undercounts by one; it never double counts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

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


def add_counts(
    merchant_id: str, at: datetime, carrier: str | None, region: str | None, counts: Mapping[str, int]
) -> None:
    """Add ``counts`` to the row of ``at``'s hour (one ADD update; zero counts are left out)."""
    deltas = {name: n for name, n in counts.items() if n}
    if not deltas:
        return
    names = {f"#c{i}": _PREFIX + name for i, name in enumerate(deltas)}
    values = {f":c{i}": {"N": str(n)} for i, n in enumerate(deltas.values())}
    _client(StatsRecord.Meta.region).update_item(
        TableName=StatsRecord.Meta.table_name,
        Key={"merchant_id": {"S": merchant_id}, "row": {"S": row_key(at, carrier, region)}},
        UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


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
