"""SQS → dispatch: render and send notices, once per (order, kind, stage, channel)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.notices import consume, prefetched

processor = BatchProcessor(event_type=EventType.SQS)


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
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    return dict(response)
