"""Decisions: what DelayDesk decided about an order, with the rule, window and inputs (audit)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from delaydesk.core.events import Contract, Instant
from delaydesk.core.record import field


class Action(StrEnum):
    DELAY_DETECTED = "delay_detected"
    LATE_SHIPMENT_RECORDED = "late_shipment_recorded"
    LATE_SHIPMENT_EXEMPTED = "late_shipment_exempted"
    REFUND_AUTO_APPROVED = "refund_auto_approved"
    RETURN_REFUND_AUTO_APPROVED = "return_refund_auto_approved"
    RECEIPT_AUTO_CONFIRMED = "receipt_auto_confirmed"
    ORDER_CANCELLED = "order_cancelled"
    ESCALATED = "escalated"
    DEADLINE_EXTENDED = "deadline_extended"
    COMPENSATION_GRANTED = "compensation_granted"
    """An extension of the contract's actions: a coupon or points granted (compensation.py)."""
    CANCEL_REFUSED = "cancel_refused"
    DEADLINE_SHORTENED = "deadline_shortened"
    DELAY_ACCEPTED = "delay_accepted"
    """An extension: the customer chose, on the order page, to wait for a late order."""
    REFUND_RECOMMENDED = "refund_recommended"
    """An extension: how to answer a refund request during logistics stagnation (cn_platform)."""
    HELD_OUT = "held_out"
    """An extension: an optional notice held out from an order in a holdout experiment's holdout arm
    (core/experiments.py); ``inputs`` name the experiment, the notice kind and its stage."""


class Decision(Contract):
    order_id: str
    decision_id: str
    """Deterministic within the order, so that writing it is conditional and happens once."""
    action: Action
    rule: str
    at: Instant
    window_id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
