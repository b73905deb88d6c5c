"""Help-desk webhooks in ``simulate`` (issue 14, item 2): scenario ``webhook`` entries with source
``zendesk``, ``freshdesk`` and ``helpdesk-generic`` are signed as those help desks sign, posted to
``/helpdesk/{source}/{merchant_id}`` and counted in ``summary.effect`` once each."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import load_event, paid

from delaydesk_local.simulate import Scenario, run

pytestmark = pytest.mark.e2e


def _zendesk(at: str, ticket_id: str, created: str, **fields: str) -> dict[str, Any]:
    ticket = load_event("helpdesk/zendesk_trigger_ticket")["ticket"]
    body = {"ticket": {**ticket, "id": ticket_id, "created_at": created, **fields}}
    return {"type": "webhook", "at": at, "source": "zendesk", "payload": body, "event_id": f"zd-{ticket_id}"}


def _events() -> list[dict[str, Any]]:
    freshdesk = load_event("helpdesk/freshdesk_rule_ticket_created")
    freshdesk["freshdesk_webhook"] |= {
        "ticket_subject": "订单号 E-1 到哪了",
        "ticket_created_at": "2020-01-21 16:00:00",  # Asia/Shanghai: 08:00Z, after E-1's first notice
    }
    generic = load_event("helpdesk/helpdesk_generic_inquiry") | {"order_id": "E-1", "at": "2020-01-22T01:00:00Z"}
    first = _zendesk("2020-01-21T09:01:00+08:00", "901", "2020-01-21T01:00Z", order_id="E-1")  # before the notice
    return [
        paid("E-1", "2020-01-20T10:00:00+08:00"),  # never ships: its first delay notice is 2020-01-21T02:00Z
        first,
        first | {"at": "2020-01-21T09:11:00+08:00"},  # Zendesk retries: signed anew, the same ticket
        {"type": "webhook", "at": "2020-01-21T16:01:00+08:00", "source": "freshdesk", "payload": freshdesk},
        {"type": "webhook", "at": "2020-01-22T09:01:00+08:00", "source": "helpdesk-generic", "payload": generic},
        # Signed with a secret the stack does not hold: refused, listed.
        _zendesk("2020-01-22T10:00:00+08:00", "902", "2020-01-22T01:59Z", order_id="E-1")
        | {"headers": {"x-zendesk-webhook-signature": "bm90LXRoaXM=", "x-zendesk-webhook-signature-timestamp": "x"}},
    ]


def test_help_desk_tickets_in_a_scenario_are_counted_once() -> None:
    scenario = {
        "start": "2020-01-20T08:00:00+08:00",
        "end": "2020-01-23T12:00:00+08:00",
        "tick_minutes": 60,
        "merchants": [load_event("contract/merchant")],
        "windows": [],
        "events": _events(),
    }
    out = run(Scenario.model_validate(scenario)).contract()
    effect = out["summary"]["effect"]
    assert (effect["wismo_inquiries"], effect["wismo_before_first_notice"], effect["wismo_after_first_notice"]) == (
        2,
        1,
        1,
    )
    assert effect["inquiries_by_topic"] == {"refund": 1, "where_is_my_order": 2}
    assert effect["inquiries_without_order"] == 0
    assert [(r["event_id"], r["category"]) for r in out["rejected"]] == [("zd-902", "refused")]
    assert "HTTP 401" in out["rejected"][0]["reason"]
