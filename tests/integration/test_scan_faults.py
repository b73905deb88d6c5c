"""Fault isolation in the scan: a throttled or failing order is retried, then left due, and the run goes on."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import load_event, paid, scan, shipped
from pynamodb.exceptions import PutError
from scan_runs import run_scan

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.kinds import NoticeRequest
from delaydesk.delays import scan as scan_module
from delaydesk_local.runtime import LocalAws
from delaydesk_local.seeding import seed_orders

NOW = datetime(2020, 1, 25, tzinfo=UTC)


def _throttled() -> PutError:
    cause = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}},
        "PutItem",
    )
    return PutError("Failed to put item", cause=cause)


def _failing_commit(monkeypatch: pytest.MonkeyPatch, order_id: str, times: int) -> Counter[str]:
    """Make the commit of ``order_id`` throttle ``times`` times; counts the attempts per order."""
    real: Callable[..., None] = store.commit_evaluation
    attempts: Counter[str] = Counter()

    def commit(record: store.OrderRecord, *args: Any, **kwargs: Any) -> None:
        attempts[record.order_id] += 1
        if record.order_id == order_id and attempts[order_id] <= times:
            raise _throttled()
        real(record, *args, **kwargs)

    monkeypatch.setattr(store, "commit_evaluation", commit)
    monkeypatch.setattr(scan_module, "sleep", lambda seconds: None)
    return attempts


def _scan(local: LocalAws, now: datetime = NOW) -> Counter[str]:
    return run_scan(local, now)


def test_a_throttled_order_is_retried_and_the_run_goes_on(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_orders(load_event("contract/order_paid"), total=30, due=20, now=NOW)
    attempts = _failing_commit(monkeypatch, "seed-000003", times=1)
    report = _scan(local_aws)
    assert (report["examined"], report["retries"], report["failed"]) == (20, 1, 0)
    assert attempts["seed-000003"] == 2
    # Retried once, decided once: two decisions and one notice per due order, none doubled.
    assert report["decisions"] == 40
    assert local_aws.queue_depth("NoticesQueue") == 20
    decisions = Counter((d.order_id, d.action) for d in store.all_decisions())
    assert set(decisions.values()) == {1}
    # Queued before each commit, every notice names the version its order's commit wrote (the
    # retried one's included), which dispatch waits for.
    sqs, url = local_aws.client("sqs"), local_aws.queue_url("NoticesQueue")
    queued = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    requests = [NoticeRequest.model_validate_json(m["Body"]) for m in queued]
    assert len(requests) == 10 and all(r.order_version is not None for r in requests)
    for request in requests:
        record = store.get_order(request.order_id)
        assert record is not None and record.version == request.order_version


def test_an_order_that_keeps_failing_is_left_due_for_the_next_run(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_orders(load_event("contract/order_paid"), total=30, due=20, now=NOW)
    before = store.get_order("seed-000007")
    _failing_commit(monkeypatch, "seed-000007", times=3)
    report = _scan(local_aws)
    assert (report["examined"], report["failed"], report["retries"]) == (20, 1, 2)
    # Its notice was queued before the commit (the one write of an evaluation), which was to hold
    # its decisions: the notice is not counted, no decision is counted nor recorded (before the
    # trail was held in the order, they were recorded uncounted), and the order is as it was, due.
    assert report["notices"] == 19 and report["decisions"] == 38
    assert local_aws.queue_depth("NoticesQueue") == 20
    record = store.get_order("seed-000007")
    assert record is not None and before is not None and record.version == before.version
    assert record.next_due_at is not None and record.next_due_at <= NOW
    assert record.packed == before.packed and record.trail == before.trail
    assert [d for d in store.all_decisions() if d.order_id == "seed-000007"] == []
    assert list(store.DecisionRecord.scan()) == []  # the others' decisions are in their items
    # The next run takes it, and only it: the same notice key again, the same decisions derived,
    # both recorded and counted now, once.
    again = _scan(local_aws)
    assert (again["examined"], again["failed"], again["notices"], again["decisions"]) == (1, 0, 1, 2)
    assert local_aws.queue_depth("NoticesQueue") == 21
    decisions = Counter((d.order_id, d.decision_id) for d in store.all_decisions())
    assert len(decisions) == 40 and set(decisions.values()) == {1}
    # Dispatch claims the key once: 21 messages, 20 notices, one e-mail each.
    local_aws.drain()
    assert [n.status for n in store.notices_for("seed-000007")] == ["sent"]
    assert sum(1 for m in local_aws.sent_messages() if m["channel"] == "email") == 20


def test_a_failed_notice_batch_leaves_its_orders_due_and_unwritten(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_orders(load_event("contract/order_paid"), total=5, due=3, now=NOW)
    versions = {n: store.get_order(f"seed-{n:06d}").version for n in range(3)}  # type: ignore[union-attr]
    real = scan_module.queue_notices

    def refuse(requests: list[Any], settings: Any) -> None:
        raise RuntimeError("could not queue 3 notice(s): ServiceUnavailable")

    monkeypatch.setattr(scan_module, "queue_notices", refuse)
    report = _scan(local_aws)
    assert (report["examined"], report["failed"], report["notices"], report["decisions"]) == (3, 3, 0, 0)
    for n in range(3):
        record = store.get_order(f"seed-{n:06d}")
        assert record is not None and record.version == versions[n] and record.next_due_at is not None
        assert record.next_due_at <= NOW  # still due, as it was: the commit comes after the queueing
    assert not list(store.all_decisions())
    monkeypatch.setattr(scan_module, "queue_notices", real)
    again = _scan(local_aws)
    assert (again["examined"], again["failed"], again["notices"]) == (3, 0, 3)
    assert local_aws.queue_depth("NoticesQueue") == 3
    assert not any(r.has_outbox() for r in store.all_orders())


def test_a_delivery_retried_after_a_failed_save_keeps_its_transit_sample_once(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def feed(*events: dict[str, Any]) -> None:
        for event in events:
            queue = "TrackingEventsQueue" if event["type"] == "tracking" else "OrderEventsQueue"
            local_aws.send(queue, json.dumps(event, ensure_ascii=False))
        local_aws.drain()

    feed(
        paid("TR-1", "2020-01-20T10:00:00+08:00"),
        shipped("TR-1", "2020-01-20T18:00:00+08:00"),
        scan("TR-1", "2020-01-21T08:00:00+08:00"),
    )
    real = store.save_order
    failures = {"left": 1}

    def save(order: Any, *args: Any, **kwargs: Any) -> Any:
        if order.status == "delivered" and failures["left"]:
            failures["left"] -= 1
            raise _throttled()
        return real(order, *args, **kwargs)

    monkeypatch.setattr(store, "save_order", save)
    delivered = scan("TR-1", "2020-01-23T15:00:00+08:00", status="delivered")
    feed(delivered)
    local_aws.release_failed()
    local_aws.drain()
    record = store.get_order("TR-1")
    assert record is not None and record.status == "delivered"
    # A redelivery of the same scan under a new id must not count it again either.
    feed({**delivered, "event_id": "scan-TR-1-again"})
    stats = [r for r in store.TransitStatsRecord.scan() if not r.key.startswith("sampled#")]
    assert [int(r.samples) for r in stats] == [1]


def test_each_shard_gets_its_budget_per_run_and_the_rest_waits(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_orders(load_event("contract/order_paid"), total=120, due=100, now=NOW)
    monkeypatch.setenv("SCAN_SHARD_BUDGET", "5")
    monkeypatch.setenv("SCAN_PAGE_SIZE", "2")
    get_settings.cache_clear()  # the function in use keeps its settings otherwise (a warm container)
    shards = Counter(store.shard_for(f"seed-{n:06d}", 8) for n in range(100))
    first = _scan(local_aws)
    # Pages of 2 within a budget of 5 a shard: 2 + 2 + 1, then the shard waits for the next run.
    expected = sum(min(5, n) for n in shards.values())
    assert first["examined"] == expected and first["items"] == 8
    assert first["truncated"] == sum(1 for n in shards.values() if n > 5)
    assert first["work_items"] == sum(min(3, -(-min(5, n) // 2)) for n in shards.values())
    second = _scan(local_aws, NOW)
    assert second["examined"] == sum(min(5, max(0, n - 5)) for n in shards.values())
    assert first["failed"] == second["failed"] == 0


def test_a_commit_whose_answer_was_lost_is_recognised_and_counted_once(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_orders(load_event("contract/order_paid"), total=3, due=2, now=NOW)
    real: Callable[..., None] = store.commit_evaluation
    lost = {"left": 1}

    def commit(record: store.OrderRecord, *args: Any, **kwargs: Any) -> None:
        real(record, *args, **kwargs)
        if record.order_id == "seed-000001" and lost["left"]:
            lost["left"] -= 1
            record.version -= 1  # as if the answer never came: the local version was not moved
            raise _throttled()

    monkeypatch.setattr(store, "commit_evaluation", commit)
    monkeypatch.setattr(scan_module, "sleep", lambda seconds: None)
    report = _scan(local_aws)
    # The retry finds the order holding what it wrote: committed, not a conflict, counted once.
    assert (report["examined"], report["retries"], report["conflicts"], report["failed"]) == (2, 1, 0, 0)
    assert report["decisions"] == 4 and report["notices"] == 2
    record = store.get_order("seed-000001")
    assert record is not None and record.next_due_at is not None and record.next_due_at > NOW


def test_an_outbox_of_the_earlier_scan_is_queued_recorded_once_and_emptied(local_aws: LocalAws) -> None:
    seed_orders(load_event("contract/order_paid"), total=2, due=1, now=NOW)
    record = store.get_order("seed-000000")
    assert record is not None
    order = record.order()
    earlier = Decision(
        order_id=order.order_id,
        decision_id="late_shipment_recorded#earlier",
        action=Action.LATE_SHIPMENT_RECORDED,
        rule="earlier_scan",
        at=NOW,
    )
    document = {"decisions": [earlier.model_dump(mode="json")], "notices": []}
    record.unflushed = zlib.compress(json.dumps(document).encode("utf-8"))
    record.save()
    report = _scan(local_aws)
    # Its decision put on condition and counted (it was not in), with the evaluation's own two.
    assert (report["examined"], report["decisions"], report["notices"]) == (1, 3, 1)
    after = store.get_order("seed-000000")
    assert after is not None and not after.has_outbox()
    decisions = Counter(d.decision_id for d in store.all_decisions() if d.order_id == "seed-000000")
    assert decisions["late_shipment_recorded#earlier"] == 1 and len(decisions) == 3
