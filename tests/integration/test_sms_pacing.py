"""SMS paced by the stack's SMS send rate (``SmsSendRate``): the parameter reaches the functions
that queue and send notices; an SMS announcement takes its tickets of the stack's SMS bulk bucket up
front and drains at the merchant's bulk share of the rate against an SNS that refuses more message
parts a second than its quota, with urgent SMS sent meanwhile, each SMS once; an SNS throttle is
retried without a duplicate; and an announcement's SMS in quiet hours is held, then sent after them
at the bulk pace (through the deployed template, in real time)."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from conftest import merchant, paid, window_notice

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.notices import dispatch, suppression
from delaydesk_local.drain import Drain
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

ORDER = json.loads((Path(__file__).parents[1] / "events/contract/order_paid.json").read_text(encoding="utf-8"))
START = datetime(2020, 1, 24, 4, 0, tzinfo=UTC)  # noon in Shanghai: no quiet hours
T0 = START.timestamp()
ANNOUNCEMENT = Kind.DISRUPTION_ANNOUNCEMENT.value
QUEUEING_FUNCTIONS = ("DispatchNoticesFunction", "ScanWorkerFunction", "RecomputeDeadlinesFunction")


def _sms(order_id: str, kind: Kind) -> NoticeRequest:
    return window_notice(order_id, kind, START, NoticeChannel.SMS)


def _settings(sms_send_rate: float) -> Settings:
    # A short link on a short host keeps the bundled Chinese SMS to two parts (see "Short links").
    return msgspec.structs.replace(
        get_settings(), sms_send_rate=sms_send_rate, short_link_base_url="https://s.shop.example"
    )


def test_the_sms_send_rate_reaches_the_functions_that_queue_and_send_notices() -> None:
    with LocalAws(parameters={"SmsSendRate": "7"}) as local:
        for name in QUEUEING_FUNCTIONS:
            assert local.functions[name].environment["SMS_SEND_RATE"] == "7", name


def test_an_sms_announcement_drains_at_the_bulk_share_of_the_stacks_rate_without_a_throttle(
    local_aws: LocalAws,
) -> None:
    """10 SMS a second against an SNS that takes 20 parts a second (each SMS is two): the fan-out's
    tickets, urgent SMS overtaking the announcement, every SMS sent once, not one throttle."""
    store.put_merchant(merchant(settings={"notices": {"bulk_share": 0.8}}))  # no e-mail rate: SMS are the stack's
    announced, urgent_at = 300, [5.5, 20.25]
    seed_orders(ORDER, announced + len(urgent_at), 0, START)
    drain = Drain(14, T0, _settings(10), sns_mps=20)
    drain.announce([_sms(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT) for i in range(announced)], page=50)
    tickets = store.NoticeStateRecord.get("sms-rate", "bulk")
    assert tickets.number is not None and float(tickets.number) - T0 == pytest.approx(300 / 8), "8 a second"
    for n, at in enumerate(urgent_at):
        drain.submit(_sms(f"seed-{announced + n:06d}", Kind.DELIVERY_EXCEPTION), at=T0 + at)
    drain.run()

    sends = drain.sns.sends
    assert drain.sns.throttled == 0 and drain.sns.max_in_window(parts=True) <= 20
    assert {s.parts for s in sends} == {2} and drain.sns.max_in_window() <= 10
    per_notice = Counter((s.order_id, s.kind) for s in sends)
    assert len(per_notice) == announced + 2 and set(per_notice.values()) == {1}, "every SMS sent exactly once"
    assert Counter(n.status for n in store.all_notices()) == Counter({"sent": announced + 2})
    assert drain.ses.sends == [], "SMS only"
    queued = [drain.queue.queued[(f"seed-{i:06d}", f"{ANNOUNCEMENT}#0#sms")] for i in range(announced)]
    assert max(queued) <= 2 and sum(queued) <= announced + 2, "queued once each (twice at most)"
    bulk = sorted(s.at - T0 for s in sends if s.kind == ANNOUNCEMENT)
    assert 37 <= bulk[-1] <= 38.5, "300 at 0.8 x 10 a second"
    urgent = sorted(s.at - T0 for s in sends if s.kind == Kind.DELIVERY_EXCEPTION.value)
    assert all(0 <= u - at <= 1.0 for u, at in zip(urgent, urgent_at, strict=True)), urgent


def test_far_sms_tickets_wait_in_the_slot_table(local_aws: LocalAws) -> None:
    """One SMS a second at a tenth's share: the tickets beyond 15 minutes wait in the slot table
    until the five-minute release queues them, as e-mails' do."""
    store.put_merchant(merchant(settings={"notices": {"bulk_share": 0.1}}))
    announced = 100
    seed_orders(ORDER, announced, 0, START)
    drain = Drain(14, T0, _settings(1), sns_mps=2)
    drain.announce([_sms(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT) for i in range(announced)], page=50)
    slotted = list(store.NoticeStateRecord.scan(store.NoticeStateRecord.pk.startswith("slot#")))
    assert len(slotted) == 9, "tickets 910 s … 990 s away"
    drain.run()
    per_notice = Counter((s.order_id, s.kind) for s in drain.sns.sends)
    assert len(per_notice) == announced and set(per_notice.values()) == {1}
    assert drain.result.releases >= 3 and drain.sns.throttled == 0 and drain.sns.max_in_window() <= 1
    bulk = sorted(s.at - T0 for s in drain.sns.sends)
    assert bulk[0] == 0 and 990 <= bulk[-1] <= 992, "one every 10 s"


def _sixty_urgent_sms(sns_mps: float) -> Drain:
    """60 delivery-exception SMS submitted at once, drained at the stack's 10 SMS a second against
    an SNS that takes ``sns_mps`` message parts a second."""
    store.put_merchant(merchant())
    seed_orders(ORDER, 60, 0, START)
    drain = Drain(14, T0, _settings(10), sns_mps=sns_mps)
    for i in range(60):
        drain.submit(_sms(f"seed-{i:06d}", Kind.DELIVERY_EXCEPTION))
    drain.run()
    return drain


def test_transactional_sms_take_the_stacks_send_slots_and_are_not_throttled(local_aws: LocalAws) -> None:
    """60 urgent SMS at once, at 10 a second against 20 parts a second: each waits on the queue for
    its send slot of the stack's bucket (not in Lambda), and SNS never refuses one."""
    drain = _sixty_urgent_sms(sns_mps=20)
    assert drain.sns.throttled == 0 and drain.sns.max_in_window() <= 10
    assert len({s.order_id for s in drain.sns.sends}) == len(drain.sns.sends) == 60
    assert 5.9 <= max(s.at for s in drain.sns.sends) - T0 <= 6.0, "60 at 10 a second"
    assert sum(drain.result.requeues.values()) == 59, "all but the first waited for their slot once"


def test_an_sns_throttle_is_retried_without_a_duplicate(local_aws: LocalAws) -> None:
    """The stack's rate set above what SNS takes (10 SMS of two parts a second, 10 parts taken):
    SNS's Throttled error releases the claim and the message comes back after the backoff."""
    drain = _sixty_urgent_sms(sns_mps=10)
    per_notice = Counter((s.order_id, s.kind) for s in drain.sns.sends)
    assert drain.sns.throttled > 0 and drain.result.throttle_retries == drain.sns.throttled
    assert len(per_notice) == 60 and set(per_notice.values()) == {1}, "no SMS lost or sent twice"
    assert {n.status for n in store.all_notices()} == {"sent"}
    assert drain.sns.max_in_window(parts=True) <= 10


def test_a_fallback_sms_leaves_the_emails_slots_behind_and_takes_the_stacks_ticket(local_aws: LocalAws) -> None:
    """An announcement e-mail to a bounced address falls back to SMS: the SMS does not ride on the
    e-mail's ticket and slot (the merchant's SES buckets) but takes its own of the stack's SMS."""
    store.put_merchant(merchant(settings={"notices": {"max_send_rate": 5}}))
    local_aws.send("OrderEventsQueue", json.dumps(paid("F-1", "2020-01-20T10:00:00+08:00", hours=72)))
    local_aws.drain()
    suppression.suppress("wang.fang@mail.example", suppression.Reason.HARD_BOUNCE, "ses:bounce", START)
    now = time.time()
    email = _sms("F-1", Kind.DISRUPTION_ANNOUNCEMENT).model_copy(
        update={"channel": NoticeChannel.EMAIL, "bulk_slot": now - 1, "send_slot": now}
    )
    queued: list[NoticeRequest] = []
    settings = _settings(10)
    assert dispatch.dispatch(email, START, settings, lambda r, _: queued.append(r)) == "suppressed"
    (fallback,) = [r for r in queued if r.channel == NoticeChannel.SMS]
    assert fallback.bulk_slot is None and fallback.send_slot is None and fallback.fallback_from == NoticeChannel.EMAIL
    assert dispatch.dispatch(fallback, START, settings, lambda r, _: queued.append(r)) == "sent"
    assert store.NoticeStateRecord.get("sms-rate", "bulk").number is not None, "a ticket of the stack's SMS"


# ---- quiet hours, through the deployed template in real time

DECLARED_AT = "2020-01-22T23:00:00+08:00"  # in the customers' quiet hours (21:00 to 09:00)
QUIET_END = datetime(2020, 1, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _sent_sms(local: LocalAws) -> list[store.NoticeRecord]:
    return [n for n in store.all_notices() if n.channel == "sms" and n.status == "sent"]


def _drain_until(local: LocalAws, sent: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        local.drain()
        if len(_sent_sms(local)) >= sent:
            return
        time.sleep(0.2)
    raise AssertionError(f"not all sent in {seconds} s: {Counter(n.status for n in store.all_notices())}")


def test_an_sms_announcement_in_quiet_hours_is_held_then_sent_after_them_at_the_bulk_pace() -> None:
    """Tickets are taken when the window is declared (23:00); each SMS reaches dispatch at its
    ticket, is held for the quiet hours and gives its ticket up; released at 09:00, each takes a
    new ticket of the stack's SMS bulk bucket and is sent once, none before 09:00."""
    orders = 6
    with LocalAws(parameters={"SmsSendRate": "4"}) as local:
        store.put_merchant(merchant(settings={"notices": {"bulk_share": 0.5}}))  # 2 SMS a second
        for n in range(orders):
            customer = {"email": None, "phone": f"+86138001381{n:02d}"}
            event = paid(f"Q-{n}", "2020-01-20T10:00:00+08:00", hours=72, customer=customer)
            local.send("OrderEventsQueue", json.dumps(event))
        local.drain()
        stack = ["--stack-name", local.stack.name]
        before = time.time()
        assert main(["windows", "declare", "--preset", "spring_festival_2020", "--at", DECLARED_AT, *stack]) == 0
        deadline = time.monotonic() + 30
        while len(held := list(store.NoticeStateRecord.query("held"))) < orders and time.monotonic() < deadline:
            local.drain()
            time.sleep(0.2)
        assert len(held) == orders and _sent_sms(local) == [], "every announcement SMS held, none sent"
        first_tickets = store.NoticeStateRecord.get("sms-rate", "bulk").number
        assert first_tickets is not None and float(first_tickets) >= before + orders / 2 - 0.01, "taken at 23:00"
        requests = [NoticeRequest.model_validate_json(item.text or "{}") for item in held]
        assert all(r.bulk_slot is None and r.send_slot is None for r in requests), "held without ticket or slot"
        assert {r.not_before for r in requests} == {QUIET_END}

        released_at = time.time()
        local.tick(QUIET_END)
        assert list(store.NoticeStateRecord.query("held")) == []
        _drain_until(local, orders, seconds=30)
        sent = _sent_sms(local)
        assert len(sent) == orders and {n.kind for n in sent} == {ANNOUNCEMENT}
        assert all(n.sent_at is not None and n.sent_at >= QUIET_END for n in sent), "none before 09:00"
        texts = Counter(m["to"] for m in local.sent_messages() if m["channel"] == "sms")
        assert len(texts) == orders and set(texts.values()) == {1}, "each SMS sent once"
        tickets = store.NoticeStateRecord.get("sms-rate", "bulk").number
        assert tickets is not None and float(tickets) >= released_at + orders / 2 - 0.01, "new tickets at 09:00"
