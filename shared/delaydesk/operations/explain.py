"""``delaydesk explain ORDER_ID``: an order's timeline of events, deadlines and decisions, in words.

``timeline`` is pure (the order, its decisions and notices in, lines out); times are shown on
the merchant's clock, so that "day 34" reads as the merchant counts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from delaydesk.core.decisions import Decision
from delaydesk.core.orders import Order
from delaydesk.policy import consumer_rules

TIMER_WORDS = {
    "ship_by": "ship by",
    "late_shipment": "late-shipment check (the merchant's service metric)",
    "refund_confirm": "seller must answer the refund request by",
    "return_receipt": "seller must confirm the returned item by",
    "return_window": "buyer may return the item until",
    "auto_confirm": "receipt is confirmed automatically at",
}
ACTION_WORDS = {
    "delay_detected": "delay detected",
    "late_shipment_recorded": "late shipment recorded against the merchant",
    "late_shipment_exempted": "late shipment exempted from the merchant's metrics",
    "refund_auto_approved": "refund approved automatically (the seller did not answer in time)",
    "return_refund_auto_approved": "refund approved automatically (the seller did not confirm the returned item)",
    "receipt_auto_confirmed": "receipt confirmed automatically",
    "order_cancelled": "order cancelled at the customer's request, with a full refund",
    "cancel_refused": "cancellation refused (the order had shipped)",
    "escalated": "escalated to a person",
    "deadline_extended": "deadline extended",
    "deadline_shortened": "deadline brought back (the window ended early or changed)",
    "delay_accepted": "the customer agreed to wait for the late order",
    "refund_recommended": "refund request answered by scenario (a recommendation to the merchant)",
    "held_out": "notice held out (the order is in the holdout arm of an experiment)",
}
RULE_WORDS = {
    "us_ftc_no_consent": "order cancelled and refunded automatically: no express consent to a longer delay",
    "eu_crd_termination": "contract terminated at the customer's request, with a full refund: "
    "not delivered within the additional period the customer set",
    "uk_cra_termination": "contract terminated at the customer's request, with a full refund: "
    "not delivered within the additional period the customer set",
    "refund_overdue": "escalated to a person: the refund was not confirmed in time",
}
"""Decisions of the consumer rules whose rule says more than the action's words."""
RULES_WORDS = {
    "us_ftc": "US FTC Mail Order Rule (16 CFR 435)",
    "eu_crd": "EU Consumer Rights Directive (2011/83/EU, art. 18)",
    "uk_cra": "UK Consumer Rights Act 2015 (s. 28)",
    "cn_platform": "Chinese platform rules (no automatic cancellation)",
    "none": "no consumer rule set (the merchant's promise and the platform timers)",
}


@dataclass(frozen=True)
class Notice:
    kind: str
    stage: int
    channel: str
    status: str
    at: datetime | None


@dataclass(frozen=True)
class Line:
    at: datetime
    order: int  # events before deadlines before decisions before notices at the same instant
    text: str


def timeline(order: Order, decisions: list[Decision], notices: list[Notice], timezone: str = "UTC") -> list[str]:
    zone = ZoneInfo(timezone)

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")

    lines: list[Line] = [
        Line(
            order.paid_at,
            0,
            f"paid {order.value.amount} {order.value.currency} ({order.channel.value}, to {order.destination.region});"
            f" promised to ship within {order.ship_within_hours} h, by {when(order.default_ship_by_at)}",
        )
    ]
    if order.shipment is not None:
        s = order.shipment
        lines.append(Line(s.shipped_at, 0, f"shipped with {s.carrier}, tracking number {s.tracking_number}"))
        if s.scans:
            lines.append(
                Line(
                    s.last_scan_at,
                    0,
                    f"last carrier scan: {s.last_tag.value}" + (f" at {s.last_location}" if s.last_location else ""),
                )
            )
    if order.delivered_at is not None:
        lines.append(Line(order.delivered_at, 0, "delivered"))
    if order.refund_requested_at is not None:
        lines.append(Line(order.refund_requested_at, 0, f"customer asked for a refund (now: {order.refund_status})"))
    if order.return_shipped_at is not None:
        lines.append(Line(order.return_shipped_at, 0, f"customer sent the item back (now: {order.return_status})"))
    if order.cancel_requested_at is not None:
        lines.append(Line(order.cancel_requested_at, 0, f"customer asked to cancel (now: {order.cancel_status})"))
    for kind, timer in order.timers.items():
        moved = (
            f"; default {when(timer.default_at)}, moved by window {timer.window_id}"
            if timer.at != timer.default_at
            else ""
        )
        lines.append(Line(timer.at, 1, f"deadline: {TIMER_WORDS.get(kind, kind)} {when(timer.at)}{moved}"))
    if order.law is not None:
        law = order.law
        why = (
            f"by the buyer's country {order.destination.country}"
            if law.source == "destination"
            else "chosen by the merchant"
        )
        text = f"consumer rules: {RULES_WORDS.get(law.rules, law.rules)}, {why}"
        lines.append(Line(order.paid_at, 1, text + (f"; {law.note}" if law.note else "")))
        if law.cancel_at is not None and law.option_sent_at is not None:
            revised = f"revised ship date {when(law.revised_ship_by)}" if law.revised_ship_by else "no revised date"
            silence = "silence is consent until then" if law.silence_consents else "express consent needed"
            lines.append(
                Line(
                    law.option_sent_at,
                    1,
                    f"delay option: {revised} ({silence}); without express consent cancelled at {when(law.cancel_at)}",
                )
            )
    for experiment_id, assigned in sorted(order.experiments.items()):
        text = (
            f"experiment {experiment_id} ({assigned.holds_out} held out from"
            f" {assigned.holdout_share * 100:g}% of orders): assigned to the {assigned.arm} arm"
        )
        lines.append(Line(assigned.assigned_at, 1, text))
    for d in decisions:
        words = ACTION_WORDS.get(d.action.value, d.action.value)
        if d.action.value == "held_out":
            held, stage, experiment = d.inputs.get("kind"), d.inputs.get("stage"), d.inputs.get("experiment_id")
            words = f"notice {held} #{stage} held out by experiment {experiment} (the order's holdout arm)"
        words = RULE_WORDS.get(d.rule, words)
        if d.rule == "cn_stagnation_refund":
            words = f"{words}: {d.inputs.get('answer')} (logistics stagnation)"
        clause = d.inputs.get("clause")
        if isinstance(clause, str):
            words = f"{words}, under {consumer_rules.CLAUSES.get(clause, clause)}"
        window = f", window {d.window_id}" if d.window_id else ", no window"
        inputs = ", ".join(f"{k}={v}" for k, v in sorted(d.inputs.items()))
        lines.append(
            Line(d.at, 2, f"decision: {words} (rule {d.rule}{window})" + (f"; inputs: {inputs}" if inputs else ""))
        )
    for n in notices:
        if n.at is not None:
            lines.append(Line(n.at, 3, f"notice: {n.kind} #{n.stage} by {n.channel} ({n.status})"))
    lines.sort(key=lambda line: (line.at, line.order))
    header = f"order {order.order_id} of merchant {order.merchant_id}: {order.status.value} (times in {timezone})"
    return [header, *(f"{when(line.at)}  {line.text}" for line in lines)]
