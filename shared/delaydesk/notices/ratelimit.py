"""Send rates: per merchant for e-mail (its SES quota), per stack for SMS (SNS's SMS quota is the
account's, per region), so that a mass announcement drains at the quota without a throttling
storm, and without making urgent notices wait behind it.

SMS take slots of the stack's two buckets (``sms-rate``: the owner ``core.pacing.SMS_OWNER`` in
place of a merchant id) at ``sms_send_rate`` (SmsSendRate), the same way e-mails take their
merchant's: every SMS a send slot, an announcement's SMS first a ticket, at its merchant's
``bulk_share`` of the stack's rate. So every merchant's transactional SMS and all announcements
together never exceed the rate; the announcements of two merchants take their blocks of
tickets first come, first served.

Two generic cell-rate algorithms (GCRA: a token bucket written as one number, the next free slot)
per merchant, kept in DynamoDB in the notice-state table:

- the send bucket (``rate#<merchant>``, ``-``): every e-mail of the merchant takes a slot, spaced
  ``1 / rate`` apart with no burst, so no one-second window ever holds more than ``rate`` slots
  (``rate`` is the whole number of e-mails per second of ``max_send_rate``: SES counts e-mails);
- the bulk bucket (``rate#<merchant>``, ``bulk``): bulk kinds (a disruption announcement to every
  covered order) first take a ticket here, spaced ``1 / (bulk_share × rate)`` apart. Only when its
  ticket comes does a bulk e-mail take a send slot, like any other e-mail.

So the send bucket never holds more than about a second of bulk slots ahead, and a transactional
notice (a delay, an exception) arriving in the middle of a 100,000-notice announcement takes a
slot a second or so away instead of the one after the announcement's last. The price: an
announcement drains at ``bulk_share`` of the quota even when nothing else is sent, because a
ticket handed out cannot be taken back when an urgent notice arrives; the rest of the quota is
headroom for transactional notices, which take the whole quota when there is no announcement.

An announcement takes its tickets up front: the fan-out that queues it reserves a block of them
per page and queues each notice to arrive at its ticket (``core.pacing``, ``delays/announcements.py``),
so dispatch only takes its send slot and sends it, within the second of that slot
(``bulk_ahead``). A bulk e-mail queued without a ticket takes one here.

A slot that has not come yet is not waited for inside Lambda: the request is re-queued with
``DelaySeconds`` (SQS allows 900 at most; a later slot is re-queued again, without touching
DynamoDB) and carries the slot (``send_slot``, ``bulk_slot``) so that the redelivered message uses
it instead of taking another. A held send slot is used only while it is fresh: a message that
comes back much later (after a throttle's backoff, or a crash) takes a new one, so that sends
never bunch up behind old slots.

Pacing is physical, so it runs on the wall clock, unlike the domain's decisions: dispatch passes
the ``now`` of its injectable ``wall_clock`` (epoch seconds) to the functions here.
"""

from __future__ import annotations

import math

import msgspec

from delaydesk import store
from delaydesk.core.kinds import BULK_KINDS, NoticeRequest
from delaydesk.core.pacing import BULK_BUCKET as BULK_BUCKET
from delaydesk.core.pacing import Rates as Rates
from delaydesk.core.pacing import rates as rates

MAX_SQS_DELAY = 900
SLOT_GRACE_SECONDS = 5.0
"""How late a held send slot may still be used (SQS delays are whole seconds, polling adds some)."""
EPSILON = 1e-6
"""Slots are epoch floats read back from DynamoDB: closer than this to now counts as now."""
BULK_SEND_AHEAD = 1.0
"""A bulk e-mail whose ticket has come may send before its send slot, by less than a second less
one slot (``bulk_ahead``): SQS delays are whole seconds, so the tickets of one second arrive
together, and sending them in the second of their slots keeps each second within the quota
without queueing them again. (Below two e-mails a second nothing is sent early.)"""
SEND_BUCKET = "-"


class Paced(msgspec.Struct, frozen=True):
    """What an e-mail holds after a reservation (``fields`` of the request), and how long it must
    wait for it: 0, send now; else re-queue it with that SQS delay."""

    fields: dict[str, float]
    delay_seconds: int


def delay_for(at: float, now: float) -> int:
    """Whole seconds of SQS delay until ``at`` (never early: a slot is not used before it comes)."""
    return max(1, min(MAX_SQS_DELAY, math.ceil(at - now - EPSILON)))


def held_until(request: NoticeRequest, now: float) -> float | None:
    """The slot or ticket the request holds that has not come yet, or None.

    Checked before anything else in dispatch: such a request goes straight back on the queue.
    """
    for at in (request.send_slot, request.bulk_slot):
        if at is not None and at - now > EPSILON:
            return at
    return None


def _come(at: float, now: float, ahead: float = 0.0) -> bool:
    """Whether a slot ``at`` has come: now, or (``ahead``) less than that before it, strictly, so
    that the slot a second ahead still waits and no second holds more than the quota."""
    return at - now <= EPSILON if not ahead else at - now < ahead - EPSILON


def holds_send_slot(request: NoticeRequest, now: float) -> bool:
    """Whether the request holds a send slot that has come (for a bulk e-mail: whose second has
    come) and is still fresh."""
    slot = request.send_slot
    ahead = BULK_SEND_AHEAD if request.kind in BULK_KINDS else 0.0
    return slot is not None and _come(slot, now, ahead) and now <= slot + SLOT_GRACE_SECONDS


def needs_ticket(request: NoticeRequest) -> bool:
    """A bulk notice that has neither a ticket nor a send slot yet."""
    return request.kind in BULK_KINDS and request.bulk_slot is None and request.send_slot is None


def _paced(field: str, at: float, now: float, ahead: float = 0.0) -> Paced:
    return Paced({field: at}, 0 if _come(at, now, ahead) else delay_for(at, now))


def take_send_slot(owner: str | None, pacing: Rates, now: float, *, bulk: bool = False) -> Paced:
    """The notice's slot of the send bucket of ``owner`` (a merchant's for e-mail, None for the
    stack's SMS); bulk notices come when an announcement keeps it busy; one whose slot is in this
    second sends now, see ``BULK_SEND_AHEAD``."""
    slot = store.reserve_send_slot(owner, now, 1.0 / pacing.send, SEND_BUCKET, likely_busy=bulk)
    return _paced("send_slot", slot, now, bulk_ahead(pacing) if bulk else 0.0)


def bulk_ahead(pacing: Rates) -> float:
    """How much before its send slot a bulk e-mail may go: within the second, less one slot."""
    return max(0.0, BULK_SEND_AHEAD - 1.0 / pacing.send)


def take_bulk_slot(owner: str | None, pacing: Rates, now: float) -> Paced:
    """A bulk notice's ticket of the bulk bucket, then, if the ticket is now, its send slot."""
    if pacing.bulk < pacing.send:  # bulk_share 1: no share kept, bulk notices take send slots directly
        ticket = store.reserve_send_slot(owner, now, 1.0 / pacing.bulk, BULK_BUCKET, likely_busy=True)
        if ticket - now > EPSILON:
            return _paced("bulk_slot", ticket, now)
    return take_send_slot(owner, pacing, now, bulk=True)
