"""The escalations table.

One item per (order, reason). At most one is open: opening is a conditional write that only
succeeds on a new key, or over a closed escalation of an earlier delay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from delaydesk.core.decisions import Decision
from delaydesk.store.base import conditional_failure, register, save_if


class EscalationRecord(Model):
    class Meta:
        table_name = "delaydesk-escalations"
        region = "us-east-1"

    order_id = UnicodeAttribute(hash_key=True)
    reason = UnicodeAttribute(range_key=True)
    merchant_id = UnicodeAttribute()
    status = UnicodeAttribute()  # open | closed
    decision_id = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    inputs = MapAttribute[str, Any](null=True)
    published_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    times_opened = NumberAttribute(default=1)


register("escalations_table", EscalationRecord)


def open_escalation(decision: Decision, merchant_id: str) -> EscalationRecord | None:
    """The open escalation for this decision (created now, or by an earlier flush of it).

    None: another escalation for the same order and reason is open (or this one was closed).
    """
    try:
        existing: EscalationRecord | None = EscalationRecord.get(decision.order_id, decision.rule, consistent_read=True)
    except EscalationRecord.DoesNotExist:
        existing = None
    if existing is not None:
        if existing.decision_id == decision.decision_id:
            return existing if existing.status == "open" else None
        if existing.status == "open":
            return None
    record = EscalationRecord(
        decision.order_id,
        decision.rule,
        merchant_id=merchant_id,
        status="open",
        decision_id=decision.decision_id,
        opened_at=decision.at,
        inputs=decision.inputs or None,
        times_opened=(int(existing.times_opened) + 1) if existing else 1,
    )
    condition = EscalationRecord.reason.does_not_exist() | (
        (EscalationRecord.status == "closed") & (EscalationRecord.decision_id != decision.decision_id)
    )
    return record if save_if(record, condition) else None


def mark_escalation_published(record: EscalationRecord, at: datetime) -> None:
    record.update(actions=[EscalationRecord.published_at.set(at)])


def list_escalations(status: str | None = None) -> list[EscalationRecord]:
    """Escalations, oldest first (an operator's listing: a scan, not on any hot path)."""
    condition = EscalationRecord.status == status if status else None
    return sorted(EscalationRecord.scan(condition), key=lambda r: (r.opened_at, r.order_id, r.reason))


def close_escalation(order_id: str, reason: str, at: datetime, by: str | None, note: str | None) -> bool:
    """Close an open escalation. False: there is none open for that order and reason."""
    record = EscalationRecord(order_id, reason)
    actions: list[Action] = [EscalationRecord.status.set("closed"), EscalationRecord.closed_at.set(at)]
    if by:
        actions.append(EscalationRecord.closed_by.set(by))
    if note:
        actions.append(EscalationRecord.note.set(note))
    try:
        record.update(actions=actions, condition=EscalationRecord.status == "open")
    except UpdateError as exc:
        if conditional_failure(exc):
            return False
        raise
    return True
