"""The doctor's verdicts (pure): plain values in, one ✔ / ✘ / ! line out, and the exit status.

The stack, its topics and keys, alarms, subscriptions, dead-letter queues, schedules, secrets.
SES and SMS verdicts are in ``doctor_mail``, the key-policy evaluation in ``doctor_keys``.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

from delaydesk.operations.doctor_keys import key_policy_missing

WEBHOOK_SOURCES = ("aftership", "easypost", "generic")
"""The sources ``receive_webhook`` takes, one SSM SecureString each under WebhookSecretsPrefix."""
DEFAULT_PARAMETERS = {
    "WebhookSecretsPrefix": "/delaydesk/webhooks",
    "OrderLinkKeyParameter": "/delaydesk/order-link-key",
    "ConfigurationSetName": "",
}
"""template.yaml's defaults, for a stack whose parameters predate one of them."""
DEFAULT_SMS_SPEND_LIMIT = "1"
FAILED_STACK_STATUSES = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "CREATE_FAILED")


class Status(StrEnum):
    OK = "✔"
    FAIL = "✘"
    WARN = "!"


@dataclass(frozen=True)
class Verdict:
    """One line of the report."""

    status: Status
    what: str
    advice: str = ""

    def line(self) -> str:
        return f"{self.status} {self.what}" + (f" — {self.advice}" if self.advice else "")


def ok(what: str) -> Verdict:
    return Verdict(Status.OK, what)


def fail(what: str, fix: str) -> Verdict:
    return Verdict(Status.FAIL, what, fix)


def warn(what: str, advice: str) -> Verdict:
    return Verdict(Status.WARN, what, advice)


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """1 when anything must be fixed before the stack works, else 0 (warnings do not fail)."""
    return 1 if any(v.status is Status.FAIL for v in verdicts) else 0


# ------------------------------------------------------------------ verdicts (pure)


def stack_verdict(name: str, status: str) -> Verdict:
    what = f"stack {name} is {status}"
    if status.endswith("_IN_PROGRESS"):
        return warn(what, "an operation is running; run doctor again when it completes")
    if status in FAILED_STACK_STATUSES or status.endswith("_FAILED"):
        return fail(what, "see the stack's events (aws cloudformation describe-stack-events), fix, deploy again")
    return ok(what)


def topic_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class TopicKey:
    """A topic's encryption: ``key_id`` as the topic names it (None: not encrypted), whether AWS
    manages the key, and the customer managed key's policy (None: it could not be read)."""

    key_id: str | None
    aws_managed: bool = False
    policy: str | None = None
    error: str | None = None


def topic_key_verdict(topic_arn: str, service: str, key: TopicKey) -> Verdict:
    """Whether ``service`` can publish to the topic, given the key that encrypts it."""
    name = topic_name(topic_arn)
    publisher = service.split(".")[0]
    if not key.key_id:
        return ok(f"topic {name} is not encrypted with KMS: {publisher} can publish to it")
    if key.aws_managed:
        return fail(
            f"topic {name} is encrypted with the AWS managed key {key.key_id}: {publisher} alerts are dropped",
            f"{service} cannot use the AWS managed key; use a customer managed key whose policy allows it "
            "(kms:GenerateDataKey*, kms:Decrypt)",
        )
    if key.policy is None:
        return warn(
            f"could not read the policy of key {key.key_id} of topic {name}",
            f"{key.error or 'no policy'}; check that it allows {service} kms:GenerateDataKey* and kms:Decrypt",
        )
    missing = key_policy_missing(key.policy, service)
    if missing:
        return fail(
            f"topic {name}: the policy of key {key.key_id} does not allow {service} {', '.join(missing)}",
            f'add {{"Effect": "Allow", "Principal": {{"Service": "{service}"}}, '
            '"Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*"} to the key policy '
            f"(aws kms put-key-policy --key-id {key.key_id} --policy-name default --policy file://policy.json)",
        )
    return ok(f"topic {name}: key {key.key_id} lets {service} publish")


def alarm_verdicts(alarms: Sequence[Mapping[str, Any]]) -> list[Verdict]:
    """Alarms whose actions are off, or that have none, tell nobody anything."""
    out = [
        fail(
            f"alarm {a['AlarmName']} has its actions disabled",
            f"aws cloudwatch enable-alarm-actions --alarm-names {a['AlarmName']}",
        )
        for a in alarms
        if not a.get("ActionsEnabled", True)
    ]
    out += [
        fail(f"alarm {a['AlarmName']} notifies no one", "deploy the stack again (every alarm notifies OpsAlarmsTopic)")
        for a in alarms
        if a.get("ActionsEnabled", True) and not a.get("AlarmActions")
    ]
    if not out:
        out.append(ok(f"{len(alarms)} alarm(s) with their actions enabled"))
    return out


def subscription_verdict(topic_arn: str, subscriptions: Sequence[Mapping[str, Any]]) -> Verdict:
    """At least one confirmed subscriber on an alarm topic (SNS waits for an e-mail subscriber to
    click the link it sent before delivering anything)."""
    name = topic_name(topic_arn)
    live = [s for s in subscriptions if s.get("SubscriptionArn", "") not in ("PendingConfirmation", "Deleted", "")]
    pending = [s for s in subscriptions if s.get("SubscriptionArn") == "PendingConfirmation"]
    if live:
        endpoints = ", ".join(str(s.get("Endpoint", "?")) for s in live)
        return ok(f"alarms on {name} reach {len(live)} confirmed subscriber(s): {endpoints}")
    if pending:
        endpoints = ", ".join(str(s.get("Endpoint", "?")) for s in pending)
        return warn(
            f"no one receives the alarms on {name} yet",
            f"confirm the e-mail sent to {endpoints} (the link in 'AWS Notification - Subscription Confirmation')",
        )
    return fail(
        f"no one receives the alarms on {name}",
        "deploy again with AlertEmail=you@yourshop.com (or: aws sns subscribe --topic-arn "
        f"{topic_arn} --protocol email --notification-endpoint you@yourshop.com), then confirm the e-mail it sends",
    )


def dlq_verdict(logical_id: str, queue_url: str, queue_arn: str, count: int, stack_name: str) -> Verdict:
    if count == 0:
        return ok(f"{logical_id} is empty")
    if logical_id in ("OrderEventsDLQ", "TrackingEventsDLQ"):
        look = f"delaydesk rejected list --category failing --stack-name {stack_name}"
    else:
        look = (
            f"aws sqs receive-message --queue-url {queue_url} --attribute-names All "
            "--message-attribute-names All --max-number-of-messages 10"
        )
    return fail(
        f"{logical_id} holds {count} message(s)",
        f"see why ({look}), fix the cause, then redrive: aws sqs start-message-move-task --source-arn {queue_arn}",
    )


def schedule_verdict(logical_id: str, name: str, state: str, expression: str, *, scheduler: bool = False) -> Verdict:
    what = f"schedule {logical_id} ({expression})"
    if state.startswith("ENABLED"):
        return ok(f"{what} enabled")
    fix = (
        "enable it in the EventBridge Scheduler console, or deploy the stack again"
        if scheduler
        else f"aws events enable-rule --name {name}"
    )
    return fail(f"{what} is {state}: nothing runs it", fix)


def secret_verdict(purpose: str, name: str, parameter_type: str | None) -> Verdict:
    """An SSM parameter a function reads: it must exist, as a SecureString."""
    what = f"{purpose} {name}"
    if parameter_type == "SecureString":
        return ok(f"{what} is a SecureString")
    if purpose == "order-link key":
        value = "\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\""
        effect = "dispatch cannot sign the customers' links and sends no notice"
    elif purpose.startswith("help-desk secret"):
        source, merchant = name.split("/")[-2:]
        value = f'"${source.upper()}_SECRET"'
        effect = f"every {source} help-desk webhook of {merchant} is refused with 401"
    else:
        source = name.rsplit("/", 1)[-1]
        value = f'"${source.upper()}_SECRET"'
        effect = f"every {source} webhook is refused with 401"
    put = f"aws ssm put-parameter --type SecureString --name {name} --value {value}"
    if parameter_type is None:
        return fail(f"{what} does not exist: {effect}", put)
    return fail(
        f"{what} is a plain {parameter_type}, readable by anyone who may read parameters",
        f"aws ssm delete-parameter --name {name}; {put}",
    )
