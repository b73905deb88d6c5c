"""``summary.effect`` end to end (issue 14): inquiries before and after the first delay notice, a
dispute and reviews go through the queues, and a scenario that holds every event twice yields the
same figures; bad inquiries and reviews are listed in ``rejected``."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import load_event, paid, scan, shipped

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core.stats import totals
from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e
EFFECT_COUNTERS = (
    "delayed_orders",
    "wismo_delayed_before",
    "wismo_delayed_after",
    "disputes_delayed",
    "reviews_delayed",
    "rating_sum_delayed",
)

M = "m-teahouse"


def _contact(kind: str, event_id: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": event_id, "at": at, **fields}


def _events() -> list[dict[str, Any]]:
    return [
        paid("E-1", "2020-01-20T10:00:00+08:00"),  # never ships: delayed at its ship-by, 2020-01-21T02:00Z
        paid("E-2", "2020-01-20T11:00:00+08:00", customer={"locale": "en", "name": "Bob"}),
        shipped("E-2", "2020-01-20T20:00:00+08:00"),
        scan("E-2", "2020-01-21T18:00:00+08:00", "delivered"),
        # Before E-1's first delay notice (the notice came too late): classified from its text.
        _contact("inquiry.received", "in-1", "2020-01-21T09:00:00+08:00", order_id="E-1", text="我的快递到哪了？"),
        _contact("inquiry.received", "in-2", "2020-01-21T15:00:00+08:00", order_id="E-1", topic="where_is_my_order"),
        # The sender's topic wins over the text; not a WISMO.
        _contact(
            "inquiry.received", "in-3", "2020-01-22T09:00:00+08:00", order_id="E-1", topic="refund", text="到哪了"
        ),
        _contact("inquiry.received", "in-4", "2020-01-21T08:00:00+08:00", order_id="E-2", text="Where is my order?"),
        _contact("inquiry.received", "in-5", "2020-01-21T10:00:00+08:00", merchant_id=M, text="tracking please"),
        _contact("dispute.opened", "dp-1", "2020-01-23T10:00:00+08:00", order_id="E-1", reason="never shipped"),
        _contact("review.posted", "rv-1", "2020-01-23T11:00:00+08:00", order_id="E-1", rating=2),
        _contact("review.posted", "rv-2", "2020-01-23T12:00:00+08:00", order_id="E-1", rating=3),  # replaces rv-1
        _contact("review.posted", "rv-3", "2020-01-22T12:00:00+08:00", order_id="E-2", rating=5),
        # Refused at the edge, listed in `rejected`.
        _contact("review.posted", "rv-bad", "2020-01-22T12:00:00+08:00", order_id="E-2", rating=7),
        _contact("inquiry.received", "in-bad", "2020-01-22T12:00:00+08:00", topic="where_is_my_order"),
        _contact("inquiry.received", "in-bad-2", "2020-01-22T12:00:00+08:00", order_id="E-2", topic="lost"),
    ]


WINDOW = {  # covers E-1's delay (detected 2020-01-21T02:00Z), not E-2 (paid and shipped before it)
    "window_id": "hubei-snow",
    "merchant_id": M,
    "reason": "extreme_weather",
    "starts_at": "2020-01-21T08:00:00+08:00",
    "ends_at": "2020-01-22T08:00:00+08:00",
    "scope": {"regions": ["CN-HB"], "carriers": [], "channels": []},
}


@dataclass
class Run:
    out: dict[str, Any] = field(default_factory=dict)
    counters: Counter[str] = field(default_factory=Counter)
    csv: str = ""
    text: str = ""
    window_csv: str = ""


def _simulate(capsys: pytest.CaptureFixture[str], events: list[dict[str, Any]]) -> Run:
    scenario = {
        "start": "2020-01-20T08:00:00+08:00",
        "end": "2020-01-24T12:00:00+08:00",
        "tick_minutes": 60,
        "merchants": [load_event("contract/merchant")],
        "windows": [WINDOW],
        "events": events,
    }
    seen = Run()

    def finish(_: Any) -> None:
        seen.counters = totals(store.all_counter_rows())
        stack = ["--stack-name", "delaydesk-local"]
        capsys.readouterr()
        assert main(["report", "effect", "--merchant", M, "--csv", *stack]) == 0
        seen.csv = capsys.readouterr().out
        assert main(["report", "effect", *stack]) == 0
        seen.text = capsys.readouterr().out
        assert main(["report", "effect", "--merchant", M, "--window", WINDOW["window_id"], "--csv", *stack]) == 0
        seen.window_csv = capsys.readouterr().out
        assert main(["report", "effect", "--window", "nope", *stack]) == 2

    result = run(Scenario.model_validate(scenario), on_finish=finish)
    seen.out = result.contract()
    return seen


EXPECTED = {
    "delayed_orders": 1,
    "wismo_inquiries": 2,
    "wismo_per_100_delayed": 200.0,
    "wismo_before_first_notice": 1,
    "wismo_after_first_notice": 1,
    "disputes": 1,
    "mean_rating": 3.0,
    "reviews": 1,
    "on_time": {
        "orders": 1,
        "wismo_inquiries": 1,
        "wismo_per_100_orders": 100.0,
        "disputes": 0,
        "mean_rating": 5.0,
        "reviews": 1,
    },
    "inquiries_by_topic": {"refund": 1, "where_is_my_order": 4},
    "inquiries_without_order": 1,
    "experiments": [],
}


def test_effect_counts_inquiries_disputes_and_reviews_once(capsys: pytest.CaptureFixture[str]) -> None:
    once = _simulate(capsys, _events())
    effect = once.out["summary"]["effect"]
    assert {k: effect[k] for k in EXPECTED} == EXPECTED  # every key of the first slice, unchanged
    assert effect["by_merchant"] == {M: {k: v for k, v in effect.items() if not k.startswith("by_")}}
    in_window = effect["by_window"]["hubei-snow"]
    assert (in_window["delayed_orders"], in_window["wismo_inquiries"], in_window["on_time"]["orders"]) == (1, 2, 0)
    assert in_window["inquiries_without_order"] == 0  # an order-less inquiry belongs to no incident
    assert effect["by_alert"] == {}  # two orders raise no alert
    assert effect["choices"]["wait"] == 0 and effect["notices_opened"] is None
    first = min(n["sent_at"] for n in once.out["notices"] if n["order_id"] == "E-1")
    assert first == "2020-01-21T02:00:00Z"  # between in-1 (01:00Z) and in-2 (07:00Z)
    assert {(r["event_id"], r["category"]) for r in once.out["rejected"]} == {
        ("rv-bad", "invalid"),
        ("in-bad", "invalid"),
        ("in-bad-2", "invalid"),
    }
    counted = once.counters
    assert (counted["inquiries"], counted["disputes"], counted["reviews"], counted["rating_sum"]) == (5, 1, 2, 8)
    assert counted["inquiry_topics#where_is_my_order"] == 4
    assert counted["inquiries_without_order#where_is_my_order"] == 1
    # The report reads the same figures from the deployed stack's tables.
    sheet = {(r["scope"], r["id"]): r for r in csv.DictReader(io.StringIO(once.csv))}
    assert set(sheet) == {("overall", ""), ("merchant", M), ("window", "hubei-snow")}
    overall = sheet[("overall", "")]
    assert (overall["wismo_before_first_notice"], overall["mean_rating"], overall["inquiries_without_order"]) == (
        "1",
        "3.0",
        "1",
    )
    assert overall["on_time.mean_rating"] == "5.0" and overall["choices.wait"] == "0"
    assert sheet[("window", "hubei-snow")]["inquiries.refund"] == "1"
    window_sheet = list(csv.DictReader(io.StringIO(once.window_csv)))
    assert [(r["scope"], r["id"], r["delayed_orders"]) for r in window_sheet] == [
        ("overall", "", "1"),
        ("merchant", M, "1"),
        ("window", "hubei-snow", "1"),
    ]
    assert "every merchant" in once.text and "wismo_per_100_delayed" in once.text
    assert "window hubei-snow" in once.text.splitlines()[1]  # a column per incident
    # The digest's effect counters agree with the report (the inquiry before E-1's delay was
    # detected moved to "before" when it was; the review and the dispute came after).
    counted_effect = {k: counted[k] for k in EFFECT_COUNTERS}
    assert counted_effect == {
        "delayed_orders": 1,
        "wismo_delayed_before": 1,
        "wismo_delayed_after": 1,
        "disputes_delayed": 1,
        "reviews_delayed": 1,
        "rating_sum_delayed": 3,
    }

    twice = _simulate(capsys, [e for e in _events() for _ in range(2)])
    assert twice.out["summary"]["effect"] == once.out["summary"]["effect"]
    assert {r["event_id"] for r in twice.out["rejected"]} == {"rv-bad", "in-bad", "in-bad-2"}
    assert twice.counters == once.counters
