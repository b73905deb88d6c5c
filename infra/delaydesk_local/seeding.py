"""Bulk-loading orders straight into the Orders table (benchmarks and scale tests only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.events import OrderPaid, parse_event
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import new_order
from delaydesk.delays.detect import next_due_at
from delaydesk.store import OrderRecord


def seed_orders(template: dict[str, Any], total: int, due: int, now: datetime) -> None:
    """``total`` unshipped orders built from the ``order.paid`` event ``template``.

    The first ``due`` were paid two days before ``now`` (so their 24 h ship-by has passed);
    the others are paid after ``now`` and are not due.
    """
    settings = get_settings()
    policy = DelayPolicy.for_merchant(None, settings)
    with OrderRecord.batch_write() as batch:
        for n in range(total):
            paid_at = now - timedelta(days=2) if n < due else now + timedelta(hours=1 + n % 500)
            order_data = {
                **template["order"],
                "order_id": f"seed-{n:06d}",
                "paid_at": paid_at.isoformat(),
                "ship_within_hours": 24,
            }
            raw = {**template, "at": paid_at.isoformat(), "event_id": f"seed-{n}", "order": order_data}
            event = parse_event(raw)
            assert isinstance(event, OrderPaid)
            order = new_order(event)
            record = OrderRecord(order.order_id, merchant_id=order.merchant_id, version=1)
            record.state = order.model_dump(mode="json")
            store._set_due(record, order, next_due_at(order, policy), settings.due_shards)
            batch.save(record)
