"""EventBridge schedule → scan: "now" is the scheduled event's own ``time``.

Deployed, it only plans (one work item per due-index shard for scan_worker, ``scan_plan``): it
imports neither the scan nor the domain's models (README, "Scale": cold start). Without the
fan-out queue configured (tools, tests) it evaluates every shard itself and loads the scan for that.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import iso, parse_instant
from delaydesk.delays import scan_plan


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
        return {"now": iso(now), "planned": scan_plan.plan(now, settings)}
    # No fan-out queue (never deployed: the template sets SCAN_WORK_QUEUE_URL for every function).
    from delaydesk.delays import scan

    report = scan.scan_due(now, settings)
    return msgspec.structs.asdict(report) | {"now": iso(report.now)}
