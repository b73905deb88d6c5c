"""The idempotency table: every input event's namespaced id with the digest of its content, kept
14 days, so that an id reused with other content is a conflict wherever it points (another order
included). Whether an event that names an order was *applied* is the order item's own record
(``orders.applied``, written by its versioned write); an inquiry that names no order changes no
order, so this item is its only record.

A batch of queue messages notes its events' ids together (``noted_together``: one PartiQL
``BatchExecuteStatement`` of ``INSERT`` statements instead of one conditional update per event);
each event's ``claim_event_key`` then finds its new id noted and makes no call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import BinaryAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from delaydesk.store.base import conditional_failure, register

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

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


BATCH_STATEMENTS = 25
"""DynamoDB's limit of statements per ``BatchExecuteStatement``."""

_NOTED: list[set[tuple[str, bytes]]] = []
"""The ids (with their digests) noted by the batch in progress (``noted_together``)."""


@contextlib.contextmanager
def noted_together(events: Mapping[str, tuple[bytes, datetime]]) -> Iterator[None]:
    """Note the ids of a batch's events (``{key: (digest, at)}``, at least two) with one PartiQL
    ``BatchExecuteStatement`` of ``INSERT`` statements (25 per call). An ``INSERT`` puts its item
    only if no item has its key; else that statement alone is refused (``DuplicateItem``), race-free
    like a conditional put. Each statement is billed as one write (a ``TransactWriteItems`` bills
    each item twice: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling),
    and nothing here needs the batch's ids to be noted all or none.

    Inside the block, ``claim_event_key`` answers None ("new") without a call for each id its
    statement inserted. An id already noted (a redelivery, or a reuse with other content: a
    conflict), or whose statement failed otherwise (throttled), or a call that failed whole, is
    left to ``claim_event_key``'s own conditional update, which tells which it is. Events that name
    no order (whose only record this is) must be left out, as before.
    """
    noted: set[tuple[str, bytes]] = set()
    if len(events) >= 2:
        items = list(events.items())
        # pynamodb's own botocore client (PartiQL is not in pynamodb's API): no second client.
        client = cast("DynamoDBClient", EventKeyRecord._get_connection().connection.client)
        table = EventKeyRecord.Meta.table_name
        statement = f"INSERT INTO \"{table}\" VALUE {{'id': ?, 'digest': ?, 'expiration': ?, 'deliveries': ?}}"
        for start in range(0, len(items), BATCH_STATEMENTS):
            chunk = items[start : start + BATCH_STATEMENTS]
            try:
                answer = client.batch_execute_statement(
                    Statements=[
                        {
                            "Statement": statement,
                            "Parameters": [
                                {"S": key},
                                {"B": digest},
                                {"N": str(int((at + KEPT).timestamp()))},
                                {"N": "1"},
                            ],
                        }
                        for key, (digest, at) in chunk
                    ]
                )
            except (BotoCoreError, ClientError):
                continue  # each of these events notes its own id
            for (key, (digest, _)), response in zip(chunk, answer.get("Responses", []), strict=False):
                if "Error" not in response:
                    noted.add((key, digest))
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
