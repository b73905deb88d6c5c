"""Schedule (hourly) → mail each merchant whose morning hour has come the previous day's digest,
once per merchant and day (DESIGN.md, "Operations": the daily digest)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import parse_instant
from delaydesk.operations import run_digests


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    store.bind(settings)
    run = run_digests(parse_instant(event["time"]), settings)
    return {"sent": run.sent, "skipped": run.skipped, "failed": run.failed}
