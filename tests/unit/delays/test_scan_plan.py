"""The fanned-out scan's plan: every shard once per run, each run starting one shard further, and
work items the workers read as they were planned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from delaydesk.delays.scan import ScanWork
from delaydesk.delays.scan_plan import rotation, work_item

NOW = datetime(2020, 1, 25, tzinfo=UTC)


def test_each_run_covers_every_shard_once_starting_one_further() -> None:
    runs = [rotation(NOW + timedelta(minutes=5 * i), 8) for i in range(8)]
    assert all(sorted(run) == list(range(8)) for run in runs)
    assert [run[0] for run in runs] == [(runs[0][0] + i) % 8 for i in range(8)]


def test_a_work_item_round_trips_with_its_continuation_key() -> None:
    work = ScanWork(shard=3, until=NOW, budget=50, start_key={"order_id": {"S": "A"}}, page=2)
    assert ScanWork.model_validate_json(work.model_dump_json()) == work


@pytest.mark.parametrize(
    "until",
    [NOW, NOW + timedelta(microseconds=123456), datetime(2020, 1, 25, 8, 30, tzinfo=timezone(timedelta(hours=8)))],
)
def test_a_planned_item_is_the_work_the_worker_reads(until: datetime) -> None:
    body = work_item(5, until, 5000)
    assert ScanWork.model_validate_json(body) == ScanWork(shard=5, until=until, budget=5000)
    assert json.loads(body) == json.loads(ScanWork(shard=5, until=until, budget=5000).model_dump_json()) | {
        "until": until.isoformat()
    }


def test_a_planned_item_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="offset"):
        work_item(0, NOW.replace(tzinfo=None), 1)
