"""The embedded EventBridge, paced: a rule fires no more often than its ``rate(...)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from delaydesk_local.invocation import FunctionSpec
from delaydesk_local.schedules import Schedules, rate_of

T0 = datetime(2020, 1, 23, 0, 0, tzinfo=UTC)


def _spec(name: str) -> FunctionSpec:
    return FunctionSpec(name, name, Path(), "app.handler", {}, 60, 128)


def _schedules(fired: list[tuple[str, str]]) -> Schedules:
    def invoke(logical_id: str, event: dict[str, Any]) -> None:
        fired.append((logical_id, event["time"]))

    rules = {"scan": _spec("Scan"), "spikes": _spec("Spikes"), "nightly": _spec("Nightly")}
    expressions = {"scan": "rate(5 minutes)", "spikes": "rate(1 hour)", "nightly": "cron(0 3 * * ? *)"}
    return Schedules(rules, invoke, expressions)


def test_rate_expressions() -> None:
    assert rate_of("rate(5 minutes)") == timedelta(minutes=5)
    assert rate_of("rate(1 minute)") == timedelta(minutes=1)
    assert rate_of("rate(1 hour)") == timedelta(hours=1)
    assert rate_of("rate(2 days)") == timedelta(days=2)
    assert rate_of("cron(0 3 * * ? *)") is None


def test_a_quarter_hour_tick_fires_the_hourly_rule_once_an_hour() -> None:
    fired: list[tuple[str, str]] = []
    schedules = _schedules(fired)
    for quarter in range(9):  # 00:00 .. 02:00
        schedules.fire(T0 + timedelta(minutes=15 * quarter), paced=True)
    spikes = [t for f, t in fired if f == "Spikes"]
    assert spikes == ["2020-01-23T00:00:00Z", "2020-01-23T01:00:00Z", "2020-01-23T02:00:00Z"]
    assert sum(1 for f, _ in fired if f == "Scan") == 9  # 15 minutes >= its 5
    assert sum(1 for f, _ in fired if f == "Nightly") == 9  # a cron rule is fired at every tick, as before


def test_a_short_last_step_skips_what_is_not_due_and_unpaced_fires_everything() -> None:
    fired: list[tuple[str, str]] = []
    schedules = _schedules(fired)
    schedules.fire(T0, paced=True)
    schedules.fire(T0 + timedelta(minutes=30), paced=True)
    assert [f for f, _ in fired] == ["Scan", "Spikes", "Nightly", "Scan", "Nightly"]
    fired.clear()
    schedules.fire(T0 + timedelta(minutes=31))
    assert [f for f, _ in fired] == ["Scan", "Spikes", "Nightly"]
