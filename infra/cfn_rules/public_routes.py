"""cfn-lint rule for DelayDesk's template: every public HTTP API route is throttled, and its
function has a reserved-concurrency setting (issue 11, "Floods").

A route is public when it is not behind IAM authorisation (``Auth: {Authorizer: AWS_IAM}`` on the
event, or the API's ``DefaultAuthorizer``): the webhooks, the order page, the storefront banner and
the robots' answers. A flood of one of them must neither take the whole stage's rate from the
others nor the scan's and the dispatch's Lambda concurrency, so:

- the API has stage-wide throttling (``DefaultRouteSettings``) and the route its own entry in
  ``RouteSettings`` (``"METHOD /path"``) with ``ThrottlingRateLimit`` and ``ThrottlingBurstLimit``;
- the function sets ``ReservedConcurrentExecutions`` (an ``Fn::If`` on a parameter counts: a fresh
  account with a quota of 10 can reserve nothing, so 0 must be able to mean "not reserved").

Run with cfn-lint: ``cfn-lint template.yaml --append-rules infra/cfn_rules``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

THROTTLES = ("ThrottlingRateLimit", "ThrottlingBurstLimit")
IMPLICIT_API = "ServerlessHttpApi"
"""The logical id SAM gives the API of ``HttpApi`` events without an ``ApiId``."""


def _api_of(event_props: dict[str, Any]) -> str:
    api = event_props.get("ApiId")
    if isinstance(api, dict) and isinstance(api.get("Ref"), str):
        return str(api["Ref"])
    return IMPLICIT_API if api is None else str(api)


def _authorizer(event_props: dict[str, Any], api: dict[str, Any]) -> str | None:
    own = (event_props.get("Auth") or {}).get("Authorizer")
    if own is not None:
        return str(own)
    default = ((api.get("Properties") or {}).get("Auth") or {}).get("DefaultAuthorizer")
    return str(default) if default is not None else None


def public_routes(resources: dict[str, Any]) -> Iterator[tuple[str, str, str, list[str | int]]]:
    """(function, API logical id, route key, path of the event) of every route that is not behind IAM."""
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if not isinstance(event, dict) or event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            api = _api_of(props)
            if _authorizer(props, resources.get(api, {})) == "AWS_IAM":
                continue
            method = str(props.get("Method", "ANY")).upper()
            route = f"{method} {props.get('Path', '/$default')}" if props.get("Path") else "$default"
            yield name, api, route, ["Resources", name, "Properties", "Events", event_name]


def _throttled(settings: Any) -> bool:
    return isinstance(settings, dict) and all(settings.get(key) is not None for key in THROTTLES)


class PublicRouteLimits(CloudFormationLintRule):  # type: ignore[misc]
    """Every public HTTP API route has its own throttle and its function a reserved-concurrency setting."""

    id = "E9103"
    shortdesc = "Public HTTP API route without a throttle or its function without reserved concurrency"
    description = (
        "Every HttpApi event not behind IAM authorisation has an entry in its API's RouteSettings "
        "with ThrottlingRateLimit and ThrottlingBurstLimit, the API has throttling DefaultRouteSettings, "
        "and the function sets ReservedConcurrentExecutions (a parameter, 0 meaning not reserved)."
    )
    source_url = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html"
    tags: ClassVar[list[str]] = ["apigateway", "lambda", "throttling", "delaydesk"]

    def match(self, cfn: Any) -> list[RuleMatch]:
        template: dict[str, Any] = cfn.template
        resources: dict[str, Any] = template.get("Resources") or {}
        global_function = ((template.get("Globals") or {}).get("Function")) or {}
        matches: list[RuleMatch] = []
        unreserved: set[str] = set()
        unthrottled_apis: set[str] = set()
        for function, api, route, where in public_routes(resources):
            props = (resources.get(api) or {}).get("Properties") or {}
            if api not in unthrottled_apis and not _throttled(props.get("DefaultRouteSettings")):
                unthrottled_apis.add(api)
                matches.append(
                    RuleMatch(
                        ["Resources", api],
                        f"{api} serves public routes but has no stage-wide throttling: set "
                        "DefaultRouteSettings ThrottlingRateLimit and ThrottlingBurstLimit",
                    )
                )
            if not _throttled((props.get("RouteSettings") or {}).get(route)):
                matches.append(
                    RuleMatch(
                        where,
                        f"public route {route!r} of {function} has no throttle of its own: add "
                        f"RouteSettings '{route}' with ThrottlingRateLimit and ThrottlingBurstLimit to {api}",
                    )
                )
            function_props = resources[function].get("Properties") or {}
            reserved = any("ReservedConcurrentExecutions" in props for props in (function_props, global_function))
            if not reserved and function not in unreserved:
                unreserved.add(function)
                matches.append(
                    RuleMatch(
                        ["Resources", function, "Properties"],
                        f"{function} serves public route {route!r} but sets no ReservedConcurrentExecutions: "
                        "give it a parameter (0 = not reserved) so that a flood cannot take the scan's concurrency",
                    )
                )
        return matches
