"""The transit-stats table.

One item per (merchant, carrier, destination region): a histogram of transit times in buckets
of eta.BUCKET_HOURS, updated on each delivery (versioned read-modify-write, retried on a race).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from delaydesk.core.transit import TransitStats
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register


class TransitStatsRecord(Model):
    class Meta:
        table_name = "delaydesk-transit-stats"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)
    samples = NumberAttribute(default=0)
    buckets = MapAttribute[str, Any](default=dict)
    version = VersionAttribute()


register("transit_stats_table", TransitStatsRecord)


def add_transit_sample(key: str, bucket: int, attempts: int = 5) -> None:
    for _ in range(attempts):
        try:
            record = TransitStatsRecord.get(key, consistent_read=True)
        except TransitStatsRecord.DoesNotExist:
            record = TransitStatsRecord(key, samples=0, buckets={})
        counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
        counts[str(bucket)] = int(counts.get(str(bucket), 0)) + 1
        record.buckets = counts
        record.samples = int(record.samples) + 1
        try:
            record.save()
            return
        except PutError as exc:
            if not conditional_failure(exc):
                raise
    raise ConcurrentUpdate(f"transit stats {key} kept changing")


def get_transit_stats(key: str) -> TransitStats | None:
    try:
        record = TransitStatsRecord.get(key)
    except TransitStatsRecord.DoesNotExist:
        return None
    counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
    return TransitStats.from_histogram({int(k): int(v) for k, v in counts.items()})
