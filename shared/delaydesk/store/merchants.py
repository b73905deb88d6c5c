"""The merchants table: one versioned document per merchant."""

from __future__ import annotations

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
