"""EventBridge schedule → early warning: "now" is the scheduled event's own ``time``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import iso, parse_instant
from delaydesk.operations import detect_spikes


# The scheduled event as the dict it is: Powertools' EventBridgeEvent lives in data_classes, whose
# package loads every event source's class at import (README, "Scale": cold start).
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    logger.set_correlation_id(event["id"])
    report = detect_spikes(parse_instant(event["time"]))
    return {"now": iso(report.now), "merchants": report.merchants, "opened": report.opened, "resolved": report.resolved}
