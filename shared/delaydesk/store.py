"""Data access: pynamodb models of the template's tables and functions named for each access pattern.

Every state change is a conditional write; a lost race surfaces as ``ConcurrentUpdate``.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from delaydesk.config import Settings
from delaydesk.decisions import Decision
from delaydesk.eta import TransitStats
from delaydesk.merchants import Merchant
from delaydesk.notices import NoticeRequest
from delaydesk.orders import Order
from delaydesk.windows import PLATFORM, Window


class ConcurrentUpdate(Exception):
    """A conditional write lost: someone else changed the item first."""


def _conditional_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _save_if(item: Model, condition: Condition) -> bool:
    """Put ``item`` if ``condition`` holds; False when it does not (the write happened before)."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if _conditional_failure(exc):
            return False
        raise
    return True


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
    return _save_if(item, DecisionRecord.decision_id.does_not_exist())


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


# ================================================================== escalations (issue 3)
# One item per (order, reason). At most one is open: opening is a conditional write that only
# succeeds on a new key, or over a closed escalation of an earlier delay.


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


_MODELS["escalations_table"] = EscalationRecord


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
    return record if _save_if(record, condition) else None


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
        if _conditional_failure(exc):
            return False
        raise
    return True


# ================================================================== delivered transit times (issue 3)
# One item per (merchant, carrier, destination region): a histogram of transit times in buckets
# of eta.BUCKET_HOURS, updated on each delivery (versioned read-modify-write, retried on a race).


class TransitStatsRecord(Model):
    class Meta:
        table_name = "delaydesk-transit-stats"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)
    samples = NumberAttribute(default=0)
    buckets = MapAttribute[str, Any](default=dict)
    version = VersionAttribute()


_MODELS["transit_stats_table"] = TransitStatsRecord


def add_transit_sample(key: str, bucket: int, attempts: int = 5) -> None:
    for _ in range(attempts):
        try:
            record = TransitStatsRecord.get(key, consistent_read=True)
        except TransitStatsRecord.DoesNotExist:
            record = TransitStatsRecord(key, samples=0, buckets={})
        counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
        counts[str(bucket)] = int(counts.get(str(bucket), 0)) + 1
        record.buckets = counts
        record.samples = int(record.samples) + 1
        try:
            record.save()
            return
        except PutError as exc:
            if not _conditional_failure(exc):
                raise
    raise ConcurrentUpdate(f"transit stats {key} kept changing")


def get_transit_stats(key: str) -> TransitStats | None:
    try:
        record = TransitStatsRecord.get(key)
    except TransitStatsRecord.DoesNotExist:
        return None
    counts = record.buckets.as_dict() if isinstance(record.buckets, MapAttribute) else dict(record.buckets)
    return TransitStats.from_histogram({int(k): int(v) for k, v in counts.items()})


# ================================================================== notice state (issue 5)
# One table (NoticeStateTable, pk/sk) holds what notices need besides the notice log:
#   template#<merchant>     <kind>#<locale>#<channel>       a merchant's template override
#   suppress#<address>      -                                an address never sent to again
#   inbox#<order>           <kind>#<stage>                   the in-app inbox copy of a notice
#   held                    <release at>#<order>#<notice>    an SMS held for quiet hours
#   rate#<merchant>         -                                the send-rate reservation (GCRA)
#   grant#<order>           -                                the order's compensation grant
#   budget#<merchant>       <window>                         compensation spent in a window
#   feedback#<order>        <notice>#<event>                 SES delivery/bounce/complaint/open/click


class NoticeStateRecord(Model):
    class Meta:
        table_name = "delaydesk-notice-state"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute(null=True)
    number = NumberAttribute(null=True)


_MODELS["notice_state_table"] = NoticeStateRecord
_NONE = "-"


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
        if not _conditional_failure(exc):
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


# ---- template overrides


def put_template_override(merchant_id: str, key: str, source: str, now: datetime) -> None:
    NoticeStateRecord(f"template#{merchant_id}", key, text=source, at=now).save()


def template_overrides(merchant_id: str, prefix: str = "") -> dict[str, str]:
    """A merchant's overrides by key (``kind#locale#channel``), optionally under ``prefix``."""
    condition = NoticeStateRecord.sk.startswith(prefix) if prefix else None
    return {
        item.sk: item.text or ""
        for item in NoticeStateRecord.query(f"template#{merchant_id}", condition, consistent_read=True)
    }


def all_template_overrides() -> Iterator[tuple[str, str, str]]:
    """(merchant, key, source) of every stored override (the lint; not on a hot path)."""
    for item in NoticeStateRecord.scan(NoticeStateRecord.pk.startswith("template#")):
        yield item.pk.split("#", 1)[1], item.sk, item.text or ""


def delete_template_override(merchant_id: str, key: str) -> None:
    NoticeStateRecord(f"template#{merchant_id}", key).delete()


# ---- suppression list


def suppress_address(address: str, reason: str, source: str, now: datetime) -> None:
    NoticeStateRecord(f"suppress#{address.strip().lower()}", _NONE, label=reason, text=source, at=now).save()


def suppression_of(address: str) -> str | None:
    """The reason ``address`` is suppressed, or None."""
    try:
        item = NoticeStateRecord.get(f"suppress#{address.strip().lower()}", _NONE)
    except NoticeStateRecord.DoesNotExist:
        return None
    return item.label or "suppressed"


def lift_suppression(address: str) -> None:
    NoticeStateRecord(f"suppress#{address.strip().lower()}", _NONE).delete()


def all_suppressions() -> Iterator[NoticeStateRecord]:
    return NoticeStateRecord.scan(NoticeStateRecord.pk.startswith("suppress#"))


# ---- in-app inbox


def put_inbox(order_id: str, key: str, title: str, body: str, locale: str, now: datetime) -> bool:
    """Store the inbox copy once; False if it was stored before (a redelivery)."""
    item = NoticeStateRecord(f"inbox#{order_id}", key, title=title, text=body, label=locale, at=now)
    return _save_if(item, NoticeStateRecord.sk.does_not_exist())


def inbox_of(order_id: str) -> list[NoticeStateRecord]:
    return list(NoticeStateRecord.query(f"inbox#{order_id}"))


# ---- held notices (SMS quiet hours)


def hold_notice(request: NoticeRequest, release_at: datetime) -> bool:
    """Keep ``request`` until ``release_at``; False if it is held already (a redelivery).

    One partition: held notices are few (SMS at night) and read by one Query per run.
    """
    key = f"{release_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}#{request.order_id}#{request.notice_id}"
    item = NoticeStateRecord("held", key, text=request.model_dump_json(), at=release_at)
    return _save_if(item, NoticeStateRecord.sk.does_not_exist())


def held_due(until: datetime) -> Iterator[NoticeStateRecord]:
    bound = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "~"
    return NoticeStateRecord.query("held", NoticeStateRecord.sk < bound)


def release_held(item: NoticeStateRecord) -> None:
    item.delete()


# ---- send rate (GCRA: a "theoretical arrival time" per merchant)


_RESERVE_ATTEMPTS = 5


def reserve_send_slot(
    merchant_id: str, wall_epoch: float, interval: float, bucket: str = _NONE, *, likely_busy: bool = False
) -> float:
    """Reserve the next slot of one of the merchant's send-rate buckets; returns its epoch
    (``wall_epoch`` if the bucket is idle).

    The bucket's number is the next free slot. An idle bucket (number in the past) is restarted
    at now with a conditional put; a busy one is advanced with an atomic ADD, which never
    conflicts. ``likely_busy`` (a bucket in the middle of a drain) tries the ADD first, so that
    a busy bucket costs one call instead of two; the ADD of an idle bucket is then corrected.
    """
    item = NoticeStateRecord(f"rate#{merchant_id}", bucket)
    idle = NoticeStateRecord.number.does_not_exist() | (NoticeStateRecord.number < wall_epoch)
    for _ in range(_RESERVE_ATTEMPTS):
        if likely_busy:
            item.update(actions=[NoticeStateRecord.number.add(interval)])
            slot = float(item.number) - interval
            if slot >= wall_epoch:
                return slot
        try:
            item.update(actions=[NoticeStateRecord.number.set(wall_epoch + interval)], condition=idle)
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
            if likely_busy:
                continue  # another sender restarted the bucket between our two calls: add again
            item.update(actions=[NoticeStateRecord.number.add(interval)])
            return float(item.number) - interval
        return wall_epoch
    raise ConcurrentUpdate(f"send-rate bucket {bucket} of {merchant_id} kept changing")


# ---- compensation grants


def grant_of(order_id: str) -> NoticeStateRecord | None:
    try:
        return NoticeStateRecord.get(f"grant#{order_id}", _NONE, consistent_read=True)
    except NoticeStateRecord.DoesNotExist:
        return None


def record_grant(
    order_id: str,
    merchant_id: str,
    notice_key: str,
    grant: str,
    value: str,
    cost: float,
    budget: float | None,
    window: str,
    now: datetime,
) -> bool:
    """Grant once per order within the window's budget; False if either check refuses."""
    spent = NoticeStateRecord(f"budget#{merchant_id}", window)
    if budget is not None:
        if cost > budget:
            return False
        try:
            spent.update(
                actions=[NoticeStateRecord.number.add(cost)],
                condition=NoticeStateRecord.number.does_not_exist() | (NoticeStateRecord.number <= budget - cost),
            )
        except UpdateError as exc:
            if _conditional_failure(exc):
                return False
            raise
    item = NoticeStateRecord(f"grant#{order_id}", _NONE, label=grant, text=value, title=notice_key, at=now)
    if _save_if(item, NoticeStateRecord.pk.does_not_exist()):
        return True
    if budget is not None:
        spent.update(actions=[NoticeStateRecord.number.add(-cost)])  # give the budget back
    return False


# ---- SES feedback


def record_feedback(order_id: str, notice_id: str, event: str, detail: str, at: datetime) -> None:
    NoticeStateRecord(f"feedback#{order_id}", f"{notice_id}#{event}", label=event, text=detail, at=at).save()


def feedback_of(order_id: str) -> list[NoticeStateRecord]:
    return list(NoticeStateRecord.query(f"feedback#{order_id}"))


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
