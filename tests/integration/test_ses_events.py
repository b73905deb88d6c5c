"""SES feedback end to end on the deployed template: a notice sent through the configuration set,
the events the embedded SES publishes for it (mailbox simulator outcomes), the event destination
→ SesFeedbackTopic → SesFeedbackQueue → ses_feedback, and what a later notice does about it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import instant, load_event, merchant, notice_request, paid

from delaydesk import store
from delaydesk.core.kinds import Kind
from delaydesk_local.runtime import LOCAL_CONFIGURATION_SET, LocalAws
from delaydesk_local.ses_events import BOUNCE_AFTER, stamp

SENT_AT = instant("2020-01-24T12:00:00+08:00")


def _order(local: LocalAws, order_id: str, email: str) -> None:
    customer = {"email": email, "phone": "+8613800138010"}
    local.send("OrderEventsQueue", json.dumps(paid(order_id, "2020-01-20T10:00:00+08:00", hours=72, customer=customer)))
    local.drain()


def _notice(local: LocalAws, order_id: str, kind: Kind = Kind.SHIPMENT_DELAYED, stage: int = 0) -> None:
    """A delay notice by e-mail, through the Notices queue as scan sends it; drained."""
    request = notice_request(order_id=order_id, kind=kind, stage=stage, requested_at=local.clock or SENT_AT)
    local.send("NoticesQueue", request.model_dump_json())
    local.drain()


def _statuses(order_id: str) -> dict[tuple[str, int, str], str]:
    return {(n.kind, int(n.stage), n.channel): n.status for n in store.all_notices() if n.order_id == order_id}


def _emails_to(local: LocalAws, address: str) -> int:
    sent = [m["message"].destinations["ToAddresses"] for m in local.sent_messages() if m["channel"] == "email"]
    return sum(1 for to in sent if address in to)


def _shape(value: Any) -> Any:
    """Keys and value types, recursively; ``mail.tags`` is a map of tag name → list of strings."""
    if isinstance(value, dict):
        return {k: ("tags" if k == "tags" else _shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_the_stack_is_deployed_with_a_configuration_set_and_the_templates_event_destination(
    local_aws: LocalAws,
) -> None:
    configuration_set = local_aws.client("sesv2").get_configuration_set(ConfigurationSetName=LOCAL_CONFIGURATION_SET)
    assert configuration_set["ConfigurationSetName"] == LOCAL_CONFIGURATION_SET
    dispatch_env = local_aws.functions["DispatchNoticesFunction"].environment
    assert dispatch_env["SES_CONFIGURATION_SET"] == LOCAL_CONFIGURATION_SET
    (destination,) = local_aws.event_destinations(LOCAL_CONFIGURATION_SET)
    assert destination == {
        "Name": "delaydesk-feedback",
        "Enabled": True,
        "MatchingEventTypes": ["delivery", "bounce", "complaint", "open", "click", "reject"],
        "SNSDestination": {"TopicARN": local_aws.stack.physical("SesFeedbackTopic")},
    }
    assert local_aws.stack.physical("SesFeedbackEventDestination") == "delaydesk-feedback"
    reported = [n for n in local_aws.notes if "AWS::SES::ConfigurationSetEventDestination" in n]
    assert len(reported) == 1 and "created through the API" in reported[0]


def test_a_bounce_suppresses_the_address_and_the_next_notice_falls_back(local_aws: LocalAws) -> None:
    address = "bounce@simulator.amazonses.com"
    _order(local_aws, "SB-1", address)
    local_aws.clock = SENT_AT
    _notice(local_aws, "SB-1")
    assert [e["eventType"] for e in local_aws.ses_events] == ["Bounce"]  # the template does not match Send
    assert store.suppression_of(address) == "hard_bounce"
    (feedback,) = store.feedback_of("SB-1")
    assert feedback.sk == "shipment_delayed#0#email#bounce" and feedback.at > SENT_AT
    assert _statuses("SB-1") == {("shipment_delayed", 0, "email"): "sent"}  # SES accepted it; then it bounced

    local_aws.clock = SENT_AT + timedelta(days=3)
    _notice(local_aws, "SB-1", Kind.DELAY_UPDATE, stage=1)
    assert _statuses("SB-1") == {
        ("shipment_delayed", 0, "email"): "sent",
        ("delay_update", 1, "email"): "suppressed",
        ("delay_update", 1, "sms"): "sent",
        ("delay_update", 1, "inbox"): "sent",
    }
    assert _emails_to(local_aws, address) == 1
    assert local_aws.queue_depth("SesFeedbackQueue") == 0 and local_aws.queue_depth("SesFeedbackDLQ") == 0


def test_a_complaint_suppresses_the_address_after_its_delivery(local_aws: LocalAws) -> None:
    address = "complaint+order-sc1@simulator.amazonses.com"  # a labelled simulator address
    _order(local_aws, "SC-1", address)
    local_aws.clock = SENT_AT
    _notice(local_aws, "SC-1")
    assert [e["eventType"] for e in local_aws.ses_events] == ["Delivery", "Complaint"]
    assert store.suppression_of(address) == "complaint"
    assert [f.label for f in store.feedback_of("SC-1")] == ["complaint"]  # the delivery is not written

    local_aws.clock = SENT_AT + timedelta(days=3)
    _notice(local_aws, "SC-1", Kind.DELAY_UPDATE, stage=1)
    statuses = _statuses("SC-1")
    assert statuses[("delay_update", 1, "email")] == "suppressed"
    assert statuses[("delay_update", 1, "sms")] == "sent"
    assert _emails_to(local_aws, address) == 1


def test_the_events_come_in_the_documented_shape_and_a_delivery_is_not_recorded(local_aws: LocalAws) -> None:
    addresses = {
        "SD-1": "wang.fang@mail.example",
        "SD-2": "bounce+sd2@simulator.amazonses.com",
        "SD-3": "complaint@simulator.amazonses.com",
    }
    for order_id, address in addresses.items():
        _order(local_aws, order_id, address)
    local_aws.clock = SENT_AT
    for order_id in addresses:
        _notice(local_aws, order_id)
    assert store.feedback_of("SD-1") == []  # delivered: nothing reads a delivery, so it is not written
    assert store.suppression_of(addresses["SD-1"]) is None
    (bounced,) = store.feedback_of("SD-2")
    assert bounced.label == "bounce" and bounced.at == SENT_AT + BOUNCE_AFTER
    (notice,) = [n for n in store.all_notices() if n.order_id == "SD-2"]
    assert notice.message_id in (bounced.text or "")  # the feedback names the SES message it is about

    assert [e["eventType"] for e in local_aws.ses_events] == ["Delivery", "Bounce", "Delivery", "Complaint"]
    by_type = {e["eventType"]: e for e in reversed(local_aws.ses_events)}  # the first of each type
    for event_type, event in by_type.items():
        documented = load_event(f"ses_event_{event_type.lower()}")
        assert _shape(event) == _shape(documented), event_type
        tags = event["mail"]["tags"]
        assert set(documented["mail"]["tags"]) - {"myCustomTag1", "myCustomTag2"} <= set(tags), event_type
        assert all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in tags.values())
    delivery = by_type["Delivery"]
    assert delivery["mail"]["timestamp"] == stamp(SENT_AT) == "2020-01-24T04:00:00.000Z"
    assert delivery["mail"]["tags"]["ses:configuration-set"] == [LOCAL_CONFIGURATION_SET]
    assert {k: delivery["mail"]["tags"][k] for k in ("kind", "merchant", "order_id", "stage")} == {
        "kind": ["shipment_delayed"],
        "merchant": ["m-teahouse"],
        "order_id": ["SD-1"],
        "stage": ["0"],
    }
    assert delivery["delivery"]["recipients"] == ["wang.fang@mail.example"]
    assert by_type["Bounce"]["bounce"]["bouncedRecipients"][0]["emailAddress"] == addresses["SD-2"]


def test_ses_refuses_a_configuration_set_that_does_not_exist(local_aws: LocalAws) -> None:
    with pytest.raises(ClientError) as refused:
        local_aws.client("sesv2").send_email(
            FromEmailAddress="service@teahouse.example",
            Destination={"ToAddresses": ["wang.fang@mail.example"]},
            Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
            ConfigurationSetName="no-such-set",
        )
    assert refused.value.response["Error"]["Code"] == "NotFoundException"
    assert local_aws.publish_ses_events() == 0


def test_without_a_configuration_set_nothing_is_published() -> None:
    with LocalAws(parameters={"ConfigurationSetName": ""}) as local:
        m = merchant()
        store.put_merchant(m)
        assert m.from_email
        local.verify_sender(m.from_email)
        assert "SesFeedbackEventDestination" not in local.stack.resources
        _order(local, "SN-1", "bounce@simulator.amazonses.com")
        local.clock = SENT_AT
        _notice(local, "SN-1")
        assert _statuses("SN-1") == {("shipment_delayed", 0, "email"): "sent"}
        assert local.ses_events == [] and store.suppression_of("bounce@simulator.amazonses.com") is None


def _tagged(name: str, order_id: str) -> str:
    event = load_event(f"ses_event_{name}")
    event["mail"]["tags"] |= {"order_id": [order_id], "kind": ["shipment_delayed"], "stage": ["0"]}
    return json.dumps(event)


def test_the_opens_of_a_batch_are_one_batch_write_and_a_redelivery_is_the_same_item(
    local_aws: LocalAws,
) -> None:
    bodies = [_tagged("open", "FB-1"), _tagged("open", "FB-2"), _tagged("open", "FB-1")]  # FB-1's delivered twice
    for body in bodies:
        local_aws.send("SesFeedbackQueue", body)
    local_aws.aws_calls.reset()
    local_aws.drain()
    calls = local_aws.aws_calls.summary()["ses_feedback"]
    assert calls == {"dynamodb.BatchWriteItem": 1}  # no conditional put per open, nothing counted
    assert [f.sk for f in store.feedback_of("FB-1")] == ["shipment_delayed#0#email#open"]
    assert [f.label for f in store.feedback_of("FB-2")] == ["open"]
    local_aws.send("SesFeedbackQueue", bodies[0])  # a later redelivery writes the same item again
    local_aws.drain()
    assert len(store.feedback_of("FB-1")) == 1
    assert local_aws.queue_depth("SesFeedbackDLQ") == 0


def test_deliveries_write_nothing(local_aws: LocalAws) -> None:
    for order_id in ("FD-1", "FD-2"):
        local_aws.send("SesFeedbackQueue", _tagged("delivery", order_id))
    local_aws.aws_calls.reset()
    local_aws.drain()
    assert "SesFeedbackFunction" in {i.function for i in local_aws.invocations}
    assert local_aws.aws_calls.summary().get("ses_feedback", {}) == {}  # no call at all
    assert store.feedback_of("FD-1") == store.feedback_of("FD-2") == []
    assert local_aws.queue_depth("SesFeedbackQueue") == local_aws.queue_depth("SesFeedbackDLQ") == 0
