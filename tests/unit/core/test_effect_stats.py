"""Honest counting in the effect counters (issue 14 item 5): before/after by the first notice's send
time, on-time orders and other topics apart, contacts before the first delay moved when it is
detected, a second delay counts no second delayed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import order_from, paid

from delaydesk.core import effect_stats
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import Event, parse_event
from delaydesk.core.orders import Contact, Delay, Order

T0 = datetime(2020, 1, 21, 2, tzinfo=UTC)
ON_TIME = order_from(paid("A", "2020-01-20T10:00:00+08:00"))


def _delayed(order: Order = ON_TIME, resolved: int = 0) -> Order:
    delay = Delay(kind="shipment_delayed", rule="ship_by", reason="r", started_at=T0, next_update_at=T0)
    return order.model_copy(update={"delay": delay, "delays_resolved": resolved})


def _event(kind: str, hours: float, **fields: object) -> Event:
    at = (T0 + timedelta(hours=hours)).isoformat()
    return parse_event({"type": kind, "event_id": f"{kind}-{hours}", "at": at, "order_id": "A", **fields})


def test_wismo_is_split_by_the_first_notice_send_time() -> None:
    sent = T0 + timedelta(hours=1)  # the notice was decided at T0, sent an hour later
    ask = _event("inquiry.received", 0.5, topic="where_is_my_order")
    assert effect_stats.contact_effect_counts(ask, _delayed(), sent) == {"wismo_delayed_before": 1}
    at_send = _event("inquiry.received", 1, topic="where_is_my_order")
    assert effect_stats.contact_effect_counts(at_send, _delayed(), sent) == {"wismo_delayed_after": 1}
    never_sent = effect_stats.contact_effect_counts(at_send, _delayed(), None)
    assert never_sent == {"wismo_delayed_before": 1}


def test_on_time_orders_and_other_topics_are_counted_apart() -> None:
    ask = _event("inquiry.received", 2, topic="where_is_my_order")
    assert effect_stats.contact_effect_counts(ask, ON_TIME, None) == {}
    refund = _event("inquiry.received", 2, topic="refund")
    assert effect_stats.contact_effect_counts(refund, _delayed(), T0) == {}
    assert not effect_stats.needs_first_notice(refund, _delayed())
    assert not effect_stats.needs_first_notice(ask, ON_TIME)
    assert effect_stats.needs_first_notice(ask, _delayed())
    dispute = _event("dispute.opened", 2, reason="never arrived")
    assert effect_stats.contact_effect_counts(dispute, _delayed(), T0) == {"disputes_delayed": 1}


def test_a_review_counts_once_and_a_later_one_by_its_difference() -> None:
    first = _event("review.posted", 3, rating=2)
    assert effect_stats.contact_effect_counts(first, _delayed(), T0) == {
        "reviews_delayed": 1,
        "rating_sum_delayed": 2,
    }
    rated = _delayed().model_copy(update={"rating": 2, "rated_at": T0 + timedelta(hours=3)})
    later = _event("review.posted", 4, rating=5)
    assert effect_stats.contact_effect_counts(later, rated, T0) == {"rating_sum_delayed": 3}
    older = _event("review.posted", 1, rating=1)  # arrives late, replaces nothing
    assert effect_stats.contact_effect_counts(older, rated, T0) == {}


def _detected(at: datetime) -> Decision:
    return Decision(order_id="A", decision_id="d", action=Action.DELAY_DETECTED, rule="ship_by", at=at)


def test_the_first_delay_moves_the_earlier_contacts_and_a_second_delay_counts_nothing() -> None:
    earlier = _delayed().model_copy(
        update={
            "inquiries": [
                Contact(at=T0 - timedelta(hours=2), topic="where_is_my_order"),
                Contact(at=T0 - timedelta(hours=1), topic="refund"),
            ],
            "disputes": [Contact(at=T0 - timedelta(hours=1))],
            "rating": 1,
            "rated_at": T0 - timedelta(minutes=5),
        }
    )
    assert effect_stats.first_delay_counts(_detected(T0), earlier) == {
        "delayed_orders": 1,
        "wismo_delayed_before": 1,
        "disputes_delayed": 1,
        "reviews_delayed": 1,
        "rating_sum_delayed": 1,
    }
    assert effect_stats.first_delay_counts(_detected(T0), _delayed(resolved=1)) == {}  # its second delay
    other = Decision(order_id="A", decision_id="e", action=Action.ESCALATED, rule="x", at=T0)
    assert effect_stats.first_delay_counts(other, earlier) == {}


def test_the_first_delay_notice_is_the_earliest_sent_delay_kind() -> None:
    sent = [("order_cancelled", T0), ("delay_update", T0 + timedelta(hours=5)), ("shipment_delayed", None)]
    assert effect_stats.first_delay_notice(sent) == T0 + timedelta(hours=5)
    assert effect_stats.first_delay_notice([]) is None
