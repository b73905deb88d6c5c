"""SQS → dispatch: render and send notices, once per (order, kind, stage, channel)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from delaydesk import aws, dispatch, notice_jobs, senders, store
from delaydesk.config import get_settings
from delaydesk.notices import NoticeRequest
from delaydesk.observability import RECORD_KEYS, MetricUnit, logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def _dead_letter(record: SQSRecord, reason: str) -> None:
    """A poison message goes straight to the DLQ with its reason (no pointless retries)."""
    settings = get_settings()
    aws.sqs().send_message(
        QueueUrl=settings.notices_dlq_url,
        MessageBody=record.body,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1000]},
            "source_message_id": {"DataType": "String", "StringValue": record.message_id},
        },
    )
    metrics.add_metric(name="NoticesDeadLettered", unit=MetricUnit.Count, value=1)
    logger.error("poison notice sent to the DLQ", reason=reason)


def _back_off(record: SQSRecord) -> None:
    """Throttled: come back later, later each time (exponential, within SQS's 12 hours)."""
    seconds = notice_jobs.throttle_backoff(int(record.attributes.approximate_receive_count or 1))
    queue_url = get_settings().notices_queue_url
    aws.sqs().change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=seconds
    )


def record_handler(record: SQSRecord) -> str:
    logger.remove_keys(RECORD_KEYS)
    logger.set_correlation_id(None)
    try:
        request = NoticeRequest.model_validate_json(record.body)
    except ValidationError as exc:
        _dead_letter(record, f"not a notice request: {exc.errors()[0]['msg']}")
        return "dead-lettered"
    logger.set_correlation_id(request.order_id)
    settings = get_settings()
    try:
        return dispatch.dispatch(
            request,
            now=request.requested_at,
            settings=settings,
            requeue=lambda r, delay: notice_jobs.requeue(r, delay, settings),
        )
    except Exception as exc:
        if senders.is_throttling(exc):
            metrics.add_metric(name="NoticesThrottled", unit=MetricUnit.Count, value=1)
            _back_off(record)
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
