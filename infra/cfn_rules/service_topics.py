"""cfn-lint rules for DelayDesk's template: encrypted SNS topics that their publishers can use.

Run them with cfn-lint's own rules: ``cfn-lint template.yaml --append-rules infra/cfn_rules``.
cfn-lint (1.x) checks a SAM template as written, with the ``Globals`` merged in and without the
SAM transform, so a function's permissions are read from its ``Policies`` (policy templates and
statements) as well as from plain IAM roles and policies.

An AWS service publishes to an encrypted topic only if the topic's key policy lets its service
principal call ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (SNS developer guide, "Enable
compatibility between event sources from AWS services and encrypted topics"). The AWS-managed key
``alias/aws/sns`` cannot be given that grant, and AWS reports nothing at deploy time: the alarm or
the SES event is simply never delivered. A function that publishes to a topic under a
customer-managed key needs the same two actions on the key in its own policy.

A key policy is read as ``delaydesk doctor`` reads a deployed one (``delaydesk.operations.doctor``), so the
template and the live stack are judged alike; cfn-lint runs from the project's virtualenv, where
``delaydesk`` is installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from delaydesk.operations.doctor_keys import (
    PUBLISH_ACTIONS,
    as_list,
    is_aws_managed_alias,
    key_policy_missing,
    matches_action,
)

SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")

Path = list[str | int]


def references(value: Any) -> Iterator[str]:
    """The logical ids ``value`` names: ``Ref``, ``Fn::GetAtt`` and ``${Name}`` in ``Fn::Sub``, at any
    depth (both branches of an ``Fn::If``)."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    for function, argument in value.items():
        if function == "Ref" and isinstance(argument, str):
            yield argument
        elif function == "Fn::GetAtt":
            yield str(argument[0] if isinstance(argument, list) else argument).split(".", 1)[0]
        elif function == "Fn::Sub":
            text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
            for name in SUB_NAME.findall(str(text)):
                if name.split(".", 1)[0] not in variables:
                    yield name.split(".", 1)[0]
            yield from references(variables)
        else:
            yield from references(argument)


def branches(value: Any) -> Iterator[Any]:
    """Each value ``value`` can take: both sides of every ``Fn::If``; ``None`` for ``AWS::NoValue``."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, when_true, when_false = value["Fn::If"]
        yield from branches(when_true)
        yield from branches(when_false)
    elif isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
        yield None
    else:
        yield value


def grants(statement: Any, actions: tuple[str, ...]) -> bool:
    """An ``Allow`` statement whose ``Action`` patterns cover every one of ``actions``."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    return all(matches_action(statement.get("Action"), action) for action in actions)


def service_publishers(resources: dict[str, Any]) -> Iterator[tuple[str, str, Path]]:
    """(logical id referred to, the AWS service principal that publishes to it, where) for every
    place where an AWS service is told to publish to an SNS topic."""
    for name, resource in resources.items():
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        at: Path = ["Resources", name, "Properties"]
        if kind in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
            for prop in ("AlarmActions", "OKActions", "InsufficientDataActions"):
                for ref in references(props.get(prop)):
                    yield ref, "cloudwatch.amazonaws.com", [*at, prop]
        elif kind == "AWS::SES::ConfigurationSetEventDestination":
            destination = (props.get("EventDestination") or {}).get("SnsDestination")
            for ref in references(destination):
                yield ref, "ses.amazonaws.com", [*at, "EventDestination", "SnsDestination"]
        elif kind == "AWS::Events::Rule":
            for index, target in enumerate(as_list(props.get("Targets"))):
                for ref in references((target or {}).get("Arn")):
                    yield ref, "events.amazonaws.com", [*at, "Targets", index, "Arn"]
        elif kind == "AWS::S3::Bucket":
            notifications = (props.get("NotificationConfiguration") or {}).get("TopicConfigurations")
            for index, configuration in enumerate(as_list(notifications)):
                for ref in references((configuration or {}).get("Topic")):
                    yield ref, "s3.amazonaws.com", [*at, "NotificationConfiguration", "TopicConfigurations", index]


def template_key(resources: dict[str, Any], key_id: Any) -> str | None:
    """The logical id of the ``AWS::KMS::Key`` that ``key_id`` names (directly or through an
    ``AWS::KMS::Alias`` of the template), or None."""
    for ref in references(key_id):
        kind = resources.get(ref, {}).get("Type")
        if kind == "AWS::KMS::Key":
            return ref
        if kind == "AWS::KMS::Alias":
            return template_key(resources, (resources[ref].get("Properties") or {}).get("TargetKeyId"))
    return None


class ServiceTopicKey(CloudFormationLintRule):  # type: ignore[misc]
    """A topic an AWS service publishes to is encrypted with a key that service may use."""

    id = "E9101"
    shortdesc = "AWS service publishes to a topic whose key it cannot use"
    description = (
        "Every SNS topic that an AWS service publishes to (CloudWatch alarm actions, SES event "
        "destinations, EventBridge rule targets, S3 notifications) is encrypted with a "
        "customer-managed key of this template whose key policy allows that service principal "
        "kms:GenerateDataKey* and kms:Decrypt."
    )
    source_url = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"
    tags: ClassVar[list[str]] = ["sns", "kms", "delaydesk"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        resources: dict[str, Any] = cfn.template.get("Resources") or {}
        matches: list[RuleMatch] = []
        for topic, service, path in service_publishers(resources):
            if resources.get(topic, {}).get("Type") != "AWS::SNS::Topic":
                continue
            key_id = (resources[topic].get("Properties") or {}).get("KmsMasterKeyId")
            for problem in self._problems(resources, key_id, service):
                matches.append(RuleMatch(path, f"{service} publishes to {topic}, which {problem}"))
        return matches

    @staticmethod
    def _problems(resources: dict[str, Any], key_id: Any, service: str) -> Iterator[str]:
        for value in branches(key_id):
            if value is None:
                yield "is not encrypted (no KmsMasterKeyId): use a customer-managed key"
            elif isinstance(value, str) and is_aws_managed_alias(value):
                yield f"uses the AWS-managed key {value}, whose policy cannot let {service} use it"
            elif (key := template_key(resources, value)) is None:
                yield (
                    f"uses a key that is not defined in this template ({value}), so its policy "
                    "cannot be checked: use a customer-managed key of the template"
                )
            else:
                policy = (resources[key].get("Properties") or {}).get("KeyPolicy") or {}
                missing = key_policy_missing(policy if isinstance(policy, dict | str) else {}, service)
                if missing:
                    yield f"uses {key}, whose key policy does not allow {service} {', '.join(missing)}"


# SAM policy templates as the statements they stand for, where they matter here:
# (template, parameter naming the resource, actions granted on it).
SAM_POLICY_TEMPLATES = {
    "SNSPublishMessagePolicy": ("TopicName", ["sns:Publish"]),
    "SNSCrudPolicy": ("TopicName", ["sns:Publish"]),
    "KMSDecryptPolicy": ("KeyId", ["kms:Decrypt"]),
    "KMSEncryptPolicy": ("KeyId", ["kms:Encrypt"]),
}


def function_statements(policies: Any) -> Iterator[Any]:
    """The statements of a SAM function's ``Policies``: inline documents and policy templates."""
    for policy in as_list(policies):
        if not isinstance(policy, dict):
            continue  # a managed policy's name or ARN
        yield from as_list(policy.get("Statement"))
        for name, parameters in policy.items():
            if name in SAM_POLICY_TEMPLATES:
                parameter, actions = SAM_POLICY_TEMPLATES[name]
                resource = (parameters or {}).get(parameter)
                yield {"Effect": "Allow", "Action": actions, "Resource": resource}


def publisher_statements(resources: dict[str, Any]) -> dict[str, list[Any]]:
    """The policy statements of each principal that may publish, by the logical id to report: a
    function (SAM ``Policies`` and its template role), else the IAM role itself."""
    roles: dict[str, list[Any]] = {}
    for name, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in as_list(props.get("Policies")):
                document = (policy or {}).get("PolicyDocument") or {}
                roles.setdefault(name, []).extend(as_list(document.get("Statement")))
        elif resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = props.get("PolicyDocument") or {}
            for role in references(props.get("Roles")):
                roles.setdefault(role, []).extend(as_list(document.get("Statement")))
    found: dict[str, list[Any]] = {}
    for name, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource.get("Type") not in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            continue
        statements = list(function_statements(props.get("Policies")))
        for role in references(props.get("Role")):
            statements.extend(roles.pop(role, []))
        found[name] = statements
    return found | roles


class PublisherTopicKey(CloudFormationLintRule):  # type: ignore[misc]
    """A function or role allowed to publish to a topic under a key of this template may use the key."""

    id = "E9102"
    shortdesc = "Publisher to a topic under a customer-managed key cannot use the key"
    description = (
        "A function (its Policies or role) or an IAM role allowed sns:Publish on a topic encrypted "
        "with a key of this template is also allowed kms:GenerateDataKey* and kms:Decrypt on that key."
    )
    source_url = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#send-to-encrypted-topic"
    tags: ClassVar[list[str]] = ["sns", "kms", "iam", "delaydesk"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        resources: dict[str, Any] = cfn.template.get("Resources") or {}
        matches: list[RuleMatch] = []
        for publisher, statements in publisher_statements(resources).items():
            missing: set[tuple[str, str]] = set()
            for statement in statements:
                if not grants(statement, ("sns:Publish",)):
                    continue
                for topic in references(statement.get("Resource")):
                    if resources.get(topic, {}).get("Type") != "AWS::SNS::Topic":
                        continue
                    key = template_key(resources, (resources[topic].get("Properties") or {}).get("KmsMasterKeyId"))
                    if key is not None and not any(self._uses_key(s, key, resources) for s in statements):
                        missing.add((topic, key))
            for topic, key in sorted(missing):
                matches.append(
                    RuleMatch(
                        ["Resources", publisher],
                        f"{publisher} may publish to {topic} but not use its key {key}: allow "
                        "kms:GenerateDataKey* and kms:Decrypt on it",
                    )
                )
        return matches

    @staticmethod
    def _uses_key(statement: Any, key: str, resources: dict[str, Any]) -> bool:
        if not grants(statement, PUBLISH_ACTIONS):
            return False
        targets = as_list(statement.get("Resource"))
        return "*" in targets or any(template_key(resources, t) == key for t in targets)
