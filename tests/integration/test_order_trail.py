"""The order's audit trail held in its own item, through the template: the scan's decisions written
by the order's commit (none in the Decisions table), a trail too large for the item spilled to the
table, a commit lost to a concurrent event recording nothing, the customer's wait in the item, an
order written before read from the table, and the order page reading one item, not two."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import load_event, merchant, paid, scan, shipped
from scan_runs import run_scan

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.links import Purpose
from delaydesk.store import orders as order_store
from delaydesk.store.decisions import DecisionRecord
from delaydesk_local.metering import WriteUnits
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws
from delaydesk_local.seeding import seed_orders

PAID_AT = "2020-01-20T10:00:00+08:00"  # 02:00 UTC; 24 hours to ship
LATE = datetime(2020, 1, 21, 2, 30, tzinfo=UTC)
NOW = datetime(2020, 1, 25, tzinfo=UTC)


def _feed(local: LocalAws, queue: str, *events: dict[str, object]) -> None:
    for event in events:
        local.send(queue, json.dumps(event, ensure_ascii=False))
    local.drain()


def _table_items(order_id: str) -> list[DecisionRecord]:
    return list(DecisionRecord.query(order_id))


def _moto_size(local: LocalAws, order_id: str) -> int:
    """The item's size as the write-unit meter bills it (moto's reckoning)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = WriteUnits._backend().get_table(local.stack.physical("OrdersTable"))
    return int(table.get_item(DynamoType({"S": order_id}), None).size())


def _page(order_id: str) -> str:
    return f"/orders/{order_id}?t={links.token(LOCAL_ORDER_LINK_KEY.encode(), Purpose.ORDER_PAGE, order_id)}"


def test_a_late_stalled_order_holds_its_whole_trail_and_the_page_reads_one_item(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reference lifecycle's: paid, late (two decisions), shipped, stalled in transit.
    _feed(local_aws, "OrderEventsQueue", paid("TL-1", PAID_AT))
    local_aws.tick(datetime(2020, 1, 21, 12, tzinfo=UTC))
    _feed(local_aws, "OrderEventsQueue", shipped("TL-1", "2020-01-25T10:00:00+08:00"))
    _feed(local_aws, "TrackingEventsQueue", scan("TL-1", "2020-01-25T20:00:00+08:00"))
    for day in (27, 30):
        local_aws.tick(datetime(2020, 1, day, 12, tzinfo=UTC))
    record = store.get_order("TL-1")
    assert record is not None and record.trail_complete() and not record.trail_spilled()
    trail = record.held_trail()
    assert trail is not None and len(trail.groups) >= 2  # one group per evaluation that decided
    actions = [d.action for d in store.decisions_for("TL-1")]
    assert Action.LATE_SHIPMENT_RECORDED in actions and actions.count(Action.DELAY_DETECTED) >= 2
    assert _table_items("TL-1") == []  # nothing in the Decisions table: the commits wrote them
    # Ordered as the table ordered them (by the first decision id of each group), each id once.
    firsts = [g[0].decision_id for g in trail.groups]
    assert [d.decision_id for d in store.decisions_for("TL-1", record)] == [
        d.decision_id for g in sorted(trail.groups, key=lambda g: g[0].decision_id) for d in g
    ]
    assert len(set(firsts)) == len(firsts)
    # The store's reckoning of the item's size is DynamoDB's (and the meter's).
    assert order_store.item_bytes(record) == _moto_size(local_aws, "TL-1") + len(str(record.version + 1)) - len(
        str(record.version)
    )
    assert _moto_size(local_aws, "TL-1") <= order_store.ITEM_BYTES
    # The order page: the order's item read once, the Decisions table not at all.
    queried: list[str] = []
    real_query = DecisionRecord.query

    def query(*args: Any, **kwargs: Any) -> Any:
        queried.append(args[0])
        return real_query(*args, **kwargs)

    monkeypatch.setattr(DecisionRecord, "query", query)
    local_aws.aws_calls.reset()
    page = local_aws.http_request("GET", _page("TL-1"), now=datetime(2020, 1, 30, 13, tzinfo=UTC))
    assert page["statusCode"] == 200 and "TL-1" in page["body"]
    (calls,) = local_aws.aws_calls.by_function.values()
    # The order and the merchant, the inbox (the notice log, the copies stored before it), the
    # visit: before, a third Query read the Decisions table.
    assert {op: n for op, n in calls.items() if op.startswith("dynamodb.")} == {
        "dynamodb.GetItem": 2,
        "dynamodb.Query": 2,
        "dynamodb.PutItem": 1,
    }
    assert queried == []


def test_decisions_that_would_take_the_item_over_its_unit_go_to_the_table_and_are_read_back(
    local_aws: LocalAws,
) -> None:
    # Items whose names do not compress: the order itself takes most of the item's kilobyte.
    names = [hashlib.sha256(f"item-{i}".encode()).hexdigest() for i in range(14)]
    items = [{"sku": f"SKU-{i}", "name": name, "quantity": 1} for i, name in enumerate(names)]
    _feed(local_aws, "OrderEventsQueue", paid("TL-2", PAID_AT, items=items), paid("TL-3", PAID_AT))
    big = store.get_order("TL-2")
    assert big is not None and order_store.item_bytes(big) > order_store.ITEM_BYTES - 150
    local_aws.tick(LATE)  # late: delay_detected and late_shipment_recorded for both
    spilled, small = store.get_order("TL-2"), store.get_order("TL-3")
    assert spilled is not None and small is not None
    assert spilled.trail_spilled() and not spilled.trail_complete()
    assert spilled.held_trail().groups == []  # type: ignore[union-attr]
    (item,) = _table_items("TL-2")  # recorded before the commit, one item as before
    assert {d.action for d in item.decisions()} == {Action.DELAY_DETECTED, Action.LATE_SHIPMENT_RECORDED}
    assert _moto_size(local_aws, "TL-2") <= 1024  # still one write unit per write
    assert {d.action for d in store.decisions_for("TL-2", spilled)} == {
        Action.DELAY_DETECTED,
        Action.LATE_SHIPMENT_RECORDED,
    }
    assert [d.decision_id for d in store.decisions_for("TL-3")] == [
        d.decision_id for d in store.decisions_for("TL-2")
    ]  # the same trail, wherever it is held
    assert small.trail_complete() and _table_items("TL-3") == []
    # Every decision once in all_decisions, from the items and the table.
    everything = [(d.order_id, d.decision_id) for d in store.all_decisions()]
    assert sorted(everything) == sorted(set(everything)) and len(everything) == 4


def test_a_commit_lost_to_a_concurrent_event_records_and_counts_no_decision(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_orders(load_event("contract/order_paid"), total=2, due=2, now=NOW)
    real: Callable[..., None] = store.commit_evaluation
    raced = {"left": 1}

    def commit(record: store.OrderRecord, *args: Any, **kwargs: Any) -> None:
        if record.order_id == "seed-000001" and raced["left"]:
            raced["left"] -= 1
            concurrent = store.get_order(record.order_id)
            assert concurrent is not None
            concurrent.save()  # an event applied meanwhile: the order's version moved
        real(record, *args, **kwargs)

    monkeypatch.setattr(store, "commit_evaluation", commit)
    before = store.get_order("seed-000001")
    report = run_scan(local_aws, NOW)
    assert (report["examined"], report["conflicts"], report["decisions"]) == (2, 1, 2)
    # The lost commit was to hold its decisions: none is recorded anywhere, none counted (before,
    # they were in the Decisions table, uncounted, until the next run rewrote and counted them).
    lost = store.get_order("seed-000001")
    assert lost is not None and before is not None and lost.trail == before.trail
    assert [d for d in store.all_decisions() if d.order_id == "seed-000001"] == []
    assert list(DecisionRecord.scan()) == []
    again = run_scan(local_aws, NOW)
    assert (again["examined"], again["conflicts"], again["decisions"]) == (1, 0, 2)
    assert len(store.decisions_for("seed-000001")) == 2


def test_the_customers_wait_is_held_in_the_item_once(local_aws: LocalAws) -> None:
    _feed(local_aws, "OrderEventsQueue", paid("TL-4", PAID_AT))
    local_aws.tick(LATE)
    wait = _page("TL-4").replace("?", "/wait?")
    headers = {"content-type": "application/x-www-form-urlencoded"}
    for _ in range(2):  # a second click records nothing more
        assert local_aws.http_request("POST", wait, headers, "", now=LATE)["statusCode"] == 303
    record = store.get_order("TL-4")
    assert record is not None and record.trail_complete() and _table_items("TL-4") == []
    waits = [d for d in store.decisions_for("TL-4", record) if d.action == Action.DELAY_ACCEPTED]
    assert len(waits) == 1 and waits[0].at == LATE
    page = local_aws.http_request("GET", _page("TL-4"), now=LATE)["body"]
    assert 'id="waiting"' in page


def test_a_wait_racing_an_event_reads_the_order_again_and_one_without_room_goes_to_the_table(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    _feed(local_aws, "OrderEventsQueue", paid("TL-5", PAID_AT))
    local_aws.tick(LATE)
    stale = store.get_order("TL-5")
    assert stale is not None
    fresh = store.get_order("TL-5")
    fresh.save()  # type: ignore[union-attr]  # an event applied after the page read the order
    decision = Decision(
        order_id="TL-5", decision_id="delay_accepted#0", action=Action.DELAY_ACCEPTED, rule="customer_choice", at=LATE
    )
    assert store.add_decision(stale, decision) is True
    assert store.add_decision(stale, decision) is False  # read again: it holds it
    held = store.get_order("TL-5")
    assert held is not None and held.version == stale.version + 2  # type: ignore[operator]
    assert held.packed == stale.packed  # the state untouched: the trail and version only
    # No room left: the next one goes to the Decisions table, the trail marked, both read back.
    monkeypatch.setattr(order_store, "ITEM_BYTES", order_store.item_bytes(held))
    other = decision.model_copy(update={"decision_id": "delay_accepted#1"})
    assert store.add_decision(held, other) is True
    marked = store.get_order("TL-5")
    assert marked is not None and marked.trail_spilled()
    assert [item.decision_id for item in _table_items("TL-5")] == ["delay_accepted#1"]
    waits = [d.decision_id for d in store.decisions_for("TL-5", marked) if d.action == Action.DELAY_ACCEPTED]
    assert waits == ["delay_accepted#0", "delay_accepted#1"]


def test_an_order_written_before_the_trail_is_read_from_the_table_and_keeps_it(local_aws: LocalAws) -> None:
    seed_orders(load_event("contract/order_paid"), total=1, due=1, now=NOW)
    record = store.get_order("seed-000000")
    assert record is not None
    record.trail = None  # as items written before held it: every decision in the Decisions table
    record.save()
    earlier = Decision(
        order_id="seed-000000", decision_id="aa#earlier", action=Action.ESCALATED, rule="long_delay", at=NOW
    )
    store.put_decision(earlier)
    legacy = store.get_order("seed-000000")
    assert legacy is not None and legacy.trail_spilled() and not legacy.trail_complete()
    assert [d.decision_id for d in store.decisions_for("seed-000000", legacy)] == ["aa#earlier"]
    # A decision put in the table before is not recorded again in the item (a second "wait").
    assert store.add_decision(legacy, earlier) is False
    assert store.get_order("seed-000000").version == legacy.version  # type: ignore[union-attr]
    run_scan(local_aws, NOW)
    after = store.get_order("seed-000000")
    assert after is not None and after.trail_spilled()  # its trail says the table holds some
    ids = [d.decision_id for d in store.decisions_for("seed-000000", after)]
    (group,) = after.held_trail().groups  # type: ignore[union-attr]
    assert ids == ["aa#earlier", *(d.decision_id for d in group)]  # the table's group first: by id


def test_notices_dispatch_may_record_decisions_for_make_readers_query_the_table(local_aws: LocalAws) -> None:
    rules = {"rules": [{"grant": "coupon", "value": "10.00", "min_delay_days": 0}]}
    store.put_merchant(merchant(settings={"notices": {"compensation": rules}}))
    _feed(local_aws, "OrderEventsQueue", paid("TL-6", PAID_AT))
    local_aws.tick(LATE)
    record = store.get_order("TL-6")
    assert record is not None and not record.trail_spilled() and not record.trail_complete()
    granted = [d for d in store.decisions_for("TL-6", record) if d.action == Action.COMPENSATION_GRANTED]
    everywhere = [d.decision_id for d in store.all_decisions() if d.action == Action.COMPENSATION_GRANTED]
    assert [d.decision_id for d in granted] == everywhere
    assert len(granted) == 1 and [i.decision_id for i in _table_items("TL-6")] == [granted[0].decision_id]


def test_a_wait_that_keeps_losing_races_answers_503_and_records_nothing(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    _feed(local_aws, "OrderEventsQueue", paid("TL-7", PAID_AT))
    local_aws.tick(LATE)
    real_get = order_store.get_order

    def moved(order_id: str) -> store.OrderRecord | None:
        record = real_get(order_id)
        if record is not None:
            record.save()  # an event lands between each read and the update
        return record

    real_update = order_store.OrderRecord._get_connection().update_item
    attempts: list[str] = []

    def update_item(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[0])
        real_get(args[0]).save()  # type: ignore[union-attr]  # and again before the write lands
        return real_update(*args, **kwargs)

    monkeypatch.setattr(order_store, "get_order", moved)
    monkeypatch.setattr(order_store.OrderRecord._get_connection(), "update_item", update_item)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answer = local_aws.http_request("POST", _page("TL-7").replace("?", "/wait?"), headers, "", now=LATE)
    assert answer["statusCode"] == 503 and answer["headers"]["Retry-After"] == "1"
    assert attempts == ["TL-7"] * order_store.WAIT_ATTEMPTS
    monkeypatch.undo()
    assert [d for d in store.decisions_for("TL-7") if d.action == Action.DELAY_ACCEPTED] == []
