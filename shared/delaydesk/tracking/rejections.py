"""Events an operator must look at: stored with their errors, listed and replayed by the CLI.

Nothing is dropped silently: an invalid event (fails the contract), a refused one (valid but
impossible for its order, or beyond its sender's authority), a conflict (an id its origin already
used with other content) and a failing one (transient error, retried by SQS and, after
``maxReceiveCount`` attempts, moved to the queue's DLQ) each leave a record here.

Records keep customers' data masked (``core.privacy``: e-mails, phones, names, addresses) and
expire after ``rejected_retention_days`` (DynamoDB TTL on ``expires_at``; 30 days by default).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum

from delaydesk.core.config import get_settings
from delaydesk.core.privacy import mask_body, mask_text
from delaydesk.store import RejectedRecord


class Category(StrEnum):
    INVALID = "invalid"
    REFUSED = "refused"
    CONFLICT = "conflict"
    FAILING = "failing"


def rejection_id(source: str, event_id: str | None, body: str) -> str:
    """Stable per event: a redelivered or replayed copy updates the same record."""
    key = event_id or hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{source}#{key}"


def record(
    category: Category,
    *,
    source: str,
    body: str,
    errors: list[str],
    event_id: str | None,
    message_id: str | None,
    receive_count: int,
    now: datetime,
    key: str | None = None,
) -> str:
    """Record one event that was not applied; ``key`` (its origin-namespaced id) names the record."""
    rid = rejection_id(source, key or event_id, body)
    expires = now + timedelta(days=get_settings().rejected_retention_days)
    item = RejectedRecord(rid)
    item.update(
        actions=[
            RejectedRecord.category.set(category.value),
            RejectedRecord.source.set(source),
            RejectedRecord.body.set(mask_body(body)),
            RejectedRecord.errors.set([mask_text(e) for e in errors]),
            RejectedRecord.expires_at.set(int(expires.timestamp())),
            RejectedRecord.event_id.set(mask_text(event_id)) if event_id else RejectedRecord.event_id.remove(),
            RejectedRecord.message_id.set(message_id) if message_id else RejectedRecord.message_id.remove(),
            RejectedRecord.receive_count.set(receive_count),
            RejectedRecord.first_seen_at.set(RejectedRecord.first_seen_at | now),
            RejectedRecord.last_seen_at.set(now),
        ]
    )
    return rid


def resolve(source: str, key: str) -> None:
    """A failing event finally succeeded: its record is no longer an operator's concern."""
    RejectedRecord(rejection_id(source, key, "")).delete()


def list_rejected(category: Category | None = None) -> Iterator[RejectedRecord]:
    for item in RejectedRecord.scan():
        if category is None or item.category == category.value:
            yield item


def get(rid: str) -> RejectedRecord | None:
    try:
        return RejectedRecord.get(rid, consistent_read=True)
    except RejectedRecord.DoesNotExist:
        return None


def mark_replayed(item: RejectedRecord, now: datetime) -> None:
    item.update(actions=[RejectedRecord.replayed_at.set(now)])
