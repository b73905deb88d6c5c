"""What an expired timer decides (pure): late shipment, cancel while late, refund, return and
receipt timeouts; the decisions and notices they record. ``timers.evaluate`` calls them in order."""

from __future__ import annotations

from datetime import datetime

import msgspec

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.kinds import Kind, NoticeRequest
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order, OrderStatus, TimerState
from delaydesk.core.times import iso
from delaydesk.core.windows import TimerKind, Window
from delaydesk.policy import consumer_rules, engine

CLOSED = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.COMPLETED})
LATE_SHIPMENT = "late_shipment"
"""The stored check instant of the late-shipment decision (the metric's deadline)."""


class TimerResult(msgspec.Struct):
    order: Order
    decisions: list[Decision] = msgspec.field(default_factory=list)
    notices: list[NoticeRequest] = msgspec.field(default_factory=list)


def _pending(kind: str, order: Order) -> bool:
    if order.status in CLOSED:
        return False
    if kind in (TimerKind.SHIP_BY, LATE_SHIPMENT):
        return order.status == OrderStatus.PAID and (
            kind == TimerKind.SHIP_BY or LATE_SHIPMENT not in order.timers_decided
        )
    if kind == TimerKind.REFUND_CONFIRM:
        return order.refund_status == "requested"
    if kind == TimerKind.RETURN_RECEIPT:
        return order.return_status == "in_transit"
    if kind == TimerKind.RETURN_WINDOW:
        return order.status == OrderStatus.DELIVERED
    if kind == TimerKind.AUTO_CONFIRM:
        return (
            order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
            and order.refund_status in (None, "rejected")
            and order.return_status is None
        )
    return False


def _decision(
    order: Order, action: Action, rule: str, now: datetime, key: str, window_id: str | None = None, **inputs: object
) -> Decision:
    return Decision(
        order_id=order.order_id,
        decision_id=f"{action}#{key}",
        action=action,
        rule=rule,
        at=now,
        window_id=window_id,
        inputs={k: v for k, v in inputs.items() if v is not None},
    )


def _close(order: Order, status: OrderStatus) -> None:
    order.status = status
    if order.delay is not None:
        order.delay = None
        order.delays_resolved += 1


def _money(order: Order) -> dict[str, str]:
    return {"refund_amount": str(order.value.amount), "refund_currency": order.value.currency}


def _cancel(order: Order, policy: DelayPolicy, windows: list[Window], now: datetime, out: TimerResult) -> None:
    if order.cancel_status not in ("requested", "waiting") or order.cancel_requested_at is None:
        return
    requested = order.cancel_requested_at
    if consumer_rules.may_terminate(order, now):
        _terminate(order, policy, now, out)
        return
    if order.status == OrderStatus.PAID:
        # Late once the promise passed, or (us_ftc) once the delay option offered cancellation.
        late = now >= order.default_ship_by_at or (order.law is not None and order.law.option_sent_at is not None)
        window = None if late else engine.covering_window(order, windows, requested, now)
        if not (late or window):
            order.cancel_status = "waiting"  # the promise still holds; granted if it becomes late
            return
        order.cancel_status = "granted"
        order.refund_status = "refunded"
        _close(order, OrderStatus.CANCELLED)
        if order.law is not None and order.law.rules == consumer_rules.RuleSet.US_FTC:
            # 435.1(d): a prompt refund, within 7 working days, else a person is asked to act.
            order.law.refund_due_at = consumer_rules.add_working_days(
                now, consumer_rules.REFUND_WORKING_DAYS, policy.timers.timezone
            )
        out.decisions.append(
            _decision(
                order,
                Action.ORDER_CANCELLED,
                "cancel_while_late" if late else "cancel_inside_window",
                now,
                iso(requested),
                window_id=window.window_id if window else None,
                requested_at=iso(requested),
                paid_at=iso(order.paid_at),
                ship_by_at=iso(order.default_ship_by_at),
                refund=f"{order.value.amount} {order.value.currency}",
            )
        )
        out.notices.extend(
            consumer_rules.notice_requests(
                order,
                Kind.ORDER_CANCELLED,
                0,
                "cancel_while_late",
                "not_shipped",
                now,
                policy.refund_arrival_days,
                window_id=window.window_id if window else None,
                details=_money(order)
                | {"promised_by": iso(order.default_ship_by_at), "cancel_reason": "not_shipped_in_time"},
            )
        )
    elif order.shipment is not None:
        order.cancel_status = "refused"
        out.decisions.append(
            _decision(
                order,
                Action.CANCEL_REFUSED,
                "cancel_after_shipping",
                now,
                iso(requested),
                requested_at=iso(requested),
                shipped_at=iso(order.shipment.shipped_at),
                reason="already_shipped",
            )
        )
        details = {"shipped_at": iso(order.shipment.shipped_at)}
        return_window = order.timers.get(TimerKind.RETURN_WINDOW)
        if return_window is not None:
            details["return_until"] = iso(return_window.at)
        out.notices.extend(
            consumer_rules.notice_requests(
                order,
                Kind.CANCEL_REFUSED,
                0,
                "cancel_after_shipping",
                "already_shipped",
                now,
                (0, 0),
                window_id=None,
                details=details,
            )
        )


def _terminate(order: Order, policy: DelayPolicy, now: datetime, out: TimerResult) -> None:
    """EU/UK: the additional period passed undelivered, so the buyer's cancellation terminates the
    contract (shipped or not) for a full refund without undue delay."""
    assert order.law is not None and order.additional_period_until is not None
    requested = order.cancel_requested_at
    assert requested is not None
    clause = (
        "Consumer Rights Act 2015 s. 28(6)"
        if order.law.rules == consumer_rules.RuleSet.UK_CRA
        else "Directive 2011/83/EU art. 18(2)"
    )
    order.cancel_status = "granted"
    order.refund_status = "refunded"
    _close(order, OrderStatus.CANCELLED)
    out.decisions.append(
        _decision(
            order,
            Action.ORDER_CANCELLED,
            f"{order.law.rules}_termination",
            now,
            iso(requested),
            rules=order.law.rules,
            clause=clause,
            additional_period_until=iso(order.additional_period_until),
            requested_at=iso(requested),
            shipped_at=iso(order.shipment.shipped_at) if order.shipment else None,
            refund=f"{order.value.amount} {order.value.currency}",
        )
    )
    out.notices.extend(
        consumer_rules.notice_requests(
            order,
            Kind.ORDER_CANCELLED,
            0,
            f"{order.law.rules}_termination",
            "not_delivered_in_time",
            now,
            policy.refund_arrival_days,
            window_id=None,
            details=_money(order)
            | {"cancel_reason": "not_delivered_in_time", "rules": order.law.rules, "clause": clause},
        )
    )


def _late_shipment(order: Order, windows: list[Window], now: datetime, out: TimerResult) -> None:
    if order.status != OrderStatus.PAID or LATE_SHIPMENT in order.timers_decided:
        return
    exempt = engine.exempting_window(order, windows)
    check = order.default_ship_by_at if exempt else order.ship_by_at
    order.timers[LATE_SHIPMENT] = TimerState(
        at=check, default_at=order.default_ship_by_at, window_id=exempt.window_id if exempt else None
    )
    if now < check:
        return
    order.timers_decided.append(LATE_SHIPMENT)
    action = Action.LATE_SHIPMENT_EXEMPTED if exempt else Action.LATE_SHIPMENT_RECORDED
    out.decisions.append(
        _decision(
            order,
            action,
            "ship_by",
            now,
            "ship_by",
            window_id=exempt.window_id if exempt else None,
            paid_at=iso(order.paid_at),
            ship_within_hours=order.ship_within_hours,
            ship_by_at=iso(check),
        )
    )


def _timeouts(order: Order, policy: DelayPolicy, now: datetime, out: TimerResult) -> None:
    refund = order.timers.get(TimerKind.REFUND_CONFIRM)
    if refund and order.refund_status == "requested" and now >= refund.at:
        assert order.refund_requested_at is not None
        order.refund_status = "auto_approved"
        _close(order, OrderStatus.CANCELLED if order.status == OrderStatus.PAID else OrderStatus.REFUNDED)
        out.decisions.append(
            _decision(
                order,
                Action.REFUND_AUTO_APPROVED,
                "refund_confirm_timeout",
                now,
                iso(order.refund_requested_at),
                window_id=refund.window_id,
                requested_at=iso(order.refund_requested_at),
                deadline=iso(refund.at),
                default_deadline=iso(refund.default_at),
                refund=f"{order.value.amount} {order.value.currency}",
            )
        )
        out.notices.extend(
            consumer_rules.notice_requests(
                order,
                Kind.REFUND_APPROVED,
                0,
                "refund_confirm_timeout",
                "seller_did_not_answer",
                now,
                policy.refund_arrival_days,
                window_id=refund.window_id,
                details=_money(order),
            )
        )
        return
    receipt = order.timers.get(TimerKind.RETURN_RECEIPT)
    if receipt and order.return_status == "in_transit" and now >= receipt.at:
        assert order.return_shipped_at is not None
        order.return_status = "auto_refunded"
        _close(order, OrderStatus.REFUNDED)
        out.decisions.append(
            _decision(
                order,
                Action.RETURN_REFUND_AUTO_APPROVED,
                "return_receipt_timeout",
                now,
                iso(order.return_shipped_at),
                window_id=receipt.window_id,
                return_shipped_at=iso(order.return_shipped_at),
                deadline=iso(receipt.at),
                default_deadline=iso(receipt.default_at),
                refund=f"{order.value.amount} {order.value.currency}",
            )
        )
        out.notices.extend(
            consumer_rules.notice_requests(
                order,
                Kind.REFUND_APPROVED,
                1,
                "return_receipt_timeout",
                "seller_did_not_confirm_return",
                now,
                policy.refund_arrival_days,
                window_id=receipt.window_id,
                details=_money(order),
            )
        )
        return
    confirm = order.timers.get(TimerKind.AUTO_CONFIRM)
    if confirm and _pending(TimerKind.AUTO_CONFIRM, order) and now >= confirm.at:
        assert order.shipment is not None
        _close(order, OrderStatus.COMPLETED)
        out.decisions.append(
            _decision(
                order,
                Action.RECEIPT_AUTO_CONFIRMED,
                "auto_confirm_receipt",
                now,
                "auto_confirm",
                window_id=confirm.window_id,
                shipped_at=iso(order.shipment.shipped_at),
                deadline=iso(confirm.at),
                default_deadline=iso(confirm.default_at),
                channel=order.channel.value,
            )
        )
