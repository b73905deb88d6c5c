"""Scheduled notice housekeeping: release held SMS and the announcements' slot table, synchronise
SMS opt-outs.

A held or slotted notice is stored as the JSON of a validated ``NoticeRequest`` (``hold_notice``,
``put_slotted``) and released as it was stored: dispatch validates every message it reads (and
dead-letters one that is not a notice request, with the reason), so the release builds no model
and imports no record type (README, "Scale": cold start). Of a slotted announcement it reads only
the ticket (``bulk_slot``) its queue delay is computed from.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from delaydesk import store
from delaydesk.core import aws, pacing
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.notices import suppression

if TYPE_CHECKING:
    from delaydesk.core.config import Settings
    from delaydesk.core.kinds import NoticeRequest

OPT_OUT_SYNC_HOUR_UTC = 3
THROTTLE_BACKOFF_BASE_SECONDS = 30
THROTTLE_BACKOFF_MAX_SECONDS = 900
MAX_RELEASE_MINUTES = 24 * 60
"""Minutes of the slot table one run queues at most (a release that was down for longer catches up
over several runs)."""

IDLE_CURSOR_MINUTES = 60
"""How far behind an idle release lets the slot cursor fall before it moves it (one write)."""

wall_clock: Callable[[], float] = time.time
"""Physical time for the slot table's tickets (tests replace it)."""


class JobsReport(msgspec.Struct):
    released: int = 0
    opt_outs: int = 0
    slots_released: int = 0


def requeue(request: NoticeRequest, delay_seconds: int, settings: Settings) -> None:
    queue_body(request.model_dump_json(), delay_seconds, settings)


def queue_body(body: str, delay_seconds: int, settings: Settings) -> None:
    """Put a notice request's JSON on the Notices queue, invisible for ``delay_seconds`` (at most
    SQS's 15 minutes)."""
    delay = max(0, min(pacing.MAX_SQS_DELAY, delay_seconds))
    aws.sqs().send_message(QueueUrl=settings.notices_queue_url, MessageBody=body, DelaySeconds=delay)


def throttle_backoff(attempt: int) -> int:
    """Seconds a throttled notice stays invisible before its ``attempt``-th retry: exponential
    (30 s, 60 s, …) up to 15 minutes, so a throttled provider is not asked again at once."""
    return min(THROTTLE_BACKOFF_MAX_SECONDS, THROTTLE_BACKOFF_BASE_SECONDS << min(max(1, attempt) - 1, 16))


def release_held(now: datetime, settings: Settings) -> int:
    """Queue every held notice whose release time has come (it carries ``not_before``)."""
    released = 0
    for item in store.held_due(now):
        queue_body(item.text or "{}", 0, settings)
        store.release_held(item)  # after queueing: a crash in between queues it twice, and the claim dedupes
        released += 1
    if released:
        logger.info("held notices released", count=released)
        metrics.add_metric(name="NoticesReleased", unit=MetricUnit.Count, value=released)
    return released


def release_slots(wall_now: float, settings: Settings) -> int:
    """Queue the slot table's announcements whose minute has come within reach of DelaySeconds,
    each delayed up to its ticket (``core.pacing``), then move the cursor past those minutes.

    Items are not deleted (their TTL removes them): the cursor says what was queued. A run that
    dies before moving it queues the same minutes again next time, and dispatch's claim sends
    each notice once. The horizon (the last minute a fan-out wrote) spares the Queries when the
    table holds nothing to release: an idle run costs one call (and a cursor write an hour).
    """
    cursor, horizon = store.slot_cursor()
    minutes = pacing.release_minutes(cursor, wall_now)
    if not minutes:
        return 0
    if horizon is None or horizon < minutes.start:
        # Nothing pending; a later fan-out writes beyond this run's minutes, so the cursor may skip
        # them (at most hourly, so that the next announcement's first run reads few empty minutes).
        if cursor is None or minutes.stop - cursor > IDLE_CURSOR_MINUTES:
            store.advance_slot_cursor(cursor, minutes.stop)
        return 0
    minutes = range(minutes.start, min(minutes.stop, horizon + 1))[:MAX_RELEASE_MINUTES]
    released = 0
    for minute in minutes:
        bodies: list[str] = []
        delays: list[int] = []
        for item in store.slotted_in(pacing.minute_key(minute)):
            ticket = bulk_slot(item.text or "{}")
            bodies.append(item.text or "{}")
            delays.append(0 if ticket is None else pacing.queue_delay(ticket, wall_now))
        if bodies:
            aws.send_batches(settings.notices_queue_url, bodies, "scheduled notice(s)", delays)
            released += len(bodies)
    if not store.advance_slot_cursor(cursor, minutes[-1] + 1):
        logger.warning("another release moved the slot cursor meanwhile", cursor=cursor)
    if released:
        logger.info("scheduled notices released", count=released, through=pacing.minute_key(minutes[-1]))
        metrics.add_metric(name="ScheduledNoticesReleased", unit=MetricUnit.Count, value=released)
    return released


def bulk_slot(text: str) -> float | None:
    """The ticket (``NoticeRequest.bulk_slot``) of a stored announcement; None when it has none (a
    malformed item: dispatch then takes a ticket itself, or dead-letters what is no notice request)."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    slot = document.get("bulk_slot") if isinstance(document, dict) else None
    return float(slot) if isinstance(slot, int | float) and not isinstance(slot, bool) else None


def run(now: datetime, settings: Settings) -> JobsReport:
    report = JobsReport(released=release_held(now, settings), slots_released=release_slots(wall_clock(), settings))
    if now.hour == OPT_OUT_SYNC_HOUR_UTC and now.minute < 5:
        report.opt_outs = suppression.sync_sms_opt_outs(now)
    return report
