"""The policy engine (pure): every deadline of an order, given the windows in force.

Rules (DESIGN.md, "Default rules" and "Disruption windows"):

- A window applies to an order when the order is in its scope (owner, destination region,
  carrier, sales channel; an empty list means all) and the deadline's *triggering instant*
  falls inside it: the payment for ship-by and auto-confirm, the request for the refund and
  return timers, the delivery for the buyer's return window.
- When several windows apply, the most generous deadline wins; a window never makes a deadline
  earlier than the default.
- ``defer_deadlines_into_window_end`` moves a deadline that falls inside an in-scope window to
  that window's end (the seed's invoicing rule), whatever triggered it.
- Days are natural days in the merchant's time zone (wall-clock arithmetic, so a DST change
  does not shift a deadline by an hour). Auto-confirm happens at 00:00 of the N-th natural day
  after the shipping day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from delaydesk.core.carriers import normalise as normalise_carrier
from delaydesk.core.events import Channel
from delaydesk.core.merchants import PolicyDefaults
from delaydesk.core.orders import Order
from delaydesk.core.windows import TimerKind, Window


class Deadline(msgspec.Struct, frozen=True):
    kind: TimerKind
    at: datetime
    default_at: datetime
    trigger_at: datetime
    window_id: str | None = None
    """The window that moved this deadline (None: the default applies)."""

    @property
    def extended(self) -> bool:
        return self.at > self.default_at


def add_natural_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """``moment`` plus ``days`` calendar days on the wall clock of ``zone``."""
    local = moment.astimezone(zone)
    return (local + timedelta(days=days)).astimezone(UTC)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def in_scope(window: Window, order: Order) -> bool:
    if window.merchant_id is not None and window.merchant_id != order.merchant_id:
        return False
    scope = window.scope
    if scope.channels and order.channel not in scope.channels:
        return False
    if scope.regions:
        region = order.destination.region
        if region not in scope.regions and order.destination.country not in scope.regions:
            return False
    if scope.carriers:
        carrier = normalise_carrier(order.shipment.carrier) if order.shipment else None
        if carrier not in {normalise_carrier(c) for c in scope.carriers}:
            return False
    return True


def applicable(windows: list[Window], order: Order, trigger: datetime) -> list[Window]:
    """The windows in scope whose interval holds ``trigger``, in a stable order."""
    return sorted((w for w in windows if in_scope(w, order) and w.contains(trigger)), key=lambda w: w.window_id)


def _most_generous(default: datetime, candidates: list[tuple[datetime, str]]) -> tuple[datetime, str | None]:
    best, best_id = default, None
    for at, window_id in candidates:
        if at > best:
            best, best_id = at, window_id
    return best, best_id


def _defer(
    kind: TimerKind, at: datetime, window_id: str | None, order: Order, windows: list[Window]
) -> tuple[datetime, str | None]:
    deferring = [w for w in windows if kind in w.rules.defer_deadlines_into_window_end and in_scope(w, order)]
    for _ in range(len(deferring) + 1):
        moved = False
        for w in sorted(deferring, key=lambda w: w.window_id):
            if w.contains(at) and w.ends_at > at:
                at, window_id, moved = w.ends_at, w.window_id, True
        if not moved:
            break
    return at, window_id


def _deadline(
    kind: TimerKind,
    trigger: datetime,
    default: datetime,
    candidates: list[tuple[datetime, str]],
    order: Order,
    windows: list[Window],
) -> Deadline:
    at, window_id = _most_generous(default, candidates)
    at, window_id = _defer(kind, at, window_id, order, windows)
    return Deadline(kind=kind, at=at, default_at=default, trigger_at=trigger, window_id=window_id)


def ship_by(order: Order, windows: list[Window]) -> Deadline:
    hours = timedelta(hours=order.ship_within_hours)
    default = order.paid_at + hours
    candidates: list[tuple[datetime, str]] = []
    for w in applicable(windows, order, order.paid_at):
        rule = w.rules.ship_by
        if rule == "suspend":
            # The N-hour commitment restarts when the window closes.
            candidates.append((w.ends_at + hours, w.window_id))
        elif rule is not None:
            candidates.append((default + timedelta(hours=rule.extend_hours), w.window_id))
    return _deadline(TimerKind.SHIP_BY, order.paid_at, default, candidates, order, windows)


def _days_timer(
    kind: TimerKind,
    trigger: datetime,
    default_days: int,
    rule: str,
    order: Order,
    windows: list[Window],
    zone: ZoneInfo,
) -> Deadline:
    default = add_natural_days(trigger, default_days, zone)
    candidates = []
    for w in applicable(windows, order, trigger):
        days = getattr(w.rules, rule)
        if days is not None:
            candidates.append((add_natural_days(trigger, days, zone), w.window_id))
    return _deadline(kind, trigger, default, candidates, order, windows)


def auto_confirm_days(order: Order, defaults: PolicyDefaults) -> int | None:
    if order.channel == Channel.CROSS_BORDER:
        return defaults.cross_border_auto_confirm_days
    return defaults.domestic_auto_confirm_days


def auto_confirm(order: Order, defaults: PolicyDefaults, windows: list[Window]) -> Deadline | None:
    """00:00 of the N-th natural day after the shipping day; windows apply by the payment."""
    days = auto_confirm_days(order, defaults)
    if order.shipment is None or days is None:
        return None
    zone = defaults.zone
    shipped_day = order.shipment.shipped_at.astimezone(zone).date()
    default = start_of_day(shipped_day + timedelta(days=days), zone)
    candidates = [
        (start_of_day(shipped_day + timedelta(days=w.rules.auto_confirm_days), zone), w.window_id)
        for w in applicable(windows, order, order.paid_at)
        if w.rules.auto_confirm_days is not None
    ]
    return _deadline(TimerKind.AUTO_CONFIRM, order.paid_at, default, candidates, order, windows)


def deadlines(order: Order, defaults: PolicyDefaults, windows: list[Window]) -> dict[TimerKind, Deadline]:
    """Every deadline the order has (whether or not it is still pending)."""
    zone = defaults.zone
    found: dict[TimerKind, Deadline] = {TimerKind.SHIP_BY: ship_by(order, windows)}
    if order.refund_requested_at is not None:
        found[TimerKind.REFUND_CONFIRM] = _days_timer(
            TimerKind.REFUND_CONFIRM,
            order.refund_requested_at,
            defaults.refund_confirm_days,
            "refund_confirm_days",
            order,
            windows,
            zone,
        )
    if order.return_shipped_at is not None:
        found[TimerKind.RETURN_RECEIPT] = _days_timer(
            TimerKind.RETURN_RECEIPT,
            order.return_shipped_at,
            defaults.return_receipt_days,
            "return_receipt_days",
            order,
            windows,
            zone,
        )
    if order.delivered_at is not None:
        found[TimerKind.RETURN_WINDOW] = _days_timer(
            TimerKind.RETURN_WINDOW,
            order.delivered_at,
            defaults.return_window_days,
            "return_window_days",
            order,
            windows,
            zone,
        )
    confirm = auto_confirm(order, defaults, windows)
    if confirm is not None:
        found[TimerKind.AUTO_CONFIRM] = confirm
    return found


def exempting_window(order: Order, windows: list[Window]) -> Window | None:
    """The window that exempts this order's late shipment from the merchant's metrics, if any."""
    for w in applicable(windows, order, order.paid_at):
        if w.rules.exempt_service_metrics:
            return w
    return None


def covering_window(order: Order, windows: list[Window], *moments: datetime) -> Window | None:
    """A window in scope holding the payment or any of ``moments`` (used for cancel-while-late)."""
    for moment in (order.paid_at, *moments):
        found = applicable(windows, order, moment)
        if found:
            return found[0]
    return None
