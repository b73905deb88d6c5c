"""An order's audit trail, wherever it is held: the decisions its item holds (``OrderRecord.trail``)
merged with those of the Decisions table (``store/decisions.py``), each decision id once, in the
order of the Decisions table's key (the first decision id of each recorded group)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from delaydesk.core.decisions import Decision
from delaydesk.store.decisions import all_table_groups, table_groups
from delaydesk.store.orders import OrderRecord, all_orders, get_order


def decisions_for(order_id: str, record: OrderRecord | None = None) -> list[Decision]:
    """The order's audit trail. ``record``: the order as the caller read it (else it is read).
    The Decisions table is queried unless the item says it holds the whole trail (an order written
    since its item holds one, none of whose decisions went to the table): the order page makes
    one read, not two."""
    if record is None:
        record = get_order(order_id)
    groups = _groups(record) if record is not None else []
    if record is None or not record.trail_complete():
        groups = groups + table_groups(order_id)
    return list(_each_once(sorted(groups, key=lambda group: group[0].decision_id)))


def all_decisions() -> Iterator[Decision]:
    """Every decision of every order (a scan of the orders and of the Decisions table: tools and tests)."""
    held = (group for record in all_orders() for group in _groups(record))
    return _each_once([*held, *all_table_groups()])


def _groups(record: OrderRecord) -> list[list[Decision]]:
    """The decision groups the item holds (none on an item written before it held a trail)."""
    trail = record.held_trail()
    return trail.groups if trail is not None else []


def _each_once(groups: Iterable[list[Decision]]) -> Iterator[Decision]:
    seen: set[tuple[str, str]] = set()
    for group in groups:
        for decision in group:
            if (decision.order_id, decision.decision_id) not in seen:
                seen.add((decision.order_id, decision.decision_id))
                yield decision
