"""Escalation to a person: the rules (pure) and how an escalation is recorded and announced.

A delayed order is escalated, once per delay and reason, when

- ``long_delay``: the delay has lasted longer than ``escalate_after`` (7 days by default);
- ``high_value``: the order is worth at least the merchant's ``escalate_value``. Amounts are
  compared only in the same currency: an order in another currency is never escalated on value
  (no exchange rates are guessed);
- ``customer_action``: the carrier exception is one only the customer can resolve
  (taxonomy.CUSTOMER_ACTION: incorrect address, customer moved, held for payment).

Each produces an ``escalated`` decision (rule = the reason). After the scan has committed it,
``raise_escalation`` opens the record (at most one open escalation per order and reason: a
conditional write) and publishes it once on the EscalationsTopic for the support team.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.kinds import Kind
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order
from delaydesk.core.taxonomy import CUSTOMER_ACTION
from delaydesk.core.times import iso


class Reason(StrEnum):
    LONG_DELAY = "long_delay"
    HIGH_VALUE = "high_value"
    CUSTOMER_ACTION = "customer_action"


_JUST_AFTER = timedelta(seconds=1)


def due_at(order: Order, policy: DelayPolicy) -> datetime | None:
    """When the scan must next look at the order for an escalation (None: nothing pending).

    The current delay becomes "longer than" the limit just after it; an exception that needs the
    customer, arriving while a delay is already running, is due at once (its scan time).
    """
    delay = order.delay
    if delay is None:
        return None
    shipment = order.shipment
    pending = []
    if Reason.LONG_DELAY not in delay.escalated:
        pending.append(delay.started_at + policy.escalate_after + _JUST_AFTER)
    if (
        Reason.CUSTOMER_ACTION not in delay.escalated
        and delay.kind == Kind.DELIVERY_EXCEPTION
        and shipment is not None
        and shipment.last_sub_status in CUSTOMER_ACTION
    ):
        pending.append(shipment.last_scan_at)
    return min(pending) if pending else None


def reasons(order: Order, policy: DelayPolicy, now: datetime) -> list[tuple[Reason, dict[str, Any]]]:
    """The reasons to escalate the order's current delay at ``now``, with what each looked at."""
    delay = order.delay
    if delay is None or not order.is_open:
        return []
    found: list[tuple[Reason, dict[str, Any]]] = []
    if now - delay.started_at > policy.escalate_after:
        found.append(
            (
                Reason.LONG_DELAY,
                {"delay_started_at": iso(delay.started_at), "limit_days": policy.escalate_after.days},
            )
        )
    threshold = policy.escalate_value
    if threshold is not None and order.value.currency == threshold.currency and order.value.amount >= threshold.amount:
        found.append(
            (
                Reason.HIGH_VALUE,
                {"value": str(order.value.amount), "threshold": str(threshold.amount), "currency": threshold.currency},
            )
        )
    shipment = order.shipment
    if delay.kind == Kind.DELIVERY_EXCEPTION and shipment is not None and shipment.last_sub_status in CUSTOMER_ACTION:
        found.append((Reason.CUSTOMER_ACTION, {"sub_status": shipment.last_sub_status}))
    return [(reason, inputs) for reason, inputs in found if reason not in delay.escalated]


def decide(order: Order, policy: DelayPolicy, now: datetime) -> list[Decision]:
    """``escalated`` decisions for new reasons; marks them on ``order.delay`` (mutates ``order``)."""
    delay = order.delay
    if delay is None:
        return []
    decisions = []
    for reason, inputs in reasons(order, policy, now):
        delay.escalated.append(reason.value)
        decisions.append(
            Decision(
                order_id=order.order_id,
                decision_id=f"{Action.ESCALATED}#{reason}#{iso(delay.started_at)}",
                action=Action.ESCALATED,
                rule=reason.value,
                at=now,
                inputs={"delay_kind": delay.kind, "delay_rule": delay.rule, "delay_reason": delay.reason} | inputs,
            )
        )
    return decisions


# ------------------------------------------------------------------ recording and announcing


def message(decision: Decision, order: Order) -> dict[str, Any]:
    """What the support team receives (no customer contact details: they look the order up)."""
    shipment = order.shipment
    return {
        "type": "escalation",
        "order_id": order.order_id,
        "merchant_id": order.merchant_id,
        "reason": decision.rule,
        "at": iso(decision.at),
        "decision_id": decision.decision_id,
        "order_status": order.status.value,
        "value": {"amount": str(order.value.amount), "currency": order.value.currency},
        "destination": order.destination.region,
        "carrier": shipment.carrier if shipment else None,
        "tracking_number": shipment.tracking_number if shipment else None,
        "inputs": decision.inputs,
    }


def raise_escalation(decision: Decision, order: Order, topic_arn: str) -> bool:
    """Open the escalation record and publish it once. False: another one is open for this reason.

    Idempotent: a repaired flush finds the record it opened (same decision id) and publishes only
    if the record says it was not published yet. A crash between SNS accepting the message and
    the record saying so publishes it twice (SNS takes no idempotency key on standard topics).
    """
    from delaydesk import store
    from delaydesk.core import aws

    record = store.open_escalation(decision, order.merchant_id)
    if record is None:
        return False
    if record.published_at is None:
        body = message(decision, order)
        aws.sns().publish(
            TopicArn=topic_arn,
            Subject=f"DelayDesk escalation: order {order.order_id} ({decision.rule})"[:100],
            Message=json.dumps(body, ensure_ascii=False),
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": decision.rule},
                "merchant_id": {"DataType": "String", "StringValue": order.merchant_id},
            },
        )
        store.mark_escalation_published(record, decision.at)
    return True


def close_escalation(order_id: str, reason: str, at: datetime, by: str | None, note: str | None) -> bool:
    """Close an open escalation and count it (once: only the conditional update that closed it counts).

    False: there is none open for that order and reason.
    """
    from delaydesk import store
    from delaydesk.core import stats

    if not store.close_escalation(order_id, reason, at, by, note):
        return False
    record = store.get_order(order_id)
    order = record.order() if record is not None else None
    if order is not None:
        store.add_counts(order.merchant_id, at, *stats.scope_of(order), {stats.ESCALATIONS_CLOSED: 1})
    return True
