"""Early warning, the delivery: each alert state delivered once (the DeliverAlerts function).

``handle_message`` (the OpsAlertsQueue consumer) delivers each alert state once: ``deliver_alert``
publishes it to the operators' SNS topic in the merchant's locale and to the merchant's chat robots,
then the delivery is recorded with a conditional update, and a redelivered message finds it
recorded and stops. Apart from ``alerts``, which DetectSpikes imports: detecting writes no text
and calls no robot (README, "Scale": cold start).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import msgspec

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.merchants import Merchant
from delaydesk.core.observability import count_by, logger
from delaydesk.core.stats import Alert
from delaydesk.operations import alert_text
from delaydesk.operations.alert_thresholds import THRESHOLDS


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
        # The robots' module (and Powertools' parameters, for their secrets) where a merchant has
        # robots: an alert of one without goes to the topic only (benchmarks/cold_start.py).
        from delaydesk.operations.robots import deliver_to_robots

        # The state being delivered: an opened alert reads as opened even if it has resolved since.
        shown = alert if state == "resolved" else msgspec.structs.replace(alert, resolved_at=None)
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
