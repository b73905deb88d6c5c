"""The idempotency table: every input event's namespaced id with the digest of its content, kept
14 days, so that an id reused with other content is a conflict wherever it points (another order
included). Whether an event that names an order was *applied* is the order item's own record
(``orders.applied``, written by its versioned write); an inquiry that names no order changes no
order, so this item is its only record.

A batch of queue messages notes its events' ids together (``noted_together``: one
``TransactWriteItems`` of conditional puts instead of one conditional update per event); each
event's ``claim_event_key`` then finds its id noted and makes no call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

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


TRANSACTION_ITEMS = 100
"""DynamoDB's limit of items per ``TransactWriteItems``."""

_NOTED: list[set[tuple[str, bytes]]] = []
"""The ids (with their digests) noted by the batch in progress (``noted_together``)."""


@contextlib.contextmanager
def noted_together(events: Mapping[str, tuple[bytes, datetime]]) -> Iterator[None]:
    """Note the ids of a batch's events (``{key: (digest, at)}``, at least two) in one
    ``TransactWriteItems`` of puts, each conditional on the id being new or noted with the same
    content: race-free like ``claim_event_key``. Inside the block, ``claim_event_key`` answers for
    these ids without a call. If any id was used with other content (a conflict), the transaction
    is refused whole and nothing is noted: each event then claims its id on its own, which tells
    the conflict from the rest (so does any other failure of the transaction). An id noted again
    answers None ("new") for its event: the order's own record of its events tells a redelivery,
    so events that name no order (whose only record this is) must be left out.
    """
    noted: set[tuple[str, bytes]] = set()
    if len(events) >= 2:
        try:
            items = list(events.items())
            for start in range(0, len(items), TRANSACTION_ITEMS):
                with TransactWrite(connection=EventKeyRecord._get_connection().connection) as transaction:
                    for key, (digest, at) in items[start : start + TRANSACTION_ITEMS]:
                        record = EventKeyRecord(
                            key, digest=digest, expiration=int((at + KEPT).timestamp()), deliveries=1
                        )
                        transaction.save(
                            record, condition=EventKeyRecord.id.does_not_exist() | (EventKeyRecord.digest == digest)
                        )
                noted |= {(key, digest) for key, (digest, _) in items[start : start + TRANSACTION_ITEMS]}
        except TransactWriteError:
            pass  # a conflict (or a throttled or contended transaction): each event claims its own id
    _NOTED.append(noted)
    try:
        yield
    finally:
        _NOTED.remove(noted)


def claim_event_key(key: str, digest: bytes, now: datetime) -> bool | None:
    """Note the event's id and content in one conditional update: None if the id is new, True if it
    was noted before with the same content (a redelivery, or a retry after a failed apply), False if
    with other content (a conflict; the item keeps the first content). Inside ``noted_together``,
    an id its batch noted is answered None without a call (once)."""
    if _NOTED and (key, digest) in _NOTED[-1]:
        _NOTED[-1].discard((key, digest))
        return None
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
