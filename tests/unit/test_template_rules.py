"""The template's own cfn-lint rules (infra/cfn_rules): they pass on template.yaml and fail on
copies of it broken the ways that would silence alarms and bounces in a real account."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Rules
from cfnlint.runner import run_template_by_data

from delaydesk_local.stack import load_template

RULES_DIR = Path(__file__).resolve().parents[2] / "infra" / "cfn_rules"
ALARMS = sorted(k for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm")


def findings(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(rule id, resource, message) of every match of the template's own rules (and only those)."""
    decoded, errors = decode_str(json.dumps(template))
    assert not errors and decoded is not None
    rules = Rules.create_from_directory(str(RULES_DIR))
    assert {"E9101", "E9102"} <= set(rules)
    matches = run_template_by_data(decoded, ConfigMixIn(regions=["us-east-1"]), rules)
    return [(m.rule.id, str(m.path[1]) if len(m.path) > 1 else "", m.message) for m in matches]


def broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    template = copy.deepcopy(load_template())
    change(template["Resources"])
    return template


def statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = resources["ServiceTopicsKey"]["Properties"]["KeyPolicy"]["Statement"]
    return found


def for_service(resources: dict[str, Any], service: str) -> dict[str, Any]:
    return next(s for s in statements(resources) if s.get("Principal", {}).get("Service") == service)


def test_the_template_passes() -> None:
    assert findings(load_template()) == []


def test_an_alarm_topic_under_the_aws_managed_key_fails_at_every_alarm() -> None:
    def swap(resources: dict[str, Any]) -> None:
        resources["OpsAlarmsTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"

    found = findings(broken(swap))
    assert {(rule, where) for rule, where, _ in found} == {("E9101", alarm) for alarm in ALARMS}
    assert all("AWS-managed key alias/aws/sns" in message for _, _, message in found)


def test_the_ses_feedback_topic_under_the_aws_managed_key_fails() -> None:
    def swap(resources: dict[str, Any]) -> None:
        resources["SesFeedbackTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"

    (found,) = findings(broken(swap))
    assert found[:2] == ("E9101", "SesFeedbackEventDestination")
    assert found[2].startswith("ses.amazonaws.com publishes to SesFeedbackTopic")


def test_a_key_policy_without_the_cloudwatch_statement_fails_for_cloudwatch_only() -> None:
    def remove(resources: dict[str, Any]) -> None:
        statements(resources).remove(for_service(resources, "cloudwatch.amazonaws.com"))

    found = findings(broken(remove))
    assert {where for _, where, _ in found} == set(ALARMS)
    assert all(
        "ServiceTopicsKey, whose key policy does not allow cloudwatch.amazonaws.com" in message
        for _, _, message in found
    )


def test_a_service_statement_without_generate_data_key_fails() -> None:
    def narrow(resources: dict[str, Any]) -> None:
        for_service(resources, "ses.amazonaws.com")["Action"] = ["kms:Decrypt"]

    assert [where for _, where, _ in findings(broken(narrow))] == ["SesFeedbackEventDestination"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "is not encrypted"),
        ("arn:aws:kms:us-east-1:123456789012:alias/aws/sns", "AWS-managed key"),
        ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "not defined in this template"),
        ({"Fn::If": ["HasAlertEmail", {"Ref": "ServiceTopicsKey"}, {"Ref": "AWS::NoValue"}]}, "is not encrypted"),
        ({"Ref": "ServiceTopicsKeyAlias"}, None),
        ({"Fn::GetAtt": ["ServiceTopicsKey", "Arn"]}, None),
    ],
)
def test_every_form_of_the_alarm_topics_key(key: Any, expected: str | None) -> None:
    def put(resources: dict[str, Any]) -> None:
        props = resources["OpsAlarmsTopic"]["Properties"]
        if key is None:
            del props["KmsMasterKeyId"]
        else:
            props["KmsMasterKeyId"] = key

    found = findings(broken(put))
    if expected is None:
        assert found == []
    else:
        assert len(found) == len(ALARMS)
        assert all(expected in message for _, _, message in found)


def test_an_aws_service_wired_to_the_escalations_topic_fails() -> None:
    """EscalationsTopic keeps alias/aws/sns because only our functions publish to it."""

    def wire(resources: dict[str, Any]) -> None:
        resources["ScanDueErrorsAlarm"]["Properties"]["OKActions"] = [{"Ref": "EscalationsTopic"}]
        resources["DeliveredParcels"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventPattern": {"source": ["delaydesk"]},
                "Targets": [{"Id": "ops", "Arn": {"Ref": "OpsAlarmsTopic"}}],
            },
        }

    found = findings(broken(wire))
    assert sorted((where, message.split(" publishes")[0]) for _, where, message in found) == [
        ("DeliveredParcels", "events.amazonaws.com"),
        ("ScanDueErrorsAlarm", "cloudwatch.amazonaws.com"),
    ]


def test_a_function_publishing_to_a_topic_under_the_key_needs_the_key() -> None:
    def publish(resources: dict[str, Any]) -> None:
        policies = resources["ScanDueFunction"]["Properties"]["Policies"]
        policies.append({"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["OpsAlarmsTopic", "TopicName"]}}})

    without_key = broken(publish)
    ((rule, where, message),) = findings(without_key)
    assert (rule, where) == ("E9102", "ScanDueFunction")
    assert "OpsAlarmsTopic" in message and "ServiceTopicsKey" in message

    decrypt_only = copy.deepcopy(without_key)  # SAM's KMSDecryptPolicy grants kms:Decrypt alone
    decrypt_only["Resources"]["ScanDueFunction"]["Properties"]["Policies"].append(
        {"KMSDecryptPolicy": {"KeyId": {"Ref": "ServiceTopicsKey"}}}
    )
    assert [rule for rule, _, _ in findings(decrypt_only)] == ["E9102"]

    with_key = copy.deepcopy(without_key)
    with_key["Resources"]["ScanDueFunction"]["Properties"]["Policies"].append(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                    "Resource": {"Fn::GetAtt": ["ServiceTopicsKey", "Arn"]},
                }
            ]
        }
    )
    assert findings(with_key) == []
