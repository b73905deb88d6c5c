"""Pacing of e-mail on a fake clock: the send bucket and the bulk share (``ratelimit.py``).

The buckets live in an in-memory stand-in for ``store.reserve_send_slot`` (the same GCRA); the
steps of dispatch that use them (step 0 and step 5) are replayed by ``Sender`` below.
"""

from __future__ import annotations

import heapq
import math
from datetime import date

import pytest
from conftest import instant, notice_request

from delaydesk import store
from delaydesk.core.kinds import Kind, NoticeRequest
from delaydesk.core.merchants import NoticePolicy
from delaydesk.notices import ratelimit

T0 = 1_700_000_000.0


class Buckets:
    """``store.reserve_send_slot`` in memory: one next-free-slot number per (merchant, bucket)."""

    def __init__(self) -> None:
        self.next_free: dict[tuple[str, str], float] = {}

    def reserve(
        self, merchant_id: str, wall_epoch: float, interval: float, bucket: str = "-", *, likely_busy: bool = False
    ) -> float:
        slot = max(self.next_free.get((merchant_id, bucket), wall_epoch), wall_epoch)
        self.next_free[(merchant_id, bucket)] = slot + interval
        return slot


@pytest.fixture
def buckets(monkeypatch: pytest.MonkeyPatch) -> Buckets:
    fake = Buckets()
    monkeypatch.setattr(store, "reserve_send_slot", fake.reserve)
    return fake


def _request(order_id: str, kind: Kind, **held: float) -> NoticeRequest:
    return notice_request(
        order_id=order_id,
        merchant_id="m",
        kind=kind,
        requested_at=instant("2020-01-24T12:00:00+08:00"),
        rule="r",
        reason="public_health",
        delay_started_at=instant("2020-01-24T12:00:00+08:00"),
        eta_from=date(2020, 2, 10),
        eta_to=date(2020, 2, 14),
        **held,
    )


class Sender:
    """Dispatch's pacing steps on a virtual queue: step 0 (a held slot that has not come goes
    back; a bulk e-mail takes its ticket, then its send slot) and step 5 (the send slot)."""

    def __init__(self, pacing: ratelimit.Rates) -> None:
        self.pacing = pacing
        self.queue: list[tuple[float, int, NoticeRequest]] = []
        self.sent: dict[str, float] = {}
        self.arrived: dict[str, float] = {}
        self.requeues = 0
        self._seq = 0

    def submit(self, request: NoticeRequest, at: float) -> None:
        self.arrived[request.order_id] = at
        self._push(request, at)

    def _push(self, request: NoticeRequest, at: float) -> None:
        self._seq += 1
        heapq.heappush(self.queue, (at, self._seq, request))

    def run(self) -> None:
        while self.queue:
            now, _, request = heapq.heappop(self.queue)
            paced = self._pace(request, now)
            if paced is None:
                self.sent[request.order_id] = now
            else:
                self.requeues += 1
                self._push(request.model_copy(update=paced.fields), now + paced.delay_seconds)

    def _pace(self, request: NoticeRequest, now: float) -> ratelimit.Paced | None:
        at = ratelimit.held_until(request, now)
        if at is not None:
            return ratelimit.Paced({}, ratelimit.delay_for(at, now))
        if ratelimit.holds_send_slot(request, now):
            return None
        if ratelimit.needs_ticket(request):
            paced = ratelimit.take_bulk_slot("m", self.pacing, now)
        else:
            paced = ratelimit.take_send_slot("m", self.pacing, now, bulk=request.kind == Kind.DISRUPTION_ANNOUNCEMENT)
        return paced if paced.delay_seconds else None

    def most_in_one_second(self) -> int:
        times = sorted(self.sent.values())
        return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_rates_are_whole_emails_per_second_and_the_bulk_share_of_them() -> None:
    assert ratelimit.rates(14, 0.8) == ratelimit.Rates(send=14.0, bulk=pytest.approx(11.2))
    assert ratelimit.rates(14.9, 0.5) == ratelimit.Rates(send=14.0, bulk=7.0)  # 15 in a second would be refused
    assert ratelimit.rates(0.5, 1.0) == ratelimit.Rates(send=0.5, bulk=0.5)
    assert NoticePolicy().bulk_share == 0.8


def test_a_delay_never_brings_a_message_back_before_its_slot() -> None:
    assert ratelimit.delay_for(T0 + 0.01, T0) == 1
    assert ratelimit.delay_for(T0 + 1.0, T0) == 1
    assert ratelimit.delay_for(T0 + 1.2, T0) == 2
    assert ratelimit.delay_for(T0 + 5000, T0) == 900  # SQS's most; it is re-queued again then


def test_a_held_slot_is_used_when_it_comes_and_only_while_fresh() -> None:
    held = _request("o", Kind.SHIPMENT_DELAYED, send_slot=T0 + 3)
    assert ratelimit.held_until(held, T0) == T0 + 3
    assert ratelimit.held_until(held, T0 + 3) is None and ratelimit.holds_send_slot(held, T0 + 3)
    assert ratelimit.holds_send_slot(held, T0 + 3 + ratelimit.SLOT_GRACE_SECONDS)
    assert not ratelimit.holds_send_slot(held, T0 + 40), "after a throttle's backoff it takes a new slot"
    ticket = _request("o", Kind.DISRUPTION_ANNOUNCEMENT, bulk_slot=T0 + 2000)
    assert ratelimit.held_until(ticket, T0) == T0 + 2000 and not ratelimit.needs_ticket(ticket)
    assert ratelimit.needs_ticket(_request("o", Kind.DISRUPTION_ANNOUNCEMENT))
    assert not ratelimit.needs_ticket(_request("o", Kind.DELIVERY_EXCEPTION))


def test_an_idle_merchant_sends_at_once_and_a_burst_is_spaced_by_the_quota(buckets: Buckets) -> None:
    sender = Sender(ratelimit.rates(14, 0.8))
    for i in range(28):
        sender.submit(_request(f"t{i}", Kind.SHIPMENT_DELAYED), T0)
    sender.run()
    waits = sorted(sender.sent[f"t{i}"] - T0 for i in range(28))
    assert waits[0] == 0 and waits[-1] <= 2.0, "transactional e-mails use the whole quota when nothing else is sent"
    assert sender.most_in_one_second() == 14


def test_an_announcement_drains_at_its_share_and_urgent_notices_overtake_it(buckets: Buckets) -> None:
    sender = Sender(ratelimit.rates(14, 0.8))
    for i in range(1_120):
        sender.submit(_request(f"b{i}", Kind.DISRUPTION_ANNOUNCEMENT), T0)
    for n, at in enumerate((T0 + 10.5, T0 + 50.25, T0 + 50.25, T0 + 90)):
        sender.submit(_request(f"u{n}", Kind.DELIVERY_EXCEPTION if n % 2 else Kind.SHIPMENT_DELAYED), at)
    sender.run()
    last_bulk = max(t for order, t in sender.sent.items() if order.startswith("b"))
    assert 99 <= last_bulk - T0 <= 101, "1,120 at 11.2/s"
    assert sender.most_in_one_second() <= 14
    for n in range(4):
        assert sender.sent[f"u{n}"] - sender.arrived[f"u{n}"] <= 2.0
    assert len(sender.sent) == 1_124


def test_without_a_share_kept_an_urgent_notice_queues_behind_the_announcement(buckets: Buckets) -> None:
    sender = Sender(ratelimit.rates(14, 1.0))
    for i in range(1_400):
        sender.submit(_request(f"b{i}", Kind.DISRUPTION_ANNOUNCEMENT), T0)
    sender.submit(_request("u", Kind.DELIVERY_EXCEPTION), T0 + 10.5)
    sender.run()
    assert sender.sent["u"] - sender.arrived["u"] > 80, "bulk_share 1 is the old single queue"
    assert sender.most_in_one_second() <= 14


def test_bulk_tickets_and_send_slots_are_separate_buckets(buckets: Buckets) -> None:
    pacing = ratelimit.rates(10, 0.5)
    assert ratelimit.take_bulk_slot("m", pacing, T0) == ratelimit.Paced({"send_slot": T0}, 0)
    second = ratelimit.take_bulk_slot("m", pacing, T0)
    assert second == ratelimit.Paced({"bulk_slot": T0 + 0.2}, 1)
    assert ratelimit.take_send_slot("m", pacing, T0) == ratelimit.Paced({"send_slot": T0 + 0.1}, 1)
    assert buckets.next_free == {("m", "bulk"): pytest.approx(T0 + 0.4), ("m", "-"): pytest.approx(T0 + 0.2)}


def test_a_bulk_email_whose_ticket_came_sends_within_the_second_of_its_slot_and_no_earlier(buckets: Buckets) -> None:
    pacing = ratelimit.rates(14, 0.8)
    assert ratelimit.bulk_ahead(pacing) == pytest.approx(13 / 14)
    buckets.next_free[("m", "-")] = T0 + 0.5
    early = ratelimit.take_send_slot("m", pacing, T0, bulk=True)
    assert early == ratelimit.Paced({"send_slot": T0 + 0.5}, 0), "in this second: sent now, not queued again"
    held = _request("o", Kind.DISRUPTION_ANNOUNCEMENT, bulk_slot=T0 - 1, **early.fields)
    assert ratelimit.holds_send_slot(held, T0), "and dispatch's step 5 does not take another"
    buckets.next_free[("m", "-")] = T0 + 13 / 14
    assert ratelimit.take_send_slot("m", pacing, T0, bulk=True).delay_seconds == 1, "a whole slot ahead waits"
    transactional = ratelimit.take_send_slot("m", pacing, T0 + 0.9)
    assert transactional.delay_seconds == 1, "transactional e-mails never go early"
    slow = ratelimit.rates(1, 0.5)
    assert ratelimit.bulk_ahead(slow) == 0.0
    buckets.next_free[("s", "-")] = T0 + 0.5
    assert ratelimit.take_send_slot("s", slow, T0, bulk=True).delay_seconds == 1, "one a second: never early"


def test_a_scheduled_announcement_is_sent_at_its_ticket_without_another_pass(buckets: Buckets) -> None:
    """What the fan-out queued (each with its ticket, arriving when it comes) is sent on arrival."""
    pacing = ratelimit.rates(14, 0.8)
    sender = Sender(pacing)
    interval = 1 / pacing.bulk
    for i in range(224):
        ticket = T0 + i * interval
        sender.submit(_request(f"b{i}", Kind.DISRUPTION_ANNOUNCEMENT, bulk_slot=ticket), T0 + math.ceil(ticket - T0))
    sender.submit(_request("u", Kind.DELIVERY_EXCEPTION), T0 + 10.5)
    sender.run()
    assert len(sender.sent) == 225 and sender.requeues <= 1, "at most the urgent notice waits a pass"
    assert sender.most_in_one_second() <= 14
    assert sender.sent["u"] - sender.arrived["u"] <= 1.0
