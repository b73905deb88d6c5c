"""The decisions table: an order's audit trail, each decision recorded once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from delaydesk.core.decisions import Decision
from delaydesk.store.base import register, save_if


class DecisionRecord(Model):
    class Meta:
        table_name = "delaydesk-decisions"
        region = "us-east-1"

    order_id = UnicodeAttribute(hash_key=True)
    decision_id = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    rule = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    window_id = UnicodeAttribute(null=True)
    inputs = MapAttribute[str, Any](null=True)

    def decision(self) -> Decision:
        return Decision(
            order_id=self.order_id,
            decision_id=self.decision_id,
            action=self.action,
            rule=self.rule,
            at=self.at,
            window_id=self.window_id,
            inputs=self.inputs.as_dict() if self.inputs else {},
        )


register("decisions_table", DecisionRecord)


def _item(decision: Decision) -> DecisionRecord:
    return DecisionRecord(
        decision.order_id,
        decision.decision_id,
        action=decision.action.value,
        rule=decision.rule,
        at=decision.at,
        window_id=decision.window_id,
        inputs=decision.inputs or None,
    )


def put_decision(decision: Decision) -> bool:
    """Record a decision once. False: it was recorded before (a repaired flush)."""
    return save_if(_item(decision), DecisionRecord.decision_id.does_not_exist())


def record_decisions(decisions: list[Decision]) -> None:
    """Record decisions together, 25 per ``BatchWriteItem`` (unconditional puts): for decisions
    derived by an evaluation not committed yet (the scan records them, then commits the order).
    A decision's id is fixed by what it decides (its rule and the delay's stage), so writing it
    again, from a retried evaluation that derived it again, rewrites the same decision (with that
    evaluation's time); it is counted by the commit that makes it part of the order, once."""
    if not decisions:
        return
    with DecisionRecord.batch_write() as batch:
        for decision in decisions:
            batch.save(_item(decision))


def all_decisions() -> Iterator[DecisionRecord]:
    return DecisionRecord.scan()


def decisions_for(order_id: str) -> list[Decision]:
    """An order's audit trail (one query on the decisions table's key)."""
    return [record.decision() for record in DecisionRecord.query(order_id)]
