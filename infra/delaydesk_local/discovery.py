"""Reading the deployed stack back: its functions, their triggers and the HTTP API's routes.

The event loop drives what the template defines, not a list of its own: each function with its
environment as CloudFormation resolved it, the queues its event-source mappings consume (the
mappings are disabled: the embedded AWS is their poller), the scheduled rules that target it, and
the ``HttpApi`` events of the SAM template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from delaydesk_local.http_api import HttpRoute, route_pattern
from delaydesk_local.invocation import FunctionSpec
from delaydesk_local.queues import QueueBinding
from delaydesk_local.stack import REPO_ROOT, DeployedStack, load_template


def discover(
    client: Callable[[str], Any],
    stack: DeployedStack,
    functions: dict[str, FunctionSpec],
    queue_bindings: list[QueueBinding],
    schedules: dict[str, FunctionSpec],
    expressions: dict[str, str] | None = None,
) -> None:
    """Read functions, their environment (as CloudFormation resolved it) and triggers into
    ``functions``, ``queue_bindings`` and ``schedules`` (and each scheduled rule's
    ``ScheduleExpression`` into ``expressions``)."""
    lam = client("lambda")
    resources = stack.template["Resources"]
    sam_resources = load_template()["Resources"]
    by_name: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        config = lam.get_function_configuration(FunctionName=stack.physical(logical_id))
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
        functions[logical_id] = spec
        by_name[spec.name] = spec
    sqs = client("sqs")
    for mapping in lam.list_event_source_mappings()["EventSourceMappings"]:
        # moto's own poller would run the function in Docker; this loop is the poller.
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        function_name = mapping["FunctionArn"].rsplit(":", 1)[-1]
        queue_name = mapping["EventSourceArn"].rsplit(":", 1)[-1]
        queue_bindings.append(
            QueueBinding(
                queue_arn=mapping["EventSourceArn"],
                queue_url=sqs.get_queue_url(QueueName=queue_name)["QueueUrl"],
                function=by_name[function_name],
                batch_size=int(mapping.get("BatchSize", 10)),
                reports_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
            )
        )
    events = client("events")
    for rule in events.list_rules()["Rules"]:
        if "ScheduleExpression" not in rule:
            continue
        for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
            function_name = target["Arn"].rsplit(":", 1)[-1]
            if function_name in by_name:
                schedules[rule["Name"]] = by_name[function_name]
                if expressions is not None:
                    expressions[rule["Name"]] = rule["ScheduleExpression"]


def discover_http_routes(functions: dict[str, FunctionSpec], http_routes: list[HttpRoute]) -> None:
    """Routes of the SAM template's ``HttpApi`` events (the HTTP API itself is not emulated)."""
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function" or logical_id not in functions:
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties", {})
            path = props["Path"]
            http_routes.append(
                HttpRoute(
                    api=props.get("ApiId", {}).get("Ref", "ServerlessHttpApi"),
                    method=props.get("Method", "ANY").upper(),
                    path=path,
                    pattern=route_pattern(path),
                    function=functions[logical_id],
                    auth=(props.get("Auth") or {}).get("Authorizer"),
                )
            )
