"""The idempotency table: input events that change no order (an inquiry that names none), each
applied once per namespaced id for 14 days. Events that name an order are remembered in the
order item itself (``orders.applied``), checked by its versioned write."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from delaydesk.store.base import ConcurrentUpdate, register, save_if

KEPT = timedelta(days=14)


class EventKeyRecord(Model):
    class Meta:
        table_name = "delaydesk-idempotency"
        region = "us-east-1"

    id = UnicodeAttribute(hash_key=True)
    digest = BinaryAttribute(legacy_encoding=False)
    expiration = NumberAttribute()
    """Epoch seconds; the table's TTL attribute."""


register("idempotency_table", EventKeyRecord)


def claim_event_key(key: str, digest: bytes, now: datetime) -> bool | None:
    """Record the event as applied: None if it is new (the caller applies it), True if it was
    applied before with the same content (a redelivery), False if with other content."""
    item = EventKeyRecord(key, digest=digest, expiration=int((now + KEPT).timestamp()))
    if save_if(item, EventKeyRecord.id.does_not_exist()):
        return None
    try:
        return bool(EventKeyRecord.get(key, consistent_read=True).digest == digest)
    except EventKeyRecord.DoesNotExist:
        raise ConcurrentUpdate(f"event {key} expired between two calls") from None
