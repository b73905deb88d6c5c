"""The notice log: one item per (order, kind, stage, channel), claimed before sending.

The item that records a sent notice also holds its in-app inbox copy (``subject`` and ``inbox``),
written by the same conditional update that closes the claim: one write per notice, not two.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from delaydesk.core.kinds import NoticeRequest
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register


class NoticeRecord(Model):
    """The notice log: one item per (order, kind, stage, channel), claimed before sending."""

    class Meta:
        table_name = "delaydesk-notice-log"
        region = "us-east-1"

    order_id = UnicodeAttribute(hash_key=True)
    notice_id = UnicodeAttribute(range_key=True)
    merchant_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    stage = NumberAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()  # claimed | sent | failed | skipped
    claim_token = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    locale = UnicodeAttribute(null=True)
    to = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    inbox = UnicodeAttribute(null=True)
    """The in-app inbox copy's text (its title is ``subject``), on the notices that were sent."""


register("notice_log_table", NoticeRecord)


class NoticeClaim:
    def __init__(self, record: NoticeRecord, token: str) -> None:
        self.record = record
        self.token = token


def release_claim(claim: NoticeClaim) -> None:
    """Give the key back after a failed (retryable) send, so that the retry can claim it."""
    try:
        claim.record.delete(condition=NoticeRecord.claim_token == claim.token)
    except DeleteError as exc:
        if not conditional_failure(exc):
            raise


def record_outcome(claim: NoticeClaim, status: str, **fields: Any) -> None:
    actions: list[Action] = [NoticeRecord.status.set(status), NoticeRecord.claim_token.remove()]
    for name, value in fields.items():
        attribute = getattr(NoticeRecord, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    try:
        claim.record.update(actions=actions, condition=NoticeRecord.claim_token == claim.token)
    except UpdateError as exc:
        if conditional_failure(exc):
            raise ConcurrentUpdate(f"notice {claim.record.notice_id} claim was taken over") from exc
        raise


class InFlight(Exception):
    """The notice key is claimed by a sender that may still be running: retry later."""


def claim_notice_key(request: NoticeRequest, wall_now: datetime, lease: timedelta) -> NoticeClaim | None:
    """Claim the key before sending; None if it is done (sent, failed, suppressed).

    A live claim raises ``InFlight`` (the message is retried, never dropped). A claim older than
    ``lease`` in wall-clock time belongs to a sender that died (Lambda stops it at its timeout),
    so it is taken over: the one window in which a notice can be sent twice (README).
    """
    token = uuid.uuid4().hex
    record = NoticeRecord(
        request.order_id,
        request.notice_id,
        merchant_id=request.merchant_id,
        kind=request.kind.value,
        stage=request.stage,
        channel=request.channel.value,
        status="claimed",
        claim_token=token,
        claimed_at=wall_now,
        attempts=1,
    )
    stale = (NoticeRecord.status == "claimed") & (NoticeRecord.claimed_at < wall_now - lease)
    try:
        record.save(condition=NoticeRecord.notice_id.does_not_exist() | stale)
    except PutError as exc:
        if not conditional_failure(exc):
            raise
        try:
            current = NoticeRecord.get(request.order_id, request.notice_id, consistent_read=True)
        except NoticeRecord.DoesNotExist:
            raise InFlight(f"notice {request.notice_id} was released concurrently") from None
        if current.status == "claimed":
            raise InFlight(f"notice {request.notice_id} is being sent by another invocation") from None
        return None
    return NoticeClaim(record, token)


def notice_status(order_id: str, notice_id: str) -> str | None:
    try:
        return NoticeRecord.get(order_id, notice_id, consistent_read=True).status
    except NoticeRecord.DoesNotExist:
        return None


def all_notices() -> Iterator[NoticeRecord]:
    """Every notice log entry (reports and simulation output; not on any hot path)."""
    return NoticeRecord.scan()


def notices_for(order_id: str) -> list[NoticeRecord]:
    return list(NoticeRecord.query(order_id))


def inbox_copies(order_id: str) -> list[NoticeRecord]:
    """The order's sent notices that hold an inbox copy (one query on the order's key)."""
    return [n for n in NoticeRecord.query(order_id, consistent_read=True) if n.inbox is not None]
