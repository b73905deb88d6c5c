"""The embedded SES's event emulation, without AWS: mailbox simulator outcomes, which events a
send produces, which event destinations publish them, and the demo customers who use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from delaydesk_local.scenario_gen import spring_festival_2020
from delaydesk_local.ses_events import (
    BOUNCE_AFTER,
    DELIVERY_AFTER,
    Outcome,
    SentEmail,
    events_for,
    matches,
    simulator_outcome,
    stamp,
)

SENT_AT = datetime(2020, 1, 24, 4, 0, tzinfo=UTC)


def _sent(*recipients: str) -> SentEmail:
    return SentEmail(
        message_id="0100016fd5b4e920-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee-000000",
        source="service@teahouse.example",
        source_arn="arn:aws:ses:us-east-1:123456789012:identity/teahouse.example",
        account_id="123456789012",
        to=list(recipients),
        destination=list(recipients),
        subject="订单 #T-1 发货延迟",
        headers=[{"name": "From", "value": "service@teahouse.example"}],
        tags={"order_id": "T-1", "kind": "shipment_delayed", "stage": "0"},
        configuration_set="delaydesk-local",
        sent_at=SENT_AT,
        caller_identity="dispatch-role",
    )


@pytest.mark.parametrize(
    ("address", "outcome"),
    [
        ("success@simulator.amazonses.com", Outcome.DELIVERED),
        ("bounce@simulator.amazonses.com", Outcome.BOUNCED),
        ("bounce+order42@simulator.amazonses.com", Outcome.BOUNCED),
        ("Bounce+X@Simulator.AmazonSES.com", Outcome.BOUNCED),
        ("ooto@simulator.amazonses.com", Outcome.AUTO_REPLIED),
        ("complaint+a+b@simulator.amazonses.com", Outcome.COMPLAINED),
        ("suppressionlist@simulator.amazonses.com", Outcome.SUPPRESSED),
        ("Customer <suppressionlist+1@simulator.amazonses.com>", Outcome.SUPPRESSED),
        ("nobody@simulator.amazonses.com", Outcome.DELIVERED),
        ("bounce@mail.example", Outcome.DELIVERED),
        ("bounce@simulator.amazonses.com.example", Outcome.DELIVERED),
    ],
)
def test_simulator_addresses_and_their_labels(address: str, outcome: Outcome) -> None:
    assert simulator_outcome(address) == outcome


@pytest.mark.parametrize(
    ("address", "types"),
    [
        ("wang.fang@mail.example", ["Send", "Delivery"]),
        ("success@simulator.amazonses.com", ["Send", "Delivery"]),
        ("ooto@simulator.amazonses.com", ["Send", "Delivery"]),
        ("complaint@simulator.amazonses.com", ["Send", "Delivery", "Complaint"]),
        ("bounce@simulator.amazonses.com", ["Send", "Bounce"]),
        ("suppressionlist@simulator.amazonses.com", ["Send", "Bounce"]),
    ],
)
def test_each_outcome_publishes_what_ses_publishes(address: str, types: list[str]) -> None:
    events = events_for(_sent(address))
    assert [e["eventType"] for e in events] == types
    assert all(e["mail"]["messageId"] == _sent().message_id for e in events)
    assert events[0]["send"] == {}


def test_bounce_kinds_and_times() -> None:
    (_, general) = events_for(_sent("bounce@simulator.amazonses.com"))
    assert general["bounce"]["bounceType"] == "Permanent" and general["bounce"]["bounceSubType"] == "General"
    (recipient,) = general["bounce"]["bouncedRecipients"]
    assert recipient == {
        "emailAddress": "bounce@simulator.amazonses.com",
        "action": "failed",
        "status": "5.1.1",
        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
    }
    assert general["bounce"]["timestamp"] == stamp(SENT_AT + BOUNCE_AFTER) == "2020-01-24T04:00:00.800Z"
    (_, listed) = events_for(_sent("suppressionlist@simulator.amazonses.com"))
    assert listed["bounce"]["bounceSubType"] == "OnAccountSuppressionList"


def test_one_send_to_several_recipients_groups_them_by_outcome() -> None:
    sent = _sent(
        "a@mail.example",
        "bounce+1@simulator.amazonses.com",
        "bounce+2@simulator.amazonses.com",
        "complaint@simulator.amazonses.com",
    )
    events = events_for(sent)
    assert [e["eventType"] for e in events] == ["Send", "Bounce", "Delivery", "Complaint"]
    bounce, delivery, complaint = events[1:]
    assert [r["emailAddress"] for r in bounce["bounce"]["bouncedRecipients"]] == [
        "bounce+1@simulator.amazonses.com",
        "bounce+2@simulator.amazonses.com",
    ]
    assert delivery["delivery"]["recipients"] == ["a@mail.example", "complaint@simulator.amazonses.com"]
    assert complaint["complaint"]["complainedRecipients"] == [{"emailAddress": "complaint@simulator.amazonses.com"}]
    assert complaint["complaint"]["timestamp"] > delivery["delivery"]["timestamp"]
    assert delivery["delivery"]["processingTimeMillis"] == DELIVERY_AFTER / timedelta(milliseconds=1)


def test_tags_are_lists_as_ses_gives_them_and_events_are_reproducible() -> None:
    (send, delivery) = events_for(_sent("wang.fang@mail.example"))
    assert delivery["mail"]["tags"] == {
        "ses:configuration-set": ["delaydesk-local"],
        "ses:source-ip": ["127.0.0.1"],
        "ses:from-domain": ["teahouse.example"],
        "ses:caller-identity": ["dispatch-role"],
        "ses:outgoing-ip": ["192.0.2.0"],
        "order_id": ["T-1"],
        "kind": ["shipment_delayed"],
        "stage": ["0"],
    }
    assert "ses:outgoing-ip" not in send["mail"]["tags"]  # not sent out yet
    complaint = "complaint@simulator.amazonses.com"
    assert events_for(_sent(complaint)) == events_for(_sent(complaint))


def test_a_destination_publishes_only_the_types_it_matches_and_only_when_enabled() -> None:
    template = {"Enabled": True, "MatchingEventTypes": ["delivery", "bounce", "complaint", "renderingFailure"]}
    assert [t for t in ("Send", "Delivery", "Bounce", "Complaint", "Open") if matches(template, t)] == [
        "Delivery",
        "Bounce",
        "Complaint",
    ]
    assert matches(template, "Rendering Failure")
    assert matches({"Enabled": True, "MatchingEventTypes": ["RENDERING_FAILURE", "DELIVERY_DELAY"]}, "DeliveryDelay")
    assert not matches({**template, "Enabled": False}, "Delivery")


def test_the_bundled_scenario_is_generated_and_gives_three_waiting_customers_simulator_addresses() -> None:
    bundled = Path(__file__).parents[2] / "scenarios" / "spring_festival_2020.json"
    scenario = spring_festival_2020()
    assert json.loads(bundled.read_text(encoding="utf-8")) == scenario  # regenerated, not edited by hand
    events = scenario["events"]
    orders = [e["order"] for e in events if e["type"] == "order.paid"]
    simulated = {o["order_id"]: o["customer"] for o in orders if "@simulator." in o["customer"].get("email", "")}
    assert [simulator_outcome(c["email"]) for c in simulated.values()] == [
        Outcome.BOUNCED,
        Outcome.COMPLAINED,
        Outcome.SUPPRESSED,
    ]
    assert all(c["phone"] and order_id.lower() in c["email"] for order_id, c in simulated.items())
    later = {e["type"] for e in events if e.get("order_id") in simulated}
    assert not later & {"order.shipped", "refund.requested", "cancel.requested"}  # they wait: several e-mails
