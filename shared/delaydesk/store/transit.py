"""The transit-stats table.

One item per (merchant, carrier, destination region): a histogram of transit times in buckets
of eta.BUCKET_HOURS, updated on each delivery (versioned read-modify-write, retried on a race).
Each sample is added once per order: a small marker item (``sampled#ORDER``, expiring after
``SAMPLE_MARKER_DAYS``) is put, on the condition that it does not exist, in the same transaction
as the histogram, so that a retried delivery neither loses nor doubles its sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from delaydesk.core.transit import TransitStats
from delaydesk.store.base import ConcurrentUpdate, register


class TransitStatsRecord(Model):
    class Meta:
        table_name = "delaydesk-transit-stats"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)
    samples = NumberAttribute(default=0)
    buckets = MapAttribute[str, Any](default=dict)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)  # sample markers only


SAMPLE_MARKER_DAYS = 30
"""How long a sample's marker is kept: longer than any redelivery (SQS keeps a message 14 days)."""


register("transit_stats_table", TransitStatsRecord)


def add_transit_sample(key: str, bucket: int, sample_id: str, now: datetime, attempts: int = 5) -> bool:
    """Add one transit time to ``key``'s histogram, once per ``sample_id`` (the order id).

    False when the sample was added before (a redelivered or retried delivery).
    """
    for _ in range(attempts):
        try:
            record = TransitStatsRecord.get(key, consistent_read=True)
        except TransitStatsRecord.DoesNotExist:
            record = TransitStatsRecord(key, samples=0, buckets={})
        counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
        counts[str(bucket)] = int(counts.get(str(bucket), 0)) + 1
        record.buckets = counts
        record.samples = int(record.samples) + 1
        marker = TransitStatsRecord(f"sampled#{sample_id}", expires_at=now + timedelta(days=SAMPLE_MARKER_DAYS))
        try:
            with TransactWrite(connection=TransitStatsRecord._get_connection().connection) as transaction:
                transaction.save(marker, condition=TransitStatsRecord.key.does_not_exist())
                transaction.save(record)
            return True
        except TransactWriteError as exc:
            reasons = [r.code if r is not None else None for r in exc.cancellation_reasons or []]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False  # this order's sample is in already
            if "ConditionalCheckFailed" not in reasons:
                raise
    raise ConcurrentUpdate(f"transit stats {key} kept changing")


def get_transit_stats(key: str) -> TransitStats | None:
    try:
        record = TransitStatsRecord.get(key)
    except TransitStatsRecord.DoesNotExist:
        return None
    counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
    return TransitStats.from_histogram({int(k): int(v) for k, v in counts.items()})
