"""Send slots, decided up front (pure): how a merchant's e-mails are spaced by its SES quota, the
stack's SMS by the SNS SMS rate, and where a bulk notice (an announcement to every covered order)
waits for its slot.

A channel's pacing (``Rates``) is its send rate and the bulk share of it. E-mail: the merchant's
``max_send_rate`` (its SES quota, whole e-mails per second) and ``bulk_share``, in the merchant's
buckets. SMS: the stack's ``sms_send_rate`` (SNS's SMS quota is one per account and region), in
the stack's buckets (``SMS_OWNER``, None, in place of a merchant id), each merchant's announcement
paced at its own ``bulk_share`` of that rate (``notice_rates``). Bulk notices are scheduled when the
fan-out queues them: a block of N consecutive tickets ``1 / bulk`` apart is reserved with one
atomic ADD (``store.reserve_send_slot`` with ``count=N``), and each notice is placed by its ticket
(``place``):

- a ticket at most ``MAX_SQS_DELAY`` (15 min) away: queued now with ``DelaySeconds`` up to it;
- a later one: written to the slot table under its minute; the five-minute ``release_notices``
  queues each minute (``release_minutes``) while the minute's last ticket is still within reach
  of ``DelaySeconds``, less ``RELEASE_MARGIN`` (a fan-out that read the clock just before a
  release and wrote just after it never writes under a minute that release has passed).

So each announced notice is queued once, whatever the size of the announcement (dispatch queues
it a second time only if transactional notices hold the send bucket more than a second ahead).
Times are wall-clock epoch seconds: pacing is physical.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from delaydesk.core.notice_kinds import BULK_KINDS, NoticeChannel

if TYPE_CHECKING:
    from delaydesk.core.kinds import NoticeRequest
    from delaydesk.core.merchants import NoticePolicy

MAX_SQS_DELAY = 900
"""SQS DelaySeconds at most (15 minutes)."""
RELEASE_MARGIN = 120
"""Seconds of the 15 minutes a release leaves unused: a fan-out's clock read and its slot-table
write are within this of each other (a Lambda run), so no item lands under a released minute."""
MINUTE = 60
BULK_BUCKET = "bulk"
"""The merchant's bucket of bulk tickets (``rate#<merchant>``, ``bulk``)."""
SMS_OWNER = None
"""Whose buckets SMS take slots of, in place of a merchant id: the stack's (``sms-rate``, a key
no merchant's ``rate#<merchant>`` can be)."""
PACED_CHANNELS = frozenset({NoticeChannel.EMAIL, NoticeChannel.SMS})
EPSILON = 1e-6
SLOT_TTL_SECONDS = 2 * 24 * 3600
"""A slot-table item outlives its minute by this (then DynamoDB's TTL removes it)."""


class Rates(msgspec.Struct, frozen=True):
    """E-mails per second a merchant may send: all kinds together, and bulk kinds."""

    send: float
    bulk: float


def rates(max_send_rate: float, bulk_share: float) -> Rates:
    """The pacing of a merchant's policy. SES counts whole e-mails per second, so a fractional
    quota above one is rounded down (14.5 → 14): 15 sends in one second would be refused."""
    send = float(math.floor(max_send_rate)) if max_send_rate >= 1 else max_send_rate
    return Rates(send=send, bulk=send * bulk_share)


def notice_rates(channel: NoticeChannel, policy: NoticePolicy, sms_send_rate: float) -> Rates | None:
    """The pacing of a merchant's notices on ``channel`` (``policy``: the merchant's notice policy):
    its ``max_send_rate`` for e-mail, the stack's ``sms_send_rate`` (SMS per second, rounded down as
    e-mail is) for SMS, each with the merchant's ``bulk_share`` for its announcements. None: not
    paced (no ``max_send_rate``; an SMS rate of 0; another channel)."""
    if channel == NoticeChannel.SMS:
        return rates(sms_send_rate, policy.bulk_share) if sms_send_rate > 0 else None
    if channel != NoticeChannel.EMAIL or not policy.max_send_rate:
        return None
    return rates(policy.max_send_rate, policy.bulk_share)


def owner(channel: NoticeChannel, merchant_id: str) -> str | None:
    """Whose buckets a notice of ``channel`` takes its slots of: the merchant's for e-mail, the
    stack's for SMS."""
    return SMS_OWNER if channel == NoticeChannel.SMS else merchant_id


def scheduled(request: NoticeRequest) -> bool:
    """A request the fan-out schedules into a bulk ticket: a bulk e-mail or SMS that holds no slot
    yet."""
    return (
        request.kind in BULK_KINDS
        and request.channel in PACED_CHANNELS
        and request.bulk_slot is None
        and request.send_slot is None
    )


def queue_delay(at: float, now: float) -> int:
    """Whole seconds of DelaySeconds so that a message queued at ``now`` arrives no earlier than
    ``at`` (0 if it has come), at most 15 minutes."""
    return max(0, min(MAX_SQS_DELAY, math.ceil(at - now - EPSILON)))


class Placement(msgspec.Struct, frozen=True):
    """A scheduled request (it holds its ticket as ``bulk_slot``) and where it waits: on the
    queue with ``delay_seconds``, or (None) in the slot table until its minute is released."""

    request: NoticeRequest
    delay_seconds: int | None

    @property
    def slot(self) -> float:
        assert self.request.bulk_slot is not None
        return self.request.bulk_slot


def place(requests: Sequence[NoticeRequest], first: float, interval: float, now: float) -> list[Placement]:
    """Give the requests the consecutive tickets ``first``, ``first + interval``, … (a reserved
    block) and say where each waits for its ticket."""
    placed = []
    for i, request in enumerate(requests):
        slot = first + i * interval
        delay = queue_delay(slot, now) if slot - now <= MAX_SQS_DELAY else None
        placed.append(Placement(request.model_copy(update={"bulk_slot": slot}), delay))
    return placed


def minute_of(slot: float) -> int:
    """The slot table's minute of a ticket (whole minutes since the epoch)."""
    return math.floor(slot / MINUTE)


def minute_key(minute: int) -> str:
    """The minute as the slot table names it, e.g. ``2020-01-24T04:15``."""
    return datetime.fromtimestamp(minute * MINUTE, UTC).strftime("%Y-%m-%dT%H:%M")


def release_minutes(cursor: int | None, now: float) -> range:
    """The minutes a release at ``now`` queues: from the cursor (the first minute not released
    yet; the last quarter of an hour when there is none) through the last minute that ends within
    ``MAX_SQS_DELAY - RELEASE_MARGIN`` of now, so every ticket in them is in reach of DelaySeconds."""
    last = math.floor((now + MAX_SQS_DELAY - RELEASE_MARGIN) / MINUTE) - 1
    first = cursor if cursor is not None else math.floor((now - MAX_SQS_DELAY) / MINUTE)
    return range(first, last + 1)


def expires_at(slot: float) -> int:
    """The slot-table item's TTL (epoch seconds)."""
    return math.ceil(slot) + SLOT_TTL_SECONDS
