"""The daily digest's send record: one item per merchant and local day in the notice-state table.

  digest#<merchant>   <YYYY-MM-DD>   label claimed | sent, at (wall clock of the claim), text (message id)

A digest is claimed with a conditional put before it is sent, so two runs never both send it; a
claim older than its lease (its run died) may be taken over; a failed send releases the claim.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pynamodb.exceptions import DeleteError

from delaydesk.store.base import conditional_failure, save_if
from delaydesk.store.notice_state import NoticeStateRecord

CLAIMED, SENT = "claimed", "sent"


def _key(merchant_id: str) -> str:
    return f"digest#{merchant_id}"


def claim_digest(merchant_id: str, day: date, wall_now: datetime, lease: timedelta) -> bool:
    """Claim the digest of (merchant, day); False when it was sent or another run holds a live claim."""
    item = NoticeStateRecord(_key(merchant_id), day.isoformat(), label=CLAIMED, at=wall_now)
    fresh = NoticeStateRecord.pk.does_not_exist()
    stale = (NoticeStateRecord.label == CLAIMED) & (NoticeStateRecord.at < wall_now - lease)
    return save_if(item, fresh | stale)


def mark_digest_sent(merchant_id: str, day: date, message_id: str, at: datetime) -> None:
    NoticeStateRecord(_key(merchant_id), day.isoformat(), label=SENT, text=message_id, at=at).save()


def release_digest(merchant_id: str, day: date) -> None:
    """Give a claim back after a failed send (the next hourly run tries again)."""
    try:
        NoticeStateRecord(_key(merchant_id), day.isoformat()).delete(condition=NoticeStateRecord.label == CLAIMED)
    except DeleteError as exc:
        if not conditional_failure(exc):
            raise


def digest_status(merchant_id: str, day: date) -> str | None:
    try:
        return NoticeStateRecord.get(_key(merchant_id), day.isoformat(), consistent_read=True).label
    except NoticeStateRecord.DoesNotExist:
        return None
