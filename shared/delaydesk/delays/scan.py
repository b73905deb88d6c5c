"""The due-order scan: read what is due from the sparse index, decide, queue the notices, commit
each order once with its decisions in its audit trail."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec

from delaydesk import store
from delaydesk.core import aws, counts, effect_stats, stats
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.kinds import DELAY_KINDS, NoticeRequest
from delaydesk.core.merchants import DelayPolicy, Merchant
from delaydesk.core.observability import MetricUnit, count_by, logger, metrics
from delaydesk.core.orders import Order
from delaydesk.core.record import Meta, Record
from delaydesk.core.transit import TransitStats, history_key
from delaydesk.core.windows import Window
from delaydesk.delays import announcements, escalation
from delaydesk.delays.detect import evaluate, next_due_at
from delaydesk.delays.scan_plan import report_lag
from delaydesk.policy import timers
from delaydesk.store import ConcurrentUpdate, OrderRecord


class ScanReport(msgspec.Struct):
    now: datetime
    examined: int = 0
    decisions: int = 0
    notices_queued: int = 0
    conflicts: int = 0
    failed: int = 0
    """Orders not evaluated after their retries (still due: the next run takes them)."""
    retries: int = 0
    truncated: bool = False
    rules: dict[str, int] = msgspec.field(default_factory=dict)


class _Merchants:
    """Merchant look-ups cached for one scan run (one read per merchant, not per order)."""

    def __init__(self) -> None:
        self._cache: dict[str, Merchant | None] = {}
        self._transit: dict[str, TransitStats | None] = {}

    def get(self, merchant_id: str) -> Merchant | None:
        if merchant_id not in self._cache:
            self._cache[merchant_id] = store.cached_merchant(merchant_id)
        return self._cache[merchant_id]

    def transit(self, order: Order) -> TransitStats | None:
        """Delivered transit times for the order's merchant, carrier and region (cached per run)."""
        if order.shipment is None:
            return None
        key = history_key(order.merchant_id, order.shipment.carrier, order.destination.region)
        if key not in self._transit:
            self._transit[key] = store.get_transit_stats(key)
        return self._transit[key]


class _Windows:
    """The windows in force per merchant, read once per run (the platform's and the merchant's)."""

    def __init__(self) -> None:
        self._cache: dict[str, list[Window]] = {}

    def get(self, merchant_id: str) -> list[Window]:
        if merchant_id not in self._cache:
            self._cache[merchant_id] = store.windows_for(merchant_id)
        return self._cache[merchant_id]


def queue_notices(requests: list[NoticeRequest], settings: Settings) -> None:
    """Send notice requests to the Notices queue in batches of ten, announcements scheduled into
    their send slots (``announcements.py``); any failure raises."""
    announcements.queue(requests, settings)


class _Evaluated(msgspec.Struct):
    """An order evaluated, waiting for its notices to be queued, then for its commit."""

    record: OrderRecord
    order: Order
    due: datetime | None
    decisions: list[Decision]
    """Derived by this evaluation: held in the order item by its commit (``store.place_decisions``;
    those that do not fit recorded in the Decisions table before it), counted by the commit."""
    earlier: list[Decision]
    """From an outbox an earlier version of the scan committed: recorded and counted as it did
    (a conditional put each in the Decisions table, counted if it was not in yet)."""
    notices: list[NoticeRequest]
    trail_flags: int = 0
    """What the order's trail is to say of the Decisions table (``store.trail``)."""


class _Outbox:
    """Evaluations of several orders finished together: their notices queued (ten per SQS call),
    then each order committed by one versioned write, its only write, which holds the
    evaluation's decisions in the order item (``store.place_decisions``). Decisions the item has
    no room for are recorded in the Decisions table before the commits (25 per ``BatchWriteItem``).

    Nothing is written to an order before its notices are queued, so a run that dies in between,
    a batch that fails or a commit that keeps failing leaves the order due and unchanged, with no
    decision recorded (but those that spilled: rewritten the same by the next run, their ids
    being fixed by what they decide): the next run evaluates it again and queues the same notice
    keys (dispatch claims each once); each decision is counted by the commit that makes it part of
    the order, once.
    """

    def __init__(self, settings: Settings, report: ScanReport, flush_at: int | None = 10) -> None:
        self._settings = settings
        self._report = report
        self._waiting: list[_Evaluated] = []
        self._flush_at = flush_at
        """Notices that make a flush (None: only ``flush()``, e.g. once per recompute page, so
        that a page's announcements take their send slots in one block)."""

    def add(self, evaluated: _Evaluated) -> None:
        self._waiting.append(evaluated)
        if self._flush_at is not None and sum(len(e.notices) for e in self._waiting) >= self._flush_at:
            self.flush()

    def flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            spilled = [
                d
                for e in waiting
                for d in store.place_decisions(
                    e.record, e.order, e.due, self._settings.due_shards, e.decisions, e.trail_flags
                )
            ]
            queue_notices([n for e in waiting for n in e.notices], self._settings)
            store.record_decisions(spilled)
        except Exception as exc:  # noqa: BLE001 - each order stays due and unchanged; the next run repeats it
            self._report.failed += len(waiting)
            logger.warning(
                "notices or decisions not written; left for the next run", orders=len(waiting), error=str(exc)
            )
            return
        for evaluated in waiting:
            _commit_isolated(evaluated, self._settings, self._report)


def _commit_isolated(evaluated: _Evaluated, settings: Settings, report: ScanReport) -> None:
    """Commit one evaluated order, retried with backoff; a lost race or the last failure leaves it
    due for the next run (which queues and records the same again)."""
    record = evaluated.record
    escalations = [d for d in evaluated.earlier + evaluated.decisions if d.action == Action.ESCALATED]
    for attempt in range(1, settings.scan_item_attempts + 1):
        try:
            for decision in evaluated.earlier:
                if store.put_decision(decision):
                    _count(decision, evaluated, report)
            evaluated.earlier = []
            # Before the commit, as the notices are: opening and publishing are idempotent (the
            # decision's id), so the run that repeats an uncommitted evaluation raises it once.
            for decision in escalations:
                if escalation.raise_escalation(decision, evaluated.order, settings.escalations_topic_arn):
                    count_by("Escalations", "reason", decision.rule)
            escalations = []
            store.commit_evaluation(record, evaluated.order, evaluated.due, settings.due_shards)
            break
        except ConcurrentUpdate:
            if attempt > 1 and _committed_before(record):
                break  # the failed attempt did write (its answer was lost): committed
            report.conflicts += 1  # an event changed the order meanwhile: still due, the next run takes it
            logger.info("order changed during evaluation; left for the next run", order_id=record.order_id)
            return
        except Exception as exc:  # noqa: BLE001 - one order's failure must not stop the run (isolation)
            if _gave_up(exc, "committed", record.order_id, attempt, settings, report):
                return
    for decision in evaluated.decisions:
        _count(decision, evaluated, report)
    report.notices_queued += len(evaluated.notices)


def _committed_before(record: OrderRecord) -> bool:
    """Whether the order holds what ``record`` tried to write (a write whose answer was lost)."""
    fresh = store.get_order(record.order_id)
    return fresh is not None and fresh.packed == record.packed and fresh.version == (record.version or 0) + 1


def _count(decision: Decision, evaluated: _Evaluated, report: ScanReport) -> None:
    """Count a decision now part of its order (once)."""
    order = evaluated.order
    store.add_counts(
        order.merchant_id,
        decision.at,
        *stats.scope_of(order),
        counts.decision_counts(decision) | effect_stats.first_delay_counts(decision, order),
    )
    report.decisions += 1
    report.rules[decision.rule] = report.rules.get(decision.rule, 0) + 1
    logger.info("decision", order_id=order.order_id, action=decision.action.value, rule=decision.rule)
    if decision.action == Action.DELAY_DETECTED:
        count_by("DelaysDetected", "rule", decision.rule)


def process(
    record: OrderRecord,
    now: datetime,
    merchants: _Merchants,
    settings: Settings,
    report: ScanReport,
    windows: _Windows | None = None,
    outbox: _Outbox | None = None,
) -> None:
    order = record.order()
    policy = DelayPolicy.for_merchant(merchants.get(order.merchant_id), settings)
    policy = msgspec.structs.replace(policy, transit=merchants.transit(order))
    earlier_decisions, earlier_notices = store.pending(record)
    # The policy timers first (windows may move the ship-by the delay rules look at).
    timed = timers.evaluate(order, policy, (windows or _Windows()).get(order.merchant_id), now)
    result = evaluate(timed.order, policy, now)
    decisions = timed.decisions + result.decisions
    # Queued before the commit: each carries the version the commit writes, which dispatch awaits.
    committed_as = {"order_version": (record.version or 0) + 1}
    notices = earlier_notices + [n.model_copy(update=committed_as) for n in timed.notices + result.notices]
    due = next_due_at(result.order, policy)
    if not (decisions or earlier_decisions or notices) and result.order == order and due == record.next_due_at:
        return  # nothing changed: no rewrite of an unchanged item
    flags = _trail_flags(merchants.get(order.merchant_id), notices, earlier_decisions)
    evaluated = _Evaluated(record, result.order, due, decisions, earlier_decisions, notices, flags)
    if not (decisions or notices):  # nothing to queue or place first: committed now
        _commit_isolated(evaluated, settings, report)
        return
    if outbox is None:  # one order on its own: queue and commit now
        outbox = _Outbox(settings, report)
        outbox.add(evaluated)
        outbox.flush()
    else:
        outbox.add(evaluated)


def _trail_flags(merchant: Merchant | None, notices: list[NoticeRequest], earlier: list[Decision]) -> int:
    """``NOTICE_DECISIONS`` when dispatch may record a decision of its own for one of these notices
    (a delay notice, a merchant with compensation rules: granted or held out); ``IN_TABLE`` when
    an earlier outbox's decisions go to the Decisions table."""
    flags = store.IN_TABLE if earlier else 0
    compensates = merchant is not None and bool(merchant.settings.notices.compensation.rules)
    if compensates and any(n.kind in DELAY_KINDS for n in notices):
        flags |= store.NOTICE_DECISIONS
    return flags


sleep: Callable[[float], None] = time.sleep
"""How a retry waits (tests replace it)."""


def _evaluate_isolated(
    record: OrderRecord,
    now: datetime,
    merchants: _Merchants,
    settings: Settings,
    report: ScanReport,
    windows: _Windows,
    outbox: _Outbox,
) -> None:
    """Evaluate one order; a failure is retried with backoff, then left due for the next run.

    A retry reads the order again (what the failed attempt committed, if anything, is what it
    finds) and evaluates it again: every step is idempotent (the versioned commit, the decisions'
    fixed ids, the escalation, the notice keys), so a retry neither loses nor doubles one. The
    commit itself is retried by ``_commit_isolated`` (after the notices of the batch are queued).
    """
    for attempt in range(1, settings.scan_item_attempts + 1):
        try:
            process(record, now, merchants, settings, report, windows, outbox)
            return
        except ConcurrentUpdate:
            # An event changed the order while we evaluated it; it is still due, next run takes it.
            report.conflicts += 1
            logger.info("order changed during evaluation; left for the next run", order_id=record.order_id)
            return
        except Exception as exc:  # noqa: BLE001 - one order's failure must not stop the run (isolation)
            if _gave_up(exc, "evaluated", record.order_id, attempt, settings, report):
                return
            fresh = store.get_order(record.order_id)
            if fresh is None or fresh.next_due_at is None or fresh.next_due_at > now:
                return  # the failed attempt did commit (or the order left the index): nothing left to do
            record = fresh


def _gave_up(exc: Exception, step: str, order_id: str, attempt: int, settings: Settings, report: ScanReport) -> bool:
    """After a failed attempt at ``step``: True if it was the last (the order is left due for the
    next run, and counted as failed), else False once the backoff before the next one has passed."""
    if attempt == settings.scan_item_attempts:
        report.failed += 1
        logger.warning(
            f"order not {step}; left due for the next run",
            order_id=order_id,
            attempts=attempt,
            error=f"{type(exc).__name__}: {exc}",
        )
        return True
    report.retries += 1
    sleep(backoff(attempt))
    return False


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` + 1: 0.1, 0.2, 0.4 … (capped at 2 s), with full jitter."""
    return random.uniform(0, min(2.0, 0.1 * 2 ** (attempt - 1)))  # noqa: S311 - jitter, not a secret


class ScanWork(Record, forbid_unknown_fields=True):
    """One work item of a fanned-out run: a page of one due-index shard."""

    shard: Annotated[int, Meta(ge=0, le=63)]
    until: datetime
    budget: Annotated[int, Meta(ge=1)]
    """Orders this shard may still have evaluated in this run (its later pages included)."""
    start_key: dict[str, Any] | None = None
    page: Annotated[int, Meta(ge=0)] = 0


def scan_page(work: ScanWork, settings: Settings | None = None) -> ScanReport:
    """A worker's part: evaluate one page of one shard, each order isolated, and queue the next
    page while the shard's budget lasts (what is beyond it waits for the next run)."""
    settings = settings or get_settings()
    report = ScanReport(now=work.until)
    limit = min(settings.scan_page_size, work.budget)
    records, last_key = store.due_page(work.shard, work.until, work.start_key, limit)
    outbox = _Outbox(settings, report)
    merchants, windows = _Merchants(), _Windows()
    with store.batched_counts():  # the page's statistics: one ADD per row touched
        for record in records:
            report.examined += 1
            _evaluate_isolated(record, work.until, merchants, settings, report, windows, outbox)
        outbox.flush()
    remaining = work.budget - limit
    if last_key and remaining > 0:
        following = work.model_copy(
            update={"start_key": json.loads(json.dumps(last_key)), "budget": remaining, "page": work.page + 1}
        )
        aws.send_batches(settings.scan_work_queue_url, [following.model_dump_json()], "scan work item(s)")
    elif last_key:
        report.truncated = True
        logger.warning("shard over its budget for this run; the rest waits for the next", shard=work.shard)
    _finish(report, shard=work.shard, page=work.page)
    return report


def _finish(report: ScanReport, shard: int | None = None, page: int | None = None) -> None:
    if report.failed:
        metrics.add_metric(name="ScanItemsFailed", unit=MetricUnit.Count, value=report.failed)
    metrics.add_metric(name="OrdersExamined", unit=MetricUnit.Count, value=report.examined)
    logger.info(
        "scan finished",
        examined=report.examined,
        decisions=report.decisions,
        notices=report.notices_queued,
        failed=report.failed,
        retries=report.retries,
        conflicts=report.conflicts,
        truncated=report.truncated,
        shard=shard,
        page=page,
    )


def scan_due(now: datetime, settings: Settings | None = None) -> ScanReport:
    """Evaluate every order due at ``now`` in this run (at most ``scan_max_orders``; the rest next run).

    The deployed schedule calls ``scan_plan.plan`` instead when the fan-out queue is configured.
    """
    settings = settings or get_settings()
    report = ScanReport(now=now)
    merchants = _Merchants()
    windows = _Windows()
    outbox = _Outbox(settings, report)
    # Scan lag: how long the oldest due order had been waiting when this run started. Each shard
    # is read oldest first, so its first record is its oldest; shards a truncated run never
    # reached are asked for one item each.
    first_due: dict[str, datetime] = {}
    with store.batched_counts():
        for record in store.due_orders(now, settings.due_shards):
            if record.due_shard and record.next_due_at:
                first_due.setdefault(record.due_shard, record.next_due_at)
            if report.examined >= settings.scan_max_orders:
                report.truncated = True
                logger.warning(
                    "scan stopped at its limit; the rest is picked up by the next run", limit=settings.scan_max_orders
                )
                break
            report.examined += 1
            _evaluate_isolated(record, now, merchants, settings, report, windows, outbox)
        outbox.flush()
    oldest = min(first_due.values(), default=None)
    if report.truncated:
        unread = store.oldest_due(now, [s for s in range(settings.due_shards) if str(s) not in first_due])
        oldest = min(filter(None, (oldest, unread)), default=None)
    report_lag(now, oldest)
    _finish(report)
    return report
