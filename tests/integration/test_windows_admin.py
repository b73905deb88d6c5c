"""Windows through the deployed template: the admin route, the recompute queue, the CLI."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from conftest import load_event, paid

from delaydesk import store
from delaydesk.cli import main
from delaydesk.core.windows import SPRING_FESTIVAL_2020
from delaydesk.delays import recompute
from delaydesk_local.runtime import LocalAws

DECLARED_AT = datetime.fromisoformat("2020-01-22T12:00:00+08:00")


def _request(method: str, path: str, body: Any = None, at: datetime = DECLARED_AT) -> dict[str, Any]:
    """The HTTP API v2 payload of tests/events, for an IAM-authorised admin call."""
    event = load_event("apigw_http_v2_event")
    route = path if "/admin/windows/" not in path else "/admin/windows/{window_id}" + ("/end" * path.endswith("/end"))
    event.update(
        routeKey=f"{method} {route}",
        rawPath=path,
        rawQueryString="",
        queryStringParameters=None,
        pathParameters={"window_id": path.split("/")[3]} if "{window_id}" in route else None,
        body=json.dumps(body) if body is not None else None,
    )
    event["requestContext"].update(routeKey=f"{method} {route}", timeEpoch=int(at.timestamp() * 1000))
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["authorizer"] = {"iam": {"accountId": "123456789012", "userArn": "arn:aws:iam::1:user/ops"}}
    return event


def _call(local: LocalAws, method: str, path: str, body: Any = None, at: datetime = DECLARED_AT) -> tuple[int, Any]:
    response = local.invoke("AdminApiFunction", _request(method, path, body, at))
    return response["statusCode"], json.loads(response["body"])


def _feed(local: LocalAws, *events: dict[str, Any]) -> None:
    for event in events:
        local.send("OrderEventsQueue", json.dumps(event, ensure_ascii=False))
    local.drain()


def test_the_admin_route_declares_lists_changes_and_ends_windows(local_aws: LocalAws) -> None:
    status, body = _call(local_aws, "POST", "/admin/windows", {"preset": "spring_festival_2020"})
    assert status == 201 and [w["window_id"] for w in body["windows"]] == ["cny2020", "cny2020-cross-border"]
    assert _call(local_aws, "POST", "/admin/windows", SPRING_FESTIVAL_2020[0])[0] == 409
    invalid = SPRING_FESTIVAL_2020[0] | {"window_id": "bad", "ends_at": "2020-01-01T00:00:00+08:00"}
    status, body = _call(local_aws, "POST", "/admin/windows", invalid)
    assert status == 400 and body["error"] == "invalid window"
    assert body["details"] == ["(body): ends_at must be after starts_at"]
    status, body = _call(
        local_aws, "POST", "/admin/windows", SPRING_FESTIVAL_2020[0] | {"window_id": "x", "rules": {"refund_days": 3}}
    )
    assert status == 400 and "refund_days" in str(body["details"])
    status, body = _call(local_aws, "GET", "/admin/windows")
    assert status == 200 and len(body["windows"]) == 2
    changed = SPRING_FESTIVAL_2020[0] | {"ends_at": "2020-02-20T23:59:59+08:00"}
    status, body = _call(local_aws, "PUT", "/admin/windows/cny2020", changed)
    assert status == 200 and body["window"]["ends_at"] == "2020-02-20T15:59:59Z"
    status, body = _call(local_aws, "POST", "/admin/windows/cny2020/end", {"at": "2020-02-01T00:00:00+08:00"})
    assert status == 200 and body["window"]["ended_early_at"] == "2020-01-31T16:00:00Z"
    assert _call(local_aws, "POST", "/admin/windows/nope/end", {})[0] == 404
    assert _call(local_aws, "POST", "/admin/windows/cny2020/end", {"at": "2020-02-05T00:00:00+08:00"})[0] == 409


def test_declaring_a_window_recomputes_covered_orders_in_small_pages(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recompute, "PAGE_SIZE", 2)
    _feed(local_aws, *(paid(f"P-{n}", f"2020-01-2{n % 2}T10:00:00+08:00", hours=72) for n in range(12)))
    status, _ = _call(local_aws, "POST", "/admin/windows", SPRING_FESTIVAL_2020[0])
    assert status == 201
    local_aws.drain()
    runs = [i for i in local_aws.invocations if i.function == "RecomputeDeadlinesFunction"]
    pages = [json.loads(r["body"]) for run in runs for r in run.event["Records"]]
    assert max(p["page"] for p in pages) >= 1  # at least one shard needed a second page
    decisions = [d for d in store.all_decisions() if d.action == "deadline_extended"]
    # Paid on 01-20 (inside): extended once each; paid on 01-21 (inside too): the same.
    assert sorted(d.order_id for d in decisions) == sorted(f"P-{n}" for n in range(12))
    assert {d.window_id for d in decisions} == {"cny2020"} and {d.at for d in decisions} == {DECLARED_AT}
    announced = [n for n in store.all_notices() if n.kind == "disruption_announcement"]
    assert len(announced) == 12 and {n.status for n in announced} == {"sent"}
    # Declaring it again (a change that moves nothing) neither records nor sends anything more.
    assert _call(local_aws, "PUT", "/admin/windows/cny2020", SPRING_FESTIVAL_2020[0])[0] == 200
    local_aws.drain()
    assert len([d for d in store.all_decisions() if d.action == "deadline_extended"]) == 12
    assert len(list(store.all_notices())) == 12


def test_the_cli_declares_the_preset_lists_ends_and_explains(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    _feed(local_aws, paid("E-1", "2020-01-25T10:00:00+08:00"))
    stack = ["--stack-name", local_aws.stack.name]
    assert (
        main(["windows", "declare", "--preset", "spring_festival_2020", "--at", "2020-01-25T12:00:00+08:00", *stack])
        == 0
    )
    local_aws.drain()
    assert main(["windows", "list", *stack]) == 0
    assert main(["windows", "end", "cny2020", "--at", "2020-02-05T00:00:00+08:00", *stack]) == 0
    assert main(["windows", "declare", "--preset", "nope", *stack]) == 2
    assert main(["windows", "end", "cny2020", "--at", "2020-03-01T00:00:00+08:00", *stack]) == 2
    local_aws.drain()
    assert main(["explain", "E-1", *stack]) == 0
    out = capsys.readouterr()
    assert "declared cny2020 (platform-wide, holiday)" in out.out and "2 window(s)" in out.out
    assert "ended cny2020 at 2020-02-04T16:00:00+00:00" in out.out
    assert "unknown preset 'nope'" in out.err and "already ends at" in out.err
    assert "order E-1 of merchant m-teahouse: paid (times in Asia/Shanghai)" in out.out
    assert "decision: deadline extended (rule ship_by, window cny2020)" in out.out
    assert "deadline: ship by 2020-02-06 00:00:00; default 2020-01-26 10:00:00, moved by window cny2020" in out.out
    assert "notice: disruption_announcement #0 by email (sent)" in out.out


def test_the_admin_routes_exist_on_the_http_api_and_require_iam(local_aws: LocalAws) -> None:
    apigw = local_aws.client("apigatewayv2")
    routes = apigw.get_routes(ApiId=local_aws.stack.physical("DelayDeskHttpApi"))["Items"]
    admin = {r["RouteKey"]: r["AuthorizationType"] for r in routes if " /admin/" in r["RouteKey"]}
    assert admin == {
        "GET /admin/effect": "AWS_IAM",
        "GET /admin/alerts": "AWS_IAM",
        "POST /admin/alerts/{alert_id}/declare": "AWS_IAM",
        "GET /admin/windows": "AWS_IAM",
        "POST /admin/windows": "AWS_IAM",
        "PUT /admin/windows/{window_id}": "AWS_IAM",
        "POST /admin/windows/{window_id}/end": "AWS_IAM",
    }
    api_id = local_aws.stack.physical("DelayDeskHttpApi")
    targets = {r["RouteKey"]: r["Target"].split("/")[-1] for r in apigw.get_routes(ApiId=api_id)["Items"]}
    uris = {i["IntegrationId"]: i["IntegrationUri"] for i in apigw.get_integrations(ApiId=api_id)["Items"]}
    assert uris[targets["POST /admin/windows"]].endswith(local_aws.functions["AdminApiFunction"].name)
