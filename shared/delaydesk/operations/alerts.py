"""Early warning, the I/O: read the counters, store what changes, queue it, deliver it.

``detect`` (the scheduled DetectSpikes function) reads, per merchant, only the statistics table's
rows of the spans it compares (never the order table), asks the pure detector (``early_warning``)
what changes, stores each change with a conditional write and queues one message per alert and
state on OpsAlertsQueue. ``handle_message`` (DeliverAlerts, the queue's consumer) delivers each
alert state once: ``deliver_alert`` publishes it to the operators' SNS topic in the merchant's
locale, then the delivery is recorded with a conditional update, and a redelivered message finds it
recorded and stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.merchants import Merchant
from delaydesk.core.observability import count_by, logger
from delaydesk.core.stats import Alert
from delaydesk.core.times import iso
from delaydesk.operations import alert_text
from delaydesk.operations.early_warning import Reading, Thresholds, evaluate, spans
from delaydesk.operations.robots import deliver_to_robots

THRESHOLDS = Thresholds()


@dataclass
class DetectReport:
    now: datetime
    merchants: int = 0
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
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


class PoisonAlert(ValueError):
    """A message that is not an alert delivery and never will be (sent to the DLQ with the reason)."""


def parse_message(body: str) -> tuple[str, str, str]:
    try:
        data = json.loads(body)
    except ValueError:
        raise PoisonAlert("not JSON") from None
    if not isinstance(data, dict):
        raise PoisonAlert("not a JSON object")
    merchant_id, alert_id, state = data.get("merchant_id"), data.get("alert_id"), data.get("state")
    if not (isinstance(merchant_id, str) and merchant_id and isinstance(alert_id, str) and alert_id):
        raise PoisonAlert("merchant_id and alert_id are required strings")
    if state not in store.ALERT_STATES:
        raise PoisonAlert(f"state must be one of {', '.join(store.ALERT_STATES)}")
    return merchant_id, alert_id, str(state)


def deliver_alert(alert: Alert, state: str, merchant: Merchant | None, at: datetime, settings: Settings) -> list[str]:
    """Deliver one alert state to every channel it goes to; returns the channels it reached.

    The operators' SNS topic (e-mail, SMS subscribers) first, then the merchant's chat robots
    (``alert_robots``, operations.robots), each failing on its own without blocking the others.
    """
    zone = merchant.timezone if merchant else "UTC"
    text = alert_text.message(alert, state, zone, THRESHOLDS.span_hours, at)
    aws.sns().publish(
        TopicArn=settings.ops_topic_arn,
        Subject=alert_text.subject(alert, state),
        Message=text,
        MessageAttributes={
            "alert_id": {"DataType": "String", "StringValue": alert.alert_id},
            "state": {"DataType": "String", "StringValue": state},
            "merchant_id": {"DataType": "String", "StringValue": alert.merchant_id},
        },
    )
    channels = ["sns"]
    robots = merchant.settings.alert_robots if merchant else []
    if robots:
        # The state being delivered: an opened alert reads as opened even if it has resolved since.
        shown = alert if state == "resolved" else replace(alert, resolved_at=None)
        # Signed with the wall clock: DingTalk and Feishu refuse a signature an hour away from theirs.
        results = deliver_to_robots(shown, robots, now=datetime.now(UTC), timezone=zone)
        channels += [f"robot:{r.kind}" for r in results if r.ok]
    return channels


def handle_message(body: str, now: datetime, settings: Settings | None = None) -> str:
    """One OpsAlertsQueue message: deliver the alert state once. Raises to be retried."""
    settings = settings or get_settings()
    merchant_id, alert_id, state = parse_message(body)
    record = store.get_alert(alert_id, merchant_id)
    if record is None:
        raise PoisonAlert(f"no alert {alert_id} for merchant {merchant_id}")
    if record.delivered(state):
        return "duplicate"
    alert = record.alert()
    at = alert.resolved_at if state == "resolved" and alert.resolved_at else alert.opened_at
    channels = deliver_alert(alert, state, store.get_merchant(merchant_id), at, settings)
    store.mark_alert_delivered(merchant_id, alert_id, state, now)
    count_by("AlertsDelivered", "state", state)
    logger.info("alert delivered", alert_id=alert_id, state=state, channels=channels)
    return "delivered"


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
