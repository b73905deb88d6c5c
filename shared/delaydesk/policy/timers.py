"""Enforcing the policy timers (pure): what the scan decides when a deadline of policy.py expires.

``evaluate`` recomputes the order's deadlines with the windows in force, records each extension
(``deadline_extended``) and announces each new window once per order, then takes the timers'
decisions: late shipment (recorded or exempted), refund and return-refund auto-approval,
receipt auto-confirmation, and cancel-while-late. Every decision id is deterministic, so the
conditional put in the audit table makes each one happen once; ``timers_decided`` on the order
keeps a decision from being taken again after its commit.

``pending_due`` is the timers' share of the due-time index. A new order, refund request, return
or shipment makes the order due at once, so that the scan computes its window-aware deadlines
(and announces an extension) right away. Windows only ever move deadlines later (a property
tested in tests/unit/policy/test_policy.py), so the default deadline is otherwise a safe lower bound.
"""

from __future__ import annotations

from datetime import datetime

from delaydesk.core import experiments
from delaydesk.core.decisions import Action
from delaydesk.core.kinds import Kind
from delaydesk.core.merchants import DelayPolicy, PolicyDefaults
from delaydesk.core.orders import Order, OrderStatus, TimerState
from delaydesk.core.times import iso
from delaydesk.core.windows import TimerKind, Window
from delaydesk.policy import consumer_rules, engine
from delaydesk.policy.consumer_rules import notice_requests
from delaydesk.policy.engine import Deadline
from delaydesk.policy.timeouts import CLOSED as CLOSED
from delaydesk.policy.timeouts import LATE_SHIPMENT as LATE_SHIPMENT
from delaydesk.policy.timeouts import TimerResult as TimerResult
from delaydesk.policy.timeouts import _cancel, _decision, _late_shipment, _pending, _timeouts

ENFORCED = (LATE_SHIPMENT, TimerKind.REFUND_CONFIRM, TimerKind.RETURN_RECEIPT, TimerKind.AUTO_CONFIRM)


def _late_default(order: Order) -> datetime:
    return order.default_ship_by_at


def pending_due(order: Order, defaults: PolicyDefaults) -> datetime | None:
    """The earliest pending timer of the order (window-aware when still valid, else the default)."""
    if order.status in CLOSED:
        return None
    dues: list[datetime] = []
    if order.status == OrderStatus.PAID and TimerKind.SHIP_BY not in order.timers:
        # A new order: the next scan applies the windows in force, so that a covered customer is
        # told of the new dates at once rather than when the default promise runs out.
        dues.append(order.paid_at)
    if order.cancel_status == "requested" and order.cancel_requested_at is not None:
        dues.append(order.cancel_requested_at)  # granted or refused at the next scan
    elif order.cancel_status == "waiting":
        dues.append(order.default_ship_by_at)  # a request made in time is granted once it is late
    fresh = engine.deadlines(order, defaults, [])
    for kind in ENFORCED:
        if not _pending(kind, order):
            continue
        default = _late_default(order) if kind == LATE_SHIPMENT else None
        if default is None:
            found = fresh.get(TimerKind(kind))
            if found is None:
                continue
            default = found.default_at
        stored = order.timers.get(kind)
        if stored is not None and stored.default_at == default:
            dues.append(stored.at)
        elif kind == LATE_SHIPMENT:
            dues.append(default)  # a safe lower bound: windows only move it later
        else:
            # A new refund request, return or shipment: compute its window-aware deadline (and tell
            # the customer about an extension) at the next scan rather than when the default expires.
            dues.append(min(default, order.updated_at))
    return min(dues) if dues else None


def _extensions(
    order: Order, found: dict[TimerKind, Deadline], windows: list[Window], now: datetime, out: TimerResult
) -> None:
    """Record each deadline a window moved (once per new deadline) and announce each window once."""
    by_window: dict[str, dict[str, str]] = {}
    for kind, deadline in found.items():
        if not _pending(kind, order):
            continue
        previous = order.timers.get(kind)
        same_trigger = previous is not None and previous.default_at == deadline.default_at
        if previous is not None and same_trigger and previous.at == deadline.at:
            continue
        if previous is not None and same_trigger and deadline.at < previous.at:
            # A window ended early or was narrowed: the deadline comes back towards its default.
            out.decisions.append(
                _decision(
                    order,
                    Action.DEADLINE_SHORTENED,
                    kind.value,
                    now,
                    f"{kind.value}#{iso(deadline.at)}",
                    window_id=previous.window_id,
                    previous_at=iso(previous.at),
                    new_at=iso(deadline.at),
                    default_at=iso(deadline.default_at),
                )
            )
            continue
        if deadline.window_id is None or not deadline.extended:
            continue
        out.decisions.append(
            _decision(
                order,
                Action.DEADLINE_EXTENDED,
                kind.value,
                now,
                f"{kind.value}#{iso(deadline.at)}",
                window_id=deadline.window_id,
                trigger_at=iso(deadline.trigger_at),
                default_at=iso(deadline.default_at),
                previous_at=iso(previous.at) if previous else None,
                new_at=iso(deadline.at),
            )
        )
        by_window.setdefault(deadline.window_id, {})[kind.value] = iso(deadline.at)
    by_id = {w.window_id: w for w in windows}
    reasons = {w.window_id: w.reason.value for w in windows}
    for window_id, changes in sorted(by_window.items()):
        if window_id in order.announced_windows:
            continue
        window = by_id.get(window_id)
        # The notice templates' keys (notices.DETAIL_KEYS) beside the new deadlines themselves.
        changes = changes | {
            "changes": ",".join(ANNOUNCED_CHANGES[k] for k in sorted(changes) if k in ANNOUNCED_CHANGES),
            "window_reason": reasons.get(window_id, "holiday"),
        }
        if window is not None:
            changes |= {"window_starts": iso(window.starts_at), "window_ends": iso(window.ends_at)}
        out.notices.extend(
            notice_requests(
                order,
                Kind.DISRUPTION_ANNOUNCEMENT,
                len(order.announced_windows),
                "window_declared",
                reasons.get(window_id, "holiday"),
                now,
                (0, 0),
                window_id=window_id,
                details=changes,
            )
        )
        order.announced_windows.append(window_id)


ANNOUNCED_CHANGES = {
    "ship_by": "ship_by_extended",
    "refund_confirm": "refund_confirm_extended",
    "return_window": "return_window_extended",
    "auto_confirm": "auto_confirm_extended",
}
"""Timer kinds as the disruption_announcement templates name what changed."""


def evaluate(order: Order, policy: DelayPolicy, windows: list[Window], now: datetime) -> TimerResult:
    """Recompute the deadlines with ``windows`` and take every timer decision due at ``now``."""
    order = order.model_copy(deep=True)
    # The order meets the merchant's experiments here, at its first evaluation (the scan's write records it).
    order.experiments = experiments.enrol(order.order_id, order.paid_at, order.experiments, policy.experiments, now)
    out = TimerResult(order)
    if order.status in CLOSED:
        _law(order, policy, now, out)
        return _experiments(out, policy, now)
    found = engine.deadlines(order, policy.timers, windows)
    _extensions(order, found, windows, now, out)
    late = order.timers.get(LATE_SHIPMENT)
    order.timers = {
        k.value: TimerState(at=d.at, default_at=d.default_at, window_id=d.window_id) for k, d in found.items()
    }
    if late is not None:
        order.timers[LATE_SHIPMENT] = late
    _late_shipment(order, windows, now, out)
    _cancel(order, policy, windows, now, out)
    _timeouts(order, policy, now, out)
    _law(order, policy, now, out)
    return _experiments(out, policy, now)


def _experiments(out: TimerResult, policy: DelayPolicy, now: datetime) -> TimerResult:
    """Holdout experiments: an announcement may be held out, compensation withheld from a delay
    notice; never what the law requires (the filter's own rule, core/experiments.py)."""
    order = out.order
    out.notices, held = experiments.hold_out(order.order_id, out.notices, order.experiments, policy.experiments, now)
    out.decisions.extend(held)
    return out


def _law(order: Order, policy: DelayPolicy, now: datetime, out: TimerResult) -> None:
    """The buyer's consumer rules (consumer_rules.py): after the timers, so that a cancellation the
    buyer asked for is taken before an automatic one."""
    decided = consumer_rules.evaluate(order, policy, now)
    out.decisions.extend(decided.decisions)
    out.notices.extend(decided.notices)
