"""The decisions table: the part of an order's audit trail its own item does not hold.

An evaluation's decisions are held in the order item (``OrderRecord.trail``, written by its
commit). They are recorded here when they do not fit it (``record_decisions``, before the commit),
as are the decisions taken beside the order's writes: dispatch's compensation granted or held out,
a customer's consent to wait that did not fit (``put_decision``), and every decision of an order
written before its item held a trail. The decisions one write records for one order are one item:
the first as the item, the others packed beside it (``more``). Readers merge the two
(``store/audit.py``: ``decisions_for``, ``all_decisions``).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BinaryAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from delaydesk.store.base import register, save_if

if TYPE_CHECKING:
    from delaydesk.core.decisions import Decision


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
    more = BinaryAttribute(null=True, legacy_encoding=False)
    """Further decisions of the same order recorded with this one by one evaluation: zlib JSON
    list (``record_decisions``); absent on an item of one decision."""

    def decisions(self) -> list[Decision]:
        """This item's decision, then those packed beside it."""
        from delaydesk.core.decisions import Decision  # the models only where decisions are read

        packed = json.loads(zlib.decompress(self.more)) if self.more else []
        return [self.decision(), *(Decision.model_validate(d) for d in packed)]

    def decision(self) -> Decision:
        from delaydesk.core.decisions import Action, Decision

        return Decision(
            order_id=self.order_id,
            decision_id=self.decision_id,
            action=Action(self.action),
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


def in_table(order_id: str, decision_id: str) -> bool:
    """Whether a decision was put as an item of its own (``put_decision``): one consistent read."""
    try:
        DecisionRecord.get(order_id, decision_id, consistent_read=True)
    except DecisionRecord.DoesNotExist:
        return False
    return True


def record_decisions(decisions: list[Decision]) -> None:
    """Record decisions together, 25 items per ``BatchWriteItem`` (unconditional puts): for
    decisions derived by an evaluation not committed yet that its order item has no room for (the
    scan records them, then commits the order, its trail marked). Each order's decisions are one
    item, keyed by the first one's id, the others packed in it (an item under 1 KB is one write
    unit however many decisions it holds). A decision's id is
    fixed by what it decides (its rule and the delay's stage), so writing it again, from a retried
    evaluation that derived it again, rewrites the same item (with that evaluation's time); it is
    counted by the commit that makes it part of the order, once. A retry that derives another
    first decision writes another item: readers keep each decision id once."""
    if not decisions:
        return
    by_order: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_order.setdefault(decision.order_id, []).append(decision)
    with DecisionRecord.batch_write() as batch:
        for first, *others in by_order.values():
            item = _item(first)
            if others:
                packed = json.dumps([d.model_dump(mode="json") for d in others], separators=(",", ":"))
                item.more = zlib.compress(packed.encode("utf-8"), 9)
            batch.save(item)


def table_groups(order_id: str) -> list[list[Decision]]:
    """The order's decisions in this table, one group per item (one query on its key)."""
    return [record.decisions() for record in DecisionRecord.query(order_id)]


def all_table_groups() -> Iterator[list[Decision]]:
    """Every item's decisions (a table scan: tools and tests)."""
    return (record.decisions() for record in DecisionRecord.scan())
