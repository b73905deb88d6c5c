"""Schedule (every 5 minutes) → re-queue the SMS held for quiet hours whose time has come, and
the scheduled announcements whose send slots come within 15 minutes; once a day (the 03:00 UTC
run) → copy SNS's SMS opt-outs into the suppression list."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.core.times import parse_instant
from delaydesk.notices import notice_jobs


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    store.bind(settings)
    now = parse_instant(event["time"])
    report = notice_jobs.run(now, settings)
    return {"released": report.released, "slots_released": report.slots_released, "opt_outs_synced": report.opt_outs}
