"""The short links table: an SMS's ``/o/CODE`` → the order it opens (``core/links.py``).

One item per code: the order and its merchant, and ``expires_at`` (epoch seconds, the table's TTL).
Dispatch puts it each time an SMS carries the link, on condition that the code is new or already
the same order's: the code is derived from the order id, so a redelivered notice writes the same
item (and moves its expiry on), and a code that some other order holds (a collision, about one in
2**65 per pair) is refused rather than taken over. DynamoDB deletes expired items within days, so
the route also compares ``expires_at`` with the request's time.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from delaydesk.store.base import register, save_if


class ShortLinkRecord(Model):
    class Meta:
        table_name = "delaydesk-short-links"
        region = "us-east-1"

    code = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    expires_at = NumberAttribute()
    """Epoch seconds; the table's TTL attribute."""


register("short_links_table", ShortLinkRecord)


class ShortLink(msgspec.Struct, frozen=True):
    code: str
    order_id: str
    merchant_id: str
    expires_at: int


def put_short_link(code: str, order_id: str, merchant_id: str, expires_at: datetime) -> bool:
    """Store (or renew) ``code`` for the order; False if another order holds the code."""
    item = ShortLinkRecord(code, order_id=order_id, merchant_id=merchant_id, expires_at=int(expires_at.timestamp()))
    return save_if(item, ShortLinkRecord.code.does_not_exist() | (ShortLinkRecord.order_id == order_id))


def short_link(code: str, now: datetime) -> ShortLink | None:
    """The order behind ``code``, or None (unknown or expired: the same answer)."""
    try:
        item = ShortLinkRecord.get(code)
    except ShortLinkRecord.DoesNotExist:
        return None
    if int(item.expires_at) <= now.timestamp():
        return None
    return ShortLink(item.code, item.order_id, item.merchant_id, int(item.expires_at))
