"""The merchants table: one versioned document per merchant."""

from __future__ import annotations

import time
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from delaydesk.core.merchants import Merchant
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register


class MerchantRecord(Model):
    class Meta:
        table_name = "delaydesk-merchants"
        region = "us-east-1"

    merchant_id = UnicodeAttribute(hash_key=True)
    doc = MapAttribute[str, Any]()
    version = VersionAttribute()


register("merchants_table", MerchantRecord)


def get_merchant(merchant_id: str) -> Merchant | None:
    try:
        record = MerchantRecord.get(merchant_id)
    except MerchantRecord.DoesNotExist:
        return None
    return Merchant.model_validate(record.doc.as_dict())


MERCHANT_CACHE_SECONDS = 60.0
"""How long a container trusts a merchant it read (a change takes effect within this)."""

_cached: dict[str, tuple[float, Merchant | None]] = {}


def cached_merchant(merchant_id: str) -> Merchant | None:
    """The merchant, read at most once a minute per container (ingest, scan and dispatch share it)."""
    now = time.monotonic()
    hit = _cached.get(merchant_id)
    if hit is None or now - hit[0] >= MERCHANT_CACHE_SECONDS:
        hit = (now, get_merchant(merchant_id))
        _cached[merchant_id] = hit
    return hit[1]


def forget_cached_merchants() -> None:
    """A new container (the local runtime), or a test that changed a merchant."""
    _cached.clear()


def some_merchants(limit: int) -> list[Merchant]:
    """Up to ``limit`` merchants, in no order (one Scan page): a deployment usually holds one."""
    return [Merchant.model_validate(r.doc.as_dict()) for r in MerchantRecord.scan(limit=limit)]


def put_merchant(merchant: Merchant) -> None:
    try:
        record = MerchantRecord.get(merchant.merchant_id, consistent_read=True)
    except MerchantRecord.DoesNotExist:
        record = MerchantRecord(merchant.merchant_id)
    record.doc = merchant.model_dump(mode="json")
    try:
        record.save()
    except PutError as exc:
        if conditional_failure(exc):
            raise ConcurrentUpdate(f"merchant {merchant.merchant_id} changed concurrently") from exc
        raise
    _cached.pop(merchant.merchant_id, None)


def all_merchants() -> list[Merchant]:
    """Every merchant (the daily digest's hourly run: a scan of a table of a handful of items)."""
    return sorted(
        (Merchant.model_validate(record.doc.as_dict()) for record in MerchantRecord.scan()), key=lambda m: m.merchant_id
    )
