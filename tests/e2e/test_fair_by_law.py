"""Fair by law end to end (issue 16, "Done when"): a US shop and a Chinese shop side by side over
two months, replayed through ``simulate`` (tests/e2e/scenarios/fair_by_law.json) with four-hour ticks:
every deadline checked here is days long (a two-hour tick gave the same checks twice the replay time).

Each shop has four orders paid at the same instant with a 48-hour promise: one ships on time, one
ships 20 days late (the buyer stays silent), one never ships (silent), and one whose buyer accepts
the delay (``delay.accepted``) and which ships 40 days late.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from delaydesk_local.simulate import Scenario, SimulationResult, run

pytestmark = pytest.mark.e2e
SCENARIO = Path(__file__).parent / "scenarios" / "fair_by_law.json"
PROMISED = datetime.fromisoformat("2020-03-04T17:00:00+00:00")  # paid 2020-03-02 17:00 UTC + 48 h
SHIPPED_LATE = datetime.fromisoformat("2020-03-24T17:00:00+00:00")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def replay() -> SimulationResult:
    return run(Scenario.model_validate(json.loads(SCENARIO.read_text(encoding="utf-8"))))


def _notices(result: SimulationResult, order_id: str) -> list[dict[str, Any]]:
    return sorted((n for n in result.notices if n["order_id"] == order_id), key=lambda n: n["sent_at"])


def _decisions(result: SimulationResult, order_id: str, action: str) -> list[dict[str, Any]]:
    return [d for d in result.decisions if d["order_id"] == order_id and d["action"] == action]


@pytest.mark.parametrize("order_id", ["US-ONTIME", "CN-ONTIME"])
def test_an_order_on_time_gets_nothing(replay: SimulationResult, order_id: str) -> None:
    assert _notices(replay, order_id) == []
    assert [d for d in replay.decisions if d["order_id"] == order_id] == []


def test_a_us_order_20_days_late_with_a_silent_buyer_is_told_and_not_cancelled(replay: SimulationResult) -> None:
    notices = _notices(replay, "US-LATE20")
    assert notices[0]["kind"] == "shipment_delayed" and _at(notices[0]["sent_at"]) < PROMISED
    assert _decisions(replay, "US-LATE20", "order_cancelled") == []
    assert all(_at(n["sent_at"]) < SHIPPED_LATE for n in notices)  # and nothing once it ships on


def test_a_us_order_that_never_ships_gets_an_option_a_renewal_and_is_cancelled_once_then_silence(
    replay: SimulationResult,
) -> None:
    notices = _notices(replay, "US-NEVER")
    kinds = [n["kind"] for n in notices]
    # The delay option before the promise, then the renewed option asking for express consent.
    assert kinds[0] == "shipment_delayed" and _at(notices[0]["sent_at"]) < PROMISED
    assert kinds.count("delay_consent_request") == 1
    assert kinds.index("delay_consent_request") > 0
    (cancelled,) = _decisions(replay, "US-NEVER", "order_cancelled")
    assert cancelled["rule"] == "us_ftc_no_consent"
    assert PROMISED < _at(cancelled["at"]) <= PROMISED + timedelta(days=30)
    # Its cancellation notice is the last thing it hears.
    assert kinds[-1] == "order_cancelled" and kinds.count("order_cancelled") == len(
        [n for n in notices if n["kind"] == "order_cancelled"]
    )
    assert all(_at(n["sent_at"]) <= _at(cancelled["at"]) for n in notices)
    # The refund was never confirmed (no refund.issued): a person is asked to act.
    assert [e["reason"] for e in replay.escalations if e["order_id"] == "US-NEVER"][-1] == "refund_overdue"


def test_a_us_buyer_who_accepts_is_never_cancelled(replay: SimulationResult) -> None:
    assert _decisions(replay, "US-ACCEPT", "order_cancelled") == []
    (accepted,) = _decisions(replay, "US-ACCEPT", "delay_accepted")
    assert accepted["rule"] == "us_ftc"
    kinds = [n["kind"] for n in _notices(replay, "US-ACCEPT")]
    assert kinds[0] == "shipment_delayed" and "delay_consent_request" not in kinds


@pytest.mark.parametrize("order_id", ["CN-NEVER", "CN-LATE20", "CN-ACCEPT"])
def test_a_chinese_buyer_with_the_same_timeline_is_told_and_never_cancelled(
    replay: SimulationResult, order_id: str
) -> None:
    notices = _notices(replay, order_id)
    assert notices[0]["kind"] == "shipment_delayed" and notices[0]["locale"] == "zh-CN"
    assert _at(notices[0]["sent_at"]) >= PROMISED  # the platform's promise, no option before it
    assert "delay_consent_request" not in [n["kind"] for n in notices]
    assert _decisions(replay, order_id, "order_cancelled") == []


def test_nothing_is_lost(replay: SimulationResult) -> None:
    assert replay.summary["notices_failed"] == 0
    assert set(replay.summary["dead_lettered"].values()) == {0}
    assert replay.summary["orders_by_status"] == {"cancelled": 1, "delivered": 6, "paid": 1}
