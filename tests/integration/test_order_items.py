"""The order item through the template: packed small enough for one write unit per write, items of
the earlier format still read, and a new order evaluated at payment by ingest when no window is
in force (the scan then has nothing to do at payment), by the scan as before when one is."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

import pytest
from conftest import paid, scan, shipped
from pynamodb.exceptions import QueryError

from delaydesk import store
from delaydesk.core.decisions import Action
from delaydesk.core.kinds import Kind
from delaydesk.core.windows import preset
from delaydesk.store.decisions import DecisionRecord
from delaydesk.tracking import rejections
from delaydesk_local.metering import WriteUnits
from delaydesk_local.runtime import LocalAws

PAID_AT = "2020-01-20T10:00:00+08:00"  # 02:00 UTC; 24 hours to ship
SHIP_BY = datetime(2020, 1, 21, 2, tzinfo=UTC)


def _feed(local: LocalAws, queue: str, *events: dict[str, object]) -> None:
    for event in events:
        local.send(queue, json.dumps(event, ensure_ascii=False))
    local.drain()


def test_a_new_order_without_a_window_is_due_at_its_ship_by_and_the_scan_leaves_it_alone(local_aws: LocalAws) -> None:
    with local_aws.aws_calls.counting("ingest"):
        _feed(local_aws, "OrderEventsQueue", paid("PE-1", PAID_AT))
    record = store.get_order("PE-1")
    assert record is not None and record.next_due_at == SHIP_BY  # not paid_at: evaluated at payment
    order = record.order()
    assert order.timers["ship_by"].at == SHIP_BY and order.timers["ship_by"].window_id is None
    version = record.version
    local_aws.tick(datetime(2020, 1, 20, 2, 5, tzinfo=UTC))  # the scan's first run after payment
    assert store.get_order("PE-1").version == version  # nothing due, nothing written  # type: ignore[union-attr]
    local_aws.aws_calls.reset()
    local_aws.tick(SHIP_BY)  # the late shipment is decided and told at the ship-by, as before
    # The evaluation's write units: the order 1 (its two decisions in it), its due entry moved 2
    # (a keys-only delete and put), the statistics row 1; the decisions' BatchWriteItem made it 5.
    assert local_aws.aws_calls.write_units["scan_worker"] == 1 + 2 + 1
    assert "dynamodb.BatchWriteItem" not in local_aws.aws_calls.summary()["scan_worker"]
    decisions = {d.action for d in store.decisions_for("PE-1")}
    assert decisions == {Action.DELAY_DETECTED, Action.LATE_SHIPMENT_RECORDED}
    # The evaluation's two decisions are held in the order item, written by its commit: the
    # Decisions table holds none, and the item says it holds the whole trail.
    assert list(DecisionRecord.query("PE-1")) == []
    record = store.get_order("PE-1")
    assert record is not None and record.trail_complete()
    (group,) = record.held_trail().groups  # type: ignore[union-attr]
    assert [d.decision_id for d in group] == [d.decision_id for d in store.decisions_for("PE-1")]
    assert [n.kind for n in store.notices_for("PE-1")] == [Kind.SHIPMENT_DELAYED]


def test_a_new_order_under_a_window_is_still_evaluated_and_told_at_the_next_scan(local_aws: LocalAws) -> None:
    for window in preset("spring_festival_2020"):
        store.put_window(window, datetime(2020, 1, 18, tzinfo=UTC))
    _feed(local_aws, "OrderEventsQueue", paid("PE-2", PAID_AT))
    record = store.get_order("PE-2")
    assert record is not None and record.next_due_at == datetime(2020, 1, 20, 2, tzinfo=UTC)  # due at payment
    assert "ship_by" not in record.order().timers
    local_aws.tick(datetime(2020, 1, 20, 2, 5, tzinfo=UTC))
    order = store.get_order("PE-2").order()  # type: ignore[union-attr]
    assert order.timers["ship_by"].window_id == "cny2020" and order.announced_windows == ["cny2020"]
    assert Action.DEADLINE_EXTENDED in {d.action for d in store.decisions_for("PE-2")}
    assert [n.kind for n in store.notices_for("PE-2")] == [Kind.DISRUPTION_ANNOUNCEMENT]


def test_every_write_of_a_late_stalled_order_fits_one_unit_and_the_old_format_is_read(local_aws: LocalAws) -> None:
    _feed(local_aws, "OrderEventsQueue", paid("PE-3", PAID_AT), shipped("PE-3", "2020-01-25T10:00:00+08:00"))
    _feed(local_aws, "TrackingEventsQueue", scan("PE-3", "2020-01-25T20:00:00+08:00"))
    for day in (21, 24, 27, 30):
        local_aws.tick(datetime(2020, 1, day, 12, tzinfo=UTC))
    record = store.get_order("PE-3")
    assert record is not None and record.packed is not None and record.packed[:1] == b"\x01"
    order = record.order()
    assert order.delay is not None and order.stages_used >= 2
    assert _size(local_aws, "PE-3") < 1024 - 200  # one write unit, with room for more events' digests
    # The same order as the earlier format held it (plain zlib of the whole JSON) is read as it was.
    old = zlib.compress(order.model_dump_json().encode("utf-8"), 9)
    assert len(old) > len(record.packed) * 2
    local_aws.client("dynamodb").update_item(
        TableName=local_aws.stack.physical("OrdersTable"),
        Key={"order_id": {"S": "PE-3"}},
        UpdateExpression="SET packed = :p",
        ExpressionAttributeValues={":p": {"B": old}},
    )
    assert store.get_order("PE-3").order() == order  # type: ignore[union-attr]
    _feed(local_aws, "TrackingEventsQueue", scan("PE-3", "2020-02-03T15:00:00+08:00", "delivered"))
    delivered = store.get_order("PE-3")
    assert delivered is not None and delivered.order().status == "delivered"
    assert delivered.packed is not None and delivered.packed[:1] == b"\x01"  # rewritten in the new format


def _size(local: LocalAws, order_id: str) -> int:
    """The item's size as DynamoDB bills it (moto's reckoning, which the write-unit meter uses)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = WriteUnits._backend().get_table(local.stack.physical("OrdersTable"))
    return int(table.get_item(DynamoType({"S": order_id}), None).size())


def test_a_shipment_writes_one_parcel_entry_and_a_scan_finds_its_order_by_carrier(local_aws: LocalAws) -> None:
    _feed(local_aws, "OrderEventsQueue", paid("PE-4", PAID_AT), paid("PE-5", PAID_AT))
    _feed(local_aws, "OrderEventsQueue", shipped("PE-4", "2020-01-20T18:00:00+08:00", carrier="SF"))
    local_aws.aws_calls.reset()
    # The same number shipped by another carrier: only the carrier tells the two orders apart.
    number = store.get_order("PE-4").order().shipment.tracking_number  # type: ignore[union-attr]
    with local_aws.aws_calls.counting("ship"):
        _feed(local_aws, "OrderEventsQueue", shipped("PE-5", "2020-01-20T18:00:00+08:00", carrier="ZTO"))
    # The order 1, its due entry moved from the ship-by to the stall deadline 2 (a delete and a
    # put), one parcel-index entry 1, the event's id 1, the statistics 1: the tracking-index by
    # carrier key made it 7.
    assert local_aws.aws_calls.write_units["ingest_events"] == 1 + 2 + 1 + 1 + 1
    by_number = scan("PE-5", "2020-01-21T08:00:00+08:00") | {"order_id": None, "tracking_number": number}
    _feed(local_aws, "TrackingEventsQueue", by_number | {"carrier": "中通", "event_id": "by-carrier"})
    assert store.get_order("PE-5").order().shipment.scans == 1  # type: ignore[union-attr]
    assert store.get_order("PE-4").order().shipment.scans == 0  # type: ignore[union-attr]
    _feed(local_aws, "TrackingEventsQueue", by_number | {"carrier": None, "event_id": "no-carrier"})
    (refused,) = [r for r in rejections.list_rejected() if r.event_id == "no-carrier"]
    assert "belongs to 2 orders" in refused.errors[0]


def test_windows_that_cannot_be_read_leave_the_new_order_to_the_scan(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(merchant_id: str) -> list[object]:
        raise QueryError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(store, "windows_for", throttled)
    _feed(local_aws, "OrderEventsQueue", paid("PE-6", PAID_AT))
    record = store.get_order("PE-6")
    assert record is not None and record.next_due_at == datetime(2020, 1, 20, 2, tzinfo=UTC)  # due at once
    monkeypatch.undo()
    local_aws.tick(datetime(2020, 1, 20, 2, 5, tzinfo=UTC))
    assert store.get_order("PE-6").next_due_at == SHIP_BY  # type: ignore[union-attr]
