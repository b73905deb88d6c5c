"""The policy engine: windows move deadlines only later; boundaries on the seed's instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import instant, order_from, paid, shipped
from hypothesis import given, settings
from hypothesis import strategies as st

from delaydesk.core.events import parse_event
from delaydesk.core.merchants import PolicyDefaults
from delaydesk.core.orders import Order, apply_event
from delaydesk.core.record import ValidationError
from delaydesk.core.windows import TimerKind, Window, parse_window, preset
from delaydesk.policy.engine import deadlines, exempting_window, ship_by

SHANGHAI = PolicyDefaults(timezone="Asia/Shanghai")
CNY, CROSS_BORDER = preset("spring_festival_2020")
SECOND = timedelta(seconds=1)


def _event(kind: str, order_id: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-{order_id}-{at}", "at": at, "order_id": order_id, **fields}


def _full_order(paid_at: datetime, channel: str = "cross_border") -> Order:
    """Paid, shipped a day later, delivered, refund and return requested: every timer runs."""
    at = paid_at.isoformat()
    order = order_from(paid("o1", at, channel=channel), shipped("o1", (paid_at + timedelta(days=1)).isoformat()))
    for raw in (
        _event("tracking", "o1", (paid_at + timedelta(days=3)).isoformat(), status="delivered"),
        _event("refund.requested", "o1", (paid_at + timedelta(days=4)).isoformat(), reason="late"),
        _event("return.shipped", "o1", (paid_at + timedelta(days=5)).isoformat()),
    ):
        order = apply_event(order, parse_event(raw))
    return order


def test_without_windows_the_defaults_apply() -> None:
    paid_at = instant("2020-03-02T10:00:00+08:00")
    found = deadlines(_full_order(paid_at), SHANGHAI, [])
    assert {k: d.window_id for k, d in found.items()} == dict.fromkeys(TimerKind)
    assert found[TimerKind.SHIP_BY].at == paid_at + timedelta(hours=24)
    assert found[TimerKind.REFUND_CONFIRM].at == paid_at + timedelta(days=4 + 5)
    assert found[TimerKind.RETURN_RECEIPT].at == paid_at + timedelta(days=5 + 10)
    assert found[TimerKind.RETURN_WINDOW].at == paid_at + timedelta(days=3 + 7)
    # Shipped 2020-03-03 (Shanghai): auto-confirmed at 00:00 of the 11th natural day after it.
    assert found[TimerKind.AUTO_CONFIRM].at == instant("2020-03-14T00:00:00+08:00")


def test_inside_the_spring_festival_window_every_timer_is_longer() -> None:
    paid_at = instant("2020-01-25T10:00:00+08:00")
    found = deadlines(_full_order(paid_at), SHANGHAI, [CNY, CROSS_BORDER])
    # Suspended N-hour shipping: the 24 h commitment restarts when the window ends.
    assert found[TimerKind.SHIP_BY].at == CNY.ends_at + timedelta(hours=24)
    assert found[TimerKind.REFUND_CONFIRM].at == paid_at + timedelta(days=4 + 15)
    assert found[TimerKind.RETURN_RECEIPT].at == paid_at + timedelta(days=5 + 15)
    assert found[TimerKind.RETURN_WINDOW].at == paid_at + timedelta(days=3 + 15)
    assert found[TimerKind.AUTO_CONFIRM].at == instant("2020-02-29T00:00:00+08:00")  # 2020-01-26 + 34 days
    assert found[TimerKind.AUTO_CONFIRM].window_id == "cny2020-cross-border"
    assert found[TimerKind.SHIP_BY].window_id == "cny2020"
    assert exempting_window(_full_order(paid_at), [CNY]) == CNY


def test_the_cross_border_rule_does_not_touch_domestic_orders() -> None:
    paid_at = instant("2020-01-25T10:00:00+08:00")
    merchant_days = PolicyDefaults(timezone="Asia/Shanghai", domestic_auto_confirm_days=10)
    found = deadlines(_full_order(paid_at, channel="domestic"), merchant_days, [CNY, CROSS_BORDER])
    assert found[TimerKind.AUTO_CONFIRM].window_id is None
    assert found[TimerKind.AUTO_CONFIRM].at == instant("2020-02-05T00:00:00+08:00")
    assert TimerKind.AUTO_CONFIRM not in deadlines(_full_order(paid_at, channel="domestic"), SHANGHAI, [CNY])


# ------------------------------------------------------------------ boundaries on the seed's instants


@pytest.mark.parametrize(
    ("paid_at", "covered"),
    [
        (instant("2020-01-19T00:00:00+08:00") - SECOND, False),
        (instant("2020-01-19T00:00:00+08:00"), True),
        (instant("2020-01-19T00:00:00+08:00") + SECOND, True),
        (instant("2020-02-09T23:59:59+08:00") - SECOND, True),
        (instant("2020-02-09T23:59:59+08:00"), True),
        (instant("2020-02-09T23:59:59+08:00") + SECOND, False),
    ],
)
def test_ship_by_suspension_boundaries(paid_at: datetime, covered: bool) -> None:
    order = order_from(paid("o1", paid_at.isoformat()))
    deadline = ship_by(order, [CNY, CROSS_BORDER])
    assert (exempting_window(order, [CNY, CROSS_BORDER]) is not None) is covered
    # Paid at the very end, the restarted commitment equals the default: no window changed it.
    assert (deadline.window_id == "cny2020") is (covered and paid_at < CNY.ends_at)
    assert deadline.at == (CNY.ends_at if covered else paid_at) + timedelta(hours=24)


@pytest.mark.parametrize(
    ("paid_at", "day"),
    [
        (instant("2020-01-14T00:00:00+08:00") - SECOND, 11),
        (instant("2020-01-14T00:00:00+08:00"), 34),
        (instant("2020-01-14T00:00:00+08:00") + SECOND, 34),
        (instant("2020-02-06T23:59:59+08:00") - SECOND, 34),
        (instant("2020-02-06T23:59:59+08:00"), 34),
        (instant("2020-02-06T23:59:59+08:00") + SECOND, 11),
    ],
)
def test_cross_border_auto_confirm_boundaries(paid_at: datetime, day: int) -> None:
    order = order_from(paid("o1", paid_at.isoformat(), channel="cross_border"), shipped("o1", paid_at.isoformat()))
    confirm = deadlines(order, SHANGHAI, [CNY, CROSS_BORDER])[TimerKind.AUTO_CONFIRM]
    shipped_day = paid_at.astimezone(SHANGHAI.zone).date()
    assert confirm.at.astimezone(SHANGHAI.zone).date() - shipped_day == timedelta(days=day)
    assert confirm.at.astimezone(SHANGHAI.zone).time().hour == 0


@pytest.mark.parametrize(
    ("requested", "days"),
    [
        (instant("2020-01-19T00:00:00+08:00") - SECOND, 5),
        (instant("2020-01-19T00:00:00+08:00"), 15),
        (instant("2020-02-09T23:59:59+08:00"), 15),
        (instant("2020-02-09T23:59:59+08:00") + SECOND, 5),
    ],
)
def test_refund_confirm_boundaries(requested: datetime, days: int) -> None:
    order = order_from(paid("o1", "2020-01-10T10:00:00+08:00"))
    order = apply_event(order, parse_event(_event("refund.requested", "o1", requested.isoformat(), reason="x")))
    deadline = deadlines(order, SHANGHAI, [CNY])[TimerKind.REFUND_CONFIRM]
    assert deadline.at - requested == timedelta(days=days)


def test_natural_days_follow_the_merchants_clock_across_dst() -> None:
    new_york = PolicyDefaults(timezone="America/New_York")
    order = order_from(paid("o1", "2020-03-01T12:00:00-05:00"))
    order = apply_event(order, parse_event(_event("refund.requested", "o1", "2020-03-05T12:00:00-05:00", reason="x")))
    deadline = deadlines(order, new_york, [])[TimerKind.REFUND_CONFIRM]
    assert deadline.at == instant("2020-03-10T12:00:00-04:00")  # noon again, after the clocks moved


def test_deadlines_inside_a_deferring_window_move_to_its_end() -> None:
    invoicing = parse_window(
        {
            "window_id": "defer",
            "reason": "holiday",
            "starts_at": "2020-01-18T00:00:00+08:00",
            "ends_at": "2020-02-10T23:59:59+08:00",
            "rules": {"defer_deadlines_into_window_end": ["ship_by"]},
        }
    )
    order = order_from(paid("o1", "2020-01-17T12:00:00+08:00"))
    deadline = ship_by(order, [invoicing])
    assert (deadline.at, deadline.window_id) == (invoicing.ends_at, "defer")


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": "2020-01-18T00:00:00+08:00"}, "ends_at must be after starts_at"),
        ({"rules": {"refund_confirm_days": 15, "refund_days": 3}}, "refund_days"),
        ({"rules": {"refund_confirm_days": 0}}, ">= 1"),
        ({"rules": {"ship_by": "pause"}}, "ship_by"),
        ({"reason": "boredom"}, "reason"),
        ({"scope": {"regions": ["hubei"]}}, "ISO 3166-2"),
        ({"ends_at": "2022-01-19T00:00:00+08:00"}, "366 days"),
    ],
)
def test_invalid_windows_are_refused_with_a_clear_error(change: dict[str, Any], message: str) -> None:
    base = CNY.model_dump(mode="json")
    with pytest.raises(ValidationError, match=message):
        parse_window(base | change)


# ------------------------------------------------------------------ properties

_BASE = datetime(2020, 1, 1, tzinfo=UTC)
hours = st.integers(min_value=0, max_value=24 * 80)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = _BASE + timedelta(hours=draw(hours))
    length = timedelta(hours=draw(st.integers(min_value=1, max_value=24 * 40)))
    return _window(start, length, draw)


def _window(start: datetime, length: timedelta, draw: st.DrawFn) -> Window:
    days = st.one_of(st.none(), st.integers(min_value=1, max_value=40))
    return parse_window(
        {
            "window_id": "w",
            "reason": "holiday",
            "starts_at": start.isoformat(),
            "ends_at": (start + length).isoformat(),
            "scope": {"channels": draw(st.sampled_from([[], ["cross_border"], ["domestic"]]))},
            "rules": {
                "ship_by": draw(st.sampled_from([None, "suspend", {"extend_hours": 48}])),
                "refund_confirm_days": draw(days),
                "return_receipt_days": draw(days),
                "return_window_days": draw(days),
                "auto_confirm_days": draw(days),
                "defer_deadlines_into_window_end": draw(st.lists(st.sampled_from(list(TimerKind)), unique=True)),
            },
        }
    )


@settings(max_examples=60, deadline=None)
@given(paid_offset=hours, existing=st.lists(windows(), max_size=2), added=windows())
def test_adding_a_window_never_moves_a_deadline_earlier(
    paid_offset: int, existing: list[Window], added: Window
) -> None:
    order = _full_order(_BASE + timedelta(hours=paid_offset))
    before = deadlines(order, SHANGHAI, existing)
    after = deadlines(order, SHANGHAI, [*existing, added])
    for kind, deadline in before.items():
        assert after[kind].at >= deadline.at, kind
        assert after[kind].at >= deadline.default_at


@settings(max_examples=40, deadline=None)
@given(paid_offset=hours, some=st.lists(windows(), max_size=3))
def test_removing_all_windows_gives_the_defaults(paid_offset: int, some: list[Window]) -> None:
    order = _full_order(_BASE + timedelta(hours=paid_offset))
    plain = deadlines(order, SHANGHAI, [])
    assert all(d.at == d.default_at and d.window_id is None for d in plain.values())
    with_windows = deadlines(order, SHANGHAI, some)
    assert {k: d.default_at for k, d in with_windows.items()} == {k: d.default_at for k, d in plain.items()}


@settings(max_examples=60, deadline=None)
@given(
    paid_offset=hours,
    start=hours,
    short=st.integers(min_value=1, max_value=24 * 30),
    more=st.integers(min_value=0, max_value=24 * 30),
    data=st.data(),
)
def test_each_deadline_is_monotonic_in_the_windows_length(
    paid_offset: int, start: int, short: int, more: int, data: st.DataObject
) -> None:
    order = _full_order(_BASE + timedelta(hours=paid_offset))
    # The same rules for both windows: only the end moves.
    shorter = _window(_BASE + timedelta(hours=start), timedelta(hours=short), data.draw)
    longer = shorter.model_copy(update={"ends_at": shorter.ends_at + timedelta(hours=more)})
    small = deadlines(order, SHANGHAI, [shorter])
    large = deadlines(order, SHANGHAI, [longer])
    for kind, deadline in small.items():
        assert large[kind].at >= deadline.at, kind
