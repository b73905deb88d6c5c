"""The orders table: an order's state, its outbox, the sparse due index and the parcel index."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from delaydesk.core.decisions import Decision
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.orders import Order
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register


class DueIndex(GlobalSecondaryIndex["OrderRecord"]):
    """Sparse, write-sharded: only orders with a pending deadline carry both keys."""

    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    next_due_at = UTCDateTimeAttribute(range_key=True)


class TrackingIndex(GlobalSecondaryIndex["OrderRecord"]):
    class Meta:
        index_name = "tracking-index"
        projection = KeysOnlyProjection()

    tracking_key = UnicodeAttribute(hash_key=True)


class OrderRecord(Model):
    class Meta:
        table_name = "delaydesk-orders"
        region = "us-east-1"

    order_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    status = UnicodeAttribute()
    due_shard = UnicodeAttribute(null=True)
    next_due_at = UTCDateTimeAttribute(null=True)
    tracking_key = UnicodeAttribute(null=True)
    state = MapAttribute[str, Any]()
    pending_decisions = ListAttribute[str](null=True)  # JSON decisions not yet recorded
    outbox = ListAttribute[str](null=True)  # JSON notice requests not yet queued
    version = VersionAttribute()

    due_index = DueIndex()
    tracking_index = TrackingIndex()

    def order(self) -> Order:
        return Order.model_validate(self.state.as_dict())


register("orders_table", OrderRecord)


def shard_for(order_id: str, shards: int) -> str:
    return str(zlib.crc32(order_id.encode("utf-8")) % shards)


def _set_due(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    record.status = order.status.value
    if due is None:
        record.due_shard = None
        record.next_due_at = None
    else:
        record.due_shard = shard_for(order.order_id, shards)
        record.next_due_at = due


def get_order(order_id: str) -> OrderRecord | None:
    try:
        return OrderRecord.get(order_id, consistent_read=True)
    except OrderRecord.DoesNotExist:
        return None


def order_id_for_parcel(carrier: str, tracking_number: str) -> str | None:
    for hit in OrderRecord.tracking_index.query(_tracking_key(carrier, tracking_number), limit=1):
        return hit.order_id
    return None


def _tracking_key(carrier: str, tracking_number: str) -> str:
    return f"{carrier.strip().lower()}#{tracking_number.strip()}"


def save_order(order: Order, record: OrderRecord | None, due: datetime | None, shards: int) -> OrderRecord:
    """Create (if ``record`` is None) or update the order, conditional on its version."""
    if record is None:
        record = OrderRecord(order.order_id, merchant_id=order.merchant_id)
    record.state = order.model_dump(mode="json")
    if order.shipment is not None:
        record.tracking_key = _tracking_key(order.shipment.carrier, order.shipment.tracking_number)
    _set_due(record, order, due, shards)
    _save(record, order.order_id)
    return record


def commit_evaluation(
    record: OrderRecord,
    order: Order,
    decisions: list[Decision],
    notices: list[NoticeRequest],
    due: datetime | None,
    now: datetime,
    shards: int,
) -> None:
    """Write the evaluated order with its new decisions and notices in its outbox.

    This one versioned write is the commit point. ``flush_outbox`` then records the decisions
    (each conditionally, so once) and queues the notices; until it clears the outbox the order
    stays due at ``now``, so a crash in between is repaired by the next scan.
    """
    record.state = order.model_dump(mode="json")
    record.pending_decisions = [d.model_dump_json() for d in decisions] or None
    record.outbox = [n.model_dump_json() for n in notices] or None
    _set_due(record, order, now if (decisions or notices) else due, shards)
    _save(record, order.order_id)


def pending(record: OrderRecord) -> tuple[list[Decision], list[NoticeRequest]]:
    """Decisions and notices a previous run committed but may not have flushed."""
    return (
        [Decision.model_validate_json(raw) for raw in record.pending_decisions or []],
        [NoticeRequest.model_validate_json(raw) for raw in record.outbox or []],
    )


def clear_outbox(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    record.pending_decisions = None
    record.outbox = None
    _set_due(record, order, due, shards)
    _save(record, order.order_id)


def _save(record: OrderRecord, order_id: str) -> None:
    try:
        record.save()
    except PutError as exc:
        if conditional_failure(exc):
            raise ConcurrentUpdate(f"order {order_id} changed concurrently") from exc
        raise


def due_orders(until: datetime, shards: int, page_size: int = 100) -> Iterator[OrderRecord]:
    """Orders whose next deadline is at or before ``until``, read from the sparse index only."""
    for shard in range(shards):
        yield from OrderRecord.due_index.query(str(shard), OrderRecord.next_due_at <= until, page_size=page_size)


def oldest_due(until: datetime, shards: Iterable[int]) -> datetime | None:
    """The earliest ``next_due_at`` at or before ``until`` in ``shards`` (one item read per shard)."""
    firsts = (
        record.next_due_at
        for shard in shards
        for record in OrderRecord.due_index.query(str(shard), OrderRecord.next_due_at <= until, limit=1)
    )
    return min(firsts, default=None)


def all_orders() -> Iterator[OrderRecord]:
    return OrderRecord.scan()


def order_page(shard: str, start_key: dict[str, Any] | None, limit: int) -> tuple[list[OrderRecord], Any]:
    """One page of a due-index shard (recompute batches) and the key to continue from."""
    result = OrderRecord.due_index.query(shard, limit=limit, last_evaluated_key=start_key)
    records = list(result)
    return records, result.last_evaluated_key
