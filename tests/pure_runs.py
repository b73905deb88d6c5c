"""Test helper: an order's life through the pure rules alone, as the scan would evaluate it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from conftest import instant

from delaydesk.core.decisions import Decision
from delaydesk.core.events import parse_event
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order, apply_event
from delaydesk.core.windows import Window
from delaydesk.delays.detect import evaluate, next_due_at
from delaydesk.policy import timers


def drive(
    order: Order,
    policy: DelayPolicy,
    windows: list[Window],
    until: datetime,
    events: Sequence[dict[str, Any]] = (),
    steps: int = 400,
) -> tuple[Order, list[Decision], list[NoticeRequest]]:
    """Evaluate at every due instant (each event applied at its time) up to ``until``: the timers,
    then the delay rules, as the scan does. Fails if the order is still due after ``steps``."""
    decisions: list[Decision] = []
    notices: list[NoticeRequest] = []
    pending = sorted(events, key=lambda e: e["at"])
    for _ in range(steps):
        due = next_due_at(order, policy)
        upcoming = instant(pending[0]["at"]) if pending else None
        if upcoming is not None and (due is None or upcoming < due) and upcoming <= until:
            order = apply_event(order, parse_event(pending.pop(0)))
            continue
        if due is None or due > until:
            return order, decisions, notices
        timed = timers.evaluate(order, policy, windows, due)
        result = evaluate(timed.order, policy, due)
        order = result.order
        decisions += timed.decisions + result.decisions
        notices += timed.notices + result.notices
    raise AssertionError("the order never stopped being due")
