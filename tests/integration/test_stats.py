"""The statistics table on the template: ADD updates per hour row, read back by hour range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
