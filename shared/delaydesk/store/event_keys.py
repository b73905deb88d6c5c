"""The idempotency table: every input event's namespaced id with the digest of its content, kept
14 days, so that an id reused with other content is a conflict wherever it points (another order
included). Whether an event that names an order was *applied* is the order item's own record
(``orders.applied``, written by its versioned write); an inquiry that names no order changes no
order, so this item is its only record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from delaydesk.store.base import conditional_failure, register

KEPT = timedelta(days=14)


class EventKeyRecord(Model):
    class Meta:
        table_name = "delaydesk-idempotency"
        region = "us-east-1"

    id = UnicodeAttribute(hash_key=True)
    digest = BinaryAttribute(legacy_encoding=False)
    expiration = NumberAttribute()
    """Epoch seconds; the table's TTL attribute."""
    deliveries = NumberAttribute(default=0)
    """How many times the id was noted with this content (1: the first)."""


register("idempotency_table", EventKeyRecord)


def claim_event_key(key: str, digest: bytes, now: datetime) -> bool | None:
    """Note the event's id and content in one conditional update: None if the id is new, True if it
    was noted before with the same content (a redelivery, or a retry after a failed apply), False if
    with other content (a conflict; the item keeps the first content)."""
    item = EventKeyRecord(key)
    try:
        item.update(
            actions=[
                EventKeyRecord.digest.set(digest),
                EventKeyRecord.expiration.set(EventKeyRecord.expiration | int((now + KEPT).timestamp())),
                EventKeyRecord.deliveries.add(1),
            ],
            condition=EventKeyRecord.id.does_not_exist() | (EventKeyRecord.digest == digest),
        )
    except UpdateError as exc:
        if conditional_failure(exc):
            return False
        raise
    return None if item.deliveries == 1 else True
