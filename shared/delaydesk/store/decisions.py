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


def put_decision(decision: Decision) -> bool:
    """Record a decision once. False: it was recorded before (a repaired flush)."""
    item = DecisionRecord(
        decision.order_id,
        decision.decision_id,
        action=decision.action.value,
        rule=decision.rule,
        at=decision.at,
        window_id=decision.window_id,
        inputs=decision.inputs or None,
    )
    return save_if(item, DecisionRecord.decision_id.does_not_exist())


def all_decisions() -> Iterator[DecisionRecord]:
    return DecisionRecord.scan()


def decisions_for(order_id: str) -> list[Decision]:
    """An order's audit trail (one query on the decisions table's key)."""
    return [record.decision() for record in DecisionRecord.query(order_id)]
