"""Delivered transit times: the running histogram a merchant, carrier and region build (pure)."""

from __future__ import annotations

from datetime import timedelta

import msgspec

BUCKET_HOURS = 6
MAX_BUCKET = 60 * 24 // BUCKET_HOURS  # transit times over 60 days share the last bucket
MIN_SAMPLES = 5


class TransitStats(msgspec.Struct, frozen=True):
    """Delivered transit times of one merchant, carrier and destination region."""

    samples: int
    p50: timedelta
    p90: timedelta

    @classmethod
    def from_histogram(cls, buckets: dict[int, int]) -> TransitStats | None:
        total = sum(buckets.values())
        if total == 0:
            return None
        return cls(total, _percentile(buckets, total, 0.5), _percentile(buckets, total, 0.9))


def _percentile(buckets: dict[int, int], total: int, q: float) -> timedelta:
    """The upper edge of the bucket holding the q-quantile (a conservative estimate)."""
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= q * total:
            return timedelta(hours=(bucket + 1) * BUCKET_HOURS)
    return timedelta(hours=(max(buckets) + 1) * BUCKET_HOURS)


def bucket_for(transit: timedelta) -> int:
    return min(max(int(transit.total_seconds() // 3600) // BUCKET_HOURS, 0), MAX_BUCKET)


def history_key(merchant_id: str, carrier: str, region: str) -> str:
    return f"{merchant_id}#{carrier.strip().lower()}#{region}"
