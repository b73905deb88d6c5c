"""Scheduled notice housekeeping: release held SMS, synchronise SMS opt-outs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.notices import suppression

OPT_OUT_SYNC_HOUR_UTC = 3
THROTTLE_BACKOFF_BASE_SECONDS = 30
THROTTLE_BACKOFF_MAX_SECONDS = 900


@dataclass
class JobsReport:
    released: int = 0
    opt_outs: int = 0


def requeue(request: NoticeRequest, delay_seconds: int, settings: Settings) -> None:
    aws.sqs().send_message(
        QueueUrl=settings.notices_queue_url,
        MessageBody=request.model_dump_json(),
        DelaySeconds=max(0, min(900, delay_seconds)),
    )


def throttle_backoff(attempt: int) -> int:
    """Seconds a throttled notice stays invisible before its ``attempt``-th retry: exponential
    (30 s, 60 s, …) up to 15 minutes, so a throttled provider is not asked again at once."""
    return min(THROTTLE_BACKOFF_MAX_SECONDS, THROTTLE_BACKOFF_BASE_SECONDS << min(max(1, attempt) - 1, 16))


def release_held(now: datetime, settings: Settings) -> int:
    """Queue every held notice whose release time has come (it carries ``not_before``)."""
    released = 0
    for item in store.held_due(now):
        request = NoticeRequest.model_validate(json.loads(item.text or "{}"))
        requeue(request, 0, settings)
        store.release_held(item)  # after queueing: a crash in between queues it twice, and the claim dedupes
        released += 1
    if released:
        logger.info("held notices released", count=released)
        metrics.add_metric(name="NoticesReleased", unit=MetricUnit.Count, value=released)
    return released


def run(now: datetime, settings: Settings) -> JobsReport:
    report = JobsReport(released=release_held(now, settings))
    if now.hour == OPT_OUT_SYNC_HOUR_UTC and now.minute < 5:
        report.opt_outs = suppression.sync_sms_opt_outs(now)
    return report
