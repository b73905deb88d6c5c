"""SQS (OpsAlertsQueue) → each early-warning alert state delivered once to the operators' channels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import get_settings
from delaydesk.core.observability import RECORD_KEYS, logger, metrics, tracer
from delaydesk.core.sqs_batch import SQSRecord, process_partial_response
from delaydesk.operations import PoisonAlert, handle_alert_message


def record_handler(record: SQSRecord) -> str:
    logger.remove_keys(RECORD_KEYS)
    try:
        return handle_alert_message(record.body, datetime.now(UTC))
    except PoisonAlert as exc:
        # Not an alert delivery, and it never will be: straight to the DLQ with the reason.
        aws.dead_letter(get_settings().ops_alerts_dlq_url, record.body, str(exc))
        logger.error("poison alert message sent to the DLQ", reason=str(exc), message_id=record.message_id)
        return "dead-lettered"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    response = process_partial_response(event, record_handler)
    return dict(response)
