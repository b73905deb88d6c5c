"""Issue 11 items 9 and 10 end to end through `delaydesk simulate`: a 17TRACK push of the collection
scan (tagged in transit by the vendor), then silence, is `stalled_after_pickup` at its own threshold."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import load_event, paid, shipped

from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e


def _picked_up_push(number: str, at_utc: str) -> dict[str, Any]:
    push = copy.deepcopy(load_event("seventeentrack_webhook_tracking_updated"))
    info = push["data"]["track_info"]
    push["data"]["number"] = number
    info["latest_status"] = {"status": "InTransit", "sub_status": "InTransit_PickedUp", "sub_status_descr": None}
    info["latest_event"] = {**info["latest_event"], "time_iso": None, "time_utc": at_utc, "description": "Pickup Scan"}
    return push


def test_a_collection_scan_then_silence_is_stalled_after_pickup_not_in_transit() -> None:
    merchant = load_event("contract/merchant")
    merchant["settings"] = {
        **merchant["settings"],
        "stall_thresholds": [{"rule": "stalled_after_pickup", "hours": 24}],
    }
    scenario = Scenario.model_validate(
        {
            "start": "2020-01-20T00:00:00Z",
            "end": "2020-01-24T00:00:00Z",
            "tick_minutes": 60,
            "merchants": [merchant],
            "events": [
                paid("V-1", "2020-01-20T10:00:00+08:00"),
                shipped("V-1", "2020-01-20T18:00:00+08:00", carrier="UPS", tracking_number="1Z999AA10123456784"),
                {
                    "type": "webhook",
                    "at": "2020-01-21T01:00:00Z",
                    "source": "17track",
                    "payload": _picked_up_push("1Z999AA10123456784", "2020-01-21T00:30:00Z"),
                },
            ],
        }
    )
    out = run(scenario).contract()
    assert out["summary"]["webhooks_by_status"] == {"202": 1}
    decisions = [(d["action"], d["rule"], d["at"]) for d in out["decisions"] if d["order_id"] == "V-1"]
    # 24 h after the pickup scan (its own threshold), on the next hourly tick.
    assert decisions[:1] == [("delay_detected", "stalled_after_pickup", "2020-01-22T01:00:00Z")]
    assert {n["kind"] for n in out["notices"] if n["order_id"] == "V-1"} == {"in_transit_delayed"}
