"""``delaydesk doctor`` against stubbed AWS answers (botocore's Stubber checks every request and
response against the service models, so the shapes here are the real APIs' shapes).

``Account`` holds the facts of one deployed stack and queues the answers doctor's calls get, in
the order it makes them; each test changes one fact and asserts the exact verdict of that check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from delaydesk.cli import main
from delaydesk.operations import doctor
from delaydesk.operations.doctor import Clients, MerchantFacts, Status, Verdict, key_policy_missing

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "delaydesk-prod"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
OPS_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-OpsAlarmsTopic-AbC123"
FEEDBACK_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-SesFeedbackTopic-DeF456"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}"


def key_policy(*services: str, actions: list[str] | None = None) -> str:
    """A customer managed key's policy as `aws kms get-key-policy` returns it: the account's
    default statement, then one for the publishing services."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if services:
        statements.append(
            {
                "Sid": "AllowServicesToPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": list(services)},
                "Action": actions or ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": statements})


@dataclass
class Account:
    """A healthy stack and account; tests change one thing."""

    stack_status: str = "UPDATE_COMPLETE"
    sender: str = "notices@yourshop.com"
    configuration_set: str = "delaydesk"
    verified: bool = True
    dkim_status: str = "SUCCESS"
    production_access: bool = True
    max_send_rate: float = 14.0
    merchant_rate: float | None = 10.0
    spend_limit: str | None = "50"
    sms_sandbox: bool = False
    topic_key: str | None = "alias/delaydesk-topics"
    key_manager: str = "CUSTOMER"
    policy: str = field(default_factory=lambda: key_policy("cloudwatch.amazonaws.com", "ses.amazonaws.com"))
    subscriptions: list[str] = field(default_factory=lambda: [f"{OPS_TOPIC}:0f3c-confirmed"])
    dlq_counts: dict[str, int] = field(default_factory=lambda: {"OrderEventsDLQ": 0, "NoticesDLQ": 0})
    rule_state: str = "ENABLED"
    parameters: dict[str, str] = field(
        default_factory=lambda: {
            "/delaydesk/order-link-key": "SecureString",
            "/delaydesk/webhooks/aftership": "SecureString",
            "/delaydesk/webhooks/easypost": "SecureString",
            "/delaydesk/webhooks/generic": "SecureString",
        }
    )

    # ---- the answers, in the order doctor asks
    def stub(self, s: dict[str, Stubber]) -> None:
        self._cloudformation(s["cloudformation"])
        self._dynamodb(s["dynamodb"])
        self._sesv2(s["sesv2"])
        self._sns(s["sns"])
        self._kms(s["kms"])
        s["cloudwatch"].add_response(
            "describe_alarms",
            {"MetricAlarms": [self._alarm("OrderEventsDLQAlarm"), self._alarm("NoticesDLQAlarm")]},
            {"AlarmNames": [f"{STACK}-OrderEventsDLQAlarm-1", f"{STACK}-NoticesDLQAlarm-2"]},
        )
        for logical_id, count in self.dlq_counts.items():
            s["sqs"].add_response(
                "get_queue_attributes",
                {
                    "Attributes": {
                        "QueueArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-{logical_id}",
                        "ApproximateNumberOfMessages": str(count),
                        "ApproximateNumberOfMessagesNotVisible": "0",
                    }
                },
                {
                    "QueueUrl": f"{QUEUE}/{STACK}-{logical_id}",
                    "AttributeNames": [
                        "QueueArn",
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                },
            )
        rule = f"{STACK}-ScanDueFunctionEveryFiveMinutes-9XyZ"
        s["events"].add_response(
            "describe_rule",
            {
                "Name": rule,
                "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}",
                "ScheduleExpression": "rate(5 minutes)",
                "State": self.rule_state,
                "EventBusName": "default",
            },
            {"Name": rule},
        )
        found: dict[str, Any] = {
            "Parameters": [
                {
                    "Name": name,
                    "Type": kind,
                    "Value": "AQICAHh…",
                    "Version": 1,
                    "ARN": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}",
                }
                for name, kind in self.parameters.items()
            ]
        }
        invalid = [n for n in self._wanted_parameters() if n not in self.parameters]
        if invalid:  # SSM leaves the key out when every name exists (the model's minimum length is 1)
            found["InvalidParameters"] = invalid
        s["ssm"].add_response(
            "get_parameters",
            found,
            {"Names": self._wanted_parameters(), "WithDecryption": False},
        )

    @staticmethod
    def _wanted_parameters() -> list[str]:
        return [
            "/delaydesk/order-link-key",
            "/delaydesk/webhooks/aftership",
            "/delaydesk/webhooks/easypost",
            "/delaydesk/webhooks/generic",
        ]

    def _cloudformation(self, stub: Stubber) -> None:
        parameters = {
            "Stage": "prod",
            "SenderEmail": self.sender,
            "ConfigurationSetName": self.configuration_set,
            "WebhookSecretsPrefix": "/delaydesk/webhooks",
            "OrderLinkKeyParameter": "/delaydesk/order-link-key",
        }
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": STACK,
                        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/a1b2",
                        "CreationTime": NOW,
                        "StackStatus": self.stack_status,
                        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                    }
                ]
            },
            {"StackName": STACK},
        )
        resources = [
            ("MerchantsTable", "AWS::DynamoDB::Table", f"{STACK}-MerchantsTable-1"),
            ("OrderEventsQueue", "AWS::SQS::Queue", f"{QUEUE}/{STACK}-OrderEventsQueue"),
            ("OrderEventsDLQ", "AWS::SQS::Queue", f"{QUEUE}/{STACK}-OrderEventsDLQ"),
            ("NoticesDLQ", "AWS::SQS::Queue", f"{QUEUE}/{STACK}-NoticesDLQ"),
            ("OpsAlarmsTopic", "AWS::SNS::Topic", OPS_TOPIC),
            ("SesFeedbackTopic", "AWS::SNS::Topic", FEEDBACK_TOPIC),
            ("OrderEventsDLQAlarm", "AWS::CloudWatch::Alarm", f"{STACK}-OrderEventsDLQAlarm-1"),
            ("NoticesDLQAlarm", "AWS::CloudWatch::Alarm", f"{STACK}-NoticesDLQAlarm-2"),
            ("ScanDueFunctionEveryFiveMinutes", "AWS::Events::Rule", f"{STACK}-ScanDueFunctionEveryFiveMinutes-9XyZ"),
        ]
        stub.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    {
                        "LogicalResourceId": logical,
                        "PhysicalResourceId": physical,
                        "ResourceType": kind,
                        "LastUpdatedTimestamp": NOW,
                        "ResourceStatus": "UPDATE_COMPLETE",
                    }
                    for logical, kind, physical in resources
                ]
            },
            {"StackName": STACK},
        )

    def _dynamodb(self, stub: Stubber) -> None:
        notices: dict[str, Any] = {"quiet_start": {"S": "21:00:00"}}
        if self.merchant_rate is not None:
            notices["max_send_rate"] = {"N": str(self.merchant_rate)}
        doc = {
            "merchant_id": {"S": "m-teahouse"},
            "from_email": {"S": "service@yourshop.com"},
            "settings": {"M": {"notices": {"M": notices}}},
        }
        stub.add_response(
            "scan",
            {"Items": [{"merchant_id": {"S": "m-teahouse"}, "doc": {"M": doc}}], "Count": 1, "ScannedCount": 1},
            {
                "TableName": f"{STACK}-MerchantsTable-1",
                "ProjectionExpression": "merchant_id, #doc",
                "ExpressionAttributeNames": {"#doc": "doc"},
            },
        )

    def _sesv2(self, stub: Stubber) -> None:
        stub.add_client_error(
            "get_email_identity", "NotFoundException", "Email identity <notices@yourshop.com> does not exist.", 404
        )
        stub.add_response(
            "get_email_identity",
            {
                "IdentityType": "DOMAIN",
                "FeedbackForwardingStatus": True,
                "VerifiedForSendingStatus": self.verified,
                "VerificationStatus": "SUCCESS" if self.verified else "PENDING",
                "DkimAttributes": {
                    "SigningEnabled": True,
                    "Status": self.dkim_status,
                    "Tokens": ["t1", "t2", "t3"],
                    "SigningAttributesOrigin": "AWS_SES",
                },
            },
            {"EmailIdentity": "yourshop.com"},
        )
        stub.add_client_error(
            "get_email_identity", "NotFoundException", "Email identity <service@yourshop.com> does not exist.", 404
        )
        stub.add_response(
            "get_account",
            {
                "DedicatedIpAutoWarmupEnabled": False,
                "EnforcementStatus": "HEALTHY",
                "ProductionAccessEnabled": self.production_access,
                "SendQuota": {
                    "Max24HourSend": 50000.0 if self.production_access else 200.0,
                    "MaxSendRate": self.max_send_rate,
                    "SentLast24Hours": 12.0,
                },
                "SendingEnabled": True,
            },
            {},
        )
        stub.add_response(
            "get_configuration_set_event_destinations",
            {
                "EventDestinations": [
                    {
                        "Name": "delaydesk-feedback",
                        "Enabled": True,
                        "MatchingEventTypes": ["DELIVERY", "BOUNCE", "COMPLAINT", "OPEN", "CLICK", "REJECT"],
                        "SnsDestination": {"TopicArn": FEEDBACK_TOPIC},
                    }
                ]
            },
            {"ConfigurationSetName": "delaydesk"},
        )

    def _sns(self, stub: Stubber) -> None:
        attributes = {"DefaultSMSType": "Transactional"}
        if self.spend_limit is not None:
            attributes["MonthlySpendLimit"] = self.spend_limit
        stub.add_response("get_sms_attributes", {"attributes": attributes}, {"attributes": ["MonthlySpendLimit"]})
        stub.add_response("get_sms_sandbox_account_status", {"IsInSandbox": self.sms_sandbox}, {})
        for topic in (FEEDBACK_TOPIC, OPS_TOPIC):
            topic_attributes = {"TopicArn": topic, "Owner": ACCOUNT, "SubscriptionsConfirmed": "1"}
            if self.topic_key:
                topic_attributes["KmsMasterKeyId"] = self.topic_key
            stub.add_response("get_topic_attributes", {"Attributes": topic_attributes}, {"TopicArn": topic})
        stub.add_response(
            "list_subscriptions_by_topic",
            {
                "Subscriptions": [
                    {
                        "SubscriptionArn": arn,
                        "Owner": ACCOUNT,
                        "Protocol": "email",
                        "Endpoint": "ops@yourshop.com",
                        "TopicArn": OPS_TOPIC,
                    }
                    for arn in self.subscriptions
                ]
            },
            {"TopicArn": OPS_TOPIC},
        )

    def _kms(self, stub: Stubber) -> None:
        if not self.topic_key or self.topic_key.startswith("alias/aws/"):
            return
        stub.add_response(
            "describe_key",
            {
                "KeyMetadata": {
                    "AWSAccountId": ACCOUNT,
                    "KeyId": KEY_ID,
                    "Arn": KEY_ARN,
                    "Enabled": True,
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "KeyState": "Enabled",
                    "KeyManager": self.key_manager,
                }
            },
            {"KeyId": self.topic_key},
        )
        if self.key_manager == "CUSTOMER":
            stub.add_response(
                "get_key_policy",
                {"Policy": self.policy, "PolicyName": "default"},
                {"KeyId": KEY_ARN, "PolicyName": "default"},
            )

    @staticmethod
    def _alarm(logical_id: str) -> dict[str, Any]:
        name = f"{STACK}-{logical_id}-{1 if logical_id.startswith('Order') else 2}"
        return {
            "AlarmName": name,
            "AlarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
            "ActionsEnabled": True,
            "AlarmActions": [OPS_TOPIC],
            "OKActions": [],
            "StateValue": "OK",
        }


SERVICES = ("cloudformation", "sesv2", "sns", "sqs", "cloudwatch", "events", "dynamodb", "kms", "ssm", "scheduler")


@pytest.fixture
def stubs() -> Iterator[dict[str, Stubber]]:
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    stubbers = {name: Stubber(session.client(name)) for name in SERVICES}
    for stubber in stubbers.values():
        stubber.activate()
    yield stubbers
    for stubber in stubbers.values():
        stubber.deactivate()


def run(account: Account, stubs: dict[str, Stubber]) -> tuple[list[Verdict], int]:
    account.stub(stubs)
    clients = Clients(**{name: stub.client for name, stub in stubs.items()})
    verdicts = list(doctor.diagnose(clients, STACK))
    for stub in stubs.values():
        stub.assert_no_pending_responses()  # every answer queued was asked for
    return verdicts, doctor.exit_code(verdicts)


HEALTHY = [
    "✔ stack delaydesk-prod is UPDATE_COMPLETE",
    "✔ SES sender notices@yourshop.com (SenderEmail) verified (identity yourshop.com)",
    "✔ SES sender service@yourshop.com (from_email of m-teahouse) verified (identity yourshop.com)",
    "✔ DKIM signing of yourshop.com",
    "✔ SES account has production access (out of the sandbox)",
    "✔ SES sending enabled (account HEALTHY)",
    "✔ SES send quota 14/s covers every merchant's send rate (in all 10/s)",
    "✔ SES configuration set delaydesk publishes events to 1 topic(s)",
    "✔ SMS monthly spend limit 50 USD",
    "✔ SNS SMS out of the sandbox",
    "✔ 2 alarm(s) with their actions enabled",
    "✔ topic delaydesk-prod-SesFeedbackTopic-DeF456: key alias/delaydesk-topics lets ses.amazonaws.com publish",
    "✔ topic delaydesk-prod-OpsAlarmsTopic-AbC123: key alias/delaydesk-topics lets cloudwatch.amazonaws.com publish",
    "✔ alarms on delaydesk-prod-OpsAlarmsTopic-AbC123 reach 1 confirmed subscriber(s): ops@yourshop.com",
    "✔ OrderEventsDLQ is empty",
    "✔ NoticesDLQ is empty",
    "✔ schedule ScanDueFunctionEveryFiveMinutes (rate(5 minutes)) enabled",
    "✔ order-link key /delaydesk/order-link-key is a SecureString",
    "✔ webhook secret for aftership /delaydesk/webhooks/aftership is a SecureString",
    "✔ webhook secret for easypost /delaydesk/webhooks/easypost is a SecureString",
    "✔ webhook secret for generic /delaydesk/webhooks/generic is a SecureString",
]


def lines(verdicts: list[Verdict]) -> list[str]:
    return [v.line() for v in verdicts]


def changed(verdicts: list[Verdict]) -> list[str]:
    """The lines that differ from the healthy run."""
    return [line for line in lines(verdicts) if line not in HEALTHY]


def test_a_healthy_stack_passes_every_check(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(), stubs)
    assert lines(verdicts) == HEALTHY
    assert code == 0


def test_the_aws_managed_key_on_the_alarm_topic_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(topic_key="alias/aws/sns"), stubs)
    assert changed(verdicts) == [
        "✘ topic delaydesk-prod-SesFeedbackTopic-DeF456 is encrypted with the AWS managed key alias/aws/sns: "
        "ses alerts are dropped — ses.amazonaws.com cannot use the AWS managed key; use a customer managed key "
        "whose policy allows it (kms:GenerateDataKey*, kms:Decrypt)",
        "✘ topic delaydesk-prod-OpsAlarmsTopic-AbC123 is encrypted with the AWS managed key alias/aws/sns: "
        "cloudwatch alerts are dropped — cloudwatch.amazonaws.com cannot use the AWS managed key; use a customer "
        "managed key whose policy allows it (kms:GenerateDataKey*, kms:Decrypt)",
    ]
    assert code == 1


def test_a_key_that_aws_manages_under_its_own_id_fails_too(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(topic_key=KEY_ID, key_manager="AWS"), stubs)
    failed = [v for v in verdicts if v.status is Status.FAIL]
    assert [v.what for v in failed] == [
        f"topic delaydesk-prod-SesFeedbackTopic-DeF456 is encrypted with the AWS managed key {KEY_ID}: "
        "ses alerts are dropped",
        f"topic delaydesk-prod-OpsAlarmsTopic-AbC123 is encrypted with the AWS managed key {KEY_ID}: "
        "cloudwatch alerts are dropped",
    ]
    assert code == 1


def test_a_key_policy_without_cloudwatch_fails_the_alarm_topic_only(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(policy=key_policy("ses.amazonaws.com")), stubs)
    (line,) = changed(verdicts)
    assert line.startswith(
        "✘ topic delaydesk-prod-OpsAlarmsTopic-AbC123: the policy of key alias/delaydesk-topics does not allow "
        "cloudwatch.amazonaws.com kms:GenerateDataKey, kms:Decrypt — add {"
    )
    assert "aws kms put-key-policy --key-id alias/delaydesk-topics --policy-name default" in line
    assert code == 1


def test_the_ses_sandbox_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(production_access=False, max_send_rate=1.0, merchant_rate=1.0), stubs)
    assert changed(verdicts) == [
        "✘ SES account is in the sandbox: mail reaches verified addresses only, so no customer gets a notice — "
        "request production access (SES console, or aws sesv2 put-account-details --production-access-enabled "
        '--mail-type TRANSACTIONAL --website-url https://yourshop.com --use-case-description "...")',
        "✔ SES send quota 1/s covers every merchant's send rate (in all 1/s)",
    ]
    assert code == 1


def test_a_merchant_paced_above_the_ses_quota_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(merchant_rate=20.5), stubs)
    assert changed(verdicts) == [
        "✘ merchant m-teahouse sends 20/s, above the SES send quota of 14/s — set its "
        "settings.notices.max_send_rate to 14 or less (delaydesk merchants put), or ask AWS for a higher SES "
        "sending quota"
    ]
    assert code == 1


def test_a_merchant_paced_at_a_fraction_above_the_quota_is_rounded_down_as_dispatch_does(
    stubs: dict[str, Stubber],
) -> None:
    verdicts, code = run(Account(merchant_rate=14.9), stubs)
    assert changed(verdicts) == ["✔ SES send quota 14/s covers every merchant's send rate (in all 14/s)"]
    assert code == 0


def test_an_unpaced_merchant_is_a_warning(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(merchant_rate=None), stubs)
    assert changed(verdicts) == [
        "! merchant m-teahouse has no notices.max_send_rate — an announcement is sent as fast as dispatch runs "
        "and SES throttles above 14/s; set it to the quota"
    ]
    assert code == 0


def test_an_unverified_sender_and_pending_dkim_fail(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(verified=False, dkim_status="PENDING"), stubs)
    assert changed(verdicts) == [
        "✘ SES sender notices@yourshop.com (SenderEmail) is not verified (identity yourshop.com is PENDING) — "
        "publish the DKIM CNAME records of `aws sesv2 get-email-identity --email-identity yourshop.com` in DNS "
        "and wait for SUCCESS",
        "✘ SES sender service@yourshop.com (from_email of m-teahouse) is not verified (identity yourshop.com is "
        "PENDING) — publish the DKIM CNAME records of `aws sesv2 get-email-identity --email-identity yourshop.com` "
        "in DNS and wait for SUCCESS",
        "✘ DKIM of yourshop.com is PENDING — publish the three CNAME records of `aws sesv2 get-email-identity "
        "--email-identity yourshop.com` (DkimAttributes.Tokens) in DNS and wait for SUCCESS",
    ]
    assert code == 1


def test_the_sms_defaults_are_warnings(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(spend_limit=None, sms_sandbox=True), stubs)
    assert [v.status for v in verdicts if "SMS" in v.what] == [Status.WARN, Status.WARN]
    assert changed(verdicts) == [
        "! SMS monthly spend limit is 1 USD (the default): SNS stops sending SMS after a few dozen — ask AWS to "
        "raise the SMS spend quota, then aws sns set-sms-attributes --attributes MonthlySpendLimit=50",
        "! SNS SMS sandbox: SMS reach verified phone numbers only — ask to leave it (SNS console, Text messaging "
        "(SMS), Exit SMS sandbox); until then customers get e-mail",
    ]
    assert code == 0


def test_a_pending_subscription_is_a_warning(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(subscriptions=["PendingConfirmation"]), stubs)
    assert changed(verdicts) == [
        "! no one receives the alarms on delaydesk-prod-OpsAlarmsTopic-AbC123 yet — confirm the e-mail sent to "
        "ops@yourshop.com (the link in 'AWS Notification - Subscription Confirmation')"
    ]
    assert code == 0


def test_an_alarm_topic_without_subscribers_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(subscriptions=[]), stubs)
    assert changed(verdicts) == [
        "✘ no one receives the alarms on delaydesk-prod-OpsAlarmsTopic-AbC123 — deploy again with "
        f"AlertEmail=you@yourshop.com (or: aws sns subscribe --topic-arn {OPS_TOPIC} --protocol email "
        "--notification-endpoint you@yourshop.com), then confirm the e-mail it sends"
    ]
    assert code == 1


def test_a_non_empty_dlq_fails_with_the_count_and_the_fix(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(dlq_counts={"OrderEventsDLQ": 3, "NoticesDLQ": 0}), stubs)
    assert changed(verdicts) == [
        "✘ OrderEventsDLQ holds 3 message(s) — see why (delaydesk rejected list --category failing --stack-name "
        "delaydesk-prod), fix the cause, then redrive: aws sqs start-message-move-task --source-arn "
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:delaydesk-prod-OrderEventsDLQ"
    ]
    assert code == 1


def test_a_disabled_schedule_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(rule_state="DISABLED"), stubs)
    assert changed(verdicts) == [
        "✘ schedule ScanDueFunctionEveryFiveMinutes (rate(5 minutes)) is DISABLED: nothing runs it — "
        "aws events enable-rule --name delaydesk-prod-ScanDueFunctionEveryFiveMinutes-9XyZ"
    ]
    assert code == 1


def test_a_missing_webhook_secret_and_a_plain_order_link_key_fail(stubs: dict[str, Stubber]) -> None:
    account = Account()
    del account.parameters["/delaydesk/webhooks/easypost"]
    account.parameters["/delaydesk/order-link-key"] = "String"
    verdicts, code = run(account, stubs)
    assert changed(verdicts) == [
        "✘ order-link key /delaydesk/order-link-key is a plain String, readable by anyone who may read parameters"
        " — aws ssm delete-parameter --name /delaydesk/order-link-key; aws ssm put-parameter --type SecureString"
        " --name /delaydesk/order-link-key --value"
        " \"$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')\"",
        "✘ webhook secret for easypost /delaydesk/webhooks/easypost does not exist: every easypost webhook is "
        "refused with 401 — aws ssm put-parameter --type SecureString --name /delaydesk/webhooks/easypost --value "
        '"$EASYPOST_SECRET"',
    ]
    assert code == 1


def test_a_stack_whose_update_failed_fails(stubs: dict[str, Stubber]) -> None:
    verdicts, code = run(Account(stack_status="UPDATE_ROLLBACK_FAILED"), stubs)
    assert changed(verdicts)[0].startswith("✘ stack delaydesk-prod is UPDATE_ROLLBACK_FAILED — see the stack's events")
    assert code == 1


def test_a_refused_call_is_one_warning_and_the_other_checks_go_on(stubs: dict[str, Stubber]) -> None:
    account = Account()
    account.stub(stubs)
    # replace the SMS answers by a refusal of the first SMS call
    stubs["sns"].deactivate()
    stubs["sns"] = Stubber(stubs["sns"].client)
    sns = stubs["sns"]
    sns.activate()
    sns.add_client_error(
        "get_sms_attributes", "AuthorizationError", "User is not authorized to perform: SNS:GetSMSAttributes", 403
    )
    for topic in (FEEDBACK_TOPIC, OPS_TOPIC):
        sns.add_response(
            "get_topic_attributes",
            {"Attributes": {"TopicArn": topic, "KmsMasterKeyId": "alias/delaydesk-topics"}},
            {"TopicArn": topic},
        )
    sns.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [{"SubscriptionArn": f"{OPS_TOPIC}:1", "Endpoint": "ops@yourshop.com", "Protocol": "email"}]},
        {"TopicArn": OPS_TOPIC},
    )
    clients = Clients(**{name: stub.client for name, stub in stubs.items()})
    verdicts = list(doctor.diagnose(clients, STACK))
    assert changed(verdicts) == [
        "! could not check the SMS settings — GetSMSAttributes: AuthorizationError: User is not authorized to "
        "perform: SNS:GetSMSAttributes"
    ]
    assert len(verdicts) == len(HEALTHY) - 1  # the two SMS lines became one warning
    assert doctor.exit_code(verdicts) == 0


def test_doctor_through_the_cli_prints_each_line_and_exits_with_the_verdict(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Account(rule_state="DISABLED").stub(stubs)
    regions: list[str | None] = []

    def create(region: str | None) -> Clients:
        regions.append(region)
        return Clients(**{name: stub.client for name, stub in stubs.items()})

    monkeypatch.setattr(Clients, "create", staticmethod(create))
    assert main(["doctor", "--stack", STACK, "--region", REGION]) == 1
    out = capsys.readouterr()
    assert regions == [REGION]
    assert out.err == ""
    printed = out.out.splitlines()
    assert len(printed) == len(HEALTHY) and printed[0] == HEALTHY[0]
    assert sum(line.startswith("✘ schedule ScanDueFunctionEveryFiveMinutes") for line in printed) == 1


def test_a_missing_stack_is_one_line_on_stderr_and_exit_2(
    stubs: dict[str, Stubber], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs["cloudformation"].add_client_error(
        "describe_stacks",
        "ValidationError",
        "Stack with id nope does not exist",
        400,
        expected_params={"StackName": "nope"},
    )
    monkeypatch.setattr(
        Clients, "create", staticmethod(lambda region: Clients(**{n: s.client for n, s in stubs.items()}))
    )
    assert main(["doctor", "--stack", "nope", "--region", REGION]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"delaydesk: doctor: Stack with id nope does not exist (check --stack-name and the region {REGION})"
    ]


def test_only_the_webhook_sources_asked_for_are_checked(
    stubs: dict[str, Stubber],
) -> None:
    account = Account()
    account.stub(stubs)
    stubs["ssm"].deactivate()
    ssm = Stubber(stubs["ssm"].client)
    stubs["ssm"] = ssm
    ssm.activate()
    ssm.add_response(
        "get_parameters",
        {
            "Parameters": [{"Name": "/delaydesk/order-link-key", "Type": "SecureString"}],
            "InvalidParameters": ["/delaydesk/webhooks/generic"],
        },
        {"Names": ["/delaydesk/order-link-key", "/delaydesk/webhooks/generic"], "WithDecryption": False},
    )
    clients = Clients(**{name: stub.client for name, stub in stubs.items()})
    verdicts = list(doctor.diagnose(clients, STACK, webhook_sources=("generic",)))
    assert lines(verdicts)[-2:] == [
        "✔ order-link key /delaydesk/order-link-key is a SecureString",
        "✘ webhook secret for generic /delaydesk/webhooks/generic does not exist: every generic webhook is refused "
        "with 401 — aws ssm put-parameter --type SecureString --name /delaydesk/webhooks/generic --value "
        '"$GENERIC_SECRET"',
    ]


def test_the_help_desks_asked_for_have_their_per_merchant_secrets_checked(
    stubs: dict[str, Stubber],
) -> None:
    account = Account()
    account.stub(stubs)
    stubs["ssm"].deactivate()
    ssm = Stubber(stubs["ssm"].client)
    stubs["ssm"] = ssm
    ssm.activate()
    zendesk, freshdesk = "/delaydesk/webhooks/helpdesk/zendesk/m1", "/delaydesk/webhooks/helpdesk/freshdesk/m-2"
    ssm.add_response(
        "get_parameters",
        {
            "Parameters": [
                {"Name": "/delaydesk/order-link-key", "Type": "SecureString"},
                {"Name": zendesk, "Type": "SecureString"},
            ],
            "InvalidParameters": [freshdesk],
        },
        {"Names": ["/delaydesk/order-link-key", zendesk, freshdesk], "WithDecryption": False},
    )
    clients = Clients(**{name: stub.client for name, stub in stubs.items()})
    helpdesks = (("zendesk", "m1"), ("freshdesk", "m-2"))
    verdicts = list(doctor.diagnose(clients, STACK, webhook_sources=(), helpdesks=helpdesks))
    assert lines(verdicts)[-3:] == [
        "✔ order-link key /delaydesk/order-link-key is a SecureString",
        f"✔ help-desk secret for zendesk of m1 {zendesk} is a SecureString",
        f"✘ help-desk secret for freshdesk of m-2 {freshdesk} does not exist: every freshdesk help-desk webhook of "
        f"m-2 is refused with 401 — aws ssm put-parameter --type SecureString --name {freshdesk} --value "
        '"$FRESHDESK_SECRET"',
    ]


# ------------------------------------------------------------------ the pure parts


CW = "cloudwatch.amazonaws.com"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("statement", "missing"),
    [
        ({"Effect": "Allow", "Principal": {"Service": CW}, "Action": ["kms:GenerateDataKey*", "kms:Decrypt"]}, ()),
        ({"Effect": "Allow", "Principal": {"Service": [CW]}, "Action": "kms:*"}, ()),
        ({"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"StringEquals": {"a": "b"}}}, ()),
        ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["KMS:generatedatakey", "kms:decrypt"]}, ()),
        ({"Effect": "Allow", "Principal": {"Service": CW}, "NotAction": "kms:ScheduleKeyDeletion"}, ()),
        (
            {"Effect": "Allow", "Principal": {"Service": CW}, "Action": "kms:GenerateDataKey*"},
            ("kms:Decrypt",),
        ),
        (
            {"Effect": "Allow", "Principal": {"Service": CW}, "Action": "kms:GenerateDataKeyPair"},
            ("kms:GenerateDataKey", "kms:Decrypt"),
        ),
        (
            {"Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"}, "Action": "kms:*"},
            ("kms:GenerateDataKey", "kms:Decrypt"),
        ),
        (
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"},
            ("kms:GenerateDataKey", "kms:Decrypt"),
        ),
        (
            {"Effect": "Deny", "Principal": {"Service": CW}, "Action": "kms:*"},
            ("kms:GenerateDataKey", "kms:Decrypt"),
        ),
    ],
)
def test_key_policy_evaluation(statement: dict[str, Any], missing: tuple[str, ...]) -> None:
    assert key_policy_missing(_policy(statement), CW) == missing


def test_an_unconditional_deny_overrides_an_allow_and_a_conditional_one_does_not() -> None:
    allow = {"Effect": "Allow", "Principal": {"Service": CW}, "Action": "kms:*", "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    assert key_policy_missing(_policy(allow, deny), CW) == ("kms:Decrypt",)
    conditional = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert key_policy_missing(_policy(allow, conditional), CW) == ()
    assert key_policy_missing(json.dumps(_policy(allow)), CW) == ()  # as KMS returns it: a JSON string
    assert key_policy_missing({"Statement": allow}, CW) == ()  # a single statement, not a list


def test_the_identity_candidates_walk_up_the_domain() -> None:
    assert doctor.identity_candidates("a@mail.shop.co.uk") == [
        "a@mail.shop.co.uk",
        "mail.shop.co.uk",
        "shop.co.uk",
        "co.uk",
    ]


def test_a_verified_parent_domain_authorises_a_subdomain_sender() -> None:
    identities = {"notices@mail.shop.com": None, "mail.shop.com": None, "shop.com": {"VerifiedForSendingStatus": True}}
    assert doctor.sender_verdict("notices@mail.shop.com", "SenderEmail", identities) == Verdict(
        Status.OK, "SES sender notices@mail.shop.com (SenderEmail) verified (identity shop.com)"
    )
    assert doctor.sender_verdict("notices@other.com", "SenderEmail", {}).status is Status.FAIL


def test_merchants_together_above_the_quota_is_a_warning() -> None:
    merchants = [MerchantFacts("a", max_send_rate=10), MerchantFacts("b", max_send_rate=10)]
    (verdict,) = doctor.send_rate_verdicts({"MaxSendRate": 14.0}, merchants)
    assert verdict.status is Status.WARN and verdict.what == (
        "merchants together may send 20/s, above the SES send quota of 14/s"
    )


def test_no_configuration_set_is_a_warning_and_a_missing_one_fails() -> None:
    assert doctor.configuration_set_verdict("", []).status is Status.WARN
    assert doctor.configuration_set_verdict("gone", None).status is Status.FAIL


def test_an_eventbridge_scheduler_schedule_is_checked_too() -> None:
    verdict = doctor.schedule_verdict("Nightly", "nightly", "DISABLED", "cron(0 3 * * ? *)", scheduler=True)
    assert verdict.status is Status.FAIL and "EventBridge Scheduler" in verdict.advice


def test_exit_code_counts_failures_only() -> None:
    assert doctor.exit_code([doctor.ok("a"), doctor.warn("b", "c")]) == 0
    assert doctor.exit_code([doctor.ok("a"), doctor.fail("b", "c")]) == 1
    assert doctor.exit_code([]) == 0


def test_helpdesks_argument_names_a_known_source_and_a_merchant(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("gorgias:m1", "zendesk", "zendesk:m 1"):
        with pytest.raises(SystemExit) as exited:
            main(["doctor", "--helpdesks", bad])
        assert exited.value.code == 2
        assert "is not SOURCE:MERCHANT_ID (sources: zendesk, freshdesk, generic)" in capsys.readouterr().err
