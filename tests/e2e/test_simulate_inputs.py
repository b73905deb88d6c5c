"""`simulate` feeds every event as a producer would send it: nothing about one event stops the run,
and each event ends applied or listed in `rejected` with a reason (contract, "malformed")."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import load_event, paid, scan, shipped

from delaydesk.cli import main

pytestmark = pytest.mark.e2e

GENERIC_SECRET = "a-secret-only-this-scenario-knows"


def _nest(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"x": value}
    return value


def _generic_entry(at: str, event: dict[str, Any], merchant: str) -> dict[str, Any]:
    """Signed as the README documents the generic source (``sha256=HMAC(secret, "<ts>.<body>")``),
    with hashlib, not the project's signing code; posted with exactly these headers."""
    body = json.dumps(event, ensure_ascii=False)
    stamp = int(datetime.fromisoformat(at).timestamp())
    digest = hmac.new(GENERIC_SECRET.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-delaydesk-merchant": merchant,
        "x-delaydesk-timestamp": str(stamp),
        "x-delaydesk-signature": f"sha256={digest}",
    }
    return {
        "type": "webhook",
        "at": at,
        "source": "generic",
        "payload": body,
        "headers": headers,
        "event_id": event["event_id"],
    }


def _hostile_scenario() -> dict[str, Any]:
    teahouse = load_event("contract/merchant")
    other = teahouse | {"merchant_id": "m-other", "name": "Other Shop", "from_email": "shop@other.example"}
    first_scan = scan("S-2", "2020-01-21T06:00:00+08:00")
    wrong = paid("S-bad", "2020-01-21T07:00:00+08:00")
    wrong = wrong | {"event_id": "E-wrong-field", "order": wrong["order"] | {"ship_within_hours": "soon"}}
    events: list[Any] = [
        paid("S-1", "2020-01-20T10:00:00+08:00"),
        paid("S-2", "2020-01-20T11:00:00+08:00"),
        shipped("S-2", "2020-01-20T20:00:00+08:00"),
        first_scan,
        first_scan,  # a redelivery: changes nothing
        first_scan | {"status": "exception"},  # the same id, other content: a conflict
        {"type": "order.vanished", "event_id": "E-unknown", "at": "2020-01-21T07:00:00+08:00"},
        wrong,
        scan("S-2", "9000-01-21T08:00:00+08:00") | {"event_id": "E-year-9000"},
        scan("S-2", "2020-01-22T08:00:00+08:00", message=_nest(40)) | {"event_id": "E-deep"},
        scan("S-2", "2020-01-22T08:00:00+08:00", message="长" * 40_000) | {"event_id": "E-large"},
        scan("S-2", "2020-01-22T08:00:00+08:00", message="x" * 300_000) | {"event_id": "E-huge"},
        scan("S-2", "2020-01-22T09:00:00+08:00", location="\ud800") | {"event_id": "E-surrogate"},
        paid("S-3", "2020-01-20T12:00:00+08:00", merchant_id="m-other") | {"merchant_id": "m-other"},
        shipped("S-3", "2020-01-20T21:00:00+08:00"),
        # m-teahouse's generic sender naming m-other's order: beyond its authority.
        _generic_entry(
            "2020-01-22T10:00:00+08:00",
            scan("S-3", "2020-01-22T09:30:00+08:00", status="delivered") | {"event_id": "G-foreign"},
            "m-teahouse",
        ),
        # The id the order page uses for S-1's cancel, squatted by a webhook: its own namespace.
        _generic_entry(
            "2020-01-22T11:00:00+08:00",
            scan("S-2", "2020-01-22T10:30:00+08:00") | {"event_id": "order-page-cancel-S-1"},
            "m-teahouse",
        ),
        {
            "type": "cancel.requested",
            "event_id": "order-page-cancel-S-1",
            "at": "2020-01-22T12:00:00+08:00",
            "order_id": "S-1",
        },
        # Two hours before `end`, with six-hour ticks: fed at the last step, at `end`.
        _generic_entry(
            "2020-01-24T10:00:00+08:00",
            scan("S-2", "2020-01-24T09:00:00+08:00", status="delivered") | {"event_id": "G-late"},
            "m-teahouse",
        ),
        {"type": "webhook", "at": "2020-01-22T13:00:00+08:00", "source": "dhl", "payload": {}, "event_id": "W-dhl"},
        {"type": "webhook", "at": "2020-01-22T13:00:00+08:00", "source": "generic", "event_id": "W-no-payload"},
    ]
    return {
        "start": "2020-01-20T08:00:00+08:00",
        "end": "2020-01-24T12:00:00+08:00",
        "tick_minutes": 360,
        "merchants": [teahouse, other],
        "windows": [],
        "webhook_secrets": {"generic:m-teahouse": GENERIC_SECRET},
        "events": events,
    }


def test_every_hostile_event_is_applied_or_listed_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(_hostile_scenario(), ensure_ascii=True), encoding="utf-8")
    assert main(["simulate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rejected: dict[str | None, list[tuple[str, str]]] = {}
    for entry in out["rejected"]:
        assert set(entry) == {"event_id", "category", "reason"} and entry["reason"]
        rejected.setdefault(entry["event_id"], []).append((entry["category"], entry["reason"]))
    categories = {event_id: sorted(c for c, _ in entries) for event_id, entries in rejected.items()}
    assert categories == {
        "scan-S-2-2020-01-21T06:00:00+08:00": ["conflict"],
        "E-unknown": ["invalid"],
        "E-wrong-field": ["invalid"],
        "E-year-9000": ["invalid"],
        "E-deep": ["invalid"],
        "E-large": ["invalid"],
        "E-huge": ["invalid"],
        "E-surrogate": ["invalid"],
        "G-foreign": ["refused"],
        "W-dhl": ["invalid"],
        "W-no-payload": ["invalid"],
    }
    reasons = {event_id: " ".join(r for _, r in entries) for event_id, entries in rejected.items()}
    assert "already used by producer with other content" in reasons["scan-S-2-2020-01-21T06:00:00+08:00"]
    assert "nested" in reasons["E-deep"] and "bytes" in reasons["E-large"]
    assert "bytes" in reasons["E-huge"] or "SQS refused" in reasons["E-huge"]  # moto takes > 256 KiB
    assert "speaks only for merchant m-teahouse" in reasons["G-foreign"]
    assert "HTTP 404" in reasons["W-dhl"]
    orders = {o["order_id"]: o for o in out["orders"]}
    assert set(orders) == {"S-1", "S-2", "S-3"}
    assert orders["S-3"]["state"] == "shipped" and orders["S-3"]["shipment"]["scans"] == 0  # not moved by m-teahouse
    s2 = orders["S-2"]
    assert s2["merchant_id"] == "m-teahouse" and s2["state"] == "delivered"  # the late webhook was fed
    assert s2["shipment"] == {
        "carrier": s2["shipment"]["carrier"],  # normalised by the carrier table (branch vendors)
        "tracking_number": s2["shipment"]["tracking_number"],
        "last_tag": "delivered",
        "last_sub_status": None,
        "last_scan_at": "2020-01-24T01:00:00Z",
        "scans": 3,  # the first scan once (redelivered, conflicted), the squatting webhook's, the late one
    }
    # The customer's cancel was not swallowed by the webhook that took its id first.
    assert orders["S-1"]["state"] in ("cancelled", "refunded") or any(
        d["order_id"] == "S-1" and d["action"] == "order_cancelled" for d in out["decisions"]
    )
