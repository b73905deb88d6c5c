"""SQS → recompute: one page of one due-index shard per message, partial batch failures reported."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import RECORD_KEYS, logger, metrics, tracer
from delaydesk.delays import recompute

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> dict[str, Any]:
    logger.remove_keys(RECORD_KEYS)
    request = recompute.RecomputeRequest.model_validate_json(record.body)
    logger.set_correlation_id(f"{request.window_id}#{request.shard}#{request.page}")
    return asdict(recompute.handle(request))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
