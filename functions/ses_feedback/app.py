"""SQS (SNS-wrapped SES events) → suppression list and notice feedback."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import get_settings
from delaydesk.core.observability import RECORD_KEYS, logger, metrics, tracer
from delaydesk.core.sqs_batch import SQSRecord, process_partial_response
from delaydesk.notices import feedback


def record_handler(record: SQSRecord) -> str:
    logger.remove_keys(RECORD_KEYS)
    try:
        event = feedback.unwrap(record.body)
    except feedback.FeedbackError as exc:
        # Not an SES event, and it never will be: straight to the DLQ with the reason.
        aws.dead_letter(get_settings().ses_feedback_dlq_url, record.body, str(exc))
        logger.error("poison feedback message sent to the DLQ", reason=str(exc), message_id=record.message_id)
        return "dead-lettered"
    return feedback.apply(event).event


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    # One statistics ADD per row and one BatchWriteItem of feedback records for the whole batch.
    with store.batched_counts(), store.batched_feedback():
        response = process_partial_response(event, record_handler)
    return dict(response)
