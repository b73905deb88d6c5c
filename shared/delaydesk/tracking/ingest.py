"""Applying input events to orders: validate, check the sender's authority, apply once per
(origin, event_id), re-index the due time.

Once: every event's namespaced id is noted with its content's digest in the idempotency table
(``store.claim_event_key``, one conditional update), so an id reused with other content is a
conflict whichever order it names; and the order item remembers its last events
(``store.event_digest``), checked after reading the order and extended by the same versioned
write that applies the event, so a redelivery changes nothing. An event that names no order (an
inquiry) has the idempotency item as its only record.

A batch of queue messages is read and noted together (``batch_reads``): the orders its events
name in one ``BatchGetItem``, their ids noted in one ``BatchExecuteStatement``; each event then
writes its order once.

Outcomes of one message: ``applied``; ``invalid`` (fails the contract or the limits in
``core.fields``); ``refused`` (the sender may not say it, or the order cannot take it);
``conflict`` (an id this origin already used, with other content: the first stays applied);
all three are recorded in the rejected table. Only transient errors raise (SQS retries them).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import msgspec
from pynamodb.exceptions import PynamoDBException

from delaydesk import store
from delaydesk.core import counts, effect_stats, stats
from delaydesk.core import origins as authority
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.events import Event, InquiryReceived, OrderPaid, Tracking, dated_ahead, parse_event
from delaydesk.core.fields import body_problem
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.core.orders import EventRejected, Order, apply_event
from delaydesk.core.origins import Origin
from delaydesk.core.record import ValidationError, problems
from delaydesk.core.windows import Window
from delaydesk.customer import classify_topic
from delaydesk.delays import eta, evaluated_at_payment, next_due_at
from delaydesk.store import ConcurrentUpdate, OrderRecord
from delaydesk.tracking import parcels, rejections
from delaydesk.tracking.rejections import Category


class EventConflict(Exception):
    """The event's id was applied before with other content (the first stays applied)."""


class AlreadyApplied(Exception):
    """The event was applied before (a redelivery): nothing to do."""


def _order_id(event: Event) -> str:
    if isinstance(event, OrderPaid):
        return event.order.order_id
    if isinstance(event, Tracking) and event.order_id is None:
        assert event.tracking_number is not None  # the contract requires order_id or a tracking number
        return parcels.find_order(
            event.carrier,
            event.tracking_number,
            by_key=store.order_id_for_parcel,
            by_number=store.orders_with_number,
        )
    assert event.order_id is not None  # every other event type requires it
    return event.order_id


def _digest(key: str, event: Event) -> bytes:
    """The event's digest (``store.event_digest``) of its namespaced id and its content as JSON."""
    content = json.dumps(event.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return store.event_digest(key, content)


def _check_once(seen: bool | None) -> None:
    if seen is True:
        raise AlreadyApplied
    if seen is False:
        raise EventConflict


def apply(parsed: Event, origin: Origin, key: str, digest: bytes) -> dict[str, Any]:
    """Apply one validated event (its namespaced id ``key`` and its ``_digest``) to its order with
    a conditional (versioned) write, if its origin speaks for that order's merchant and the order
    has not applied it yet (raises ``AlreadyApplied`` or ``EventConflict`` if it has)."""
    settings = get_settings()
    if isinstance(parsed, InquiryReceived):
        parsed = parsed.model_copy(update={"topic": classify_topic(parsed.text, parsed.topic)})
        if parsed.order_id is None and parsed.order_ref is not None:
            parsed = _resolve_order_ref(parsed, origin)
        if parsed.order_id is None:
            _check_once(store.claim_event_key(key, digest, parsed.at))
            return _merchant_inquiry(parsed)
    # The id across every order (one conditional update): reused with other content, it is a
    # conflict whichever order it names; whether this order applied it, its own item says below.
    if store.claim_event_key(key, digest, parsed.at) is False:
        raise EventConflict
    order_id = _order_id(parsed)
    logger.append_keys(order_id=order_id)
    if isinstance(parsed, OrderPaid):
        # A new order, almost always: written without reading it first (the write is conditional
        # on the order not existing); only if it exists is it read and the event checked against it.
        try:
            return _apply_to(None, parsed, origin, digest, settings)
        except ConcurrentUpdate:
            pass
    record = store.read_order(order_id)  # read with its batch's orders, if it has several
    return _apply_to(record, parsed, origin, digest, settings)


def _apply_to(
    record: OrderRecord | None, parsed: Event, origin: Origin, digest: bytes, settings: Settings
) -> dict[str, Any]:
    _check_once(store.applied_before(record, digest))
    if record is not None and (refusal := authority.order_refusal(origin, record.merchant_id)):
        raise EventRejected(refusal)
    before = record.order() if record else None
    if isinstance(parsed, Tracking) and before is not None:
        parsed = parcels.in_local_time(parsed, before)
    order = apply_event(before, parsed)  # a copy: ``before`` stays as it was
    merchant = store.cached_merchant(order.merchant_id)
    if merchant is None:
        logger.warning("unknown merchant: the deployment's default thresholds apply", merchant_id=order.merchant_id)
    policy = DelayPolicy.for_merchant(merchant, settings)
    if before is None and isinstance(parsed, OrderPaid):
        # The scan's first evaluation, here when it would decide and tell nothing (no window in
        # force moves a deadline): one order write and one index entry fewer per order.
        windows = _windows_in_force(order.merchant_id)
        at = max(parsed.at, order.paid_at)  # the scan would evaluate it at paid_at, its due time, or later
        if windows is not None:
            order = evaluated_at_payment(order, policy, windows, at) or order
    due = next_due_at(order, policy)
    if record is not None and record.has_outbox() and record.next_due_at is not None:
        due = min(due, record.next_due_at) if due else record.next_due_at  # the scan must still flush them
    previous_status = record.status if record is not None else None
    # The sample first, once per order: if the save then fails, the retry finds it in and the
    # order not yet delivered, so it neither loses nor doubles it.
    eta.record_delivery(previous_status, order, parsed.at)
    store.save_order(order, record, due, settings.due_shards, event=digest)
    # Counted after the versioned write succeeded, from the change it made: a redelivery changes nothing.
    added = counts.event_counts(before, order) | counts.contact_counts(parsed, before)
    added |= effect_stats.contact_effect_counts(parsed, before, _first_notice(parsed, before))
    store.add_counts(order.merchant_id, parsed.at, *stats.scope_of(order), added)
    return {"order_id": order.order_id, "status": order.status.value, "next_due_at": due.isoformat() if due else None}


def _windows_in_force(merchant_id: str) -> list[Window] | None:
    """The platform's and the merchant's windows (two queries), once per batch of messages
    (``batch_reads``), as the scan reads them once per run; None if they could not be read
    (throttled): the order is then written due at once, for the scan."""
    batch = _batch.get()
    read = batch.windows if batch is not None else {}
    if merchant_id not in read:
        try:
            read[merchant_id] = store.windows_for(merchant_id)
        except PynamoDBException:
            logger.warning("windows not read: the scan evaluates the new order", merchant_id=merchant_id)
            return None
    return read[merchant_id]


def _first_notice(event: Event, before: Order | None) -> datetime | None:
    """The send time of the order's first delay notice, read only for a WISMO inquiry about a
    delayed order (one notice-log query): the effect counters split those before and after it."""
    if before is None or not effect_stats.needs_first_notice(event, before):
        return None
    sent = [(n.kind, n.sent_at) for n in store.notices_for(before.order_id) if n.status == "sent"]
    return effect_stats.first_delay_notice(sent)


def _resolve_order_ref(inquiry: InquiryReceived, origin: Origin) -> InquiryReceived:
    """The inquiry about the order its text named, if that order exists and belongs to the sender's
    (and the inquiry's) merchant; else the same inquiry, without an order. A number read in free
    text is a guess: it never makes the inquiry refused, retried or counted for another merchant."""
    assert inquiry.order_ref is not None
    record = store.get_order(inquiry.order_ref)
    if record is None or authority.order_refusal(origin, record.merchant_id):
        return inquiry
    if inquiry.merchant_id is not None and record.merchant_id != inquiry.merchant_id:
        return inquiry
    return inquiry.model_copy(update={"order_id": inquiry.order_ref})


def _merchant_inquiry(inquiry: InquiryReceived) -> dict[str, Any]:
    """An inquiry that names no order: it changes no order and counts for its merchant (once: its
    key was recorded in the idempotency table first)."""
    assert inquiry.merchant_id is not None  # the contract requires it without an order id
    added = counts.contact_counts(inquiry, None)
    store.add_counts(inquiry.merchant_id, inquiry.at, stats.UNKNOWN, stats.UNKNOWN, added)
    return {"order_id": None, "merchant_id": inquiry.merchant_id, "topic": inquiry.topic}


_EVENT_ID = re.compile(r'"event_id"\s*:\s*"([^"\\]{1,128})"')


def _peek_event_id(body: str) -> str | None:
    """The event id of a body that failed validation, to name its record (None if there is none)."""
    if body_problem(body) is not None:  # too large or deep to parse: look for it in the text
        found = _EVENT_ID.search(body[:8192])
        return found.group(1) if found else None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _describe(exc: ValidationError) -> list[str]:
    return [f"{where or '(body)'}: {reason}" for where, reason in problems(exc)]


class Message(msgspec.Struct, frozen=True):
    """One queue message, as it arrived."""

    body: str
    source: str
    message_id: str
    receive_count: int
    received_at: datetime


def _reject(message: Message, category: Category, errors: list[str], event_id: str | None, key: str | None) -> str:
    rid = rejections.record(
        category,
        source=message.source,
        body=message.body,
        errors=errors,
        event_id=event_id,
        key=key,
        message_id=message.message_id,
        receive_count=message.receive_count,
        now=message.received_at,
    )
    logger.warning(f"event {category.value}", rejection_id=rid, errors=errors, message_id=message.message_id)
    metrics.add_metric(name=f"Events{category.value.capitalize()}", unit=MetricUnit.Count, value=1)
    return category.value


def handle_message(
    body: str,
    *,
    source: str,
    message_id: str,
    receive_count: int,
    received_at: datetime,
    origin: str | None = None,
) -> str:
    """One queue message. Returns the outcome; raises (to be retried) only on transient errors."""
    message = Message(body, source, message_id, receive_count, received_at)
    batch = _batch.get()
    admitted = batch.admitted.get((body, origin)) if batch is not None else None
    if admitted:
        return _apply_once(message, *admitted.pop())
    parsed = _parse_message(body, origin)
    if isinstance(parsed, _Invalid):
        return _reject(message, Category.INVALID, parsed.reasons, parsed.event_id, parsed.key)
    return _apply_once(message, *parsed)


class _Invalid(msgspec.Struct, frozen=True):
    """Why a message is invalid, and the event id (and its namespaced key) it seems to carry."""

    reasons: list[str]
    event_id: str | None
    key: str | None


def _parse_message(body: str, origin: str | None) -> tuple[Event, Origin] | _Invalid:
    """The message's event and sender, or why it is invalid (its origin, the limits, the contract)."""
    try:
        sender = authority.parse_origin(origin)
    except ValueError as exc:
        return _Invalid([f"origin: {exc}"], _peek_event_id(body), None)
    problem = body_problem(body)
    if problem is not None:
        reasons = [problem]
    else:
        try:
            return parse_event(body), sender
        except ValidationError as exc:
            reasons = _describe(exc)
    event_id = _peek_event_id(body)
    return _Invalid(reasons, event_id, sender.key(event_id) if event_id else None)


Admitted = tuple[Event, Origin, bytes]
"""An event ``handle_message`` would apply, its sender and its digest (``_digest``)."""


class _Batch(msgspec.Struct):
    """What ``batch_reads`` keeps for the messages of its batch."""

    admitted: dict[tuple[str, str | None], list[Admitted]] = msgspec.field(default_factory=dict)
    """The events it parsed and admitted, by (body, origin): each message's ``handle_message``
    takes one instead of parsing its body again."""
    windows: dict[str, list[Window]] = msgspec.field(default_factory=dict)
    """The windows in force per merchant, read once (``_windows_in_force``)."""


_batch: ContextVar[_Batch | None] = ContextVar("ingest_batch", default=None)


@contextlib.contextmanager
def batch_reads(messages: Iterable[tuple[str, str | None, datetime]]) -> Iterator[None]:
    """Around a batch of messages (``(body, origin, received_at)``): the orders their events name
    read in one ``BatchGetItem`` (not a new order's: it is written without a read), and their ids
    noted across orders in one ``BatchExecuteStatement`` (``store.noted_together``), so that each
    event then costs its order's write alone. Only with two or more of them; an event that names no
    order, an id that comes twice in the batch and an id already noted (a redelivery or a conflict)
    are noted on their own (``apply``). Each message's event is parsed and digested here once:
    ``handle_message`` takes it from here (``_Batch``); an invalid or refused one is parsed and
    recorded there."""
    order_ids: list[str] = []
    keys: dict[str, tuple[bytes, datetime]] = {}
    seen: Counter[str] = Counter()
    batch = _Batch()
    for body, origin, received_at in messages:
        parsed = _parse_message(body, origin)
        if isinstance(parsed, _Invalid):
            continue
        event, sender = parsed
        if authority.refusal(sender, event.type, event.merchant_id) or dated_ahead(event, received_at):
            continue
        key = sender.key(event.event_id)
        digest = _digest(key, event)
        batch.admitted.setdefault((body, origin), []).append((event, sender, digest))
        seen[key] += 1
        order_id = event.order.order_id if isinstance(event, OrderPaid) else getattr(event, "order_id", None)
        if order_id is None:
            continue  # an inquiry without an order (or an order found later): its id is noted on its own
        keys[key] = (digest, event.at)
        if not isinstance(event, OrderPaid):
            order_ids.append(order_id)
    once = {key: noted for key, noted in keys.items() if seen[key] == 1}
    token = _batch.set(batch)
    try:
        with store.prefetched_orders(order_ids), store.noted_together(once):
            yield
    finally:
        _batch.reset(token)


def _apply_once(message: Message, event: Event, sender: Origin, digest: bytes | None = None) -> str:
    key = sender.key(event.event_id)
    logger.set_correlation_id(event.event_id)
    logger.append_keys(event_id=event.event_id, event_type=event.type, origin=sender.name)
    refusal = authority.refusal(sender, event.type, event.merchant_id) or dated_ahead(event, message.received_at)
    if refusal is not None:
        return _reject(message, Category.REFUSED, [refusal], event.event_id, key)
    try:
        apply(event, sender, key, digest if digest is not None else _digest(key, event))
    except AlreadyApplied:
        logger.info("event applied before; redelivery ignored")
    except EventRejected as exc:
        return _reject(message, Category.REFUSED, [str(exc)], event.event_id, key)
    except EventConflict:
        reason = f"event_id {event.event_id!r} was already used by {sender.name} with other content; the first stays"
        return _reject(message, Category.CONFLICT, [reason], event.event_id, key)
    except Exception as exc:
        # Transient (an order not seen yet, a lost race, a throttled table): SQS retries it and
        # after maxReceiveCount moves it to the DLQ. The record says why, for the operator.
        _reject(message, Category.FAILING, [f"{type(exc).__name__}: {exc}"], event.event_id, key)
        logger.warning("event failed, will be retried", receive_count=message.receive_count, error=str(exc))
        raise
    if message.receive_count > 1:
        rejections.resolve(message.source, key)
    metrics.add_metric(name="EventsIngested", unit=MetricUnit.Count, value=1)
    logger.info("event applied")
    return "applied"
