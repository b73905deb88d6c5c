"""The real template in the embedded AWS: what was created, and how gaps were filled."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conftest import load_event

from delaydesk_local.runtime import LocalAws
from delaydesk_local.stack import ACCOUNT_ID


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k != "messageAttributes"}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_tables_queues_and_functions_come_from_the_template(local_aws: LocalAws) -> None:
    dynamodb = local_aws.client("dynamodb")
    orders = dynamodb.describe_table(TableName=local_aws.stack.physical("OrdersTable"))["Table"]
    due = next(i for i in orders["GlobalSecondaryIndexes"] if i["IndexName"] == "due-keys-index")
    assert [k["AttributeName"] for k in due["KeySchema"]] == ["due_shard", "next_due_at"]
    # Keys only: the scan reads orders by key, so an order's write is not paid again in the index.
    assert due["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert set(local_aws.functions) >= {
        "IngestEventsFunction",
        "ScanDueFunction",
        "DispatchNoticesFunction",
        "SesFeedbackFunction",
        "ReleaseNoticesFunction",
        "RecomputeDeadlinesFunction",
        "AdminApiFunction",
    }
    consumers = {
        b.queue_arn.rsplit("-", 1)[0].rsplit(":", 1)[-1]: b.function.logical_id for b in local_aws.queue_bindings
    }
    assert consumers == {
        "delaydesk-local-OrderEventsQueue": "IngestEventsFunction",
        "delaydesk-local-TrackingEventsQueue": "IngestEventsFunction",
        "delaydesk-local-NoticesQueue": "DispatchNoticesFunction",
        "delaydesk-local-SesFeedbackQueue": "SesFeedbackFunction",
        "delaydesk-local-RecomputeDeadlinesQueue": "RecomputeDeadlinesFunction",
        "delaydesk-local-ScanWorkQueue": "ScanWorkerFunction",
        "delaydesk-local-OpsAlertsQueue": "DeliverAlertsFunction",
    }
    assert all(b.reports_failures for b in local_aws.queue_bindings)
    assert sorted(f.logical_id for f in local_aws.schedules.values()) == [
        "DetectSpikesFunction",
        "ReleaseNoticesFunction",
        "ScanDueFunction",
        "SendDigestsFunction",
    ]


def test_what_moto_cannot_create_is_reported_once_and_created_through_the_api(local_aws: LocalAws) -> None:
    assert any("AWS::CloudWatch::Alarm" in note for note in local_aws.notes)
    alarms = local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {a["AlarmName"].rsplit("-", 1)[-1] for a in alarms} >= {
        "OrderEventsDLQAlarm",
        "TrackingEventsDLQAlarm",
        "NoticesDLQAlarm",
        "ScanDueErrorsAlarm",
        "ReceiveWebhookErrorsAlarm",
        "SesFeedbackDLQAlarm",
        "RecomputeDeadlinesDLQAlarm",
        "ScanWorkDLQAlarm",
        "OpsAlertsDLQAlarm",
    }
    dlq_alarm = next(a for a in alarms if a["AlarmName"].endswith("NoticesDLQAlarm"))
    assert dlq_alarm["Dimensions"][0]["Value"].startswith("delaydesk-local-NoticesDLQ-")
    ttl = local_aws.client("dynamodb").describe_time_to_live(TableName=local_aws.stack.physical("IdempotencyTable"))
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"


def test_the_event_loop_builds_the_documented_event_shapes(local_aws: LocalAws) -> None:
    binding = local_aws.queue_bindings[0]
    local_aws.client("sqs").send_message(QueueUrl=binding.queue_url, MessageBody="{}")
    messages = local_aws._receive(binding)
    built = local_aws.sqs_event(binding, messages)
    assert _shape(built) == _shape(load_event("sqs_event"))
    scheduled = local_aws.scheduled_event("arn:aws:events:us-east-1:123456789012:rule/x", datetime.now(UTC))
    assert _shape(scheduled) == _shape(load_event("eventbridge_scheduled_event"))


def test_the_notices_queue_starts_at_most_dispatch_max_concurrency_invocations(local_aws: LocalAws) -> None:
    mappings = local_aws.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    scaling = {m["EventSourceArn"].rsplit(":", 1)[-1].rsplit("-", 1)[0]: m.get("ScalingConfig") for m in mappings}
    assert scaling["delaydesk-local-NoticesQueue"] == {"MaximumConcurrency": 10}


def test_the_topics_aws_services_publish_to_use_the_customer_managed_key(local_aws: LocalAws) -> None:
    kms = local_aws.client("kms")
    key_id = local_aws.stack.physical("ServiceTopicsKey")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/delaydesk-service-topics-dev"] == key_id
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    services = {s["Principal"]["Service"]: s for s in policy["Statement"] if "Service" in s["Principal"]}
    assert set(services) == {"cloudwatch.amazonaws.com", "ses.amazonaws.com"}
    for statement in services.values():
        assert statement["Effect"] == "Allow"
        assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    sns = local_aws.client("sns")

    def key_of(topic: str) -> str:
        return str(sns.get_topic_attributes(TopicArn=local_aws.stack.physical(topic))["Attributes"]["KmsMasterKeyId"])

    assert key_of("OpsAlarmsTopic") == key_id
    assert key_of("SesFeedbackTopic") == key_id
    assert key_of("EscalationsTopic") == "alias/aws/sns"  # only our functions publish there
    alarms = local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert {action for a in alarms for action in a["AlarmActions"]} == {local_aws.stack.physical("OpsAlarmsTopic")}


def test_the_http_api_logs_each_request_as_json_without_the_link_token(local_aws: LocalAws) -> None:
    api_id = local_aws.http_apis["DelayDeskHttpApi"]
    stage = local_aws.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")
    settings = stage["AccessLogSettings"]
    group = local_aws.stack.physical("HttpApiAccessLogGroup")
    assert settings["DestinationArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:{group}:*"
    fields = json.loads(settings["Format"])
    assert {"requestId", "ip", "routeKey", "status", "responseLength", "integrationError"} <= set(fields)
    # The signed token travels in ?t=: neither the path nor the query string is logged.
    assert not any(v in settings["Format"] for v in ("$context.path", "querystring", "$context.requestUri"))
    logs = local_aws.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert logs[0]["retentionInDays"] == 30
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 100
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 200


def test_failed_scheduled_runs_are_kept_and_alarmed(local_aws: LocalAws) -> None:
    dlq_arn = local_aws._resolve({"Fn::GetAtt": ["ScheduledRunsDLQ", "Arn"]})
    lam = local_aws.client("lambda")
    events = local_aws.client("events")
    for function in ("ScanDueFunction", "ReleaseNoticesFunction"):
        name = local_aws.stack.physical(function)
        invoke_config = lam.get_function_event_invoke_config(FunctionName=name)
        assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == dlq_arn
        rule = next(rule for rule, spec in local_aws.schedules.items() if spec.logical_id == function)
        (target,) = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert target["DeadLetterConfig"]["Arn"] == dlq_arn
    alarms = local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    alarm = next(a for a in alarms if a["AlarmName"].endswith("ScheduledRunsDLQAlarm"))
    assert alarm["Dimensions"][0]["Value"] == local_aws.stack.physical("ScheduledRunsDLQ").rsplit("/", 1)[-1]
