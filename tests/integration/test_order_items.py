"""The order item through the template: packed small enough for one write unit per write, items of
the earlier format still read, and a new order evaluated at payment by ingest when no window is
in force (the scan then has nothing to do at payment), by the scan as before when one is."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime

from conftest import paid, scan, shipped

from delaydesk import store
from delaydesk.core.decisions import Action
from delaydesk.core.kinds import Kind
from delaydesk.core.windows import preset
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
    local_aws.tick(SHIP_BY)  # the late shipment is decided and told at the ship-by, as before
    decisions = {d.action for d in store.decisions_for("PE-1")}
    assert Action.DELAY_DETECTED in decisions
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
