"""Applying input events to orders: validate, apply once per event_id, re-index the due time."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import ValidationError

from delaydesk import store
from delaydesk.core import stats
from delaydesk.core.config import get_settings
from delaydesk.core.events import Event, OrderPaid, Tracking, dated_ahead, parse_event
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.core.orders import EventRejected, OrderNotFound, apply_event
from delaydesk.delays import eta, next_due_at
from delaydesk.tracking import rejections
from delaydesk.tracking.rejections import Category


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def _order_id(event: Event) -> str:
    if isinstance(event, OrderPaid):
        return event.order.order_id
    if isinstance(event, Tracking) and event.order_id is None:
        assert event.carrier is not None and event.tracking_number is not None
        found = store.order_id_for_parcel(event.carrier, event.tracking_number)
        if found is None:
            raise OrderNotFound(f"no order ships as {event.carrier} {event.tracking_number} (yet)")
        return found
    assert event.order_id is not None  # every other event type requires it
    return event.order_id


def apply(event: dict[str, Any]) -> dict[str, Any]:
    """Apply one validated event to its order with a conditional (versioned) write."""
    settings = get_settings()
    parsed = parse_event(event)
    order_id = _order_id(parsed)
    logger.append_keys(order_id=order_id)
    record = store.get_order(order_id)
    before = record.order() if record else None
    order = apply_event(before, parsed)  # a copy: ``before`` stays as it was
    merchant = store.get_merchant(order.merchant_id)
    if merchant is None:
        logger.warning("unknown merchant: the deployment's default thresholds apply", merchant_id=order.merchant_id)
    due = next_due_at(order, DelayPolicy.for_merchant(merchant, settings))
    if record is not None and (record.outbox or record.pending_decisions) and record.next_due_at is not None:
        due = min(due, record.next_due_at) if due else record.next_due_at  # the scan must still flush them
    previous_status = record.status if record is not None else None
    store.save_order(order, record, due, settings.due_shards)
    # Counted after the versioned write succeeded, from the change it made: a redelivery changes nothing.
    store.add_counts(order.merchant_id, parsed.at, *stats.scope_of(order), stats.event_counts(before, order))
    eta.record_delivery(previous_status, order)
    return {"order_id": order.order_id, "status": order.status.value, "next_due_at": due.isoformat() if due else None}


@lru_cache(maxsize=1)
def _idempotency() -> tuple[IdempotencyConfig, Any]:
    """The idempotency config and ``apply`` wrapped by it (built at first use, once)."""
    persistence = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)
    config = IdempotencyConfig(
        event_key_jmespath="event_id", raise_on_no_idempotency_key=True, expires_after_seconds=14 * 24 * 3600
    )
    wrapped = idempotent_function(data_keyword_argument="event", persistence_store=persistence, config=config)(apply)
    return config, wrapped


def register_context(context: LambdaContextLike) -> None:
    """Let the idempotency layer expire in-progress records if this Lambda run times out."""
    config, _ = _idempotency()
    config.register_lambda_context(context)  # type: ignore[arg-type]


def _peek_event_id(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("event_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _describe(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors()]


def handle_message(body: str, *, source: str, message_id: str, receive_count: int, received_at: datetime) -> str:
    """One queue message. Returns the outcome; raises (to be retried) only on transient errors."""
    try:
        event = parse_event(body)
    except ValidationError as exc:
        errors = _describe(exc)
        rid = rejections.record(
            Category.INVALID,
            source=source,
            body=body,
            errors=errors,
            event_id=_peek_event_id(body),
            message_id=message_id,
            receive_count=receive_count,
            now=received_at,
        )
        logger.warning(
            "event rejected: it does not match the contract", rejection_id=rid, errors=errors, message_id=message_id
        )
        metrics.add_metric(name="EventsInvalid", unit=MetricUnit.Count, value=1)
        return "invalid"

    logger.set_correlation_id(event.event_id)
    logger.append_keys(event_id=event.event_id, event_type=event.type)
    try:
        ahead = dated_ahead(event, received_at)
        if ahead is not None:
            raise EventRejected(ahead)
        _idempotency()[1](event=event.model_dump(mode="json"))
    except EventRejected as exc:
        rid = rejections.record(
            Category.REFUSED,
            source=source,
            body=body,
            errors=[str(exc)],
            event_id=event.event_id,
            message_id=message_id,
            receive_count=receive_count,
            now=received_at,
        )
        logger.warning("event refused", rejection_id=rid, reason=str(exc))
        metrics.add_metric(name="EventsRefused", unit=MetricUnit.Count, value=1)
        return "refused"
    except Exception as exc:
        # Transient (an order not seen yet, a lost race, a throttled table): SQS retries it and
        # after maxReceiveCount moves it to the DLQ. The record says why, for the operator.
        rid = rejections.record(
            Category.FAILING,
            source=source,
            body=body,
            errors=[f"{type(exc).__name__}: {exc}"],
            event_id=event.event_id,
            message_id=message_id,
            receive_count=receive_count,
            now=received_at,
        )
        logger.warning("event failed, will be retried", rejection_id=rid, receive_count=receive_count, error=str(exc))
        raise
    if receive_count > 1:
        rejections.resolve(source, event.event_id)
    metrics.add_metric(name="EventsIngested", unit=MetricUnit.Count, value=1)
    logger.info("event applied")
    return "applied"
