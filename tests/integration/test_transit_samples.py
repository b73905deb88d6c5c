"""A delivery's transit sample: one put of the histogram (one write unit), once per order, with
the markers of the earlier version still honoured."""

from __future__ import annotations

from datetime import UTC, datetime

from delaydesk import store
from delaydesk.store.transit import RECENT_KEPT, TransitStatsRecord
from delaydesk_local.runtime import LocalAws

NOW = datetime(2020, 1, 23, 7, tzinfo=UTC)
KEY = "m-teahouse#sf#CN-HB"


def test_a_sample_costs_one_unit_and_is_added_once_per_order(local_aws: LocalAws) -> None:
    with local_aws.aws_calls.counting("sample"):
        assert store.add_transit_sample(KEY, 9, "TS-1", NOW) is True
    assert local_aws.aws_calls.summary()["sample"] == {"dynamodb.BatchGetItem": 1, "dynamodb.PutItem": 1}
    assert local_aws.aws_calls.write_units["sample"] == 1
    with local_aws.aws_calls.counting("again"):
        assert store.add_transit_sample(KEY, 9, "TS-1", NOW) is False  # a retried delivery
    assert local_aws.aws_calls.summary()["again"] == {"dynamodb.BatchGetItem": 1}
    assert store.add_transit_sample(KEY, 12, "TS-2", NOW) is True
    record = TransitStatsRecord.get(KEY)
    assert int(record.samples) == 2 and record.buckets.as_dict() == {"9": 1, "12": 1}
    assert [r.key for r in TransitStatsRecord.scan()] == [KEY]  # no marker items


def test_a_marker_of_the_earlier_version_still_counts_as_sampled(local_aws: LocalAws) -> None:
    TransitStatsRecord("sampled#TS-3", expires_at=NOW).save()
    assert store.add_transit_sample(KEY, 9, "TS-3", NOW) is False
    assert store.get_transit_stats(KEY) is None


def test_the_histogram_remembers_its_last_orders_only(local_aws: LocalAws) -> None:
    for n in range(RECENT_KEPT + 1):
        assert store.add_transit_sample(KEY, 9, f"TS-{n}", NOW) is True
    record = TransitStatsRecord.get(KEY)
    assert record.recent is not None and len(record.recent) == RECENT_KEPT * 8
    assert store.add_transit_sample(KEY, 9, f"TS-{RECENT_KEPT}", NOW) is False  # among the last 32
    assert store.add_transit_sample(KEY, 9, "TS-0", NOW) is True  # forgotten: the documented limit
