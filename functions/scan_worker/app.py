"""SQS → one page of one due-index shard per work item (the fanned-out scan), partial batch failures reported."""

from __future__ import annotations

from typing import Any

import msgspec
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import RECORD_KEYS, logger, metrics, tracer
from delaydesk.core.sqs_batch import SQSRecord, process_partial_response
from delaydesk.core.times import iso
from delaydesk.delays import scan


def record_handler(record: SQSRecord) -> dict[str, Any]:
    logger.remove_keys(RECORD_KEYS)
    work = scan.ScanWork.model_validate_json(record.body)
    logger.set_correlation_id(f"{iso(work.until)}#{work.shard}#{work.page}")
    report = scan.scan_page(work)
    return msgspec.structs.asdict(report) | {"now": iso(report.now)}


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    response = process_partial_response(event, record_handler)
    return dict(response)
