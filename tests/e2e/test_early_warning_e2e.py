"""The early warning end to end (issue 13, "Done when"): ordinary traffic across carriers and regions
with their usual stalls, and one carrier's disruption to one region, replayed through ``simulate``."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from delaydesk_local.disruption_gen import Disruption, disruption_scenario
from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e

HALT = Disruption(carrier="ZTO", region="CN-HB", day=3, days=3)


def test_one_disruption_raises_one_alert_for_its_scope_and_resolves() -> None:
    data = disruption_scenario(
        days=8,
        carriers=("SF", "ZTO"),
        regions=("CN-HB", "CN-ZJ"),
        per_day=2,
        hot_per_day=16,
        disruption=HALT,
        tick_minutes=120,
    )
    started = time.monotonic()
    result = run(Scenario.model_validate(data))
    print(f"\n{len(data['events'])} events, {result.summary['orders']} orders in {time.monotonic() - started:.0f} s")
    carrier_of = {e["order_id"]: e["carrier"] for e in data["events"] if e["type"] == "order.shipped"}
    region_of = {
        e["order"]["order_id"]: e["order"]["destination"]["region"] for e in data["events"] if e["type"] == "order.paid"
    }
    stalls = [d for d in result.decisions if d["action"] == "delay_detected" and d["rule"].startswith("stalled")]
    hot = [d for d in stalls if (carrier_of[d["order_id"]], region_of[d["order_id"]]) == (HALT.carrier, HALT.region)]
    ordinary = [d for d in stalls if d not in hot]
    assert len(hot) >= 20 and ordinary, "the scenario has its disruption and its ordinary stalls"

    alerts = result.alerts
    assert 1 <= len(alerts) <= 2, alerts
    halted = [datetime.fromisoformat(d["at"]) for d in hot]
    first_stall = min(at for at in halted if HALT.starts <= at <= HALT.ends)
    for alert in alerts:
        assert alert["kind"] == "delay_spike" and alert["merchant_id"] == "m-teahouse"
        assert alert["scope"] == {"carriers": [HALT.carrier], "regions": [HALT.region]}
        window = alert["proposed_window"]
        assert window["scope"] == {"carriers": [HALT.carrier], "regions": [HALT.region], "channels": []}
        assert window["merchant_id"] == "m-teahouse" and window["rules"]["exempt_service_metrics"] is True
    opened = datetime.fromisoformat(alerts[0]["opened_at"])
    assert first_stall <= opened <= first_stall + timedelta(days=1)
    # Resolved once parcels move again (they do at the end of the halt, within half a day).
    assert all(a["resolved_at"] for a in alerts)
    resolved = datetime.fromisoformat(alerts[-1]["resolved_at"])
    assert HALT.ends <= resolved <= HALT.ends + timedelta(days=2)
    # Every stalled parcel still got its own notice.
    noticed = {n["order_id"] for n in result.notices if n["kind"] == "in_transit_delayed"}
    assert {d["order_id"] for d in stalls} <= noticed
