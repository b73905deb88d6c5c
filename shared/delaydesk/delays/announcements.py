"""The fan-out's side of paced announcements: bulk e-mails and SMS scheduled into send slots as
they are queued (I/O around the pure ``core.pacing``).

A disruption announcement reaches every order a window covers, a page at a time (``recompute``),
or as the scan meets newly covered orders. When a page's notices are queued, each merchant's bulk
e-mails (its policy has a ``max_send_rate``) take a block of consecutive tickets of its bulk share
with one atomic ADD, and its bulk SMS a block of the stack's SMS tickets (``sms_send_rate``, at the
merchant's bulk share of it: SNS's SMS quota is the account's). Each waits for its ticket where it
costs nothing: on the Notices queue
with ``DelaySeconds`` when the ticket is within 15 minutes, else in the slot table, which the
five-minute ``release_notices`` queues a minute at a time as it comes within reach. Dispatch
then sends it at its ticket (``notices/ratelimit.py``), so a notice is queued once at any size
of the announcement, instead of being re-queued by dispatch until its turn comes.

Tickets are wall-clock epochs (pacing is physical); ``wall_clock`` is replaceable in tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from delaydesk import store
from delaydesk.core import aws, pacing
from delaydesk.core.config import Settings
from delaydesk.core.kinds import NoticeChannel, NoticeRequest
from delaydesk.core.merchants import NoticePolicy
from delaydesk.core.observability import MetricUnit, logger, metrics

wall_clock: Callable[[], float] = time.time
"""Physical time for the tickets (tests and the drain benchmark replace it)."""


def _rates(channel: NoticeChannel, merchant_id: str, settings: Settings) -> pacing.Rates | None:
    """The pacing of a merchant's notices on ``channel``; None: sent as fast as dispatch goes."""
    merchant = store.cached_merchant(merchant_id)
    policy = merchant.settings.notices if merchant else NoticePolicy()
    return pacing.notice_rates(channel, policy, settings.sms_send_rate)


def queue(requests: list[NoticeRequest], settings: Settings) -> None:
    """Queue notice requests on the Notices queue (ten per call); bulk e-mails are scheduled into
    their merchant's tickets first, bulk SMS into the stack's. Any failure raises: the caller's
    outbox keeps the requests, and a retry schedules them again (dispatch's claim sends each
    notice once)."""
    now = wall_clock()
    bodies: list[str] = []
    delays: list[int] = []
    slotted: list[tuple[str, str, NoticeRequest, int]] = []
    bulk: dict[tuple[NoticeChannel, str], list[NoticeRequest]] = {}
    horizon = 0
    for request in requests:
        if pacing.scheduled(request):
            bulk.setdefault((request.channel, request.merchant_id), []).append(request)
        else:
            bodies.append(request.model_dump_json())
            delays.append(0)
    for (channel, merchant_id), block in bulk.items():
        rates = _rates(channel, merchant_id, settings)
        if rates is None:  # no send rate: sent as fast as dispatch goes
            bodies.extend(r.model_dump_json() for r in block)
            delays.extend(0 for _ in block)
            continue
        interval = 1.0 / rates.bulk
        first = store.reserve_send_slot(
            pacing.owner(channel, merchant_id),
            now,
            interval,
            pacing.BULK_BUCKET,
            likely_busy=True,
            count=len(block),
        )
        for placed in pacing.place(block, first, interval, now):
            if placed.delay_seconds is None:
                minute = pacing.minute_of(placed.slot)
                horizon = max(horizon, minute)
                key = pacing.minute_key(minute)
                slotted.append((key, f"{placed.slot:017.6f}", placed.request, pacing.expires_at(placed.slot)))
            else:
                bodies.append(placed.request.model_dump_json())
                delays.append(placed.delay_seconds)
        logger.info(
            "announcement scheduled",
            merchant_id=merchant_id,
            channel=channel.value,
            notices=len(block),
            first_ticket=first,
            last_ticket=first + (len(block) - 1) * interval,
        )
        metrics.add_metric(name="NoticesScheduled", unit=MetricUnit.Count, value=len(block))
    if slotted:
        store.put_slotted(slotted)
        store.raise_slot_horizon(horizon)  # after the items: a release that sees it finds them
    if bodies:
        aws.send_batches(settings.notices_queue_url, bodies, "notice(s)", delays if any(delays) else None)
