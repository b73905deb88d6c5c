"""The alerts table: early warnings (core.stats.Alert), one item per (merchant, alert).

Opening is a conditional put on a new id (a retried run makes the same id and does not open it
twice); resolving is a conditional update of an open alert. Delivery is recorded per state
(``delivered_open``, ``delivered_resolved``) with a conditional update, so that a redelivered
queue message does not publish the same state twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from delaydesk.core.stats import Alert
from delaydesk.store.base import conditional_failure, register, save_if

ALERT_STATES = ("open", "resolved")


class AlertRecord(Model):
    class Meta:
        table_name = "delaydesk-alerts"
        region = "us-east-1"

    merchant_id = UnicodeAttribute(hash_key=True)
    alert_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    status = UnicodeAttribute()  # open | resolved
    carriers = ListAttribute[str](default=list)
    regions = ListAttribute[str](default=list)
    opened_at = UTCDateTimeAttribute()
    resolved_at = UTCDateTimeAttribute(null=True)
    rate = NumberAttribute()
    baseline = NumberAttribute()
    delays = NumberAttribute()
    orders = NumberAttribute()
    locale = UnicodeAttribute()
    proposed_window = UnicodeAttribute(null=True)  # JSON: the contract's window object
    delivered_open = UTCDateTimeAttribute(null=True)
    delivered_resolved = UTCDateTimeAttribute(null=True)
    window_id = UnicodeAttribute(null=True)
    """The window declared from this alert, once declared."""

    def alert(self) -> Alert:
        return Alert(
            alert_id=self.alert_id,
            merchant_id=self.merchant_id,
            kind="delay_spike",
            carriers=tuple(self.carriers or ()),
            regions=tuple(self.regions or ()),
            opened_at=self.opened_at,
            resolved_at=self.resolved_at,
            rate=float(self.rate),
            baseline=float(self.baseline),
            delays=int(self.delays),
            orders=int(self.orders),
            locale=self.locale,
            proposed_window=json.loads(self.proposed_window) if self.proposed_window else None,
        )

    def delivered(self, state: str) -> bool:
        return (self.delivered_open if state == "open" else self.delivered_resolved) is not None


register("alerts_table", AlertRecord)


def open_alert(alert: Alert) -> bool:
    """Store a new open alert. False: it exists (a retried run)."""
    record = AlertRecord(
        alert.merchant_id,
        alert.alert_id,
        kind=alert.kind,
        status="open",
        carriers=list(alert.carriers),
        regions=list(alert.regions),
        opened_at=alert.opened_at,
        rate=alert.rate,
        baseline=alert.baseline,
        delays=alert.delays,
        orders=alert.orders,
        locale=alert.locale,
        proposed_window=json.dumps(alert.proposed_window, ensure_ascii=False) if alert.proposed_window else None,
    )
    return save_if(record, AlertRecord.alert_id.does_not_exist())


def _update_if(record: AlertRecord, actions: Sequence[Action], condition: Condition) -> bool:
    try:
        record.update(actions=list(actions), condition=condition)
    except UpdateError as exc:
        if conditional_failure(exc):
            return False
        raise
    return True


def resolve_alert(merchant_id: str, alert_id: str, at: datetime) -> bool:
    """Resolve an open alert. False: it is not open (resolved before, or unknown)."""
    record = AlertRecord(merchant_id, alert_id)
    actions = [AlertRecord.status.set("resolved"), AlertRecord.resolved_at.set(at)]
    return _update_if(record, actions, AlertRecord.status == "open")


def mark_alert_delivered(merchant_id: str, alert_id: str, state: str, at: datetime) -> bool:
    """Record that ``state`` was delivered. False: it was recorded before (a redelivery)."""
    attribute = AlertRecord.delivered_open if state == "open" else AlertRecord.delivered_resolved
    record = AlertRecord(merchant_id, alert_id)
    return _update_if(record, [attribute.set(at)], AlertRecord.alert_id.exists() & attribute.does_not_exist())


def set_alert_window(merchant_id: str, alert_id: str, window_id: str) -> None:
    AlertRecord(merchant_id, alert_id).update(actions=[AlertRecord.window_id.set(window_id)])


def alerts_of(merchant_id: str) -> list[AlertRecord]:
    """A merchant's alerts, oldest first (one query; alerts are few: one or two per disruption)."""
    return sorted(AlertRecord.query(merchant_id), key=lambda r: (r.opened_at, r.alert_id))


def get_alert(alert_id: str, merchant_id: str | None = None) -> AlertRecord | None:
    """One alert, by merchant and id, or by id alone (an operator's look-up: a scan)."""
    if merchant_id is not None:
        try:
            return AlertRecord.get(merchant_id, alert_id, consistent_read=True)
        except AlertRecord.DoesNotExist:
            return None
    return next(iter(AlertRecord.scan(AlertRecord.alert_id == alert_id)), None)


def all_alerts() -> list[AlertRecord]:
    """Every alert of every merchant (listings and reports: a scan), oldest first."""
    return sorted(AlertRecord.scan(), key=lambda r: (r.opened_at, r.merchant_id, r.alert_id))
