"""Data access: pynamodb models of the template's tables and functions named for each access pattern.

Every state change is a conditional write; a lost race surfaces as ``ConcurrentUpdate``.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from delaydesk.config import Settings
from delaydesk.decisions import Decision
from delaydesk.merchants import Merchant
from delaydesk.notices import NoticeRequest
from delaydesk.orders import Order
from delaydesk.windows import PLATFORM, Window


class ConcurrentUpdate(Exception):
    """A conditional write lost: someone else changed the item first."""


def _conditional_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


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


class MerchantRecord(Model):
    class Meta:
        table_name = "delaydesk-merchants"
        region = "us-east-1"

    merchant_id = UnicodeAttribute(hash_key=True)
    doc = MapAttribute[str, Any]()
    version = VersionAttribute()


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


class RejectedRecord(Model):
    """Events an operator must look at: invalid, refused by the domain, or dead-lettered."""

    class Meta:
        table_name = "delaydesk-rejected"
        region = "us-east-1"

    rejection_id = UnicodeAttribute(hash_key=True)
    category = UnicodeAttribute()  # invalid | refused | failing
    source = UnicodeAttribute()
    body = UnicodeAttribute()
    errors = ListAttribute[str]()  # of strings
    event_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    receive_count = NumberAttribute(default=1)
    first_seen_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    replayed_at = UTCDateTimeAttribute(null=True)


_MODELS: dict[str, type[Model]] = {
    "orders_table": OrderRecord,
    "merchants_table": MerchantRecord,
    "decisions_table": DecisionRecord,
    "notice_log_table": NoticeRecord,
    "rejected_table": RejectedRecord,
}


def bind(settings: Settings) -> None:
    """Point every model at the tables named by the settings (the stack's physical names)."""
    for field_name, model in _MODELS.items():
        name = getattr(settings, field_name)
        if model.Meta.table_name != name or model.Meta.region != settings.aws_region:
            model.Meta.table_name = name
            model.Meta.region = settings.aws_region
            model._connection = None


# ------------------------------------------------------------------ orders


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
    try:
        item.save(condition=DecisionRecord.decision_id.does_not_exist())
    except PutError as exc:
        if _conditional_failure(exc):
            return False
        raise
    return True


def clear_outbox(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    record.pending_decisions = None
    record.outbox = None
    _set_due(record, order, due, shards)
    _save(record, order.order_id)


def _save(record: OrderRecord, order_id: str) -> None:
    try:
        record.save()
    except PutError as exc:
        if _conditional_failure(exc):
            raise ConcurrentUpdate(f"order {order_id} changed concurrently") from exc
        raise


def due_orders(until: datetime, shards: int, page_size: int = 100) -> Iterator[OrderRecord]:
    """Orders whose next deadline is at or before ``until``, read from the sparse index only."""
    for shard in range(shards):
        yield from OrderRecord.due_index.query(str(shard), OrderRecord.next_due_at <= until, page_size=page_size)


# ------------------------------------------------------------------ merchants


def get_merchant(merchant_id: str) -> Merchant | None:
    try:
        record = MerchantRecord.get(merchant_id)
    except MerchantRecord.DoesNotExist:
        return None
    return Merchant.model_validate(record.doc.as_dict())


def put_merchant(merchant: Merchant) -> None:
    try:
        record = MerchantRecord.get(merchant.merchant_id, consistent_read=True)
    except MerchantRecord.DoesNotExist:
        record = MerchantRecord(merchant.merchant_id)
    record.doc = merchant.model_dump(mode="json")
    try:
        record.save()
    except PutError as exc:
        if _conditional_failure(exc):
            raise ConcurrentUpdate(f"merchant {merchant.merchant_id} changed concurrently") from exc
        raise


# ------------------------------------------------------------------ notice log


class NoticeClaim:
    def __init__(self, record: NoticeRecord, token: str) -> None:
        self.record = record
        self.token = token


def claim_notice(request: NoticeRequest, now: datetime, lease: timedelta) -> NoticeClaim | None:
    """Claim the notice key before sending. None: it was sent (or is being sent) already.

    A claim older than ``lease`` whose sender never recorded an outcome (a crash between
    claiming and recording) may be taken over: this is the one window in which a customer
    can receive a notice twice (see README, "Exactly-once notices").
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
        claimed_at=now,
        attempts=1,
    )
    stale = (NoticeRecord.status == "claimed") & (NoticeRecord.claimed_at < now - lease)
    try:
        record.save(condition=NoticeRecord.notice_id.does_not_exist() | stale)
    except PutError as exc:
        if _conditional_failure(exc):
            return None
        raise
    return NoticeClaim(record, token)


def release_claim(claim: NoticeClaim) -> None:
    """Give the key back after a failed (retryable) send, so that the retry can claim it."""
    try:
        claim.record.delete(condition=NoticeRecord.claim_token == claim.token)
    except DeleteError as exc:
        if not _conditional_failure(exc):
            raise


def record_outcome(claim: NoticeClaim, status: str, **fields: Any) -> None:
    actions: list[Action] = [NoticeRecord.status.set(status), NoticeRecord.claim_token.remove()]
    for name, value in fields.items():
        attribute = getattr(NoticeRecord, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    try:
        claim.record.update(actions=actions, condition=NoticeRecord.claim_token == claim.token)
    except UpdateError as exc:
        if _conditional_failure(exc):
            raise ConcurrentUpdate(f"notice {claim.record.notice_id} claim was taken over") from exc
        raise


# ------------------------------------------------------------------ reports


def all_notices() -> Iterator[NoticeRecord]:
    """Every notice log entry (reports and simulation output; not on any hot path)."""
    return NoticeRecord.scan()


def all_decisions() -> Iterator[DecisionRecord]:
    return DecisionRecord.scan()


def all_orders() -> Iterator[OrderRecord]:
    return OrderRecord.scan()


# ------------------------------------------------------------------ policy windows (issue 4)


class WindowRecord(Model):
    """A disruption window, keyed by its owner (a merchant, or ``windows.PLATFORM``)."""

    class Meta:
        table_name = "delaydesk-windows"
        region = "us-east-1"

    owner = UnicodeAttribute(hash_key=True)
    window_id = UnicodeAttribute(range_key=True)
    doc = MapAttribute[str, Any]()
    declared_at = UTCDateTimeAttribute()
    changed_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    def window(self) -> Window:
        return Window.model_validate(self.doc.as_dict())


_MODELS["windows_table"] = WindowRecord


def get_window(owner: str, window_id: str) -> WindowRecord | None:
    try:
        return WindowRecord.get(owner, window_id, consistent_read=True)
    except WindowRecord.DoesNotExist:
        return None


def put_window(window: Window, now: datetime, record: WindowRecord | None = None) -> WindowRecord:
    """Create or change a window, conditional on the version read (``record``)."""
    if record is None:
        record = WindowRecord(window.owner, window.window_id, declared_at=now)
    record.doc = window.model_dump(mode="json")
    record.changed_at = now
    try:
        record.save()
    except PutError as exc:
        if _conditional_failure(exc):
            raise ConcurrentUpdate(f"window {window.window_id} changed concurrently") from exc
        raise
    return record


def windows_for(merchant_id: str) -> list[Window]:
    """The platform's windows and the merchant's own (two queries; windows are few)."""
    found: list[Window] = []
    for owner in (PLATFORM, merchant_id):
        found.extend(record.window() for record in WindowRecord.query(owner))
    return found


def all_windows() -> list[WindowRecord]:
    """Every window (the CLI's list; the table holds a handful of items)."""
    return list(WindowRecord.scan())


def order_page(shard: str, start_key: dict[str, Any] | None, limit: int) -> tuple[list[OrderRecord], Any]:
    """One page of a due-index shard (recompute batches) and the key to continue from."""
    result = OrderRecord.due_index.query(shard, limit=limit, last_evaluated_key=start_key)
    records = list(result)
    return records, result.last_evaluated_key


def decisions_for(order_id: str) -> list[Decision]:
    """An order's audit trail (one query on the decisions table's key)."""
    return [record.decision() for record in DecisionRecord.query(order_id)]


def notices_for(order_id: str) -> list[NoticeRecord]:
    return list(NoticeRecord.query(order_id))
