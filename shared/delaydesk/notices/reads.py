"""What dispatch reads, for a whole queue batch at once: the orders of the batch's notice requests
(one consistent ``BatchGetItem``, as ``get_order`` reads one) and the suppression records of
their addresses (one more ``BatchGetItem``, eventually consistent, as ``suppression_of`` reads
one). Two calls per batch instead of two per notice.

The addresses are on the orders (a notice request does not carry them, on purpose), so the two
reads follow each other. Each notice then finds what it needs here; anything not prefetched (a
fallback dispatched in the same process, a batch that could not be read) is read on its own as
before. A prefetch is used for ``MAX_AGE`` seconds at most (elapsed time): a notice handled later
in a long batch reads its order again, so that an order cancelled meanwhile is seen about as soon
as it was when each notice read its own. An address suppressed by this batch (an SMS refused) is
noted here as it is written, so a later notice of the batch sees it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

import msgspec
from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PynamoDBException

from delaydesk import store
from delaydesk.core.notice_kinds import address_for
from delaydesk.core.observability import MetricUnit, logger, metrics

if TYPE_CHECKING:
    from delaydesk.core.kinds import NoticeRequest
    from delaydesk.store import OrderRecord

MAX_AGE = 10.0
"""Seconds a prefetched order or suppression is used for: a batch of ten e-mails takes a second or
two in Lambda (the function's timeout is 30 s); past it, each notice reads its own again."""

elapsed: Callable[[], float] = time.monotonic


class Prefetched(msgspec.Struct):
    at: float
    orders: dict[str, OrderRecord | None] = msgspec.field(default_factory=dict)
    suppressed: dict[str, str | None] = msgspec.field(default_factory=dict)

    def fresh(self) -> bool:
        return elapsed() - self.at <= MAX_AGE


_current: ContextVar[Prefetched | None] = ContextVar("delaydesk_dispatch_reads", default=None)


def prefetch(requests: Iterable[NoticeRequest]) -> Prefetched:
    """Read the orders of ``requests`` and the suppression records of their addresses (two calls)."""
    wanted = list(requests)
    done = Prefetched(at=elapsed())
    found = store.orders_by_id(r.order_id for r in wanted)
    done.orders = {r.order_id: found.get(r.order_id) for r in wanted}
    customers = {order_id: r.order().customer for order_id, r in done.orders.items() if r is not None}
    addresses: list[str] = []
    for request in wanted:
        customer = customers.get(request.order_id)
        address = address_for(customer, request.channel) if customer is not None else None
        if address:
            addresses.append(address)
    reasons = store.suppressions_of(addresses)
    done.suppressed = {store.suppression_key(address): reasons.get(address) for address in addresses}
    return done


@contextlib.contextmanager
def prefetched(requests: Iterable[NoticeRequest]) -> Iterator[Prefetched | None]:
    """Within the block, ``order`` and ``suppressed`` answer from one prefetch of ``requests``. A
    prefetch that fails (throttled, say) is logged and skipped: each notice then reads its own."""
    try:
        reads: Prefetched | None = prefetch(requests)
    except (PynamoDBException, BotoCoreError) as exc:
        logger.warning("batch prefetch failed; each notice reads its own", error=str(exc))
        metrics.add_metric(name="DispatchPrefetchFailed", unit=MetricUnit.Count, value=1)
        reads = None
    token = _current.set(reads)
    try:
        yield reads
    finally:
        _current.reset(token)


def order(order_id: str) -> OrderRecord | None:
    """The order, from the batch's prefetch if it is there and fresh, else one consistent read."""
    reads = _current.get()
    if reads is not None and order_id in reads.orders and reads.fresh():
        return reads.orders[order_id]
    return store.get_order(order_id)


def suppressed(address: str) -> str | None:
    """Why ``address`` is suppressed (None: it is not), from the prefetch if it is there and fresh."""
    reads = _current.get()
    if reads is not None and store.suppression_key(address) in reads.suppressed and reads.fresh():
        return reads.suppressed[store.suppression_key(address)]
    return store.suppression_of(address)


def noted_suppression(address: str, reason: str) -> None:
    """An address this process just suppressed: later notices of the batch see it."""
    reads = _current.get()
    if reads is not None:
        reads.suppressed[store.suppression_key(address)] = reason
