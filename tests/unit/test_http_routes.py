"""The HTTP API's routes: template.yaml declares them, each function's ``core.http.Router`` answers
them, by ``routeKey``. Every ``HttpApi`` event of the template has a handler in its function's
route table, no handler serves a route the template does not declare, and the embedded HTTP API
(``delaydesk_local.http_api``, behind ``simulate`` and ``delaydesk serve``) hands each request to
its function with the route's key and its path parameters, decoded as API Gateway decodes them."""

from __future__ import annotations

import importlib.util
from functools import cache
from types import ModuleType
from typing import Any

import pytest

from delaydesk.core.http import Router
from delaydesk_local.discovery import discover_http_routes
from delaydesk_local.http_api import HttpApi, HttpRoute
from delaydesk_local.invocation import FunctionSpec
from delaydesk_local.stack import REPO_ROOT, load_template


@cache
def functions() -> dict[str, FunctionSpec]:
    specs = {}
    for logical_id, resource in load_template()["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            props = resource["Properties"]
            code = REPO_ROOT / props["CodeUri"]
            specs[logical_id] = FunctionSpec(logical_id, logical_id, code, props["Handler"], {}, 30, 256)
    return specs


@cache
def handler_module(logical_id: str) -> ModuleType:
    """The function's handler module, imported under a name of its own (every one is ``app``)."""
    spec_dir = functions()[logical_id].code_dir
    spec = importlib.util.spec_from_file_location(f"http_routes_{spec_dir.name}", spec_dir / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def template_routes() -> list[HttpRoute]:
    routes: list[HttpRoute] = []
    discover_http_routes(functions(), routes)
    return routes


def test_every_template_route_has_a_handler_and_every_handler_a_template_route() -> None:
    declared: dict[str, set[str]] = {}
    for route in template_routes():
        declared.setdefault(route.function.logical_id, set()).add(f"{route.method} {route.path}")
    assert len(declared) == 5 and sum(map(len, declared.values())) >= 20
    served: dict[str, set[str]] = {}
    for logical_id in functions():
        router = getattr(handler_module(logical_id), "app", None)
        if isinstance(router, Router):
            served[logical_id] = set(router.routes)
    assert served == declared


SAMPLE = {"order_id": "O 1/é", "code": "Ab3xY9", "merchant_id": "m-1", "source": "aftership", "window_id": "cny2020"}
SAMPLE |= {"alert_id": "a#1"}


@pytest.mark.parametrize("route", template_routes(), ids=lambda r: f"{r.method} {r.path}")
def test_the_embedded_api_routes_each_request_with_its_key_and_parameters(route: HttpRoute) -> None:
    from urllib.parse import quote

    names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
    path = route.path.format(**{name: quote(SAMPLE[name], safe="") for name in names})
    invoked: list[tuple[str, dict[str, Any]]] = []

    def invoke(logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        invoked.append((logical_id, event))
        return {"statusCode": 200}

    api = HttpApi(template_routes(), {"DelayDeskHttpApi": "api1"}, {"Stage": "dev"}, invoke)
    api.request(route.method, f"{path}?t=T", {"Accept": "text/html"}, "")
    ((logical_id, event),) = invoked
    assert logical_id == route.function.logical_id
    assert event["routeKey"] == event["requestContext"]["routeKey"] == f"{route.method} {route.path}"
    assert (event.get("pathParameters") or {}) == {name: SAMPLE[name] for name in names}
    assert event["rawPath"] == f"/dev{path}" and event["queryStringParameters"] == {"t": "T"}
    assert event["routeKey"] in handler_module(logical_id).app.routes


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("POST", "/admin/windows", "POST /admin/windows", None),
        ("PUT", "/admin/windows/cny%202020", "PUT /admin/windows/{window_id}", {"window_id": "cny 2020"}),
        ("POST", "/admin/windows/cny2020/end", "POST /admin/windows/{window_id}/end", {"window_id": "cny2020"}),
    ],
)
def test_the_simulator_calls_the_admin_routes_by_their_keys(
    method: str, path: str, route_key: str, parameters: dict[str, str] | None
) -> None:
    from datetime import UTC, datetime

    from delaydesk_local.simulate import _admin_event

    event = _admin_event(method, path, {}, datetime(2020, 1, 22, tzinfo=UTC))
    assert event["routeKey"] == event["requestContext"]["routeKey"] == route_key
    assert event.get("pathParameters") == parameters
    assert route_key in handler_module("AdminApiFunction").app.routes
