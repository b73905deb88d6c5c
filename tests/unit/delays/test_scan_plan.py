"""The fanned-out scan's plan: every shard once per run, each run starting one shard further."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from delaydesk.delays.scan import ScanWork, rotation

NOW = datetime(2020, 1, 25, tzinfo=UTC)


def test_each_run_covers_every_shard_once_starting_one_further() -> None:
    runs = [rotation(NOW + timedelta(minutes=5 * i), 8) for i in range(8)]
    assert all(sorted(run) == list(range(8)) for run in runs)
    assert [run[0] for run in runs] == [(runs[0][0] + i) % 8 for i in range(8)]


def test_a_work_item_round_trips_with_its_continuation_key() -> None:
    work = ScanWork(shard=3, until=NOW, budget=50, start_key={"order_id": {"S": "A"}}, page=2)
    assert ScanWork.model_validate_json(work.model_dump_json()) == work
