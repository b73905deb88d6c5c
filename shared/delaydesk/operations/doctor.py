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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

from delaydesk.operations.doctor_keys import CLOUDWATCH as CLOUDWATCH
from delaydesk.operations.doctor_keys import PUBLISH_ACTIONS as PUBLISH_ACTIONS
from delaydesk.operations.doctor_keys import SES as SES
from delaydesk.operations.doctor_keys import is_aws_managed_alias as is_aws_managed_alias
from delaydesk.operations.doctor_keys import key_policy_missing as key_policy_missing
from delaydesk.operations.doctor_limits import PUBLIC_FUNCTIONS as PUBLIC_FUNCTIONS
from delaydesk.operations.doctor_limits import concurrency_verdicts as concurrency_verdicts
from delaydesk.operations.doctor_mail import MerchantFacts as MerchantFacts
from delaydesk.operations.doctor_mail import account_verdicts as account_verdicts
from delaydesk.operations.doctor_mail import configuration_set_verdict as configuration_set_verdict
from delaydesk.operations.doctor_mail import dkim_verdict as dkim_verdict
from delaydesk.operations.doctor_mail import identity_candidates as identity_candidates
from delaydesk.operations.doctor_mail import paced_rate as paced_rate
from delaydesk.operations.doctor_mail import send_rate_verdicts as send_rate_verdicts
from delaydesk.operations.doctor_mail import sender_verdict as sender_verdict
from delaydesk.operations.doctor_mail import sms_verdicts as sms_verdicts
from delaydesk.operations.doctor_verdicts import DEFAULT_PARAMETERS as DEFAULT_PARAMETERS
from delaydesk.operations.doctor_verdicts import DEFAULT_SMS_SPEND_LIMIT as DEFAULT_SMS_SPEND_LIMIT
from delaydesk.operations.doctor_verdicts import FAILED_STACK_STATUSES as FAILED_STACK_STATUSES
from delaydesk.operations.doctor_verdicts import WEBHOOK_SOURCES as WEBHOOK_SOURCES
from delaydesk.operations.doctor_verdicts import Status as Status
from delaydesk.operations.doctor_verdicts import TopicKey as TopicKey
from delaydesk.operations.doctor_verdicts import Verdict as Verdict
from delaydesk.operations.doctor_verdicts import alarm_verdicts as alarm_verdicts
from delaydesk.operations.doctor_verdicts import dlq_verdict as dlq_verdict
from delaydesk.operations.doctor_verdicts import exit_code as exit_code
from delaydesk.operations.doctor_verdicts import fail as fail
from delaydesk.operations.doctor_verdicts import ok as ok
from delaydesk.operations.doctor_verdicts import schedule_verdict as schedule_verdict
from delaydesk.operations.doctor_verdicts import secret_verdict as secret_verdict
from delaydesk.operations.doctor_verdicts import stack_verdict as stack_verdict
from delaydesk.operations.doctor_verdicts import subscription_verdict as subscription_verdict
from delaydesk.operations.doctor_verdicts import topic_key_verdict as topic_key_verdict
from delaydesk.operations.doctor_verdicts import topic_name as topic_name
from delaydesk.operations.doctor_verdicts import warn as warn

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
    lambda_: Any = None
    """Lambda (the public functions' reserved concurrency); None: that check is left out."""

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
            lambda_=session.client("lambda"),
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


def diagnose(
    clients: Clients,
    stack_name: str,
    webhook_sources: Sequence[str] = WEBHOOK_SOURCES,
    helpdesks: Sequence[tuple[str, str]] = (),
) -> Iterator[Verdict]:
    """Every check of the stack, one verdict at a time (so the CLI prints as it goes).
    ``helpdesks``: the (source, merchant) help desks whose per-merchant secrets must exist."""
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
    yield from _guarded("the secrets", _check_secrets(clients, stack, webhook_sources, helpdesks))
    yield from _guarded("the public functions' reserved concurrency", _check_concurrency(clients, stack))


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


def _check_secrets(
    clients: Clients, stack: Stack, webhook_sources: Sequence[str], helpdesks: Sequence[tuple[str, str]] = ()
) -> Iterator[Verdict]:
    prefix = stack.parameter("WebhookSecretsPrefix").rstrip("/")
    wanted = {stack.parameter("OrderLinkKeyParameter"): "order-link key"}
    wanted |= {f"{prefix}/{source}": f"webhook secret for {source}" for source in webhook_sources}
    wanted |= {
        f"{prefix}/helpdesk/{source}/{merchant}": f"help-desk secret for {source} of {merchant}"
        for source, merchant in helpdesks
    }
    names = list(wanted)
    found = {
        p["Name"]: p.get("Type", "String")
        for start in range(0, len(names), 10)  # GetParameters takes 10 names at most
        for p in clients.ssm.get_parameters(Names=names[start : start + 10], WithDecryption=False).get("Parameters", [])
    }
    for name, purpose in wanted.items():
        yield secret_verdict(purpose, name, found.get(name))


def _check_concurrency(clients: Clients, stack: Stack) -> Iterator[Verdict]:
    public = [f for f in stack.of_type("AWS::Lambda::Function") if f.logical_id in PUBLIC_FUNCTIONS]
    if not public or clients.lambda_ is None:
        return
    limits = clients.lambda_.get_account_settings()["AccountLimit"]
    reserved = {
        f.logical_id: clients.lambda_.get_function_concurrency(FunctionName=f.physical_id).get(
            "ReservedConcurrentExecutions"
        )
        for f in public
    }
    yield from concurrency_verdicts(
        int(limits["ConcurrentExecutions"]), int(limits["UnreservedConcurrentExecutions"]), reserved
    )
