"""The notice log: one item per (order, kind, stage, channel), claimed before sending.

The item that records a sent notice also holds its in-app inbox copy (``subject`` and ``inbox``),
written by the same conditional update that closes the claim: one write per notice, not two. The
copy is stored as one zlib-compressed JSON pair (``copy``): a Chinese delay notice's subject and
text are ~750 bytes as text and ~580 packed, which keeps the item under 1 KB, so that the update
costs one write unit instead of two. Items written before keep the two text attributes; the
``subject`` and ``inbox`` properties read either.
"""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
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
    message_id = UnicodeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    copy = BinaryAttribute(null=True, legacy_encoding=False)
    """The in-app inbox copy of a sent notice, ``[subject, text]`` as zlib-compressed JSON (``pack_copy``)."""
    subject_text = UnicodeAttribute(attr_name="subject", null=True)  # items written before ``copy``
    inbox_text = UnicodeAttribute(attr_name="inbox", null=True)  # items written before ``copy``

    def _copy(self) -> tuple[str | None, str | None]:
        if self.copy is not None:
            subject, text = json.loads(zlib.decompress(self.copy))
            return subject, text
        return self.subject_text, self.inbox_text

    @property
    def subject(self) -> str | None:
        """The notice's subject (the inbox copy's title)."""
        return self._copy()[0]

    @property
    def inbox(self) -> str | None:
        """The in-app inbox copy's text (its title is ``subject``), on the notices that were sent."""
        return self._copy()[1]


def pack_copy(subject: str | None, text: str | None) -> bytes:
    return zlib.compress(json.dumps([subject, text], ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 9)


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
    """Close the claim with ``status`` and ``fields`` (attributes of ``NoticeRecord``; ``subject``
    and ``inbox``, the inbox copy, are packed into ``copy``): one conditional update."""
    actions: list[Action] = [NoticeRecord.status.set(status), NoticeRecord.claim_token.remove()]
    subject, text = fields.pop("subject", None), fields.pop("inbox", None)
    if subject is not None or text is not None:
        fields["copy"] = pack_copy(subject, text)
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
