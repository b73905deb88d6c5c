"""``delaydesk doctor``: check a deployed stack against what real AWS requires and the embedded AWS
(moto) never enforces.

Every test of DelayDesk runs on moto, which sends mail from unverified senders, has no SES or SMS
sandbox, lets CloudWatch publish to a topic encrypted with any key, and never asks anyone to
confirm a subscription. A stack that passes every test can therefore still tell no customer
anything, or raise alarms that nobody receives. This module asks the real account, one check a
line:

    ✔ <what>                    as it should be
    ✘ <what> — <how to fix>     the stack does not work as deployed (exit status 1)
    ! <what> — <advice>         it works, with a limit worth knowing (or a check that could not run)

The pure part (the verdicts, the key-policy evaluation, the exit status) takes plain values and is
unit tested; the I/O part (``diagnose`` and the ``_read_*`` functions) only gathers those values
with boto3 clients made for one region (``Clients.create``). A check whose AWS call is refused
(no permission, say) becomes a ``!`` line and the others go on; missing credentials, no region or
an unknown stack raise to the CLI, which prints one line and exits 2.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from delaydesk.notices import rates

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

WEBHOOK_SOURCES = ("aftership", "easypost", "generic")
"""The sources ``receive_webhook`` takes, one SSM SecureString each under WebhookSecretsPrefix."""
DEFAULT_PARAMETERS = {
    "WebhookSecretsPrefix": "/delaydesk/webhooks",
    "OrderLinkKeyParameter": "/delaydesk/order-link-key",
    "ConfigurationSetName": "",
}
"""template.yaml's defaults, for a stack whose parameters predate one of them."""
CLOUDWATCH = "cloudwatch.amazonaws.com"
SES = "ses.amazonaws.com"
PUBLISH_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
"""What SNS calls on the topic's key on behalf of the service that publishes (AWS grants these as
``kms:GenerateDataKey*`` and ``kms:Decrypt`` in its examples; the wildcard covers the first)."""
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


# ------------------------------------------------------------------ key policies (pure)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's action wildcards (``*`` and ``?``), matched case-insensitively as IAM does."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.IGNORECASE)


def _matches_action(patterns: Any, action: str) -> bool:
    return any(isinstance(p, str) and _wildcard(p).fullmatch(action) for p in _as_list(patterns))


def _names_service(principal: Any, service: str) -> bool:
    """Whether a Principal block names the service: ``*``, ``{"AWS": "*"}`` or its Service."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if "*" in _as_list(principal.get("AWS")):
        return True
    return any(isinstance(s, str) and s.lower() == service for s in _as_list(principal.get("Service")))


def _applies_to(statement: Mapping[str, Any], service: str) -> bool:
    if "Principal" in statement:
        return _names_service(statement["Principal"], service)
    if "NotPrincipal" in statement:
        return not _names_service(statement["NotPrincipal"], service)
    return False


def _covers(statement: Mapping[str, Any], action: str) -> bool:
    if "Action" in statement:
        return _matches_action(statement["Action"], action)
    if "NotAction" in statement:
        return not _matches_action(statement["NotAction"], action)
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
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]
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


# ------------------------------------------------------------------ verdicts (pure)


def stack_verdict(name: str, status: str) -> Verdict:
    what = f"stack {name} is {status}"
    if status.endswith("_IN_PROGRESS"):
        return warn(what, "an operation is running; run doctor again when it completes")
    if status in FAILED_STACK_STATUSES or status.endswith("_FAILED"):
        return fail(what, "see the stack's events (aws cloudformation describe-stack-events), fix, deploy again")
    return ok(what)


def identity_candidates(address: str) -> list[str]:
    """The SES identities that can authorise sending from an address, most specific first: the
    address itself, its domain and each parent domain (SES lets a verified domain send from its
    subdomains)."""
    domain = address.rpartition("@")[2].lower()
    labels = domain.split(".")
    return [address, *(".".join(labels[i:]) for i in range(len(labels) - 1))]


def sender_verdict(address: str, role: str, identities: Mapping[str, Mapping[str, Any] | None]) -> Verdict:
    """Whether SES lets DelayDesk send from ``address``; ``identities`` holds each candidate's
    GetEmailIdentity answer (None: no such identity)."""
    what = f"SES sender {address} ({role})"
    candidates = identity_candidates(address)
    for name in candidates:
        identity = identities.get(name)
        if identity and identity.get("VerifiedForSendingStatus"):
            return ok(f"{what} verified (identity {name})")
    existing = [name for name in candidates if identities.get(name)]
    domain = candidates[1]
    if existing:
        name = existing[0]
        status = (identities[name] or {}).get("VerificationStatus", "PENDING")
        how = (
            f"click the link SES e-mailed to {name}, or verify its domain with DKIM"
            if "@" in name
            else f"publish the DKIM CNAME records of `aws sesv2 get-email-identity --email-identity {name}` in DNS"
            " and wait for SUCCESS"
        )
        return fail(f"{what} is not verified (identity {name} is {status})", how)
    return fail(
        f"{what} is not an SES identity",
        f"aws sesv2 create-email-identity --email-identity {domain}, "
        "then publish the three DKIM CNAME records it prints",
    )


def dkim_verdict(domain: str, identities: Mapping[str, Mapping[str, Any] | None]) -> Verdict:
    """DKIM signing of the sender's domain (or the nearest parent domain that is an identity).

    Without DKIM, SES mail fails the DMARC alignment that large mailbox providers now require of
    bulk senders: the notices land in spam or are refused.
    """
    names = identity_candidates(f"x@{domain}")[1:]
    for name in names:
        identity = identities.get(name)
        if not identity:
            continue
        dkim = identity.get("DkimAttributes") or {}
        status = dkim.get("Status", "NOT_STARTED")
        if status == "SUCCESS" and dkim.get("SigningEnabled", False):
            return ok(f"DKIM signing of {name}")
        if status == "SUCCESS":
            return fail(
                f"DKIM of {name} is set up but signing is off",
                f"aws sesv2 put-email-identity-dkim-attributes --email-identity {name} --signing-enabled",
            )
        return fail(
            f"DKIM of {name} is {status}",
            f"publish the three CNAME records of `aws sesv2 get-email-identity --email-identity {name}` "
            "(DkimAttributes.Tokens) in DNS and wait for SUCCESS",
        )
    return fail(
        f"DKIM: {domain} is not an SES domain identity",
        f"aws sesv2 create-email-identity --email-identity {domain}, then publish the three DKIM CNAME records",
    )


def account_verdicts(account: Mapping[str, Any]) -> list[Verdict]:
    """SES's sandbox and sending status (sesv2 GetAccount)."""
    out: list[Verdict] = []
    if account.get("ProductionAccessEnabled"):
        out.append(ok("SES account has production access (out of the sandbox)"))
    else:
        out.append(
            fail(
                "SES account is in the sandbox: mail reaches verified addresses only, so no customer gets a notice",
                "request production access (SES console, or aws sesv2 put-account-details "
                "--production-access-enabled --mail-type TRANSACTIONAL --website-url https://yourshop.com "
                '--use-case-description "...")',
            )
        )
    enforcement = account.get("EnforcementStatus", "HEALTHY")
    if not account.get("SendingEnabled", True):
        out.append(
            fail(
                "SES sending is disabled for this account", "aws sesv2 put-account-sending-attributes --sending-enabled"
            )
        )
    elif enforcement == "SHUTDOWN":
        out.append(
            fail(
                "SES has shut down sending for this account",
                "see the SES console's reputation dashboard and AWS's message",
            )
        )
    elif enforcement != "HEALTHY":
        out.append(
            warn(
                f"SES account status is {enforcement}",
                "bounces or complaints are too high: see the SES reputation dashboard",
            )
        )
    else:
        out.append(ok("SES sending enabled (account HEALTHY)"))
    return out


@dataclass(frozen=True)
class MerchantFacts:
    """What doctor needs of a merchant: its own sender and its e-mail pacing."""

    merchant_id: str
    from_email: str | None = None
    max_send_rate: float | None = None


def paced_rate(max_send_rate: float) -> float:
    """E-mails per second dispatch actually sends for a ``max_send_rate`` (``ratelimit.rates``)."""
    return rates(max_send_rate, bulk_share=1.0).send


def _rate(value: float) -> str:
    return f"{value:g}/s"


def send_rate_verdicts(quota: Mapping[str, Any], merchants: Sequence[MerchantFacts]) -> list[Verdict]:
    """The merchants' ``notices.max_send_rate`` against SES's ``SendQuota.MaxSendRate``.

    DelayDesk paces each merchant's e-mail on its own (ratelimit.py): one merchant paced above the
    quota is throttled on every announcement (✘); several merchants that together exceed it are
    throttled only when they announce at once, and the throttled notices are retried (!).
    """
    max_rate = float(quota.get("MaxSendRate", 0))
    if not merchants:
        return [
            warn(
                f"no merchant registered: nothing to pace against the SES send quota ({_rate(max_rate)})",
                "delaydesk merchants put merchant.json --stack-name STACK",
            )
        ]
    out: list[Verdict] = []
    fix = (
        f"set its settings.notices.max_send_rate to {math.floor(max_rate) or max_rate:g} or less "
        "(delaydesk merchants put), or ask AWS for a higher SES sending quota"
    )
    for merchant in merchants:
        if merchant.max_send_rate is None:
            out.append(
                warn(
                    f"merchant {merchant.merchant_id} has no notices.max_send_rate",
                    f"an announcement is sent as fast as dispatch runs and SES throttles above {_rate(max_rate)}; "
                    "set it to the quota",
                )
            )
        elif paced_rate(merchant.max_send_rate) > max_rate:
            out.append(
                fail(
                    f"merchant {merchant.merchant_id} sends {_rate(paced_rate(merchant.max_send_rate))}, "
                    f"above the SES send quota of {_rate(max_rate)}",
                    fix,
                )
            )
    paced = [paced_rate(m.max_send_rate) for m in merchants if m.max_send_rate is not None]
    total = sum(paced)
    if len(paced) > 1 and total > max_rate and not any(v.status is Status.FAIL for v in out):
        out.append(
            warn(
                f"merchants together may send {_rate(total)}, above the SES send quota of {_rate(max_rate)}",
                "when several announce at once SES throttles (the notices are retried); lower their rates "
                "or ask AWS for a higher quota",
            )
        )
    if not out:
        out.append(ok(f"SES send quota {_rate(max_rate)} covers every merchant's send rate (in all {_rate(total)})"))
    return out


def configuration_set_verdict(name: str, destinations: Sequence[Mapping[str, Any]] | None) -> Verdict:
    """The SES configuration set that publishes bounces and complaints to ``ses_feedback``."""
    if not name:
        return warn(
            "no SES configuration set: bounces and complaints are not suppressed",
            "aws sesv2 create-configuration-set --configuration-set-name delaydesk, then deploy with "
            "ConfigurationSetName=delaydesk",
        )
    if destinations is None:
        return fail(
            f"SES configuration set {name} does not exist: SES refuses every e-mail that names it",
            f"aws sesv2 create-configuration-set --configuration-set-name {name}, then deploy again",
        )
    topics = [d for d in destinations if d.get("Enabled") and d.get("SnsDestination")]
    if not topics:
        return fail(
            f"SES configuration set {name} publishes no events to SNS: bounces are not suppressed",
            "deploy the stack again (it adds the delaydesk-feedback event destination)",
        )
    return ok(f"SES configuration set {name} publishes events to {len(topics)} topic(s)")


def sms_verdicts(attributes: Mapping[str, str], in_sandbox: bool) -> list[Verdict]:
    limit = attributes.get("MonthlySpendLimit", DEFAULT_SMS_SPEND_LIMIT)
    out: list[Verdict] = []
    if limit == DEFAULT_SMS_SPEND_LIMIT:
        out.append(
            warn(
                "SMS monthly spend limit is 1 USD (the default): SNS stops sending SMS after a few dozen",
                "ask AWS to raise the SMS spend quota, "
                "then aws sns set-sms-attributes --attributes MonthlySpendLimit=50",
            )
        )
    else:
        out.append(ok(f"SMS monthly spend limit {limit} USD"))
    if in_sandbox:
        out.append(
            warn(
                "SNS SMS sandbox: SMS reach verified phone numbers only",
                "ask to leave it (SNS console, Text messaging (SMS), Exit SMS sandbox); "
                "until then customers get e-mail",
            )
        )
    else:
        out.append(ok("SNS SMS out of the sandbox"))
    return out


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


# ------------------------------------------------------------------ the stack and its clients (I/O)


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    physical_id: str


@dataclass(frozen=True)
class Stack:
    name: str
    status: str
    parameters: Mapping[str, str]
    resources: tuple[Resource, ...]

    def parameter(self, key: str) -> str:
        return self.parameters.get(key, DEFAULT_PARAMETERS.get(key, ""))

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources if r.type == resource_type]

    def physical(self, logical_id: str) -> str | None:
        return next((r.physical_id for r in self.resources if r.logical_id == logical_id), None)


@dataclass(frozen=True)
class Clients:
    """The boto3 clients doctor uses, all for the stack's region (tests pass stubbed ones)."""

    cloudformation: CloudFormationClient
    sesv2: SESV2Client
    sns: SNSClient
    sqs: SQSClient
    cloudwatch: CloudWatchClient
    events: EventBridgeClient
    dynamodb: DynamoDBClient
    kms: Any
    ssm: Any
    scheduler: Any

    @classmethod
    def create(cls, region: str | None) -> Clients:
        """Clients for ``region`` (None: the configured one; none configured raises NoRegionError)."""
        import boto3

        session = boto3.session.Session(region_name=region)
        return cls(
            cloudformation=session.client("cloudformation"),
            sesv2=session.client("sesv2"),
            sns=session.client("sns"),
            sqs=session.client("sqs"),
            cloudwatch=session.client("cloudwatch"),
            events=session.client("events"),
            dynamodb=session.client("dynamodb"),
            kms=session.client("kms"),
            ssm=session.client("ssm"),
            scheduler=session.client("scheduler"),
        )


def read_stack(clients: Clients, name: str) -> Stack:
    """The stack's status, parameters and resources. An unknown stack raises CloudFormation's
    ValidationError ("Stack with id NAME does not exist"), which the CLI reports in one line."""
    (described,) = clients.cloudformation.describe_stacks(StackName=name)["Stacks"]
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
    resources = tuple(
        Resource(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
        for page in clients.cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        for r in page["StackResourceSummaries"]
    )
    return Stack(name, described["StackStatus"], parameters, resources)


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error", {})
        operation = getattr(exc, "operation_name", "the call")
        return f"{operation}: {error.get('Code', '?')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


def _not_found(exc: Exception, *codes: str) -> bool:
    response = getattr(exc, "response", None)
    return isinstance(response, Mapping) and response.get("Error", {}).get("Code") in codes


def _read_merchants(clients: Clients, stack: Stack) -> list[MerchantFacts]:
    from boto3.dynamodb.types import TypeDeserializer

    table = stack.physical("MerchantsTable")
    if not table:
        return []
    deserializer = TypeDeserializer()
    out: list[MerchantFacts] = []
    pages = clients.dynamodb.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="merchant_id, #doc", ExpressionAttributeNames={"#doc": "doc"}
    )
    for page in pages:
        for item in page.get("Items", []):
            doc = deserializer.deserialize(item["doc"]) if "doc" in item else {}
            settings = doc.get("settings") or {}
            rate = (settings.get("notices") or {}).get("max_send_rate")
            out.append(
                MerchantFacts(
                    merchant_id=str(deserializer.deserialize(item["merchant_id"])),
                    from_email=doc.get("from_email") or None,
                    max_send_rate=float(rate) if rate is not None else None,
                )
            )
    return sorted(out, key=lambda m: m.merchant_id)


def _read_identities(clients: Clients, names: Iterable[str]) -> dict[str, Mapping[str, Any] | None]:
    from botocore.exceptions import ClientError

    out: dict[str, Mapping[str, Any] | None] = {}
    for name in names:
        if name in out:
            continue
        try:
            out[name] = clients.sesv2.get_email_identity(EmailIdentity=name)
        except ClientError as exc:
            if not _not_found(exc, "NotFoundException"):
                raise
            out[name] = None
    return out


def _read_key(clients: Clients, key_id: str | None, cache: dict[str, TopicKey]) -> TopicKey:
    from botocore.exceptions import ClientError

    if not key_id:
        return TopicKey(None)
    if key_id in cache:
        return cache[key_id]
    if is_aws_managed_alias(key_id):
        key = TopicKey(key_id, aws_managed=True)
    else:
        try:
            metadata = clients.kms.describe_key(KeyId=key_id)["KeyMetadata"]
            if metadata.get("KeyManager") == "AWS":
                key = TopicKey(key_id, aws_managed=True)
            else:
                policy = clients.kms.get_key_policy(KeyId=metadata["Arn"], PolicyName="default")["Policy"]
                key = TopicKey(key_id, policy=policy)
        except ClientError as exc:
            key = TopicKey(key_id, error=_error(exc))
    cache[key_id] = key
    return key


@dataclass
class _Topics:
    """The topics AWS services publish to, with the services that publish to each."""

    publishers: dict[str, set[str]] = field(default_factory=dict)
    alarm_topics: list[str] = field(default_factory=list)

    def add(self, arn: str, service: str) -> None:
        self.publishers.setdefault(arn, set()).add(service)
        if service == CLOUDWATCH and arn not in self.alarm_topics:
            self.alarm_topics.append(arn)


def _guarded(what: str, check: Iterator[Verdict]) -> Iterator[Verdict]:
    """Run one check; an AWS refusal (a missing permission, say) becomes one warning line and the
    other checks go on. Credentials, region and network errors are not ClientErrors: they stop
    doctor, since no other check could run either."""
    from botocore.exceptions import ClientError

    try:
        yield from check
    except ClientError as exc:
        yield warn(f"could not check {what}", _error(exc))


def diagnose(clients: Clients, stack_name: str, webhook_sources: Sequence[str] = WEBHOOK_SOURCES) -> Iterator[Verdict]:
    """Every check of the stack, one verdict at a time (so the CLI prints as it goes)."""
    stack = read_stack(clients, stack_name)
    yield stack_verdict(stack.name, stack.status)
    merchants: list[MerchantFacts] = []
    yield from _guarded("the merchants' senders and send rates", _read_merchants_into(clients, stack, merchants))
    topics = _Topics()
    yield from _guarded("the SES sender identities", _check_senders(clients, stack, merchants))
    yield from _guarded("the SES account", _check_ses_account(clients, merchants))
    yield from _guarded("the SES configuration set", _check_configuration_set(clients, stack, topics))
    yield from _guarded("the SMS settings", _check_sms(clients))
    yield from _guarded("the alarms", _check_alarms(clients, stack, topics))
    yield from _guarded("the topic keys", _check_topic_keys(clients, topics))
    yield from _guarded("the alarm subscriptions", _check_subscriptions(clients, topics))
    yield from _guarded("the dead-letter queues", _check_dlqs(clients, stack))
    yield from _guarded("the schedules", _check_schedules(clients, stack))
    yield from _guarded("the secrets", _check_secrets(clients, stack, webhook_sources))


def _read_merchants_into(clients: Clients, stack: Stack, into: list[MerchantFacts]) -> Iterator[Verdict]:
    """Reads the merchants (for their senders and send rates) as a check that yields nothing
    itself, so that an unreadable table is one warning line like any refused check."""
    into.extend(_read_merchants(clients, stack))
    yield from ()


def _check_senders(clients: Clients, stack: Stack, merchants: Sequence[MerchantFacts]) -> Iterator[Verdict]:
    senders: dict[str, str] = {}
    sender_email = stack.parameter("SenderEmail")
    if sender_email:
        senders[sender_email.lower()] = "SenderEmail"
    for merchant in merchants:
        if merchant.from_email and merchant.from_email.lower() not in senders:
            senders[merchant.from_email.lower()] = f"from_email of {merchant.merchant_id}"
    if not senders:
        yield fail("the stack has no SenderEmail", "deploy again with SenderEmail=notices@yourshop.com")
        return
    identities = _read_identities(clients, (c for address in senders for c in identity_candidates(address)))
    for address, role in senders.items():
        yield sender_verdict(address, role, identities)
    domains = dict.fromkeys(identity_candidates(address)[1] for address in senders)
    for domain in domains:
        yield dkim_verdict(domain, identities)


def _check_ses_account(clients: Clients, merchants: Sequence[MerchantFacts]) -> Iterator[Verdict]:
    account = clients.sesv2.get_account()
    yield from account_verdicts(account)
    yield from send_rate_verdicts(account.get("SendQuota", {}), merchants)


def _check_configuration_set(clients: Clients, stack: Stack, topics: _Topics) -> Iterator[Verdict]:
    from botocore.exceptions import ClientError

    name = stack.parameter("ConfigurationSetName")
    destinations: list[Mapping[str, Any]] | None = []
    if name:
        try:
            destinations = list(
                clients.sesv2.get_configuration_set_event_destinations(ConfigurationSetName=name)["EventDestinations"]
            )
        except ClientError as exc:
            if not _not_found(exc, "NotFoundException"):
                raise
            destinations = None
    for destination in destinations or []:
        arn = (destination.get("SnsDestination") or {}).get("TopicArn")
        if destination.get("Enabled") and arn:
            topics.add(arn, SES)
    yield configuration_set_verdict(name, destinations)


def _check_sms(clients: Clients) -> Iterator[Verdict]:
    attributes = clients.sns.get_sms_attributes(attributes=["MonthlySpendLimit"]).get("attributes", {})
    in_sandbox = clients.sns.get_sms_sandbox_account_status()["IsInSandbox"]
    yield from sms_verdicts(attributes, in_sandbox)


def _check_alarms(clients: Clients, stack: Stack, topics: _Topics) -> Iterator[Verdict]:
    names = [r.physical_id for r in stack.of_type("AWS::CloudWatch::Alarm") if r.physical_id]
    if not names:
        yield fail("the stack has no CloudWatch alarms", "deploy the current template (every DLQ has an alarm)")
        return
    alarms: list[Mapping[str, Any]] = []
    for start in range(0, len(names), 100):
        pages = clients.cloudwatch.get_paginator("describe_alarms").paginate(AlarmNames=names[start : start + 100])
        alarms += [alarm for page in pages for alarm in page.get("MetricAlarms", [])]
    for alarm in alarms:
        for arn in [*alarm.get("AlarmActions", []), *alarm.get("OKActions", [])]:
            if arn.startswith("arn:") and ":sns:" in arn:
                topics.add(arn, CLOUDWATCH)
    missing = sorted(set(names) - {a["AlarmName"] for a in alarms})
    for name in missing:
        yield fail(f"alarm {name} of the stack does not exist", "deploy the stack again")
    yield from alarm_verdicts(alarms)


def _check_topic_keys(clients: Clients, topics: _Topics) -> Iterator[Verdict]:
    keys: dict[str, TopicKey] = {}
    for arn, services in topics.publishers.items():
        attributes = clients.sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        key = _read_key(clients, attributes.get("KmsMasterKeyId"), keys)
        for service in sorted(services):
            yield topic_key_verdict(arn, service, key)


def _check_subscriptions(clients: Clients, topics: _Topics) -> Iterator[Verdict]:
    for arn in topics.alarm_topics:
        pages = clients.sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        yield subscription_verdict(arn, [s for page in pages for s in page.get("Subscriptions", [])])


def _check_dlqs(clients: Clients, stack: Stack) -> Iterator[Verdict]:
    for queue in stack.of_type("AWS::SQS::Queue"):
        if not queue.logical_id.endswith("DLQ"):
            continue
        attributes = clients.sqs.get_queue_attributes(
            QueueUrl=queue.physical_id,
            AttributeNames=["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        count = int(attributes.get("ApproximateNumberOfMessages", 0))
        count += int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
        yield dlq_verdict(queue.logical_id, queue.physical_id, attributes.get("QueueArn", "?"), count, stack.name)


def _check_schedules(clients: Clients, stack: Stack) -> Iterator[Verdict]:
    rules = stack.of_type("AWS::Events::Rule")
    schedules = stack.of_type("AWS::Scheduler::Schedule")
    if not rules and not schedules:
        yield fail("the stack has no schedule: scan_due never runs", "deploy the current template")
        return
    for rule in rules:
        bus, _, name = rule.physical_id.rpartition("|")
        described = clients.events.describe_rule(Name=name, **({"EventBusName": bus} if bus else {}))
        expression = described.get("ScheduleExpression") or "event pattern"
        yield schedule_verdict(rule.logical_id, name, described.get("State", "UNKNOWN"), expression)
    for schedule in schedules:
        group, _, name = schedule.physical_id.rpartition("|")
        described = clients.scheduler.get_schedule(Name=name, **({"GroupName": group} if group else {}))
        yield schedule_verdict(
            schedule.logical_id,
            name,
            described.get("State", "UNKNOWN"),
            described.get("ScheduleExpression", "?"),
            scheduler=True,
        )


def _check_secrets(clients: Clients, stack: Stack, webhook_sources: Sequence[str]) -> Iterator[Verdict]:
    prefix = stack.parameter("WebhookSecretsPrefix").rstrip("/")
    wanted = {stack.parameter("OrderLinkKeyParameter"): "order-link key"}
    wanted |= {f"{prefix}/{source}": f"webhook secret for {source}" for source in webhook_sources}
    found = {
        p["Name"]: p.get("Type", "String")
        for p in clients.ssm.get_parameters(Names=list(wanted), WithDecryption=False).get("Parameters", [])
    }
    for name, purpose in wanted.items():
        yield secret_verdict(purpose, name, found.get(name))
