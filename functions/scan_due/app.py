"""EventBridge schedule → scan: "now" is the scheduled event's own ``time``.

Deployed, it only plans (one work item per due-index shard for scan_worker); without the fan-out
queue configured it evaluates every shard itself.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import iso, parse_instant
from delaydesk.delays import scan


# The scheduled event as the dict it is: Powertools' EventBridgeEvent lives in data_classes, whose
# package loads every event source's class at import (README, "Scale": cold start).
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    now = parse_instant(event["time"])
    logger.set_correlation_id(event["id"])
    settings = get_settings()
    if settings.scan_work_queue_url:
        return {"now": iso(now), "planned": scan.plan(now, settings)}
    report = scan.scan_due(now, settings)
    return asdict(report) | {"now": iso(report.now)}
