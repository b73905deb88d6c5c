"""What the notices achieved (pure): the figures of ``summary.effect`` and ``report effect``.

Per order: was it delayed (a delay now, or one resolved), when its first delay notice was *sent*
(the notice log's send time, not the decision's), its inquiries with their topics, its disputes and
its rating. The figures (contract, ``summary.effect``) are about delayed orders:

- ``wismo_inquiries``: inquiries on topic ``where_is_my_order`` about a delayed order; asked before
  its first delay notice was sent (or about an order never notified: the notice came too late, or
  not at all) or at/after it;
- ``disputes`` and ``mean_rating``: of delayed orders. The same for on-time orders is in ``on_time``
  (an extension), so that the two can be set side by side; inquiries on other topics and inquiries
  that name no order are counted apart (``inquiries_by_topic``, ``inquiries_without_order``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from delaydesk.core.effect_stats import first_delay_notice as first_delay_notice
from delaydesk.core.orders import Contact, Order
from delaydesk.operations.experiments import Tally, experiment_figures, experiment_rows


@dataclass(frozen=True)
class OrderEffect:
    """The facts of one order that the effect report reads."""

    order_id: str
    merchant_id: str
    delayed: bool
    first_notice_at: datetime | None
    inquiries: tuple[Contact, ...] = ()
    disputes: int = 0
    rating: int | None = None
    arms: tuple[tuple[str, str, str, float], ...] = ()
    """(experiment id, arm, what it holds out, holdout share) of each experiment the order met."""


def order_was_delayed(order: Order) -> bool:
    """A delay now, or one that was resolved (shipped, delivered, cancelled since)."""
    return order.delay is not None or order.delays_resolved > 0


def order_effect(order: Order, sent: Iterable[tuple[str, datetime | None]]) -> OrderEffect:
    return OrderEffect(
        order_id=order.order_id,
        merchant_id=order.merchant_id,
        delayed=order_was_delayed(order),
        first_notice_at=first_delay_notice(sent),
        inquiries=tuple(order.inquiries),
        disputes=len(order.disputes),
        rating=order.rating,
        arms=tuple((e, a.arm, a.holds_out, a.holdout_share) for e, a in sorted(order.experiments.items())),
    )


def _per_100(count: int, orders: int) -> float | None:
    return round(100 * count / orders, 2) if orders else None


def _mean(ratings: list[int]) -> float | None:
    return round(sum(ratings) / len(ratings), 2) if ratings else None


def effect_figures(facts: Iterable[OrderEffect], without_order: Mapping[str, int] | None = None) -> dict[str, Any]:
    """``summary.effect`` from the orders' facts and the per-topic counts of inquiries that named no
    order; ``experiments`` compares the arms of each holdout experiment (operations/experiments.py)."""
    facts = list(facts)
    delayed, on_time = Tally(), Tally()
    topics: Counter[str] = Counter(without_order or {})
    for fact in facts:
        (delayed if fact.delayed else on_time).add(fact)
        topics.update(inquiry.topic or "other" for inquiry in fact.inquiries)
    return {
        "delayed_orders": delayed.orders,
        "wismo_inquiries": delayed.wismo,
        "wismo_per_100_delayed": _per_100(delayed.wismo, delayed.orders),
        "wismo_before_first_notice": delayed.before,
        "wismo_after_first_notice": delayed.after,
        "disputes": delayed.disputes,
        "mean_rating": _mean(delayed.ratings),
        "reviews": len(delayed.ratings),
        "on_time": {
            "orders": on_time.orders,
            "wismo_inquiries": on_time.wismo,
            "wismo_per_100_orders": _per_100(on_time.wismo, on_time.orders),
            "disputes": on_time.disputes,
            "mean_rating": _mean(on_time.ratings),
            "reviews": len(on_time.ratings),
        },
        "inquiries_by_topic": dict(sorted(topics.items())),
        "inquiries_without_order": sum((without_order or {}).values()),
        "experiments": experiment_figures(facts),
    }


FIGURES = (
    "delayed_orders",
    "wismo_inquiries",
    "wismo_per_100_delayed",
    "wismo_before_first_notice",
    "wismo_after_first_notice",
    "disputes",
    "mean_rating",
    "reviews",
)


def effect_rows(effect: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The report as (figure, value) rows: the delayed orders' figures, the on-time ones, the topics."""
    rows = [(name, _text(effect[name])) for name in FIGURES]
    rows += [(f"on_time.{name}", _text(value)) for name, value in effect["on_time"].items()]
    rows += [(f"inquiries.{topic}", str(n)) for topic, n in effect["inquiries_by_topic"].items()]
    rows.append(("inquiries_without_order", str(effect["inquiries_without_order"])))
    return rows + experiment_rows(effect.get("experiments", []))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
