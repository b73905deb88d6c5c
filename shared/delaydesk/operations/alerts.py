"""Early warning, the detection: read the counters, store what changes, queue it for delivery.

``detect`` (the scheduled DetectSpikes function) reads, per merchant, only the statistics table's
rows of the spans it compares (never the order table), asks the pure detector (``early_warning``)
what changes, stores each change with a conditional write and queues one message per alert and
state on OpsAlertsQueue, which DeliverAlerts consumes (``alert_delivery``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.observability import count_by, logger
from delaydesk.core.times import iso
from delaydesk.operations.alert_thresholds import THRESHOLDS, Thresholds
from delaydesk.operations.early_warning import Reading, evaluate, spans


class DetectReport(msgspec.Struct):
    now: datetime
    merchants: int = 0
    opened: list[str] = msgspec.field(default_factory=list)
    resolved: list[str] = msgspec.field(default_factory=list)
    queued: int = 0


def _reading(merchant_id: str, now: datetime, t: Thresholds) -> Reading:
    """The merchant's rows of every span, read with one query (the hours from the earliest span's
    start to the latest one's end) and split in memory: one call instead of one per span."""
    ranges = spans(now, t)
    rows = store.counter_rows(merchant_id, min(s for s, _ in ranges), max(e for _, e in ranges))
    split = [[row for row in rows if start <= row.hour < end] for start, end in ranges]
    return Reading(now=split[0], earlier=split[1:])


def detect(now: datetime, settings: Settings | None = None, t: Thresholds = THRESHOLDS) -> DetectReport:
    """One run of the early warning at ``now`` for every merchant."""
    settings = settings or get_settings()
    report = DetectReport(now=now)
    for merchant in store.all_merchants():
        report.merchants += 1
        records = store.alerts_of(merchant.merchant_id)
        open_alerts = [r.alert() for r in records if r.status == "open"]
        rules = merchant.settings.disruption_rules
        changes = evaluate(
            merchant.merchant_id,
            merchant.default_locale,
            _reading(merchant.merchant_id, now, t),
            open_alerts,
            now,
            rules,
            t,
        )
        for change in changes:
            alert = change.alert
            if change.state == "open" and store.open_alert(alert):
                report.opened.append(alert.alert_id)
                count_by("AlertsOpened", "merchant", merchant.merchant_id)
                logger.warning("delay spike", alert_id=alert.alert_id, carriers=alert.carriers, regions=alert.regions)
            elif change.state == "resolved" and store.resolve_alert(merchant.merchant_id, alert.alert_id, now):
                report.resolved.append(alert.alert_id)
                logger.info("delay spike resolved", alert_id=alert.alert_id)
        # Every state not delivered yet, this run's and any an earlier run stored but failed to queue
        # (delivery is idempotent per alert and state, so a second message for one costs nothing).
        pending = {(r.alert_id, r.status) for r in records if not r.delivered(r.status)}
        pending |= {(c.alert.alert_id, c.state) for c in changes}
        bodies = [
            json.dumps({"merchant_id": merchant.merchant_id, "alert_id": aid, "state": state})
            for aid, state in sorted(pending)
        ]
        if bodies and settings.ops_alerts_queue_url:
            aws.send_batches(settings.ops_alerts_queue_url, bodies, "alert message(s)")
            report.queued += len(bodies)
    logger.info("early warning ran", opened=len(report.opened), resolved=len(report.resolved), queued=report.queued)
    return report


def alert_view(record: store.AlertRecord) -> dict[str, Any]:
    """An alert as the contract's ``alerts`` lists it, with its figures and delivery as extensions."""
    alert = record.alert()
    return {
        "alert_id": alert.alert_id,
        "merchant_id": alert.merchant_id,
        "kind": alert.kind,
        "scope": {"carriers": list(alert.carriers), "regions": list(alert.regions)},
        "opened_at": iso(alert.opened_at),
        "resolved_at": iso(alert.resolved_at) if alert.resolved_at else None,
        "proposed_window": alert.proposed_window,
        "rate": alert.rate,
        "baseline": alert.baseline,
        "delays": alert.delays,
        "orders": alert.orders,
        "window_id": record.window_id,
    }


def list_alerts(merchant_id: str | None = None) -> list[dict[str, Any]]:
    records = store.alerts_of(merchant_id) if merchant_id else store.all_alerts()
    return [alert_view(r) for r in records]
