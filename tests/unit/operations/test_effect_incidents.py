"""Per incident: which orders fall under a window or an alert, the engagement figures, the
spreadsheet form of the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import order_from, paid, shipped

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.orders import Contact, Delay, Order
from delaydesk.core.stats import Alert
from delaydesk.core.windows import Window, parse_window
from delaydesk.operations.effect import order_effect
from delaydesk.operations.effect_incidents import (
    Engagement,
    OrderFacts,
    delay_times,
    effect_summary,
    engagement_figures,
    named_windows,
    under_alert,
    under_window,
    wide_table,
)

PAID = "2020-01-20T10:00:00+08:00"
DETECTED = datetime(2020, 1, 22, 2, tzinfo=UTC)


def _delayed(order: Order, at: datetime = DETECTED) -> Order:
    delay = Delay(kind="in_transit_delayed", rule="stalled_in_transit", reason="r", started_at=at, next_update_at=at)
    return order.model_copy(update={"delay": delay})


def _detected(order_id: str, at: datetime = DETECTED, window_id: str | None = None) -> Decision:
    return Decision(
        order_id=order_id,
        decision_id=f"d-{at.isoformat()}",
        action=Action.DELAY_DETECTED,
        rule="stalled_in_transit",
        at=at,
        window_id=window_id,
    )


def _facts(order: Order, decisions: list[Decision] | None = None, engagement: Engagement | None = None) -> OrderFacts:
    decisions = decisions or []
    return OrderFacts(
        order_effect(order, [("in_transit_delayed", DETECTED)] if order.delay else []),
        order,
        delayed_at=delay_times(order, decisions),
        named_windows=named_windows(order, decisions),
        engagement=engagement or Engagement(),
    )


def _window(window_id: str, starts: str, ends: str, **fields: object) -> Window:
    return parse_window(
        {"window_id": window_id, "reason": "extreme_weather", "starts_at": starts, "ends_at": ends} | fields
    )


def _alert(carriers: tuple[str, ...], regions: tuple[str, ...], opened: datetime, resolved: datetime | None) -> Alert:
    return Alert(
        alert_id=f"al-{'-'.join(carriers + regions)}",
        merchant_id="m-teahouse",
        kind="delay_spike",
        carriers=carriers,
        regions=regions,
        opened_at=opened,
        resolved_at=resolved,
        rate=0.5,
        baseline=0.05,
        delays=10,
        orders=20,
        locale="en",
    )


SHIPPED = order_from(paid("A", PAID), shipped("A", "2020-01-20T18:00:00+08:00"))


def test_an_order_falls_under_a_window_by_scope_and_time_or_by_name() -> None:
    delayed = _facts(_delayed(SHIPPED), [_detected("A")])
    on_time = _facts(order_from(paid("B", PAID)))
    snow = _window("snow", "2020-01-22T00:00:00+08:00", "2020-01-23T00:00:00+08:00")  # holds the detection
    assert under_window(delayed, snow) and not under_window(on_time, snow)  # B: paid before, never delayed
    assert under_window(on_time, _window("all", "2020-01-20T00:00:00+08:00", "2020-01-21T00:00:00+08:00"))
    elsewhere = _window("gd", "2020-01-22T00:00:00+08:00", "2020-01-23T00:00:00+08:00", scope={"regions": ["CN-GD"]})
    assert not under_window(delayed, elsewhere)  # CN-HB is not in its scope
    other_merchant = _window("m2", "2020-01-22T00:00:00+08:00", "2020-01-23T00:00:00+08:00", merchant_id="m2")
    assert not under_window(delayed, other_merchant)
    later = _window("later", "2020-02-01T00:00:00+08:00", "2020-02-02T00:00:00+08:00")
    named = _facts(_delayed(SHIPPED), [_detected("A", window_id="later")])
    assert under_window(named, later) and not under_window(delayed, later)  # a decision names it


def test_an_order_falls_under_an_alert_whose_scope_and_open_period_hold_its_delay() -> None:
    delayed = _facts(_delayed(SHIPPED), [_detected("A")])
    carrier = delayed.order.shipment.carrier if delayed.order.shipment else ""
    opened = DETECTED + timedelta(hours=6)  # the delay was in the 12 hours that raised it
    assert under_alert(delayed, _alert((carrier,), ("CN-HB",), opened, None))
    assert under_alert(delayed, _alert((), ("CN",), opened, None))  # a country holds its regions
    assert not under_alert(delayed, _alert((carrier,), ("CN-GD",), opened, None))
    assert not under_alert(delayed, _alert(("ZTO",), (), opened, None))
    assert not under_alert(delayed, _alert((), (), DETECTED + timedelta(hours=13), None))  # detected long before
    assert not under_alert(delayed, _alert((), (), DETECTED - timedelta(days=2), DETECTED - timedelta(days=1)))
    assert not under_alert(_facts(SHIPPED), _alert((), (), opened, None))  # never delayed


def test_engagement_counts_delayed_orders_and_opens_only_where_tracked() -> None:
    visited = _facts(_delayed(SHIPPED), engagement=Engagement(3, frozenset({"wait", "cancel"}), tracked=False))
    tracked = _facts(_delayed(order_from(paid("C", PAID))), engagement=Engagement(0, frozenset({"cancel"}), True, 2, 1))
    on_time = _facts(order_from(paid("D", PAID)), engagement=Engagement(5, frozenset({"wait"}), True, 4, 4))
    figures = engagement_figures([visited, tracked, on_time])
    assert figures == {
        "order_page_visits": 3,
        "orders_with_page_visit": 1,
        "choices": {"wait": 1, "cancel": 2, "additional_period": 0, "terminate": 0, "return": 0},
        "notices_opened": 2,
        "notices_clicked": 1,
    }
    untracked = engagement_figures([visited])
    assert untracked["notices_opened"] is None and untracked["notices_clicked"] is None


def test_the_summary_per_merchant_window_and_alert_and_one_window_only() -> None:
    asked = _delayed(SHIPPED).model_copy(
        update={"inquiries": [Contact(at=DETECTED + timedelta(hours=1), topic="where_is_my_order")]}
    )
    facts = [_facts(asked, [_detected("A")]), _facts(order_from(paid("B", PAID)))]
    snow = _window("snow", "2020-01-22T00:00:00+08:00", "2020-01-23T00:00:00+08:00")
    summary = effect_summary(facts, [snow], [], {"m-teahouse": {"where_is_my_order": 2}})
    assert (summary["delayed_orders"], summary["wismo_after_first_notice"], summary["inquiries_without_order"]) == (
        1,
        1,
        2,
    )
    assert list(summary["by_merchant"]) == ["m-teahouse"] and summary["by_alert"] == {}
    assert (
        summary["by_window"]["snow"]["delayed_orders"] == 1 and summary["by_window"]["snow"]["on_time"]["orders"] == 0
    )
    only = effect_summary(facts, [snow], [], {"m-teahouse": {"where_is_my_order": 2}}, window_id="snow")
    assert only["on_time"]["orders"] == 0 and only["inquiries_without_order"] == 0
    header, rows = wide_table(summary)
    assert header[:4] == ["scope", "id", "delayed_orders", "wismo_inquiries"]
    assert [r[:2] for r in rows] == [["overall", ""], ["merchant", "m-teahouse"], ["window", "snow"]]
    column = header.index("mean_rating")
    assert rows[0][column] == ""  # no value, not "None"
    topic = header.index("inquiries.where_is_my_order")
    assert [r[topic] for r in rows] == ["3", "3", "1"]
