"""The statistics table on the template: ADD updates per hour row, read back by hour range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from delaydesk import store
from delaydesk.core import stats
from delaydesk_local.runtime import LocalAws

H = datetime(2020, 1, 24, 10, 0, tzinfo=UTC)


def test_counts_add_up_per_hour_carrier_and_region(local_aws: LocalAws) -> None:
    store.add_counts("m-1", H + timedelta(minutes=5), "sf", "CN-HB", {stats.delays("stalled_after_pickup"): 1})
    store.add_counts("m-1", H + timedelta(minutes=50), "sf", "CN-HB", {stats.delays("stalled_after_pickup"): 2})
    store.add_counts("m-1", H, None, None, {stats.ORDERS_PAID: 1, stats.REFUNDS: 0})
    store.add_counts("m-1", H + timedelta(hours=1), "sf", "CN-HB", {stats.SHIPPED_ON_TIME: 1})
    store.add_counts("m-2", H, "sf", "CN-HB", {stats.ORDERS_PAID: 7})

    rows = store.counter_rows("m-1", H, H + timedelta(hours=1))
    by_scope = {(r.carrier, r.region): r for r in rows}
    assert set(by_scope) == {("sf", "CN-HB"), (stats.UNKNOWN, stats.UNKNOWN)}
    assert by_scope["sf", "CN-HB"].counts == {"delays#stalled_after_pickup": 3}
    assert by_scope["sf", "CN-HB"].hour == H
    assert by_scope[stats.UNKNOWN, stats.UNKNOWN].counts == {stats.ORDERS_PAID: 1}  # a zero is not written

    later = store.counter_rows("m-1", H + timedelta(minutes=1), H + timedelta(hours=3))
    assert [(r.hour, r.counts) for r in later] == [(H + timedelta(hours=1), {stats.SHIPPED_ON_TIME: 1})]
    assert (
        stats.totals(store.counter_rows("m-1", H - timedelta(days=1), H + timedelta(days=1)))[
            stats.delays("stalled_after_pickup")
        ]
        == 3
    )
    assert store.counter_rows("m-1", H - timedelta(hours=2), H) == []
    assert len(store.all_counter_rows()) == 4


def test_notice_outcomes_and_ses_feedback_count_once(local_aws: LocalAws) -> None:
    import json

    from conftest import instant, notice_request, paid

    from delaydesk.core.kinds import Kind
    from delaydesk.notices import feedback

    address = "bounce@simulator.amazonses.com"
    order = paid("SB-1", "2020-01-20T10:00:00+08:00", hours=72, customer={"email": address, "phone": "+8613800138010"})
    local_aws.send("OrderEventsQueue", json.dumps(order))
    local_aws.send("OrderEventsQueue", json.dumps(order))  # a redelivered order.paid
    local_aws.drain()
    local_aws.clock = instant("2020-01-24T12:00:00+08:00")
    for stage, kind in ((0, Kind.SHIPMENT_DELAYED), (0, Kind.SHIPMENT_DELAYED), (1, Kind.DELAY_UPDATE)):
        request = notice_request(order_id="SB-1", kind=kind, stage=stage, requested_at=local_aws.clock)
        local_aws.send("NoticesQueue", request.model_dump_json())
        local_aws.drain()
    (bounce,) = local_aws.ses_events
    feedback.apply(bounce)  # the SES event delivered again
    total = stats.totals(store.all_counter_rows())
    assert total == {
        stats.ORDERS_PAID: 1,
        stats.notices("shipment_delayed", "email", "sent"): 1,
        stats.notices("shipment_delayed", "email", "bounced"): 1,
        stats.notices("delay_update", "email", "suppressed"): 1,
        stats.notices("delay_update", "sms", "sent"): 1,
        stats.notices("delay_update", "inbox", "sent"): 1,
    }
    (paid_row,) = [r for r in store.all_counter_rows() if r.get(stats.ORDERS_PAID)]
    assert (paid_row.carrier, paid_row.region) == (stats.UNKNOWN, "CN-HB")


def test_a_failed_count_is_lost_not_raised(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store.StatsRecord.Meta, "table_name", "no-such-table")
    assert store.add_counts("m-1", H, "sf", "CN-HB", {stats.ORDERS_PAID: 1}) is False  # the caller's write stands
    monkeypatch.undo()
    assert store.add_counts("m-1", H, "sf", "CN-HB", {stats.ORDERS_PAID: 1}) is True
    assert store.add_counts("m-1", H, "sf", "CN-HB", {}) is True


def test_counts_in_a_batch_are_one_add_per_row(local_aws: LocalAws) -> None:
    with local_aws.aws_calls.counting("batch"), store.batched_counts():
        store.add_counts("m-1", H + timedelta(minutes=5), "sf", "CN-HB", {stats.ORDERS_PAID: 1})
        store.add_counts("m-1", H + timedelta(minutes=9), "sf", "CN-HB", {stats.ORDERS_PAID: 2, stats.REFUNDS: 1})
        with store.batched_counts():  # an inner block adds to the outer one's sums
            store.add_counts("m-1", H + timedelta(hours=1), "sf", "CN-HB", {stats.ORDERS_PAID: 1})
        assert store.counter_rows("m-1", H, H + timedelta(hours=2)) == []  # nothing written yet
    assert local_aws.aws_calls.summary()["batch"] == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 2}
    rows = {r.hour: r.counts for r in store.counter_rows("m-1", H, H + timedelta(hours=2))}
    assert rows == {H: {stats.ORDERS_PAID: 3, stats.REFUNDS: 1}, H + timedelta(hours=1): {stats.ORDERS_PAID: 1}}


def test_a_batch_that_raises_still_writes_what_it_counted(local_aws: LocalAws) -> None:
    with pytest.raises(RuntimeError), store.batched_counts():
        store.add_counts("m-1", H, "sf", "CN-HB", {stats.ORDERS_PAID: 1})
        raise RuntimeError("a record failed")
    (row,) = store.counter_rows("m-1", H, H + timedelta(hours=1))
    assert row.counts == {stats.ORDERS_PAID: 1}
