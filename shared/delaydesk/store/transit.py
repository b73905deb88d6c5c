"""The transit-stats table.

One item per (merchant, carrier, destination region): a histogram of transit times in buckets
of eta.BUCKET_HOURS, updated on each delivery (versioned read-modify-write, retried on a race).
Each sample is added once per order: the item keeps the digests of the last ``RECENT_KEPT``
orders it sampled (``recent``, 8 bytes each), checked after the read and extended by the same
versioned write, so a retried delivery (its order's save failed after the sample) finds its
sample in and adds nothing. One put of one item under 1 KB: one write unit, where the marker
item put in a transaction with the histogram cost four (a transaction bills each item twice:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
Markers written before (``sampled#ORDER``, expiring after ``SAMPLE_MARKER_DAYS``) are still read,
in the same ``BatchGetItem`` as the histogram.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from delaydesk.core.transit import TransitStats
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, recent_digests, register, remember_digest


class TransitStatsRecord(Model):
    class Meta:
        table_name = "delaydesk-transit-stats"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)
    samples = NumberAttribute(default=0)
    buckets = MapAttribute[str, Any](default=dict)
    version = VersionAttribute()
    expires_at = TTLAttribute(null=True)  # sample markers only (written before ``recent``)
    recent = BinaryAttribute(null=True, legacy_encoding=False)
    """The digests of the last ``RECENT_KEPT`` orders sampled, oldest first (``sample_digest``)."""


SAMPLE_MARKER_DAYS = 30
"""How long a sample's marker is kept: longer than any redelivery (SQS keeps a message 14 days)."""


register("transit_stats_table", TransitStatsRecord)


RECENT_KEPT = 32
"""Orders remembered per histogram: a delivery retried after 32 other deliveries of the same
merchant, carrier and region were sampled would count twice (a retry comes after SQS's visibility
timeout, minutes). 256 bytes: with about 6 bytes per filled bucket (a map element's name, number
and overhead), the item stays under 1 KB up to about 100 filled buckets (25 days of spread)."""

_DIGEST_BYTES = 8


def sample_digest(sample_id: str) -> bytes:
    return hashlib.blake2b(sample_id.encode("utf-8"), digest_size=_DIGEST_BYTES).digest()


def _sampled(record: TransitStatsRecord, digest: bytes) -> bool:
    return digest in recent_digests(record.recent, _DIGEST_BYTES)


def add_transit_sample(key: str, bucket: int, sample_id: str, now: datetime, attempts: int = 5) -> bool:
    """Add one transit time to ``key``'s histogram, once per ``sample_id`` (the order id).

    False when the sample was added before (a redelivered or retried delivery). ``now`` is the
    sampling time (kept for the callers; the markers that used it are no longer written).
    """
    digest = sample_digest(sample_id)
    marker = f"sampled#{sample_id}"
    for _ in range(attempts):
        found = {r.key: r for r in TransitStatsRecord.batch_get([key, marker], consistent_read=True)}
        if marker in found:
            return False  # sampled by the earlier version (a marker item)
        record = found.get(key) or TransitStatsRecord(key, samples=0, buckets={})
        if _sampled(record, digest):
            return False  # this order's sample is in already
        counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
        counts[str(bucket)] = int(counts.get(str(bucket), 0)) + 1
        record.buckets = counts
        record.samples = int(record.samples) + 1
        record.recent = remember_digest(record.recent, digest, RECENT_KEPT)
        try:
            record.save()  # versioned: a concurrent sample makes it read again
            return True
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
