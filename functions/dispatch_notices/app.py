"""SQS → dispatch: render and send notices, once per (order, kind, stage, channel)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.sqs_batch import SQSRecord, process_partial_response
from delaydesk.notices import consume, prefetched


def record_handler(record: SQSRecord) -> str:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    return consume(record.body, record.message_id, record.receipt_handle, receive_count)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    # One statistics ADD per row, and the orders and suppression records read, for the whole batch.
    bodies = [str(record.get("body", "")) for record in event.get("Records", [])]
    with store.batched_counts(), prefetched(bodies):
        response = process_partial_response(event, record_handler)
    return dict(response)
