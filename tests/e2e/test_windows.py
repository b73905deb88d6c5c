"""Policy windows end to end: the seed's 2020 Spring Festival replayed through ``simulate``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import load_event, paid, shipped

from delaydesk.core.windows import SPRING_FESTIVAL_2020
from delaydesk_local.simulate import Scenario, SimulationResult, run

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _event(kind: str, order_id: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-{order_id}", "at": at, "order_id": order_id, **fields}


def _scenario(events: list[dict[str, Any]], **extra: Any) -> Scenario:
    return Scenario.model_validate(
        {
            "start": "2020-01-09T00:00:00+08:00",
            "end": "2020-03-01T00:00:00+08:00",
            "tick_minutes": 720,
            "merchants": [load_event("contract/merchant")],
            "events": events,
            **extra,
        }
    )


def _spring_festival_orders() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    # Paid inside the N-hour suspension, not shipped for days: the late shipment is exempted.
    for n, day in enumerate(("2020-01-20", "2020-01-25", "2020-02-01")):
        events.append(paid(f"IN-{n}", f"{day}T10:00:00+08:00"))
        events.append(shipped(f"IN-{n}", "2020-02-11T09:00:00+08:00"))
    # Paid before it, shipped two days late: recorded against the merchant.
    events += [paid("OUT-0", "2020-01-15T10:00:00+08:00"), shipped("OUT-0", "2020-01-17T10:00:00+08:00")]
    # Refund requests inside the window (15 days) and after it (5 days); nobody answers.
    for order_id, paid_at, asked in (
        ("RF-IN", "2020-01-10T10:00:00+08:00", "2020-01-22T09:00:00+08:00"),
        ("RF-OUT", "2020-02-12T10:00:00+08:00", "2020-02-14T09:00:00+08:00"),
    ):
        events += [paid(order_id, paid_at), shipped(order_id, paid_at)]
        events.append(_event("refund.requested", order_id, asked, reason="delivery too slow"))
    # Cross-border orders paid inside (day 34) and after (day 11) the 1688 cross-border window.
    for order_id, paid_at in (("CB-IN", "2020-01-15T10:00:00+08:00"), ("CB-OUT", "2020-02-10T10:00:00+08:00")):
        shipped_at = (_at(paid_at) + timedelta(days=1)).isoformat()
        events += [paid(order_id, paid_at, channel="cross_border"), shipped(order_id, shipped_at)]
    return events


@pytest.fixture(scope="module")
def replay() -> SimulationResult:
    return run(_scenario(_spring_festival_orders(), windows=SPRING_FESTIVAL_2020))


def _by(result: SimulationResult, action: str) -> dict[str, dict[str, Any]]:
    return {d["order_id"]: d for d in result.decisions if d["action"] == action}


def test_the_spring_festival_exempts_late_shipments_paid_inside_it(replay: SimulationResult) -> None:
    exempted = _by(replay, "late_shipment_exempted")
    recorded = _by(replay, "late_shipment_recorded")
    assert sorted(exempted) == ["IN-0", "IN-1", "IN-2"]
    assert {d["window_id"] for d in exempted.values()} == {"cny2020"}
    assert sorted(recorded) == ["OUT-0"] and recorded["OUT-0"]["window_id"] is None
    counts = replay.summary["decisions_by_action"]
    assert (counts["late_shipment_exempted"], counts["late_shipment_recorded"]) == (3, 1)
    # Communication never stops: each covered order was told about its new ship-by date.
    announced = Counter(n["order_id"] for n in replay.notices if n["kind"] == "disruption_announcement")
    assert {announced[f"IN-{n}"] for n in range(3)} == {1}


def test_refunds_are_auto_approved_at_15_days_inside_and_5_days_after(replay: SimulationResult) -> None:
    refunds = _by(replay, "refund_auto_approved")
    inside = _at(refunds["RF-IN"]["at"]) - _at("2020-01-22T09:00:00+08:00")
    outside = _at(refunds["RF-OUT"]["at"]) - _at("2020-02-14T09:00:00+08:00")
    tick = timedelta(hours=12)
    assert timedelta(days=15) <= inside < timedelta(days=15) + tick
    assert timedelta(days=5) <= outside < timedelta(days=5) + tick
    assert (refunds["RF-IN"]["window_id"], refunds["RF-OUT"]["window_id"]) == ("cny2020", None)
    told = {n["order_id"] for n in replay.notices if n["kind"] == "refund_approved"}
    assert told == {"RF-IN", "RF-OUT"}


def test_cross_border_receipt_is_auto_confirmed_on_day_34_instead_of_11(replay: SimulationResult) -> None:
    confirmed = _by(replay, "receipt_auto_confirmed")
    days = {
        order_id: (_at(confirmed[order_id]["at"]).astimezone(SHANGHAI).date() - shipped_day).days
        for order_id, shipped_day in (
            ("CB-IN", datetime(2020, 1, 16).date()),
            ("CB-OUT", datetime(2020, 2, 11).date()),
        )
    }
    assert days == {"CB-IN": 34, "CB-OUT": 11}
    assert confirmed["CB-IN"]["window_id"] == "cny2020-cross-border" and confirmed["CB-OUT"]["window_id"] is None
    assert replay.summary["orders_by_status"]["completed"] == 2


def test_every_decision_names_its_rule_and_the_contract_shape_holds(replay: SimulationResult) -> None:
    for decision in replay.decisions:
        assert set(decision) == {"order_id", "action", "at", "rule", "window_id"} and decision["rule"]
    assert replay.summary["dead_lettered"] == dict.fromkeys(replay.summary["dead_lettered"], 0)
    assert replay.summary["notices_failed"] == 0


def test_a_window_declared_later_and_ended_early_recomputes_open_orders() -> None:
    halt = {
        "window_id": "hubei-halt",
        "merchant_id": "m-teahouse",
        "reason": "logistics_halt",
        "starts_at": "2020-03-02T00:00:00+08:00",
        "ends_at": "2020-03-20T00:00:00+08:00",
        "scope": {"regions": ["CN-HB"]},
        "rules": {"ship_by": {"extend_hours": 96}},
    }
    events = [
        paid("HB-1", "2020-03-02T10:00:00+08:00"),
        paid("GD-1", "2020-03-02T10:00:00+08:00", destination={"region": "CN-GD"}),
        {"type": "window.declared", "event_id": "w1", "at": "2020-03-02T12:00:00+08:00", "window": halt},
        {
            "type": "window.ended",
            "event_id": "w2",
            "at": "2020-03-04T00:00:00+08:00",
            "window_id": "hubei-halt",
            "merchant_id": "m-teahouse",
        },
        paid("HB-2", "2020-03-05T10:00:00+08:00"),
    ]
    result = run(
        _scenario(events, start="2020-03-02T00:00:00+08:00", end="2020-03-08T00:00:00+08:00", tick_minutes=360)
    )
    extended = _by(result, "deadline_extended")
    assert sorted(extended) == ["HB-1"]  # in scope and paid inside; GD-1 is out of scope
    assert extended["HB-1"]["at"] == "2020-03-02T04:00:00Z"  # at the declaration, through the queue
    announced = [n["order_id"] for n in result.notices if n["kind"] == "disruption_announcement"]
    assert announced == ["HB-1"]
    detected = {d["order_id"]: d["at"] for d in result.decisions if d["action"] == "delay_detected"}
    # HB-1's ship-by moved from 03-03 10:00 to 03-07 10:00 (+96 h); HB-2 was paid after the end.
    assert detected["HB-1"] >= "2020-03-07T02:00:00Z"
    assert detected["GD-1"] < "2020-03-04T00:00:00Z" and detected["HB-2"] < "2020-03-07T00:00:00Z"
