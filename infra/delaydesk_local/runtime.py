"""The embedded AWS: moto with the DelayDesk stack deployed, and an in-process event loop.

``LocalAws`` starts moto, deploys ``template.yaml`` (see ``stack.py``), then drives the
functions the template defines the way Lambda would: SQS batches from the queues named by the
functions' event-source mappings (with partial-batch-failure semantics, redrive to the DLQ
included) and EventBridge "Scheduled Event"s whose ``time`` is the simulated now. It deploys with
an SES configuration set, as an operator would, and publishes the SES events of the e-mails sent
through it (``ses_events.py``), so feedback flows like every other queue.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import IO, Any
from urllib.parse import parse_qs

import boto3
from moto import mock_aws

from delaydesk_local import ses_events
from delaydesk_local.stack import (
    ACCOUNT_ID,
    REGION,
    REPO_ROOT,
    DeployedStack,
    TemplateError,
    deploy,
    load_template,
)

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


LOCAL_WEBHOOK_SECRETS = {
    "aftership": "local-aftership-webhook-secret",
    "easypost": "local-easypost-webhook-secret",
    "generic": "local-generic-webhook-secret",
}
"""The webhook secrets the embedded AWS stores in SSM (in a real account the operator puts them)."""

LOCAL_ORDER_LINK_KEY = "local-order-link-key"
"""The key that signs customers' links in the embedded AWS (``OrderLinkKeyParameter`` in SSM)."""

LOCAL_CONFIGURATION_SET = "delaydesk-local"
"""The SES configuration set the embedded AWS creates and deploys with (``ConfigurationSetName``)."""


@dataclass
class HttpRoute:
    """An ``HttpApi`` event of a function in the SAM template: method, path pattern, target."""

    api: str
    method: str
    path: str
    pattern: re.Pattern[str]
    function: FunctionSpec


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    role: str = ""  # the name of its execution role: the IAM identity that calls SES


@dataclass
class QueueBinding:
    """An SQS event-source mapping: which function consumes which queue."""

    queue_arn: str
    queue_url: str
    function: FunctionSpec
    batch_size: int
    reports_failures: bool


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    result: Any


def _query_parameters(query: str) -> dict[str, str]:
    """As API Gateway HTTP API v2.0 gives them: decoded, repeated names joined by commas."""
    return {name: ",".join(values) for name, values in parse_qs(query, keep_blank_values=True).items()}


def _point_logger(logger: Any, stream: IO[str] | None) -> IO[str] | None:
    """Send the functions' JSON logs to ``stream``; returns the previous one.

    Assigns instead of ``setStream``, which flushes the old stream (a closed file, perhaps).
    """
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler) or stream is None:
        return None
    handler.acquire()
    try:
        previous: IO[str] = handler.stream
        handler.stream = stream
    finally:
        handler.release()
    return previous


class LocalAws:
    """Use as a context manager: ``with LocalAws() as aws: aws.send_event(...); aws.tick(now)``."""

    def __init__(self, parameters: dict[str, str] | None = None, log_stream: IO[str] | None = None) -> None:
        # Deployed with a configuration set, as a real deployment is; a caller may name another
        # one, or none with ``{"ConfigurationSetName": ""}``.
        self.parameters = {"ConfigurationSetName": LOCAL_CONFIGURATION_SET, **(parameters or {})}
        self.log_stream: IO[str] = log_stream if log_stream is not None else io.StringIO()
        self.notes: list[str] = []
        self.invocations: list[Invocation] = []
        self._saved_env: dict[str, str | None] = {}
        self._mock: Any = None
        self._modules: dict[str, ModuleType] = {}
        self._active_env: dict[str, str] | None = None
        self._saved_stream: IO[str] | None = None
        self._inflight: dict[str, list[str]] = {}  # queue url -> receipt handles of failed messages
        self._clients: dict[str, Any] = {}
        self.stack: DeployedStack
        self.functions: dict[str, FunctionSpec] = {}
        self.queue_bindings: list[QueueBinding] = []
        self.schedules: dict[str, FunctionSpec] = {}  # rule name -> target function
        self.http_routes: list[HttpRoute] = []
        self.http_apis: dict[str, str] = {}  # logical id -> api id (created through the API)
        self.webhook_secrets = dict(LOCAL_WEBHOOK_SECRETS)
        self.session: boto3.Session
        self.clock: datetime | None = None
        """The simulated now (set by ``tick`` and the simulator): the time of SES sends and events.
        Unset, SES events carry the wall-clock time, as the embedded SQS and SNS do."""
        self.ses_events: list[dict[str, Any]] = []  # every SES event published, in order
        self._ses_sends = ses_events.SendContext(clock=self._now, caller=self._caller)
        self._invoking: FunctionSpec | None = None
        self._exit_stack = contextlib.ExitStack()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalAws:
        # moto logs and warns about what its CloudFormation skips; we report it once, in notes.
        logging.getLogger("moto").setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto")
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        for key, value in LOCAL_ENV.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        self._mock = mock_aws()
        self._mock.start()
        try:
            self._exit_stack.enter_context(ses_events.recording_sends(self._ses_sends))
            self.session = boto3.Session(region_name=REGION)
            self._create_configuration_set()
            # moto prints its own notices on stdout; keep stdout clean for `simulate --json`.
            with contextlib.redirect_stdout(self.log_stream):
                self.stack = deploy(parameters=self.parameters, session=self.session)
            self._fill_gaps()
            self._discover()
            self._resolve_api_ids()
            self._discover_http_routes()
            self._put_webhook_secrets()
            self._put_order_link_key()
            self._enter_function_env(next(iter(self.functions.values())))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        from delaydesk.core.observability import logger

        self._exit_stack.close()
        self._mock.stop()
        self._warnings.__exit__(None, None, None)
        _point_logger(logger, self._saved_stream)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._reset_delaydesk()

    def client(self, service: str) -> Any:
        # One client per service: creating a botocore client costs milliseconds, and the event
        # loop asks for one on every receive.
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    # ------------------------------------------------------------ deployment gaps

    def _create_configuration_set(self) -> None:
        """The operator creates the configuration set before ``sam deploy``; the template only
        adds its event destination (``SesFeedbackEventDestination``)."""
        name = self.parameters.get("ConfigurationSetName", "")
        if not name:
            return
        self.client("sesv2").create_configuration_set(
            ConfigurationSetName=name, SendingOptions={"SendingEnabled": True}
        )
        self.notes.append(
            f"embedded AWS: SES configuration set {name} created before the deploy (ConfigurationSetName); "
            "its events are published by LocalAws, the mailbox simulator's addresses included"
        )

    def _fill_gaps(self) -> None:
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
                    props = self._resolve(resource["Properties"])
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
                    apigatewayv2.create_stage(
                        ApiId=self.http_apis[api_ref], StageName=str(props["StageName"]), **settings
                    )
        if self.http_apis:
            self.notes.append("embedded AWS: HTTP API routes are served in-process by LocalAws.http_request")
        sqs = self.client("sqs")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::SQS::QueuePolicy" and logical_id not in self.stack.resources:
                props = self._resolve(resource["Properties"])
                for queue_url in props["Queues"]:
                    policy = json.dumps(props["PolicyDocument"])
                    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": policy})
        cloudwatch = self.client("cloudwatch")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::CloudWatch::Alarm" and logical_id not in self.stack.resources:
                props = self._resolve(resource["Properties"])
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
        lam = self.client("lambda")
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and logical_id not in self.stack.resources:
                # Recorded, not applied: the event loop invokes schedules in-process (a failure raises).
                props = self._resolve(resource["Properties"])
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
            if "Condition" in resource and not self._holds(resource["Condition"]):
                continue
            props = self._resolve(resource["Properties"])
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

    def _parameter(self, name: str) -> str:
        """A template parameter as deployed: the value passed, else the template's default."""
        if name in self.parameters:
            return self.parameters[name]
        if name == "Stage":
            return "dev"  # stack.deploy's default
        declared = self.stack.template.get("Parameters", {}).get(name)
        if declared is None:
            raise TemplateError(f"template has no parameter {name}")
        return str(declared.get("Default", ""))

    def _holds(self, condition: Any) -> bool:
        """Evaluate a template condition (by name, or a condition function) as deployed."""
        if isinstance(condition, str):
            return self._holds(self.stack.template["Conditions"][condition])
        ((function, args),) = condition.items()
        if function == "Condition":
            return self._holds(args)
        if function == "Fn::Not":
            return not self._holds(args[0])
        if function == "Fn::And":
            return all(self._holds(a) for a in args)
        if function == "Fn::Or":
            return any(self._holds(a) for a in args)
        if function == "Fn::Equals":
            left, right = self._resolve(args)
            return str(left) == str(right)
        raise TemplateError(f"condition function {function} is not supported by the embedded AWS")

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

    def _resolve(self, value: Any) -> Any:
        """Resolve the intrinsics the filled gaps use (Ref of a resource or a parameter, Fn::GetAtt
        of queue names) against the stack."""
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            if value["Ref"] in self.stack.template.get("Parameters", {}):
                return self._parameter(value["Ref"])
            return self.stack.resources.get(value["Ref"], value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            physical = self.stack.physical(logical_id)
            if attribute == "QueueName":
                return physical.rsplit("/", 1)[-1]
            if attribute == "Arn" and physical.startswith("https://sqs."):
                return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{physical.rsplit('/', 1)[-1]}"
            if attribute == "Arn" and self.stack.resource_types.get(logical_id) == "AWS::Logs::LogGroup":
                return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{physical}:*"
            return physical
        return {k: self._resolve(v) for k, v in value.items()}

    # ------------------------------------------------------------ discovery

    def _discover(self) -> None:
        """Read functions, their environment (as CloudFormation resolved it) and triggers."""
        lam = self.client("lambda")
        resources = self.stack.template["Resources"]
        sam_resources = load_template()["Resources"]
        by_name: dict[str, FunctionSpec] = {}
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            config = lam.get_function_configuration(FunctionName=self.stack.physical(logical_id))
            sam_props = sam_resources[logical_id]["Properties"]
            spec = FunctionSpec(
                logical_id=logical_id,
                name=config["FunctionName"],
                code_dir=(REPO_ROOT / sam_props["CodeUri"]).resolve(),
                handler=config["Handler"],
                environment={k: str(v) for k, v in config.get("Environment", {}).get("Variables", {}).items()},
                role=str(config.get("Role", "")).rsplit("/", 1)[-1],
                timeout=int(config.get("Timeout", 3)),
                memory=int(config.get("MemorySize", 128)),
            )
            self.functions[logical_id] = spec
            by_name[spec.name] = spec
        sqs = self.client("sqs")
        for mapping in lam.list_event_source_mappings()["EventSourceMappings"]:
            # moto's own poller would run the function in Docker; this loop is the poller.
            lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
            function_name = mapping["FunctionArn"].rsplit(":", 1)[-1]
            queue_name = mapping["EventSourceArn"].rsplit(":", 1)[-1]
            self.queue_bindings.append(
                QueueBinding(
                    queue_arn=mapping["EventSourceArn"],
                    queue_url=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
                    function=by_name[function_name],
                    batch_size=int(mapping.get("BatchSize", 10)),
                    reports_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
                )
            )
        events = self.client("events")
        for rule in events.list_rules()["Rules"]:
            if "ScheduleExpression" not in rule:
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                function_name = target["Arn"].rsplit(":", 1)[-1]
                if function_name in by_name:
                    self.schedules[rule["Name"]] = by_name[function_name]

    def _discover_http_routes(self) -> None:
        """Routes of the SAM template's ``HttpApi`` events (the HTTP API itself is not emulated)."""
        for logical_id, resource in load_template()["Resources"].items():
            if resource["Type"] != "AWS::Serverless::Function" or logical_id not in self.functions:
                continue
            for event in (resource["Properties"].get("Events") or {}).values():
                if event.get("Type") != "HttpApi":
                    continue
                props = event.get("Properties", {})
                path = props["Path"]
                regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
                self.http_routes.append(
                    HttpRoute(
                        api=props.get("ApiId", {}).get("Ref", "ServerlessHttpApi"),
                        method=props.get("Method", "ANY").upper(),
                        path=path,
                        pattern=re.compile(f"^{regex}$"),
                        function=self.functions[logical_id],
                    )
                )

    def _put_webhook_secrets(self) -> None:
        spec = next((f for f in self.functions.values() if "WEBHOOK_SECRETS_PREFIX" in f.environment), None)
        if spec is None:
            return
        prefix = spec.environment["WEBHOOK_SECRETS_PREFIX"]
        ssm = self.client("ssm")
        for source, secret in self.webhook_secrets.items():
            ssm.put_parameter(Name=f"{prefix}/{source}", Value=secret, Type="SecureString", Overwrite=True)
        self.notes.append(f"embedded AWS: local webhook secrets stored under {prefix}/ (LocalAws.webhook_secrets)")

    def _put_order_link_key(self) -> None:
        spec = next((f for f in self.functions.values() if "ORDER_LINK_KEY_PARAMETER" in f.environment), None)
        if spec is None:
            return
        name = spec.environment["ORDER_LINK_KEY_PARAMETER"]
        self.client("ssm").put_parameter(Name=name, Value=LOCAL_ORDER_LINK_KEY, Type="SecureString", Overwrite=True)
        self.notes.append(f"embedded AWS: local order-link key stored at {name}")

    def _resolve_api_ids(self) -> None:
        """moto leaves ``${DelayDeskHttpApi}`` unresolved in a ``Fn::Sub`` (it could not create the
        API); put in the id of the API created through the API, as CloudFormation would have."""
        for spec in self.functions.values():
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

    def queue_url(self, logical_id: str) -> str:
        return self.stack.physical(logical_id)

    # ------------------------------------------------------------ invoking

    def _reset_delaydesk(self) -> None:
        """A new "container": forget settings, clients and lazily built helpers."""
        from aws_lambda_powertools.utilities import parameters

        from delaydesk.core import aws
        from delaydesk.notices import dispatch, rendering
        from delaydesk.tracking import ingest

        parameters.clear_caches()  # type: ignore[no-untyped-call]
        aws.reset()
        ingest._idempotency.cache_clear()
        rendering.environment.cache_clear()
        rendering.sandbox.cache_clear()
        dispatch.forget_merchants()

    def _enter_function_env(self, spec: FunctionSpec) -> None:
        env = {**spec.environment, **LOCAL_ENV}
        if env == self._active_env:
            return
        # Each function sees its own environment only (as in Lambda), and leaving restores the
        # process's own (see __exit__).
        for key in (self._active_env or {}).keys() - env.keys():
            os.environ.pop(key, None)
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self._active_env = env
        self._reset_delaydesk()
        from delaydesk.core.config import get_settings
        from delaydesk.core.observability import logger
        from delaydesk.store import bind

        bind(get_settings())
        if self._saved_stream is None:
            self._saved_stream = _point_logger(logger, self.log_stream)
        else:
            _point_logger(logger, self.log_stream)

    def _module(self, spec: FunctionSpec) -> ModuleType:
        module_file, _ = spec.handler.rsplit(".", 1)
        key = f"delaydesk_functions.{spec.code_dir.name}.{module_file}"
        if key not in self._modules:
            path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
            loader_spec = importlib.util.spec_from_file_location(key, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[key] = module
            loader_spec.loader.exec_module(module)
            self._modules[key] = module
        return self._modules[key]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function of the template in-process, in its own environment."""
        spec = self.functions[logical_id]
        self._enter_function_env(spec)
        handler: Callable[[dict[str, Any], Any], Any] = getattr(self._module(spec), spec.handler.rsplit(".", 1)[1])
        context = LambdaContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory,
            timeout_seconds=spec.timeout,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.name}",
            log_group_name=f"/aws/lambda/{spec.name}",
        )
        self._invoking = spec
        try:
            with contextlib.redirect_stdout(self.log_stream):
                result = handler(event, context)
        except Exception as exc:
            self.invocations.append(Invocation(logical_id, event, exc))
            raise
        finally:
            self._invoking = None
        self.invocations.append(Invocation(logical_id, event, result))
        return result

    # ------------------------------------------------------------ queues

    def send(self, queue_logical_id: str, body: str) -> str:
        response = self.client("sqs").send_message(QueueUrl=self.queue_url(queue_logical_id), MessageBody=body)
        message_id: str = response["MessageId"]
        return message_id

    def _receive(self, binding: QueueBinding) -> list[dict[str, Any]]:
        response = self.client("sqs").receive_message(
            QueueUrl=binding.queue_url,
            MaxNumberOfMessages=binding.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    @staticmethod
    def sqs_event(binding: QueueBinding, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Lambda SQS event for a batch, in the documented shape (tests/events/sqs_event.json)."""
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {
                        "ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"],
                        "SentTimestamp": m["Attributes"]["SentTimestamp"],
                        "SenderId": m["Attributes"].get("SenderId", ACCOUNT_ID),
                        "ApproximateFirstReceiveTimestamp": m["Attributes"]["ApproximateFirstReceiveTimestamp"],
                    },
                    "messageAttributes": m.get("MessageAttributes", {}),
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": binding.queue_arn,
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }

    def drain(self, max_batches: int = 100_000) -> int:
        """Deliver every visible message to its function until all queues are empty.

        Messages whose record failed stay invisible (as after a Lambda failure) until the next
        ``release_failed()``: in simulated time, that is the next tick. When the queues are empty,
        the SES events of the e-mails sent meanwhile are published (``publish_ses_events``) and
        their feedback drained too.
        """
        sqs = self.client("sqs")
        delivered = 0
        for _ in range(max_batches):
            progressed = False
            for binding in self.queue_bindings:
                messages = self._receive(binding)
                if not messages:
                    continue
                progressed = True
                delivered += len(messages)
                event = self.sqs_event(binding, messages)
                try:
                    result = self.invoke(binding.function.logical_id, event)
                except Exception as exc:  # noqa: BLE001 - a crashed invocation fails its whole batch, as in Lambda
                    self.notes.append(f"{binding.function.name} failed a batch: {exc}")
                    failed = {m["MessageId"] for m in messages}
                else:
                    items = (result or {}).get("batchItemFailures", []) if binding.reports_failures else []
                    failed = {item["itemIdentifier"] for item in items}
                for message in messages:
                    if message["MessageId"] in failed:
                        self._inflight.setdefault(binding.queue_url, []).append(message["ReceiptHandle"])
                    else:
                        sqs.delete_message(QueueUrl=binding.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not progressed:
                if self.publish_ses_events():
                    continue
                return delivered
        raise RuntimeError("queues did not drain: a message keeps coming back")

    def release_failed(self) -> int:
        """Make failed messages visible again (their visibility timeout has passed)."""
        sqs = self.client("sqs")
        released = 0
        for queue_url, handles in self._inflight.items():
            for handle in handles:
                with contextlib.suppress(sqs.exceptions.ReceiptHandleIsInvalid):
                    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
                    released += 1
        self._inflight.clear()
        return released

    def queue_depth(self, logical_id: str) -> int:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.queue_url(logical_id),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    # ------------------------------------------------------------ HTTP API

    def http_request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | bytes = "",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Route a request as the template's HTTP API would; the answer is the function's response.

        The event is an API Gateway HTTP API payload v2.0 (tests/events/apigw_http_v2_event.json):
        header names lowercased, ``timeEpoch`` = ``now``, a ``?query`` of ``path`` in
        ``rawQueryString`` and ``queryStringParameters``. An unrouted request is answered 404.
        """
        method = method.upper()
        path, _, query = path.partition("?")
        for route in self.http_routes:
            match = route.pattern.match(path)
            if match is None or route.method not in (method, "ANY"):
                continue
            moment = now or datetime.now(UTC)
            text = body.decode("utf-8") if isinstance(body, bytes) else body
            route_key = f"{route.method} {route.path}"
            stage = self.parameters.get("Stage", "dev")
            event = {
                "version": "2.0",
                "routeKey": route_key,
                "rawPath": f"/{stage}{path}",
                "rawQueryString": query,
                "headers": {k.lower(): v for k, v in (headers or {}).items()} | {"content-length": str(len(text))},
                "requestContext": {
                    "accountId": ACCOUNT_ID,
                    "apiId": self.http_apis.get(route.api, "local"),
                    "domainName": f"{self.http_apis.get(route.api, 'local')}.execute-api.{REGION}.amazonaws.com",
                    "domainPrefix": self.http_apis.get(route.api, "local"),
                    "http": {
                        "method": method,
                        "path": f"/{stage}{path}",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "127.0.0.1",
                        "userAgent": "delaydesk-local",
                    },
                    "requestId": str(uuid.uuid4()),
                    "routeKey": route_key,
                    "stage": stage,
                    "time": moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                    "timeEpoch": int(moment.timestamp() * 1000),
                },
                "body": text,
                "pathParameters": match.groupdict(),
                **({"queryStringParameters": _query_parameters(query)} if query else {}),
                "isBase64Encoded": False,
            }
            result: dict[str, Any] = self.invoke(route.function.logical_id, event)
            return result
        return {"statusCode": 404, "body": '{"message":"Not Found"}', "headers": {"content-type": "application/json"}}

    # ------------------------------------------------------------ schedules

    @staticmethod
    def scheduled_event(rule_arn: str, now: datetime) -> dict[str, Any]:
        """An EventBridge "Scheduled Event" (tests/events/eventbridge_scheduled_event.json)."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [rule_arn],
            "detail": {},
        }

    def tick(self, now: datetime) -> None:
        """Fire every schedule of the template at ``now``, then drain what it queued."""
        self.clock = now
        self.release_failed()
        for rule_name, function in self.schedules.items():
            rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"
            self.invoke(function.logical_id, self.scheduled_event(rule_arn, now))
        self.drain()

    # ------------------------------------------------------------ SES event publishing

    def _now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def _caller(self) -> str:
        return self._invoking.role if self._invoking is not None and self._invoking.role else self.stack.name

    def event_destinations(self, configuration_set: str) -> list[dict[str, Any]]:
        """The event destinations of a configuration set, as SES keeps them."""
        described = self.client("ses").describe_configuration_set(
            ConfigurationSetName=configuration_set, ConfigurationSetAttributeNames=["eventDestinations"]
        )
        return [d for d in described.get("EventDestinations", []) if d]

    def publish_ses_events(self) -> int:
        """Publish what SES would for each e-mail sent since the last call; returns how many events.

        For an e-mail sent through a configuration set, each event of ``ses_events.events_for``
        goes to the SNS topic of every enabled event destination that matches its type, as SES
        does; the topic's subscriptions (the feedback queue) deliver it. An e-mail sent without a
        configuration set publishes nothing.
        """
        pending = list(self._ses_sends.sent)
        self._ses_sends.sent.clear()
        destinations: dict[str, list[dict[str, Any]]] = {}
        published = 0
        for sent in pending:
            if not sent.configuration_set:
                continue
            if sent.configuration_set not in destinations:
                destinations[sent.configuration_set] = self.event_destinations(sent.configuration_set)
            for event in ses_events.events_for(sent):
                topics = [
                    d["SNSDestination"]["TopicARN"]
                    for d in destinations[sent.configuration_set]
                    if "SNSDestination" in d and ses_events.matches(d, event["eventType"])
                ]
                for topic in topics:
                    self.client("sns").publish(TopicArn=topic, Message=json.dumps(event, ensure_ascii=False))
                if topics:
                    self.ses_events.append(event)
                    published += 1
        return published

    # ------------------------------------------------------------ what was sent

    def verify_sender(self, address: str) -> None:
        """SES only sends from verified identities; the merchant does this once in real AWS."""
        self.client("sesv2").create_email_identity(EmailIdentity=address.split("@", 1)[1])

    def sent_messages(self) -> Iterator[dict[str, Any]]:
        """What the embedded SES and SNS accepted for delivery, in order (the customers' view)."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        for message in ses_backends[ACCOUNT_ID][REGION].sent_messages:
            yield {"channel": "email", "id": message.id, "message": message}
        for message_id, sms in sns_backends[ACCOUNT_ID][REGION].sms_messages.items():
            yield {"channel": "sms", "id": message_id, "to": sms[0], "text": sms[1]}
