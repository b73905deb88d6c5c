"""SQS → ingest: order and tracking events, partial batch failures reported to SQS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import RECORD_KEYS, logger, metrics, tracer
from delaydesk.core.origins import ORIGIN_ATTRIBUTE
from delaydesk.core.sqs_batch import SQSRecord, process_partial_response
from delaydesk.tracking import ingest


def _origin(record: SQSRecord) -> str | None:
    origin: dict[str, Any] = (record.raw_event.get("messageAttributes") or {}).get(ORIGIN_ATTRIBUTE) or {}
    return origin.get("stringValue")


def _received_at(record: SQSRecord) -> datetime:
    return datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, tz=UTC)


def record_handler(record: SQSRecord) -> str:
    logger.remove_keys(RECORD_KEYS)
    logger.set_correlation_id(None)
    return ingest.handle_message(
        record.body,
        source=record.event_source_arn.rsplit(":", 1)[-1],
        message_id=record.message_id,
        receive_count=int(record.attributes.approximate_receive_count),
        received_at=_received_at(record),
        origin=_origin(record),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    records = [SQSRecord(raw) for raw in event.get("Records") or []]
    # One statistics ADD per row for the whole batch; the batch's orders read and ids noted together.
    with store.batched_counts(), ingest.batch_reads((r.body, _origin(r), _received_at(r)) for r in records):
        response = process_partial_response(event, record_handler)
    return dict(response)
