"""Filling moto's gaps: what its CloudFormation skips, created through the API as the template says.

moto's CloudFormation cannot create an HTTP API (API Gateway v2) and its stage, CloudWatch alarms and dashboards,
SES configuration-set event destinations, SQS queue policies or Lambda event-invoke configs, does
not enable DynamoDB TTL, keeps a KMS key policy as an object and leaves ``${Api}`` unresolved in
``Fn::Sub``. The local run needs them (and tests read them back), so they are made here from the
template's own properties, each gap reported once in the notes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from delaydesk_local.stack import ACCOUNT_ID, REGION, DeployedStack
from delaydesk_local.template_values import TemplateValues

if TYPE_CHECKING:
    from delaydesk_local.invocation import FunctionSpec


class DeploymentGaps:
    """Creates what ``stack`` lacks; the HTTP APIs it creates are recorded in ``http_apis``."""

    def __init__(
        self,
        stack: DeployedStack,
        values: TemplateValues,
        client: Callable[[str], Any],
        notes: list[str],
        http_apis: dict[str, str],
    ) -> None:
        self.stack = stack
        self.values = values
        self.client = client
        self.notes = notes
        self.http_apis = http_apis

    def fill(self) -> None:
        """Create through the API what moto's CloudFormation skipped but the local run needs."""
        if self.stack.unsupported:
            self.notes.append(
                "embedded AWS: moto's CloudFormation cannot create "
                + ", ".join(self.stack.unsupported)
                + "; created through the API instead"
            )
        resources = self.stack.template["Resources"]
        dynamodb = self.client("dynamodb")
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::DynamoDB::Table":
                continue
            ttl = resource["Properties"].get("TimeToLiveSpecification")
            table = self.stack.physical(logical_id)
            if ttl and ttl.get("Enabled"):
                status = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]["TimeToLiveStatus"]
                if status != "ENABLED":
                    dynamodb.update_time_to_live(
                        TableName=table,
                        TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                    )
                    self.notes.append(f"embedded AWS: TTL on {logical_id} enabled through the API")
        apigatewayv2 = self.client("apigatewayv2")
        self._fill_http_apis()
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::ApiGatewayV2::Stage" and logical_id not in self.stack.resources:
                api_ref = resource["Properties"]["ApiId"].get("Ref", "")
                if api_ref in self.http_apis:
                    props = self.values.resolve(resource["Properties"])
                    # Access logging and throttling as the template sets them (neither is applied locally).
                    settings: dict[str, Any] = {}
                    if "AccessLogSettings" in props:
                        settings["AccessLogSettings"] = props["AccessLogSettings"]
                    if "DefaultRouteSettings" in props:
                        route = dict(props["DefaultRouteSettings"])
                        if "ThrottlingRateLimit" in route:
                            route["ThrottlingRateLimit"] = float(route["ThrottlingRateLimit"])
                        if "ThrottlingBurstLimit" in route:
                            route["ThrottlingBurstLimit"] = int(route["ThrottlingBurstLimit"])
                        settings["DefaultRouteSettings"] = route
                    if "RouteSettings" in props:
                        settings["RouteSettings"] = {
                            key: {
                                "ThrottlingRateLimit": float(value["ThrottlingRateLimit"]),
                                "ThrottlingBurstLimit": int(value["ThrottlingBurstLimit"]),
                            }
                            for key, value in props["RouteSettings"].items()
                        }
                    apigatewayv2.create_stage(
                        ApiId=self.http_apis[api_ref], StageName=str(props["StageName"]), **settings
                    )
        if self.http_apis:
            self.notes.append("embedded AWS: HTTP API routes are served in-process by LocalAws.http_request")
        sqs = self.client("sqs")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::SQS::QueuePolicy" and logical_id not in self.stack.resources:
                props = self.values.resolve(resource["Properties"])
                for queue_url in props["Queues"]:
                    policy = json.dumps(props["PolicyDocument"])
                    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
        cloudwatch = self.client("cloudwatch")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::CloudWatch::Alarm" and logical_id not in self.stack.resources:
                props = self.values.resolve(resource["Properties"])
                cloudwatch.put_metric_alarm(
                    AlarmName=f"{self.stack.name}-{logical_id}",
                    AlarmDescription=props.get("AlarmDescription", ""),
                    Namespace=props["Namespace"],
                    MetricName=props["MetricName"],
                    Dimensions=props.get("Dimensions", []),
                    Statistic=props["Statistic"],
                    Period=int(props["Period"]),
                    EvaluationPeriods=int(props["EvaluationPeriods"]),
                    Threshold=float(props["Threshold"]),
                    ComparisonOperator=props["ComparisonOperator"],
                    TreatMissingData=props.get("TreatMissingData", "missing"),
                    AlarmActions=props.get("AlarmActions", []),
                )
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::CloudWatch::Dashboard" and logical_id not in self.stack.resources:
                props = self.values.resolve(resource["Properties"])
                cloudwatch.put_dashboard(DashboardName=props["DashboardName"], DashboardBody=props["DashboardBody"])
        lam = self.client("lambda")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and logical_id not in self.stack.resources:
                # Recorded, not applied: the event loop invokes schedules in-process (a failure raises).
                props = self.values.resolve(resource["Properties"])
                config = {k: props[k] for k in ("DestinationConfig", "MaximumRetryAttempts") if k in props}
                lam.put_function_event_invoke_config(FunctionName=props["FunctionName"], **config)
        self._fill_ses_event_destinations()
        self._fill_key_policies()

    def _fill_key_policies(self) -> None:
        """Store each ``AWS::KMS::Key``'s policy as the JSON document KMS keeps.

        moto's CloudFormation keeps the template's ``KeyPolicy`` object as it is, and moto's own
        KMS API then fails on the key (it reads the policy as JSON text).
        """
        from moto.kms.models import kms_backends

        backend = kms_backends[ACCOUNT_ID][REGION]
        for logical_id, resource in self.stack.template["Resources"].items():
            if resource["Type"] != "AWS::KMS::Key" or logical_id not in self.stack.resources:
                continue
            key = backend.keys[self.stack.physical(logical_id)]
            if not isinstance(key.policy, str):
                key.policy = json.dumps(key.policy)
                self.notes.append(f"embedded AWS: the key policy of {logical_id} stored as JSON")

    def _fill_ses_event_destinations(self) -> None:
        """Create each configuration-set event destination from the template's own properties.

        The template writes them as CloudFormation does (``SnsDestination``); the SES API that
        moto implements for event destinations is v1's, which spells it ``SNSDestination``.
        """
        ses = self.client("ses")
        for logical_id, resource in self.stack.template["Resources"].items():
            if resource["Type"] != "AWS::SES::ConfigurationSetEventDestination" or logical_id in self.stack.resources:
                continue
            if "Condition" in resource and not self.values.holds(resource["Condition"]):
                continue
            props = self.values.resolve(resource["Properties"])
            template_destination = props["EventDestination"]
            same_keys = ("Name", "Enabled", "MatchingEventTypes", "CloudWatchDestination", "KinesisFirehoseDestination")
            destination = {key: template_destination[key] for key in same_keys if key in template_destination}
            if "SnsDestination" in template_destination:
                destination["SNSDestination"] = {"TopicARN": template_destination["SnsDestination"]["TopicARN"]}
            ses.create_configuration_set_event_destination(
                ConfigurationSetName=props["ConfigurationSetName"], EventDestination=destination
            )
            self.stack.resources[logical_id] = str(destination.get("Name", logical_id))
            self.stack.resource_types[logical_id] = resource["Type"]

    def _fill_http_apis(self) -> None:
        """Create each HTTP API moto's CloudFormation skipped, with its routes, integrations and auth.

        The routes come from the OpenAPI body the SAM transform wrote, so a route's authorisation
        (``AWS_IAM`` or none) is the template's own; tests read it back from apigatewayv2.
        """
        apigw = self.client("apigatewayv2")
        for logical_id, resource in self.stack.template["Resources"].items():
            if resource["Type"] != "AWS::ApiGatewayV2::Api" or logical_id in self.stack.resources:
                continue
            body = resource["Properties"].get("Body", {})
            api_id = apigw.create_api(Name=f"{self.stack.name}-{logical_id}", ProtocolType="HTTP")["ApiId"]
            for path, methods in body.get("paths", {}).items():
                for method, operation in methods.items():
                    integration = operation.get("x-amazon-apigateway-integration", {})
                    uri = str(integration.get("uri", {}).get("Fn::Sub", ""))
                    function = uri.rsplit("${", 1)[-1].split(".Arn}", 1)[0] if ".Arn}" in uri else ""
                    target = self.stack.resources.get(function, function)
                    created = apigw.create_integration(
                        ApiId=api_id,
                        IntegrationType="AWS_PROXY",
                        IntegrationUri=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{target}",
                        PayloadFormatVersion=str(integration.get("payloadFormatVersion", "2.0")),
                    )
                    iam = any("AWS_IAM" in scheme for scheme in operation.get("security", []))
                    apigw.create_route(
                        ApiId=api_id,
                        RouteKey=f"{method.upper()} {path}",
                        Target=f"integrations/{created['IntegrationId']}",
                        AuthorizationType="AWS_IAM" if iam else "NONE",
                    )
            self.http_apis[logical_id] = api_id
            self.stack.resources[logical_id] = api_id
            self.stack.resource_types[logical_id] = resource["Type"]

    def resolve_api_ids(self, functions: dict[str, FunctionSpec]) -> None:
        """moto leaves ``${DelayDeskHttpApi}`` unresolved in a ``Fn::Sub`` (it could not create the
        API); put in the id of the API created through the API, as CloudFormation would have."""
        for spec in functions.values():
            for key, value in spec.environment.items():
                for logical_id, api_id in self.http_apis.items():
                    value = value.replace("${" + logical_id + "}", api_id)
                spec.environment[key] = value
        from moto.cloudformation.models import cloudformation_backends

        # The stack's outputs too, in moto's own record, so that DescribeStacks (the CLI) sees them.
        (deployed,) = [
            s for s in cloudformation_backends[ACCOUNT_ID][REGION].stacks.values() if s.name == self.stack.name
        ]
        for key, value in self.stack.outputs.items():
            for logical_id, api_id in self.http_apis.items():
                value = value.replace("${" + logical_id + "}", api_id)
            self.stack.outputs[key] = value
            output = deployed.output_map[key]
            if output is not None:
                output.value = value
