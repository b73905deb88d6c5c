"""A mass announcement drained at the merchant's SES quota on the embedded AWS, in virtual time
(``delaydesk_local/drain.py``, shared with ``benchmarks/notice_drain.py``): the real dispatch, its
claims and send-rate buckets in DynamoDB, a queue that honours DelaySeconds, an SES that throttles."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import merchant, window_notice

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.kinds import Kind, NoticeRequest
from delaydesk_local.drain import Drain
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

ORDER = json.loads((Path(__file__).parents[1] / "events/contract/order_paid.json").read_text(encoding="utf-8"))
START = datetime(2020, 1, 24, 4, 0, tzinfo=UTC)  # noon in Shanghai
T0 = START.timestamp()


def _notice(order_id: str, kind: Kind) -> NoticeRequest:
    return window_notice(order_id, kind, START)


def _drain(local: LocalAws, announcements: int, rate: float, ses_quota: float, urgent_at: list[float]) -> Drain:
    store.put_merchant(merchant(settings={"notices": {"max_send_rate": rate}}))
    seed_orders(ORDER, announcements + len(urgent_at), 0, START)
    drain = Drain(ses_quota, T0, get_settings())
    for i in range(announcements):
        drain.submit(_notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT))
    for n, at in enumerate(urgent_at):
        kind = Kind.DELIVERY_EXCEPTION if n % 2 == 0 else Kind.SHIPMENT_DELAYED
        drain.submit(_notice(f"seed-{announcements + n:06d}", kind), at=T0 + at)
    drain.run()
    return drain


def test_an_announcement_drains_at_the_quota_and_urgent_notices_overtake_it(local_aws: LocalAws) -> None:
    drain = _drain(local_aws, 300, 20, 20, urgent_at=[5.5, 9.25])
    sends = drain.ses.sends
    per_notice = Counter((s.order_id, s.kind) for s in sends)
    assert len(per_notice) == 302 and set(per_notice.values()) == {1}, "every notice sent exactly once"
    assert {n.status for n in store.all_notices()} == {"sent"} and len(list(store.all_notices())) == 302
    assert drain.ses.throttled == 0
    assert drain.ses.max_in_window() <= 20
    last = max(s.at for s in sends) - T0
    assert 18 <= last <= 21, "300 announcements at 80 % of 20/s"
    urgent = [s for s in sends if s.kind != Kind.DISRUPTION_ANNOUNCEMENT.value]
    waits = [s.at - T0 - at for s, at in zip(sorted(urgent, key=lambda s: s.at), [5.5, 9.25], strict=True)]
    assert all(0 <= w <= 2 for w in waits), waits
    assert sum(drain.result.requeues.values()) >= 299, "all but the first waited on the queue, not in Lambda"


def test_a_quota_lower_than_the_policy_is_throttled_and_retried_without_loss_or_duplicates(
    local_aws: LocalAws,
) -> None:
    drain = _drain(local_aws, 60, 20, 5, urgent_at=[])
    per_notice = Counter((s.order_id, s.kind) for s in drain.ses.sends)
    assert drain.ses.throttled > 0 and drain.result.throttle_retries == drain.ses.throttled
    assert len(per_notice) == 60 and set(per_notice.values()) == {1}
    assert {n.status for n in store.all_notices()} == {"sent"}
    assert drain.ses.max_in_window() <= 5


def test_send_rate_buckets_on_dynamodb(local_aws: LocalAws) -> None:
    assert store.reserve_send_slot("m", T0, 0.1) == T0, "idle: now"
    assert store.reserve_send_slot("m", T0, 0.1) == pytest.approx(T0 + 0.1)
    assert store.reserve_send_slot("m", T0, 0.1, likely_busy=True) == pytest.approx(T0 + 0.2)
    assert store.reserve_send_slot("m", T0, 0.5, "bulk", likely_busy=True) == T0, "its own bucket, idle"
    assert store.reserve_send_slot("m", T0, 0.5, "bulk", likely_busy=True) == pytest.approx(T0 + 0.5)
    later = T0 + 60
    assert store.reserve_send_slot("m", later, 0.1, likely_busy=True) == later, "restarted at now, no credit"
    assert store.reserve_send_slot("m", later, 0.1) == pytest.approx(later + 0.1)


def test_an_announcement_scheduled_by_the_fan_out_is_queued_once_even_beyond_15_minutes(local_aws: LocalAws) -> None:
    """The fan-out's path (``scan.queue_notices``, a page at a time): every notice takes its ticket
    of the bulk share up front and waits for it on the queue (DelaySeconds) or, beyond SQS's 15
    minutes, in the slot table until the five-minute release queues it."""
    store.put_merchant(merchant(settings={"notices": {"max_send_rate": 1, "bulk_share": 0.1}}))  # 1 every 10 s
    announced = 120
    urgent_at = [300.5, 1000.25]
    seed_orders(ORDER, announced + len(urgent_at), 0, START)
    drain = Drain(1, T0, get_settings())
    drain.announce([_notice(f"seed-{i:06d}", Kind.DISRUPTION_ANNOUNCEMENT) for i in range(announced)], page=50)
    slotted = list(store.NoticeStateRecord.scan(store.NoticeStateRecord.pk.startswith("slot#")))
    assert len(slotted) == 29, "tickets 910 s … 1,190 s away wait in the slot table"
    assert drain.queue.sent == announced - 29, "the others are on the queue already, each with its delay"
    for n, at in enumerate(urgent_at):
        drain.submit(_notice(f"seed-{announced + n:06d}", Kind.DELIVERY_EXCEPTION), at=T0 + at)
    drain.run()

    per_notice = Counter((s.order_id, s.kind) for s in drain.ses.sends)
    assert len(per_notice) == announced + 2 and set(per_notice.values()) == {1}, "every notice sent exactly once"
    assert {n.status for n in store.all_notices()} == {"sent"}
    queued = [drain.queue.queued[(f"seed-{i:06d}", "disruption_announcement#0#email")] for i in range(announced)]
    assert max(queued) <= 2 and sum(queued) <= announced + 2, "queued once each (twice at most)"
    assert drain.result.releases >= 3 and drain.ses.throttled == 0 and drain.ses.max_in_window() <= 1
    bulk = sorted(s.at - T0 for s in drain.ses.sends if s.kind == Kind.DISRUPTION_ANNOUNCEMENT.value)
    assert bulk[0] == 0 and 1_190 <= bulk[-1] <= 1_192, "at the bulk share: one every 10 s"
    urgent = sorted(s.at - T0 for s in drain.ses.sends if s.kind == Kind.DELIVERY_EXCEPTION.value)
    assert [round(u - at, 1) <= 1.0 for u, at in zip(urgent, urgent_at, strict=True)] == [True, True], urgent
