"""E9103 (infra/cfn_rules/public_routes.py): every public route of the template is throttled on its
own and its function has a reserved-concurrency setting; broken copies of the template fail."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_template_rules import findings

from delaydesk_local.stack import load_template

PUBLIC_FUNCTIONS = (
    "ReceiveWebhookFunction",
    "ServeOrderPageFunction",
    "ServeStorefrontFunction",
    "AnswerWismoFunction",
)


def e9103(change: Callable[[dict[str, Any]], None]) -> list[tuple[str, str, str]]:
    template = copy.deepcopy(load_template())
    change(template)
    return [f for f in findings(template) if f[0] == "E9103"]


def route_settings(template: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = template["Resources"]["DelayDeskHttpApi"]["Properties"]["RouteSettings"]
    return settings


def test_every_public_route_of_the_template_is_listed_and_the_admin_routes_are_not() -> None:
    routes = set(route_settings(load_template()))
    assert {"POST /webhooks/{source}", "GET /banner/{merchant_id}", "GET /banner.js", "POST /answers/wismo"} <= routes
    assert {"GET /orders/{order_id}", "POST /orders/{order_id}/cancel", "POST /notices/unsubscribe"} <= routes
    assert not any("/admin/" in route for route in routes)
    assert e9103(lambda _: None) == []


@pytest.mark.parametrize(
    "route", ["POST /webhooks/{source}", "GET /banner/{merchant_id}", "POST /answers/wismo", "GET /orders/{order_id}"]
)
def test_a_public_route_without_its_throttle_fails(route: str) -> None:
    found = e9103(lambda t: route_settings(t).pop(route))
    assert len(found) == 1 and f"public route {route!r}" in found[0][2]


def test_a_route_throttle_without_its_burst_limit_fails() -> None:
    found = e9103(lambda t: route_settings(t)["POST /answers/wismo"].pop("ThrottlingBurstLimit"))
    assert [where for _, where, _ in found] == ["AnswerWismoFunction"]


@pytest.mark.parametrize("function", PUBLIC_FUNCTIONS)
def test_a_public_function_without_reserved_concurrency_fails(function: str) -> None:
    found = e9103(lambda t: t["Resources"][function]["Properties"].pop("ReservedConcurrentExecutions"))
    assert len(found) == 1 and found[0][1] == function and "ReservedConcurrentExecutions" in found[0][2]


def test_an_api_without_stage_throttling_fails() -> None:
    found = e9103(lambda t: t["Resources"]["DelayDeskHttpApi"]["Properties"].pop("DefaultRouteSettings"))
    assert [where for _, where, _ in found] == ["DelayDeskHttpApi"]


def test_a_new_public_route_must_be_throttled_but_an_iam_route_need_not_be() -> None:
    def add(template: dict[str, Any], auth: dict[str, str] | None) -> None:
        event: dict[str, Any] = {"ApiId": {"Ref": "DelayDeskHttpApi"}, "Method": "GET", "Path": "/status"}
        if auth:
            event["Auth"] = auth
        template["Resources"]["ServeStorefrontFunction"]["Properties"]["Events"]["Status"] = {
            "Type": "HttpApi",
            "Properties": event,
        }

    found = e9103(lambda t: add(t, None))
    assert len(found) == 1 and "'GET /status'" in found[0][2]
    assert e9103(lambda t: add(t, {"Authorizer": "AWS_IAM"})) == []
