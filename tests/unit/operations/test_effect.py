"""The effect figures (summary.effect) from orders' facts: honest before/after, delayed vs on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import order_from, paid

from delaydesk.core.orders import Contact
from delaydesk.operations.effect import OrderEffect, effect_figures, effect_rows, first_delay_notice, order_effect

T0 = datetime(2020, 1, 21, 2, tzinfo=UTC)


def _ask(hours: float, topic: str = "where_is_my_order") -> Contact:
    return Contact(at=T0 + timedelta(hours=hours), topic=topic, channel="email")


def _fact(order_id: str, *, delayed: bool = True, notice: datetime | None = T0, **fields: object) -> OrderEffect:
    return OrderEffect(order_id=order_id, merchant_id="m", delayed=delayed, first_notice_at=notice, **fields)  # type: ignore[arg-type]


def test_wismo_before_and_after_the_first_notice_sent() -> None:
    figures = effect_figures(
        [
            _fact("A", inquiries=(_ask(-1), _ask(0), _ask(3), _ask(4, "refund")), disputes=1, rating=2),
            _fact("B", notice=None, inquiries=(_ask(5),), rating=3),  # never notified: asked "before"
            _fact("C"),
            _fact("D", delayed=False, inquiries=(_ask(1),), disputes=2, rating=5),
        ],
        {"where_is_my_order": 2, "other": 1},
    )
    assert figures == {
        "delayed_orders": 3,
        "wismo_inquiries": 4,
        "wismo_per_100_delayed": 133.33,
        "wismo_before_first_notice": 2,  # A at -1 h, B
        "wismo_after_first_notice": 2,  # A at the send time and 3 h after
        "disputes": 1,
        "mean_rating": 2.5,
        "reviews": 2,
        "on_time": {
            "orders": 1,
            "wismo_inquiries": 1,
            "wismo_per_100_orders": 100.0,
            "disputes": 2,
            "mean_rating": 5.0,
            "reviews": 1,
        },
        "inquiries_by_topic": {"other": 1, "refund": 1, "where_is_my_order": 7},
        "inquiries_without_order": 3,
        "experiments": [],
    }


def test_no_orders_no_rates() -> None:
    figures = effect_figures([])
    assert figures["delayed_orders"] == 0 and figures["wismo_per_100_delayed"] is None
    assert figures["mean_rating"] is None and figures["on_time"]["wismo_per_100_orders"] is None
    assert ("mean_rating", "") in effect_rows(figures)


def test_the_first_delay_notice_is_the_earliest_sent_delay_kind() -> None:
    later = T0 + timedelta(hours=6)
    sent = [("refund_approved", T0 - timedelta(days=1)), ("delay_update", later), ("shipment_delayed", T0)]
    assert first_delay_notice(sent) == T0
    assert first_delay_notice([("disruption_announcement", T0), ("shipment_delayed", None)]) is None


def test_an_order_is_delayed_while_late_and_after_its_delay_resolved() -> None:
    order = order_from(paid("X-1", "2020-01-20T10:00:00+08:00"))
    assert not order_effect(order, []).delayed
    assert order_effect(order.model_copy(update={"delays_resolved": 1}), []).delayed
