"""Statistics survive duplicate delivery: a scenario replayed with every queue message delivered twice
(order and tracking events, notice requests, SES feedback, alerts) counts exactly the same.
Bounces and complaints counted once: tests/integration/test_stats.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from delaydesk import store
from delaydesk.core.stats import CounterRow, totals
from delaydesk_local import queues
from delaydesk_local.scenario_gen import spring_festival_2020
from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e


def _counters(data: dict[str, Any]) -> list[CounterRow]:
    rows: list[CounterRow] = []
    run(Scenario.model_validate(data), on_finish=lambda _: rows.extend(store.all_counter_rows()))
    return rows


def _twice(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every batch the SQS poller delivers is delivered again before its messages are deleted;
    returns the consumers (logical ids) of the batches delivered twice."""
    batches: list[str] = []
    original = queues.Queues.__init__

    def init(self: queues.Queues, client: Any, bindings: Any, queue_url: Any, invoke: Any, *rest: Any) -> None:
        def twice(logical_id: str, event: dict[str, Any], _invoke: Callable[..., Any] = invoke) -> Any:
            batches.append(logical_id)
            _invoke(logical_id, event)
            return _invoke(logical_id, event)

        original(self, client, bindings, queue_url, twice, *rest)

    monkeypatch.setattr(queues.Queues, "__init__", init)
    return batches


def test_every_message_delivered_twice_gives_the_same_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    # Eleven days with the busy lane (its alert), two-hour ticks: the same counters and consumers as
    # with hourly ones (19 counters, 5 consumers, measured), at two thirds of the time per replay.
    small = spring_festival_2020(orders=14, seed=5)
    small["end"] = "2020-01-26T00:00:00+08:00"
    small["tick_minutes"] = 120
    small["events"] = [e for e in small["events"] if e["at"] < small["end"]]
    once = _counters(small)
    batches = _twice(monkeypatch)
    again = _counters(small)
    # Every queue consumer of the pipeline had its batches delivered twice.
    assert {"IngestEventsFunction", "DispatchNoticesFunction", "SesFeedbackFunction", "DeliverAlertsFunction"} <= set(
        batches
    )
    assert again == once
    total = totals(once)
    # The scenario exercised what is counted: payments, shipments, delays, late shipments, notices.
    assert total["orders_paid"] == sum(1 for e in small["events"] if e["type"] == "order.paid")
    assert total["shipped"] == sum(1 for e in small["events"] if e["type"] == "order.shipped")
    assert any(name.startswith("delays#") for name in total)
    assert total["shipped_late_exempted"] + total["shipped_late_recorded"] > 0
    assert any(name.startswith("notices#") and name.endswith("#sent") for name in total)
    assert total["notices#shipment_delayed#email#bounced"] and total["escalations_opened"]
    assert total["exceptions#incorrect_address"] and total["notices#in_transit_delayed#sms#sent"]
