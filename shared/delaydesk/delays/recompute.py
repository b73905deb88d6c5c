"""Declaring, changing and ending windows, and recomputing the deadlines of the orders they cover.

``declare`` and ``end`` store the window (a conditional, versioned write) and queue one
recompute message per due-index shard. The consumer (functions/recompute_deadlines) handles a
message by evaluating one page of its shard with the windows now in force (the scan's own
``process``: its notices queued, then its decisions written in the order's trail by its one
commit), then queues the next
page. A window covering a million orders is therefore many small Lambda runs, never a giant one.

Open orders are all in the due-index (it holds every order with a pending deadline), so paging
through it reaches every order a window can change, and nothing else.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.events import Instant
from delaydesk.core.observability import logger
from delaydesk.core.record import FrozenRecord
from delaydesk.core.times import iso
from delaydesk.core.windows import PLATFORM, Window
from delaydesk.delays import scan
from delaydesk.delays.window_errors import WindowConflict as WindowConflict
from delaydesk.delays.window_errors import WindowNotFound as WindowNotFound
from delaydesk.policy import engine as policy

PAGE_SIZE = 50


class RecomputeRequest(FrozenRecord):
    """One message on the RecomputeDeadlines queue: one page of one due-index shard."""

    window_id: str
    owner: str
    shard: str
    at: Instant
    start_key: dict[str, Any] | None = None
    page: int = 0


class PageReport(msgspec.Struct):
    examined: int = 0
    covered: int = 0
    decisions: int = 0
    notices_queued: int = 0
    more: bool = False


def _queue(requests: list[RecomputeRequest], settings: Settings) -> None:
    aws.send_batches(settings.recompute_queue_url, [r.model_dump_json() for r in requests], "recompute request(s)")


def _fan_out(window: Window, now: datetime, settings: Settings) -> int:
    requests = [
        RecomputeRequest(window_id=window.window_id, owner=window.owner, shard=str(shard), at=now)
        for shard in range(settings.due_shards)
    ]
    _queue(requests, settings)
    return len(requests)


def declare(window: Window, now: datetime, settings: Settings | None = None) -> tuple[Window, bool]:
    """Store (create or change) ``window`` and recompute the orders it covers. True: created."""
    settings = settings or get_settings()
    record = store.get_window(window.owner, window.window_id)
    store.put_window(window, now, record)
    shards = _fan_out(window, now, settings)
    logger.info("window declared", window_id=window.window_id, new_window=record is None, recompute_messages=shards)
    return window, record is None


def end(owner: str | None, window_id: str, at: datetime, settings: Settings | None = None) -> Window:
    """End a window early at ``at``; the orders it covered are recomputed."""
    settings = settings or get_settings()
    record = store.get_window(owner or PLATFORM, window_id)
    if record is None:
        raise WindowNotFound(f"no window {window_id!r} for {owner or 'the platform'}")
    try:
        ended = record.window().ended(at)
    except ValueError as exc:
        raise WindowConflict(str(exc)) from None
    store.put_window(ended, at, record)
    _fan_out(ended, at, settings)
    logger.info("window ended", window_id=window_id, at=iso(at))
    return ended


def handle(request: RecomputeRequest, settings: Settings | None = None) -> PageReport:
    """Recompute one page of one shard, then queue the next page (if any)."""
    settings = settings or get_settings()
    report = PageReport()
    record = store.get_window(request.owner, request.window_id)
    if record is None:
        logger.warning("window vanished before its recompute; nothing to do", window_id=request.window_id)
        return report
    window = record.window()
    orders, last_key = store.order_page(request.shard, request.start_key, PAGE_SIZE)
    merchants = scan._Merchants()
    windows = scan._Windows()
    scan_report = scan.ScanReport(now=request.at)
    # The page's notices are queued together, so its announcements take one block of send slots.
    outbox = scan._Outbox(settings, scan_report, flush_at=None)
    for order_record in orders:
        report.examined += 1
        if not policy.in_scope(window, order_record.order()):
            continue
        report.covered += 1
        scan.process(order_record, request.at, merchants, settings, scan_report, windows, outbox)
    outbox.flush()
    report.decisions = scan_report.decisions
    report.notices_queued = scan_report.notices_queued
    if last_key:
        report.more = True
        next_page = request.model_copy(update={"start_key": json.loads(json.dumps(last_key)), "page": request.page + 1})
        _queue([next_page], settings)
    logger.info(
        "recompute page done",
        window_id=request.window_id,
        shard=request.shard,
        page=request.page,
        examined=report.examined,
        covered=report.covered,
        decisions=report.decisions,
    )
    return report
