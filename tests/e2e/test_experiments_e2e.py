"""Holdout experiments end to end (issue 14 item 4), through the real template in the embedded AWS.

One merchant declares three experiments in its scenario settings, each holding out half of the
orders: staged updates, the announcement of a disruption window, and compensation (a coupon). Orders to Hubei are never
shipped (delayed, then updated every day); orders to Guangdong are covered by a window that
extends their ship-by (announced, not delayed). Holdout orders get their first delay notice and
no staged update, no announcement, no coupon; treatment orders get them. ``summary.effect.experiments``
reports both arms with their intervals, the report's CSV has the rows, ``explain`` the arm.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import load_event, paid

from delaydesk.cli import main
from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e

M = "m-teahouse"
SHARE = 0.5
EXPERIMENTS = [
    {"experiment_id": "updates-1", "holds_out": "staged_updates", "holdout_share": SHARE},
    {"experiment_id": "ann-1", "holds_out": "announcement", "holdout_share": SHARE},
    {"experiment_id": "comp-1", "holds_out": "compensation", "holdout_share": SHARE},
]
COUPON = {"rules": [{"grant": "coupon", "value": "5.00"}]}
"""A coupon with every delay notice's order (once per order): what ``comp-1`` withholds."""


def arm(experiment_id: str, order_id: str) -> str:
    """The arm as the contract defines it, computed here on its own (not with the code under test)."""
    digest = hashlib.sha256(f"{experiment_id}:{order_id}".encode()).digest()
    return "holdout" if int.from_bytes(digest[:8], "big") / 2**64 < SHARE else "treatment"


def _hubei_orders() -> list[str]:
    """Order ids until each arm of ``updates-1`` has 32 (enough for the report's floor of 30)."""
    chosen: list[str] = []
    counts = {"holdout": 0, "treatment": 0}
    i = 0
    while min(counts.values()) < 32:
        order_id = f"HB-{i:03d}"
        i += 1
        if counts[arm("updates-1", order_id)] < 32:
            counts[arm("updates-1", order_id)] += 1
            chosen.append(order_id)
    return chosen


HUBEI = _hubei_orders()
GUANGDONG = [f"GD-{i:02d}" for i in range(12)]
GD = {"destination": {"country": "CN", "region": "CN-GD"}}


def _events() -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i, order_id in enumerate(HUBEI):
        events.append(paid(order_id, "2020-03-02T10:00:00+08:00", hours=24))
        # Holdout orders ask where their order is more often than treatment ones (the effect to find).
        asks = i % 2 == 0 if arm("updates-1", order_id) == "holdout" else i % 6 == 0
        if asks:
            events.append(
                {
                    "type": "inquiry.received",
                    "event_id": f"ask-{order_id}",
                    "at": "2020-03-04T20:00:00+08:00",
                    "order_id": order_id,
                    "text": "我的快递到哪了？",
                    "channel": "chat",
                }
            )
        if i % 4 == 0:
            rating = 2 if arm("updates-1", order_id) == "holdout" else 4
            events.append(
                {
                    "type": "review.posted",
                    "event_id": f"review-{order_id}",
                    "at": "2020-03-05T08:00:00+08:00",
                    "order_id": order_id,
                    "rating": rating + i % 3 // 2,
                }
            )
    events += [paid(order_id, "2020-03-02T11:00:00+08:00", hours=48, **GD) for order_id in GUANGDONG]
    return events


WINDOW = {
    "window_id": "gd-floods",
    "merchant_id": M,
    "reason": "extreme_weather",
    "starts_at": "2020-03-01T00:00:00+08:00",
    "ends_at": "2020-03-20T00:00:00+08:00",
    "scope": {"regions": ["CN-GD"], "carriers": [], "channels": []},
    "rules": {"ship_by": {"extend_hours": 240}},
}


@dataclass
class Run:
    out: dict[str, Any] = field(default_factory=dict)
    csv: str = ""
    explained: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def replay() -> Run:
    merchant = load_event("contract/merchant")
    merchant["settings"] = {
        **merchant["settings"],
        "update_every_days": 1,
        "experiments": EXPERIMENTS,
        "notices": {"compensation": COUPON},
    }
    scenario = {
        "start": "2020-03-02T08:00:00+08:00",
        "end": "2020-03-05T12:00:00+08:00",
        "tick_minutes": 120,
        "merchants": [merchant],
        "windows": [WINDOW],
        "events": _events(),
    }
    seen = Run()

    def finish(_: Any) -> None:
        import contextlib
        import io

        stack = ["--stack-name", "delaydesk-local"]
        for args, key in (
            (["report", "effect", "--merchant", M, "--csv", *stack], "csv"),
            (["explain", HUBEI[0], *stack], HUBEI[0]),
        ):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                assert main(args) == 0
            if key == "csv":
                seen.csv = buffer.getvalue()
            else:
                seen.explained[key] = buffer.getvalue()

    seen.out = run(Scenario.model_validate(scenario), on_finish=finish).contract()
    return seen


def _notices(out: dict[str, Any]) -> dict[str, set[tuple[str, int]]]:
    by_order: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for notice in out["notices"]:
        by_order[notice["order_id"]].add((notice["kind"], notice["stage"]))
    return by_order


def test_holdout_orders_get_no_staged_updates_and_treatment_orders_do(replay: Run) -> None:
    sent = _notices(replay.out)
    for order_id in HUBEI:
        if arm("updates-1", order_id) == "holdout":
            # The first delay notice is never held out; the updates are.
            assert sent[order_id] == {("shipment_delayed", 0)}, order_id
        else:
            assert sent[order_id] == {("shipment_delayed", 0), ("delay_update", 1), ("delay_update", 2)}, order_id
    held = {(d["order_id"], d["rule"]) for d in replay.out["decisions"] if d["action"] == "held_out"}
    assert {o for o, rule in held if rule == "experiment_staged_updates"} == {
        o for o in HUBEI if arm("updates-1", o) == "holdout"
    }


def test_holdout_orders_get_no_announcement_and_treatment_orders_do(replay: Run) -> None:
    sent = _notices(replay.out)
    for order_id in GUANGDONG:
        expected = set() if arm("ann-1", order_id) == "holdout" else {("disruption_announcement", 0)}
        assert sent.get(order_id, set()) == expected, order_id
    assert {arm("ann-1", o) for o in GUANGDONG} == {"holdout", "treatment"}  # both arms are exercised
    held = [d for d in replay.out["decisions"] if d["action"] == "held_out" and d["rule"] == "experiment_announcement"]
    assert {d["order_id"] for d in held} == {o for o in GUANGDONG if arm("ann-1", o) == "holdout"}
    assert {d["window_id"] for d in held} == {"gd-floods"}


def test_holdout_orders_get_their_delay_notice_without_the_coupon(replay: Run) -> None:
    decisions = replay.out["decisions"]
    granted = {d["order_id"] for d in decisions if d["action"] == "compensation_granted"}
    withheld = {
        d["order_id"] for d in decisions if d["action"] == "held_out" and d["rule"] == "experiment_compensation"
    }
    assert granted == {o for o in HUBEI if arm("comp-1", o) == "treatment"}
    assert withheld == {o for o in HUBEI if arm("comp-1", o) == "holdout"}
    sent = _notices(replay.out)
    assert all(("shipment_delayed", 0) in sent[o] for o in withheld)  # the notice itself is sent


def test_summary_effect_reports_both_arms_with_intervals(replay: Run) -> None:
    experiments = {e["experiment_id"]: e for e in replay.out["summary"]["effect"]["experiments"]}
    assert set(experiments) == {"updates-1", "ann-1", "comp-1"}
    updates = experiments["updates-1"]
    assert (updates["holds_out"], updates["holdout_share"], updates["enough_data"]) == ("staged_updates", 0.5, True)
    every = HUBEI + GUANGDONG
    arms = {a["arm"]: a for a in updates["arms"]}
    for name, figures in arms.items():
        assert figures["orders"] == sum(arm("updates-1", o) == name for o in every)
        assert figures["delayed_orders"] == 32  # the Hubei orders; Guangdong's were extended, not late
        for share in ("wismo_share", "dispute_share"):
            interval = figures[share]
            assert 0 <= interval["low"] <= interval["value"] <= interval["high"] <= 1
        assert figures["rating"]["n"] == figures["reviews"] > 1
        assert figures["rating"]["low"] <= figures["mean_rating"] <= figures["rating"]["high"]
    # Holdout: 16 of 32 asked (every even index); treatment: those with an index divisible by 6.
    asked = {
        name: sum(
            1
            for i, o in enumerate(HUBEI)
            if arm("updates-1", o) == name and (i % 2 == 0 if name == "holdout" else i % 6 == 0)
        )
        for name in arms
    }
    assert {name: arms[name]["delayed_with_wismo"] for name in arms} == asked
    assert {name: arms[name]["wismo_inquiries"] for name in arms} == asked
    # Every inquiry came after the first delay notice (sent the day before).
    assert all(figures["wismo_before_first_notice"] == 0 for figures in arms.values())
    difference = updates["difference"]
    assert difference["wismo_share"]["low"] <= difference["wismo_share"]["value"] <= difference["wismo_share"]["high"]
    assert difference["wismo_share"]["value"] == round(asked["treatment"] / 32 - asked["holdout"] / 32, 4)
    assert updates["verdict"] in {"treatment_fewer_wismo", "no_clear_difference"}
    # Both experiments cover every order of the merchant (each order met both at its first evaluation).
    assert sum(a["orders"] for a in experiments["ann-1"]["arms"]) == len(every)


def test_the_report_csv_and_explain_show_the_experiment(replay: Run) -> None:
    assert f"experiments.{M}.updates-1.treatment.wismo_share_95," in replay.csv
    assert f"experiments.{M}.updates-1.verdict," in replay.csv
    first = HUBEI[0]
    line = (
        f"experiment updates-1 (staged_updates held out from 50% of orders): assigned to the {arm('updates-1', first)}"
    )
    assert line + " arm" in replay.explained[first]
