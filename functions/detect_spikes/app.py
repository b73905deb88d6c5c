"""EventBridge schedule → early warning: "now" is the scheduled event's own ``time``."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import iso, parse_instant
from delaydesk.operations import detect_spikes


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    store.bind(get_settings())
    logger.set_correlation_id(event.get_id)
    report = detect_spikes(parse_instant(event.time))
    return {"now": iso(report.now), "merchants": report.merchants, "opened": report.opened, "resolved": report.resolved}
