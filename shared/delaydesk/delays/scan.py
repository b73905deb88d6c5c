"""The due-order scan: read what is due from the sparse index, decide, queue the notices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from delaydesk import store
from delaydesk.core import aws, stats
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.decisions import Action
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.merchants import DelayPolicy, Merchant
from delaydesk.core.observability import MetricUnit, count_by, logger, metrics
from delaydesk.core.orders import Order
from delaydesk.core.transit import TransitStats, history_key
from delaydesk.core.windows import Window
from delaydesk.delays import escalation
from delaydesk.delays.detect import evaluate, next_due_at
from delaydesk.policy import timers
from delaydesk.store import ConcurrentUpdate, OrderRecord


@dataclass
class ScanReport:
    now: datetime
    examined: int = 0
    decisions: int = 0
    notices_queued: int = 0
    conflicts: int = 0
    truncated: bool = False
    rules: dict[str, int] = field(default_factory=dict)


class _Merchants:
    """Merchant look-ups cached for one scan run (one read per merchant, not per order)."""

    def __init__(self) -> None:
        self._cache: dict[str, Merchant | None] = {}
        self._transit: dict[str, TransitStats | None] = {}

    def get(self, merchant_id: str) -> Merchant | None:
        if merchant_id not in self._cache:
            self._cache[merchant_id] = store.get_merchant(merchant_id)
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
    """Send notice requests to the Notices queue in batches of ten; any failure raises."""
    aws.send_batches(settings.notices_queue_url, [r.model_dump_json() for r in requests], "notice(s)")


def process(
    record: OrderRecord,
    now: datetime,
    merchants: _Merchants,
    settings: Settings,
    report: ScanReport,
    windows: _Windows | None = None,
) -> None:
    order = record.order()
    policy = DelayPolicy.for_merchant(merchants.get(order.merchant_id), settings)
    policy = replace(policy, transit=merchants.transit(order))
    unflushed_decisions, unflushed_notices = store.pending(record)
    # The policy timers first (windows may move the ship-by the delay rules look at).
    timed = timers.evaluate(order, policy, (windows or _Windows()).get(order.merchant_id), now)
    result = evaluate(timed.order, policy, now)
    decisions = unflushed_decisions + timed.decisions + result.decisions
    notices = unflushed_notices + timed.notices + result.notices
    due = next_due_at(result.order, policy)
    store.commit_evaluation(record, result.order, decisions, notices, due, now, settings.due_shards)
    if not (decisions or notices):
        return
    for decision in decisions:
        if store.put_decision(decision):
            # Counted once: only the write that recorded the decision counts it (a repaired flush does not).
            store.add_counts(
                order.merchant_id, decision.at, *stats.scope_of(result.order), stats.decision_counts(decision)
            )
            report.decisions += 1
            report.rules[decision.rule] = report.rules.get(decision.rule, 0) + 1
            logger.info("decision", order_id=order.order_id, action=decision.action.value, rule=decision.rule)
            if decision.action == Action.DELAY_DETECTED:
                count_by("DelaysDetected", "rule", decision.rule)
        # After the outbox commit, and again on a repaired flush: opening and publishing are idempotent.
        if decision.action == Action.ESCALATED and escalation.raise_escalation(
            decision, result.order, settings.escalations_topic_arn
        ):
            count_by("Escalations", "reason", decision.rule)
    queue_notices(notices, settings)
    store.clear_outbox(record, result.order, due, settings.due_shards)
    report.notices_queued += len(notices)


def scan_due(now: datetime, settings: Settings | None = None) -> ScanReport:
    """Evaluate every order due at ``now`` (at most ``scan_max_orders``; the rest next run)."""
    settings = settings or get_settings()
    report = ScanReport(now=now)
    merchants = _Merchants()
    windows = _Windows()
    # Scan lag: how long the oldest due order had been waiting when this run started. Each shard
    # is read oldest first, so its first record is its oldest; shards a truncated run never
    # reached are asked for one item each.
    first_due: dict[str, datetime] = {}
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
        try:
            process(record, now, merchants, settings, report, windows)
        except ConcurrentUpdate:
            # An event changed the order while we evaluated it; it is still due, next run takes it.
            report.conflicts += 1
            logger.info("order changed during evaluation; left for the next run", order_id=record.order_id)
    oldest = min(first_due.values(), default=None)
    if report.truncated:
        unread = store.oldest_due(now, [s for s in range(settings.due_shards) if str(s) not in first_due])
        oldest = min(filter(None, (oldest, unread)), default=None)
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    metrics.add_metric(name="ScanLagSeconds", unit=MetricUnit.Seconds, value=lag)
    metrics.add_metric(name="OrdersExamined", unit=MetricUnit.Count, value=report.examined)
    logger.info("scan finished", examined=report.examined, decisions=report.decisions, notices=report.notices_queued)
    return report
