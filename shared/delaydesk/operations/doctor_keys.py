"""Key policies (pure): whether a KMS key lets a service publish to an encrypted topic.

A statement is read as AWS reads it: NotAction, ``*`` principals, an unconditional Deny
(``infra/cfn_rules`` judges the template with the same evaluation).
"""

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

CLOUDWATCH = "cloudwatch.amazonaws.com"
SES = "ses.amazonaws.com"
PUBLISH_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
"""What SNS calls on the topic's key on behalf of the service that publishes (AWS grants these as
``kms:GenerateDataKey*`` and ``kms:Decrypt`` in its examples; the wildcard covers the first)."""


# ------------------------------------------------------------------ key policies (pure)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's action wildcards (``*`` and ``?``), matched case-insensitively as IAM does."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.IGNORECASE)


def matches_action(patterns: Any, action: str) -> bool:
    """Whether one of the IAM action ``patterns`` (a string or a list) matches ``action``."""
    return any(isinstance(p, str) and _wildcard(p).fullmatch(action) for p in as_list(patterns))


def _names_service(principal: Any, service: str) -> bool:
    """Whether a Principal block names the service: ``*``, ``{"AWS": "*"}`` or its Service."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if "*" in as_list(principal.get("AWS")):
        return True
    return any(isinstance(s, str) and s.lower() == service for s in as_list(principal.get("Service")))


def _applies_to(statement: Mapping[str, Any], service: str) -> bool:
    if "Principal" in statement:
        return _names_service(statement["Principal"], service)
    if "NotPrincipal" in statement:
        return not _names_service(statement["NotPrincipal"], service)
    return False


def _covers(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return matches_action(statement["Action"], action)
    if "NotAction" in statement:
        return not matches_action(statement["NotAction"], action)
    return False


def key_policy_missing(
    policy: str | Mapping[str, Any], service: str, actions: Sequence[str] = PUBLISH_ACTIONS
) -> tuple[str, ...]:
    """The ``actions`` a KMS key policy does not allow the service principal; empty: all allowed.

    A key policy is the only thing that can let an AWS service use a key (IAM policies cannot), so
    reading it tells whether CloudWatch or SES can publish to a topic encrypted with the key.
    An action is allowed when an Allow statement names the service (or every principal, ``*``)
    and covers the action (``kms:*``, ``kms:GenerateDataKey*``…), and no unconditional Deny does.
    Conditions on an Allow (``aws:SourceAccount``, ``aws:SourceArn``: the recommended scoping)
    cannot be evaluated here and are taken as met; a conditional Deny is not counted either.
    """
    document: Any = json.loads(policy) if isinstance(policy, str) else policy
    statements = [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]
    allowed: set[str] = set()
    denied: set[str] = set()
    for statement in statements:
        if not _applies_to(statement, service):
            continue
        effect = statement.get("Effect")
        for action in actions:
            if not _covers(statement, action):
                continue
            if effect == "Allow":
                allowed.add(action)
            elif effect == "Deny" and not statement.get("Condition"):
                denied.add(action)
    return tuple(a for a in actions if a not in allowed or a in denied)


def is_aws_managed_alias(key_id: str) -> bool:
    """``alias/aws/sns`` or its ARN: an AWS managed key, named without asking KMS."""
    return key_id.startswith("alias/aws/") or ":alias/aws/" in key_id
