"""The effect events (issue 14): validated at the edge, recorded on the order, counted once per event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import order_from, paid

from delaydesk.core.counts import contact_counts
from delaydesk.core.events import ReviewPosted, parse_event
from delaydesk.core.orders import EventRejected, apply_event
from delaydesk.core.record import ValidationError

AT = "2020-01-22T10:00:00+08:00"


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-1", "at": AT, **fields}


@pytest.mark.parametrize(
    "raw",
    [
        _event("inquiry.received", order_id="O-1", topic="lost", channel="email"),
        _event("inquiry.received", order_id="O-1", topic="where_is_my_order", channel="fax"),
        _event("inquiry.received", topic="where_is_my_order"),  # no order, no merchant
        _event("inquiry.received", order_id="O-1"),  # neither topic nor text
        _event("dispute.opened", order_id="O-1"),
        _event("review.posted", order_id="O-1", rating=0),
        _event("review.posted", order_id="O-1", rating=6),
        _event("review.posted", order_id="O-1", rating="5"),
        _event("review.posted", order_id="O-1", rating=4.5),
        _event("review.posted", rating=4),
    ],
)
def test_bad_effect_events_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_event(raw)


def test_a_rating_given_as_text_is_refused_from_json_too() -> None:
    body = json.dumps(_event("review.posted", order_id="O-1", rating="5"))
    with pytest.raises(ValidationError, match="rating"):
        ReviewPosted.model_validate_json(body)
    assert ReviewPosted.model_validate_json(json.dumps(_event("review.posted", order_id="O-1", rating=5))).rating == 5


def test_inquiries_disputes_and_reviews_are_recorded_on_the_order() -> None:
    order = order_from(paid("O-1", "2020-01-20T10:00:00+08:00"))
    ask = parse_event(_event("inquiry.received", order_id="O-1", topic="where_is_my_order", channel="chat"))
    after = apply_event(order, ask)
    assert [(c.topic, c.channel) for c in after.inquiries] == [("where_is_my_order", "chat")]
    assert contact_counts(ask, order) == {"inquiries": 1, "inquiry_topics#where_is_my_order": 1}
    dispute = parse_event(_event("dispute.opened", order_id="O-1", reason="没收到货"))
    after = apply_event(after, dispute)
    assert len(after.disputes) == 1 and contact_counts(dispute, order) == {"disputes": 1}
    review = parse_event(_event("review.posted", order_id="O-1", rating=2))
    rated = apply_event(after, review)
    assert rated.rating == 2 and contact_counts(review, after) == {"reviews": 1, "rating_sum": 2}
    better = parse_event({**_event("review.posted", order_id="O-1", rating=4), "at": "2020-01-23T10:00:00+08:00"})
    assert apply_event(rated, better).rating == 4
    assert contact_counts(better, rated) == {"rating_sum": 2}  # the same review, changed: one rating
    older = parse_event({**_event("review.posted", order_id="O-1", rating=1), "at": "2020-01-21T10:00:00+08:00"})
    assert apply_event(rated, older).rating == 2 and contact_counts(older, rated) == {}


def test_an_inquiry_without_order_counts_for_the_merchant() -> None:
    ask = parse_event(_event("inquiry.received", merchant_id="m-teahouse", topic="cancel", channel="phone"))
    assert contact_counts(ask, None) == {
        "inquiries": 1,
        "inquiry_topics#cancel": 1,
        "inquiries_without_order#cancel": 1,
    }


def test_an_unclassified_inquiry_is_not_applied() -> None:
    order = order_from(paid("O-1", "2020-01-20T10:00:00+08:00"))
    with pytest.raises(EventRejected):
        apply_event(order, parse_event(_event("inquiry.received", order_id="O-1", text="到哪了")))
