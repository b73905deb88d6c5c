"""`delaydesk simulate` as ../shared/contracts/scenario.md specifies it, and `make demo`'s engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import load_event, paid, scan, shipped

from delaydesk.cli import main
from delaydesk_local.demo import BUNDLED, run_demo
from delaydesk_local.scenario_gen import STEADY, spring_festival_2020

pytestmark = pytest.mark.e2e


def _scenario(**overrides: Any) -> dict[str, Any]:
    merchant = load_event("contract/merchant")
    events = [
        paid("S-1", "2020-01-20T10:00:00+08:00"),
        paid("S-2", "2020-01-20T11:00:00+08:00", customer={"locale": "en", "name": "Bob"}),
        shipped("S-2", "2020-01-20T20:00:00+08:00"),
        scan("S-2", "2020-01-21T06:00:00+08:00"),
    ]
    return {
        "start": "2020-01-20T08:00:00+08:00",
        "end": "2020-01-24T12:00:00+08:00",
        "tick_minutes": 60,
        "merchants": [merchant],
        "windows": [],
        "events": events,
        **overrides,
    }


def _nest(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = [value]
    return value


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_simulate_json_follows_the_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(_write(tmp_path, _scenario())), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"notices", "decisions", "escalations", "alerts", "rejected", "orders", "summary"} <= set(out)
    assert out["rejected"] == []
    assert [(o["order_id"], o["state"], o["shipment"] and o["shipment"]["scans"]) for o in out["orders"]] == [
        ("S-1", "paid", None),
        ("S-2", "shipped", 1),
    ]
    for notice in out["notices"]:
        assert set(notice) == {"order_id", "kind", "stage", "channel", "locale", "to", "subject", "sent_at"}
    for decision in out["decisions"]:
        assert set(decision) == {"order_id", "action", "at", "rule", "window_id"}
    assert [(d["order_id"], d["action"], d["rule"]) for d in out["decisions"]] == [
        ("S-1", "delay_detected", "ship_by"),
        ("S-1", "late_shipment_recorded", "ship_by"),
        ("S-2", "delay_detected", "stalled_in_transit"),
    ]
    assert [(n["order_id"], n["kind"], n["stage"], n["locale"]) for n in out["notices"]] == [
        ("S-1", "shipment_delayed", 0, "zh-CN"),
        ("S-2", "in_transit_delayed", 0, "en"),
        ("S-1", "delay_update", 1, "zh-CN"),
    ]
    assert out["summary"]["orders"] == 2 and out["summary"]["notices"] == 3
    assert all(d["window_id"] is None for d in out["decisions"])
    assert out["decisions"][0]["at"] == "2020-01-21T02:00:00Z"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s | {"end": s["start"]}, "end must be after start"),
        (lambda s: s | {"events": [*s["events"], {"type": "order.vanished", "event_id": "x"}]}, "'at' must be"),
        (lambda s: s | {"events": [*s["events"], {"type": "x", "at": "0001-01-01T00:00:00+14:00"}]}, "'at' must be"),
        (lambda s: s | {"events": [*s["events"], "not an object"]}, "events.4"),
        (lambda s: s | {"windows": _nest(100)}, "nested beyond reason"),
        (lambda s: s | {"tick_minutes": 0}, "tick_minutes"),
    ],
)
def test_a_malformed_scenario_exits_2_with_one_line(tmp_path: Path, mutate: Any, message: str) -> None:
    path = _write(tmp_path, mutate(_scenario()))
    done = subprocess.run(
        [sys.executable, "-m", "delaydesk.cli", "simulate", str(path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr


def test_not_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    assert main(["simulate", str(path)]) == 2


def test_the_demo_prints_a_summary_and_fills_the_outbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Seed 51: the bounce+ customer pays on 19 January, so ten days (two-hour ticks) show its
    # feedback and the suppression that follows it.
    small = spring_festival_2020(orders=30, seed=51, steady_per_day=0)
    small["end"] = "2020-01-25T00:00:00+08:00"
    small["tick_minutes"] = 120
    small["events"] = [e for e in small["events"] if e["at"] < small["end"]]
    assert run_demo(tmp_path / "outbox", _write(tmp_path, small)) == 0
    out = capsys.readouterr().out
    assert "DelayDesk simulation summary" in out and "Notices, by locale" in out
    # One customer has bounce+…@simulator.amazonses.com: the configuration set's feedback shows.
    feedback = out.split("E-mail feedback (SES events), by type", 1)[1]
    assert "Bounce" in feedback and "Delivery" in feedback
    assert "addresses: hard_bounce" in out
    index = (tmp_path / "outbox" / "index.html").read_text(encoding="utf-8")
    files = [p for p in (tmp_path / "outbox").rglob("*") if p.is_file() and p.name != "index.html"]
    assert files, "no notice written"
    assert all(f.relative_to(tmp_path / "outbox").as_posix() in index for f in files)
    html = next(f for f in files if f.suffix == ".html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # each merchant's daily digest of the last whole day, as HTML e-mail and CSV
    digests = sorted(p.name for p in (tmp_path / "outbox" / "digests").iterdir())
    assert len(digests) == 2 * len(small["merchants"]) and all(
        n.endswith("2020-01-24.csv") or n.endswith("2020-01-24.html") for n in digests
    )


def test_the_bundled_disruption_raises_an_alert_for_its_busy_lane(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13 item 6: the bundled scenario's busy lane (m-gadgets, SF to Hubei: the scope with the
    ordinary traffic the detector needs) stalls at the Wuhan lockdown and the demo prints the alert
    with its proposed window. The lane's own orders of the bundled file (every other order is
    another scope's, so leaving them out changes no figure of this one), replayed to 25 January, with
    their merchant only (the early warning reads every merchant's counters each hour)."""
    bundled = json.loads(BUNDLED.read_text(encoding="utf-8"))
    merchant_id, carrier, region = STEADY
    lane = {
        e["order"]["order_id"]
        for e in bundled["events"]
        if e["type"] == "order.paid"
        and e["merchant_id"] == merchant_id
        and e["order"]["destination"]["region"] == region
    }
    lane -= {e["order_id"] for e in bundled["events"] if e["type"] == "order.shipped" and e["carrier"] != carrier}
    assert len(lane) >= 80
    end = "2020-01-25T14:00:00+08:00"
    bundled["events"] = [e for e in bundled["events"] if e["at"] < end and e.get("order_id", "") in lane | {""}]
    bundled["events"] = [e for e in bundled["events"] if e["type"] != "order.paid" or e["order"]["order_id"] in lane]
    bundled["end"] = end
    # the other merchants have no event left
    bundled["merchants"] = [m for m in bundled["merchants"] if m["merchant_id"] == merchant_id]
    assert run_demo(tmp_path / "outbox", _write(tmp_path, bundled)) == 0
    out = capsys.readouterr().out
    alerts = out.split("Early-warning alerts (", 1)[1]
    assert not alerts.startswith("0)")
    assert f"{merchant_id}  {carrier} -> {region}" in alerts
    assert "proposes window w-" in alerts and "2020-01-23T02:00:00+00:00" in alerts  # from the lockdown
    assert "declare it: delaydesk windows declare --from-alert spike-" in alerts
