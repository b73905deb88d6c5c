"""Ingest through the template's queue and function: bad input, retries, DLQ, replay, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import paid, scan, shipped

from delaydesk import store
from delaydesk.cli import main
from delaydesk.tracking import ingest, rejections
from delaydesk_local.runtime import LocalAws


def _failures(local: LocalAws) -> int:
    """Records the ingest function reported failed (a batch that failed whole counts whole)."""
    failed = 0
    for invocation in local.invocations:
        if invocation.function != "IngestEventsFunction":
            continue
        if isinstance(invocation.result, Exception):
            failed += len(invocation.event["Records"])
        else:
            failed += len(invocation.result["batchItemFailures"])
    return failed


def test_an_invalid_event_is_stored_never_retried_and_never_blocks_its_batch(local_aws: LocalAws) -> None:
    local_aws.send("OrderEventsQueue", "{not json")
    bad = paid("o-bad", "2020-01-20T10:00:00+08:00", customer={"phone": "12345"})
    local_aws.send("OrderEventsQueue", json.dumps(bad))
    local_aws.send("OrderEventsQueue", json.dumps(paid("o-good", "2020-01-20T10:00:00+08:00")))
    local_aws.drain()
    assert _failures(local_aws) == 0
    assert store.get_order("o-good") is not None
    rejected = {r.event_id: r for r in rejections.list_rejected()}
    assert rejected["paid-o-bad"].category == "invalid"
    assert any("phone" in e for e in rejected["paid-o-bad"].errors)
    assert any("not JSON" in r.errors[0] for r in rejected.values() if r.event_id is None)
    assert local_aws.queue_depth("OrderEventsQueue") == 0 and local_aws.queue_depth("OrderEventsDLQ") == 0


def test_a_transient_failure_is_retried_then_dead_lettered_with_its_reason(local_aws: LocalAws) -> None:
    orphan = scan("o-ghost", "2020-01-21T08:00:00+08:00") | {
        "order_id": None,
        "carrier": "SF",
        "tracking_number": "SF0000",
    }
    local_aws.send("TrackingEventsQueue", json.dumps(orphan))
    local_aws.drain()
    assert _failures(local_aws) == 1
    for hour in range(1, 6):  # each tick is a retry after the visibility timeout
        local_aws.tick(datetime(2020, 1, 21, hour, tzinfo=UTC))
    assert local_aws.queue_depth("TrackingEventsDLQ") == 1
    assert local_aws.queue_depth("TrackingEventsQueue") == 0
    (record,) = rejections.list_rejected(rejections.Category.FAILING)
    assert int(record.receive_count) == 5
    assert "no order ships as SF SF0000" in record.errors[0]


def test_the_operator_replays_a_failed_event_once_its_order_exists(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    early = shipped("o-late", "2020-01-20T18:00:00+08:00")
    local_aws.send("OrderEventsQueue", json.dumps(early))
    local_aws.drain()
    (record,) = rejections.list_rejected(rejections.Category.FAILING)
    local_aws.send("OrderEventsQueue", json.dumps(paid("o-late", "2020-01-20T10:00:00+08:00")))
    local_aws.drain()

    assert main(["rejected", "list", "--json", "--stack-name", local_aws.stack.name]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["rejection_id"] for r in listed] == [record.rejection_id]
    assert main(["rejected", "replay", record.rejection_id, "--stack-name", local_aws.stack.name]) == 0
    local_aws.release_failed()
    local_aws.drain()
    order = store.get_order("o-late")
    assert order is not None and order.status == "shipped"
    assert main(["rejected", "replay", "nope", "--stack-name", local_aws.stack.name]) == 2


def test_redelivering_an_event_changes_nothing(local_aws: LocalAws) -> None:
    body = json.dumps(paid("o1", "2020-01-20T10:00:00+08:00"))
    local_aws.send("OrderEventsQueue", body)
    local_aws.drain()
    first = store.get_order("o1")
    assert first is not None
    for _ in range(2):
        local_aws.send("OrderEventsQueue", body)
    local_aws.drain()
    again = store.get_order("o1")
    assert again is not None and again.version == first.version
    assert _failures(local_aws) == 0
    assert list(rejections.list_rejected()) == []


def test_a_scan_dated_far_in_the_future_is_refused_and_the_order_keeps_its_deadlines(local_aws: LocalAws) -> None:
    """A scan dated in the year 2150 would move the parcel's stall deadline there: refused, listed."""
    local_aws.send("OrderEventsQueue", json.dumps(paid("o-fut", "2020-01-20T10:00:00+08:00")))
    local_aws.send("OrderEventsQueue", json.dumps(shipped("o-fut", "2020-01-20T18:00:00+08:00")))
    local_aws.drain()
    before = store.get_order("o-fut")
    assert before is not None
    local_aws.send("TrackingEventsQueue", json.dumps(scan("o-fut", "2150-01-21T08:00:00+08:00")))
    local_aws.drain()
    assert _failures(local_aws) == 0
    after = store.get_order("o-fut")
    assert after is not None and after.next_due_at == before.next_due_at and after.version == before.version
    (record,) = rejections.list_rejected(rejections.Category.REFUSED)
    assert record.event_id == "scan-o-fut-2150-01-21T08:00:00+08:00"
    assert "more than 1 day after it arrived" in record.errors[0]


def test_an_event_costs_one_read_and_two_writes_and_the_order_remembers_its_last_32(local_aws: LocalAws) -> None:
    local_aws.aws_calls.reset()
    local_aws.send("OrderEventsQueue", json.dumps(paid("o32", "2020-01-20T10:00:00+08:00")))
    local_aws.drain()
    local_aws.send("OrderEventsQueue", json.dumps(shipped("o32", "2020-01-20T18:00:00+08:00")))
    local_aws.drain()
    calls = local_aws.aws_calls.summary()["ingest_events"]
    # A new order is written without a read; the shipment reads it, then writes it (and the
    # merchant is read once per container); each event's id is noted once across orders, and each
    # batch adds its statistics in one update.
    assert (calls["dynamodb.GetItem"], calls["dynamodb.PutItem"], calls["dynamodb.UpdateItem"]) == (1 + 1, 2, 2 + 2)
    scans = [scan("o32", f"2020-01-{day:02d}T{hour:02d}:00:00+08:00") for day in (21, 22) for hour in range(4, 22)]
    first, *others = scans
    local_aws.aws_calls.reset()
    local_aws.send("TrackingEventsQueue", json.dumps(first))
    local_aws.drain()
    # The id noted across orders (one conditional update, for conflicts), the order read, and the
    # order's own versioned write, which remembers the event.
    assert local_aws.aws_calls.summary()["ingest_events"] == {
        "dynamodb.UpdateItem": 1,
        "dynamodb.GetItem": 1,
        "dynamodb.PutItem": 1,
    }
    for body in others[:30]:
        local_aws.send("TrackingEventsQueue", json.dumps(body))
    local_aws.drain()
    record = store.get_order("o32")
    assert record is not None and record.applied is not None and len(record.applied) == 32 * 12
    version, scans_applied = record.version, record.order().shipment.scans  # type: ignore[union-attr]
    local_aws.send("TrackingEventsQueue", json.dumps(first))  # the 32nd event back: still remembered
    local_aws.drain()
    again = store.get_order("o32")
    assert again is not None and again.version == version
    assert again.order().shipment.scans == scans_applied  # type: ignore[union-attr]
    # One more event pushes the oldest out (the paid and shipped events went before): a
    # redelivery of it now would be applied again (README, "What does not work yet").
    local_aws.send("TrackingEventsQueue", json.dumps(others[30]))
    local_aws.drain()
    latest = store.get_order("o32")
    assert latest is not None and latest.applied is not None and len(latest.applied) == 32 * 12
    assert store.applied_before(latest, latest.applied[:12]) is True
    assert _failures(local_aws) == 0


def _batch_of_scans(local: LocalAws, order_ids: list[str], at: str) -> list[dict[str, object]]:
    scans = [scan(o, at, tracking_number=f"SF9{n:05d}") for n, o in enumerate(order_ids)]
    for body in scans:
        local.send("TrackingEventsQueue", json.dumps(body))
    return scans


def _shipped_orders(local: LocalAws, order_ids: list[str]) -> None:
    for order_id in order_ids:
        local.send("OrderEventsQueue", json.dumps(paid(order_id, "2020-01-20T10:00:00+08:00")))
    local.drain()
    for n, order_id in enumerate(order_ids):
        local.send(
            "OrderEventsQueue",
            json.dumps(shipped(order_id, "2020-01-20T18:00:00+08:00", tracking_number=f"SF9{n:05d}")),
        )
    local.drain()


def test_a_batch_reads_its_orders_and_notes_its_ids_together(local_aws: LocalAws) -> None:
    order_ids = [f"B-{n}" for n in range(10)]
    _shipped_orders(local_aws, order_ids)
    versions = {o: store.get_order(o).version for o in order_ids}  # type: ignore[union-attr]
    local_aws.aws_calls.reset()
    invoked = len(local_aws.invocations)
    _batch_of_scans(local_aws, order_ids, "2020-01-21T08:00:00+08:00")
    local_aws.drain()
    assert [i.function for i in local_aws.invocations[invoked:]] == ["IngestEventsFunction"]  # one batch of ten
    calls = local_aws.aws_calls.summary()["ingest_events"]
    # The ten orders read by one BatchGetItem, the ten ids noted by one BatchExecuteStatement of
    # INSERTs, and each order written once (the statistics: one update per counter row, as before).
    assert (calls["dynamodb.BatchGetItem"], calls["dynamodb.BatchExecuteStatement"], calls["dynamodb.PutItem"]) == (
        1,
        1,
        10,
    )
    assert "dynamodb.GetItem" not in calls and "dynamodb.TransactWriteItems" not in calls
    # One unit per id (a transaction billed two); three per order write (the item, and its due
    # entry moved by the scan: a delete and a put); the statistics at most one.
    assert 10 + 10 * 3 <= local_aws.aws_calls.write_units["ingest_events"] <= 10 + 10 * 3 + 1
    assert calls.get("dynamodb.UpdateItem", 0) <= 1
    for order_id in order_ids:
        record = store.get_order(order_id)
        assert record is not None and record.version == versions[order_id] + 1
        assert record.order().shipment.scans == 1  # type: ignore[union-attr]
    assert _failures(local_aws) == 0 and list(rejections.list_rejected()) == []


def test_each_message_of_a_batch_is_parsed_once(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    order_ids = [f"P-{n}" for n in range(3)]
    _shipped_orders(local_aws, order_ids)
    parsed: list[str] = []
    parse = ingest.parse_event

    def counting(body: str | bytes | dict[str, object]) -> object:
        parsed.append(body if isinstance(body, str) else json.dumps(body))
        return parse(body)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "parse_event", counting)
    bodies = [json.dumps(b) for b in _batch_of_scans(local_aws, order_ids, "2020-01-21T08:00:00+08:00")]
    local_aws.send("TrackingEventsQueue", bodies[0])  # a redelivered copy in the same batch
    local_aws.send("TrackingEventsQueue", '{"type": "tracking"}')  # invalid: refused with its reason
    invoked = len(local_aws.invocations)
    local_aws.drain()
    assert [i.function for i in local_aws.invocations[invoked:]] == ["IngestEventsFunction"]
    assert sorted(b for b in parsed if b in bodies) == sorted([*bodies, bodies[0]])  # once per copy
    scans = {o: store.get_order(o).order().shipment.scans for o in order_ids}  # type: ignore[union-attr]
    assert scans == {"P-0": 1, "P-1": 1, "P-2": 1}  # the copy changed nothing
    assert [r.category for r in rejections.list_rejected()] == [rejections.Category.INVALID]


def test_a_conflict_in_a_batch_is_found_and_the_rest_applied(local_aws: LocalAws) -> None:
    order_ids = ["C-1", "C-2", "C-3"]
    _shipped_orders(local_aws, order_ids)
    first = scan("C-1", "2020-01-21T08:00:00+08:00", tracking_number="SF900000") | {"event_id": "feed-9"}
    local_aws.send("TrackingEventsQueue", json.dumps(first))
    local_aws.drain()
    c1 = store.get_order("C-1")
    assert c1 is not None
    # One batch: the id reused for C-2 with other content, and a new scan of C-3 (and of C-1).
    reused = scan("C-2", "2020-01-21T09:00:00+08:00", tracking_number="SF900001") | {"event_id": "feed-9"}
    local_aws.send("TrackingEventsQueue", json.dumps(reused))
    local_aws.send(
        "TrackingEventsQueue", json.dumps(scan("C-3", "2020-01-21T09:00:00+08:00", tracking_number="SF900002"))
    )
    local_aws.send(
        "TrackingEventsQueue", json.dumps(scan("C-1", "2020-01-21T10:00:00+08:00", tracking_number="SF900000"))
    )
    local_aws.aws_calls.reset()
    local_aws.drain()
    calls = local_aws.aws_calls.summary()["ingest_events"]
    # The reused id's INSERT alone is refused (DuplicateItem): that event notes its id on its own,
    # which finds the conflict; the other two were noted by the batch.
    assert calls["dynamodb.BatchExecuteStatement"] == 1 and "dynamodb.TransactWriteItems" not in calls
    noted = {r.id.split("|", 1)[1]: int(r.deliveries) for r in store.EventKeyRecord.scan()}
    c3 = scan("C-3", "2020-01-21T09:00:00+08:00")["event_id"]
    assert noted["feed-9"] == 1 and noted[c3] == 1  # the conflict left the first note as it was
    conflicts = {r.event_id for r in rejections.list_rejected(rejections.Category.CONFLICT)}
    assert conflicts == {"feed-9"}
    scans = {o: store.get_order(o).order().shipment.scans for o in order_ids}  # type: ignore[union-attr]
    assert scans == {"C-1": 2, "C-2": 0, "C-3": 1}
    # Redelivered in one batch, all three change nothing: each INSERT is refused, each id then
    # found noted with the same content (or other content, for the conflict), each order unchanged.
    versions = {o: store.get_order(o).version for o in order_ids}  # type: ignore[union-attr]
    for event in (reused, scan("C-3", "2020-01-21T09:00:00+08:00", tracking_number="SF900002")):
        local_aws.send("TrackingEventsQueue", json.dumps(event))
    local_aws.send(
        "TrackingEventsQueue", json.dumps(scan("C-1", "2020-01-21T10:00:00+08:00", tracking_number="SF900000"))
    )
    local_aws.drain()
    assert {o: store.get_order(o).version for o in order_ids} == versions  # type: ignore[union-attr]
    assert {r.event_id for r in rejections.list_rejected(rejections.Category.CONFLICT)} == {"feed-9"}
    noted = {r.id.split("|", 1)[1]: int(r.deliveries) for r in store.EventKeyRecord.scan()}
    assert noted["feed-9"] == 1 and noted[c3] == 2  # the redelivery noted again on its own, same content
