"""Effect counters (pure): what the daily digest's "What the notices achieved" reads, counted once
when the thing it counts is applied, like the other statistics counters (``core.stats``).

Counted per merchant x hour x carrier x region (the StatsTable rows), extensions of issue 14:

    delayed_orders            an order's first delay is detected (its first ``delay_detected``)
    wismo_delayed_before      a ``where_is_my_order`` inquiry about a delayed order, asked before the
                              order's first delay notice was *sent* (or with none sent yet)
    wismo_delayed_after       the same, asked at or after that send time
    disputes_delayed          a dispute opened on a delayed order
    reviews_delayed, rating_sum_delayed   a delayed order's review (a later one: the difference)

An inquiry, dispute or review is judged by the order as it was when the event was applied. One that
came before the order's first delay (an inquiry about an order that was late but not yet detected)
is moved over when that first delay is detected: the detection adds the order's earlier WISMO
inquiries to ``wismo_delayed_before`` (no notice could have been sent before them), its disputes
and its review, in the detection's hour. The on-time side is what is left: ``disputes -
disputes_delayed``, ``reviews - reviews_delayed``, ``rating_sum - rating_sum_delayed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import DisputeOpened, Event, InquiryReceived, ReviewPosted
from delaydesk.core.kinds import DELAY_KINDS
from delaydesk.core.orders import Order

WISMO = "where_is_my_order"
DELAYED_ORDERS = "delayed_orders"
WISMO_DELAYED_BEFORE = "wismo_delayed_before"
WISMO_DELAYED_AFTER = "wismo_delayed_after"
DISPUTES_DELAYED = "disputes_delayed"
REVIEWS_DELAYED = "reviews_delayed"
RATING_SUM_DELAYED = "rating_sum_delayed"


def first_delay_notice(sent: Iterable[tuple[str, datetime | None]]) -> datetime | None:
    """The send time of the earliest delay notice among ``(kind, sent_at)`` of an order's sent notices."""
    times = [at for kind, at in sent if kind in DELAY_KINDS and at is not None]
    return min(times) if times else None


def was_delayed(order: Order | None) -> bool:
    """A delay now, or one that was resolved."""
    return order is not None and (order.delay is not None or order.delays_resolved > 0)


def needs_first_notice(event: Event, before: Order | None) -> bool:
    """Whether counting ``event`` needs the order's first delay notice's send time (a notice-log read)."""
    return isinstance(event, InquiryReceived) and event.topic == WISMO and was_delayed(before)


def contact_effect_counts(event: Event, before: Order | None, first_notice_at: datetime | None) -> dict[str, int]:
    """What one applied inquiry, dispute or review adds to the effect counters (once per applied
    event, as ``counts.contact_counts``): nothing unless the order was delayed when it came."""
    if before is None or not was_delayed(before):
        return {}
    if isinstance(event, InquiryReceived) and event.topic == WISMO:
        after = first_notice_at is not None and event.at >= first_notice_at
        return {WISMO_DELAYED_AFTER if after else WISMO_DELAYED_BEFORE: 1}
    if isinstance(event, DisputeOpened):
        return {DISPUTES_DELAYED: 1}
    if isinstance(event, ReviewPosted):
        if before.rating is None:
            return {REVIEWS_DELAYED: 1, RATING_SUM_DELAYED: event.rating}
        if before.rated_at is not None and event.at >= before.rated_at:
            return {RATING_SUM_DELAYED: event.rating - before.rating}
    return {}


def first_delay_counts(decision: Decision, order: Order) -> dict[str, int]:
    """What a recorded ``delay_detected`` adds when it is the order's first delay (``order``: as the
    evaluation left it): the delayed order, and the contacts it had before (see the module)."""
    if decision.action != Action.DELAY_DETECTED or order.delays_resolved > 0:
        return {}
    counts = {
        DELAYED_ORDERS: 1,
        WISMO_DELAYED_BEFORE: sum(1 for c in order.inquiries if c.topic == WISMO and c.at <= decision.at),
        DISPUTES_DELAYED: sum(1 for c in order.disputes if c.at <= decision.at),
    }
    if order.rating is not None and order.rated_at is not None and order.rated_at <= decision.at:
        counts |= {REVIEWS_DELAYED: 1, RATING_SUM_DELAYED: order.rating}
    return {name: n for name, n in counts.items() if n}
