"""The rejected table: events an operator must look at."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from delaydesk.store.base import register


class RejectedRecord(Model):
    """Events an operator must look at: invalid, refused by the domain, or dead-lettered."""

    class Meta:
        table_name = "delaydesk-rejected"
        region = "us-east-1"

    rejection_id = UnicodeAttribute(hash_key=True)
    category = UnicodeAttribute()  # invalid | refused | conflict | failing
    source = UnicodeAttribute()
    body = UnicodeAttribute()
    errors = ListAttribute[str]()  # of strings
    event_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    receive_count = NumberAttribute(default=1)
    first_seen_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    replayed_at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    """Epoch seconds; the table's TTL attribute (DynamoDB deletes the record after it)."""


register("rejected_table", RejectedRecord)
