"""core.http: the HTTP API's router on ``routeKey``, against the documented payload 2.0 event
(tests/events/apigw_http_v2_event.json) and against Powertools' APIGatewayHttpResolver, whose
answers it replaces byte for byte (the package is still installed: it is the oracle here)."""

from __future__ import annotations

import base64
import gzip
import json
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse
from conftest import load_event

from delaydesk.core.http import APPLICATION_JSON, Request, Response, Router


def _event(route_key: str, path: str, **fields: Any) -> dict[str, Any]:
    """The documented v2.0 event, routed to ``route_key`` for ``path`` (header names lowercased, as
    API Gateway sends them today; the archived example's capitalised ones are kept by ``Request``)."""
    event = load_event("apigw_http_v2_event")
    method = route_key.split(" ", 1)[0]
    event.update(routeKey=route_key, rawPath=path, pathParameters=None)  # a route's own, if any, in fields
    event["requestContext"].update(routeKey=route_key)
    event["requestContext"]["http"].update(method=method, path=path)
    headers = fields.pop("headers", None)
    if headers is not None:
        event["headers"] = headers
    event.update(fields)
    return event


def test_the_request_reads_the_documented_event() -> None:
    request = Request(load_event("apigw_http_v2_event"))
    assert request.route_key == "$default"
    assert request.header("header1") == request.header("HEADER1") == request.headers["header1"] == "value1"
    assert request.header("Header2") == "value1,value2" and request.header("absent") is None
    assert request.query("parameter1") == "value1,value2" and request.query("parameter2") == "value"
    assert request.query("absent") is None
    assert request.path_parameters == {"parameter1": "value1"}
    assert request.cookies == ["cookie1", "cookie2"]
    assert request.body == request.decoded_body == "Hello from Lambda" and not request.is_base64_encoded
    assert request.raw_path == "/my/path" and request.domain_name == "id.execute-api.us-east-1.amazonaws.com"
    assert request.source_ip == "IP"
    assert request.time_epoch == 1583348638390
    assert request.now.isoformat() == "2020-03-04T19:03:58.390000+00:00"


def test_a_base64_body_is_decoded_and_an_absent_one_is_none() -> None:
    text = '{"locale": "zh-TW", "order_number": "訂單-1"}'
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    request = Request(_event("POST /answers/wismo", "/answers/wismo", body=encoded, isBase64Encoded=True))
    assert request.body == encoded and request.is_base64_encoded
    assert request.decoded_body == text
    bare = load_event("apigw_http_v2_event")
    del bare["body"], bare["queryStringParameters"], bare["pathParameters"], bare["cookies"]
    request = Request(bare)
    assert request.body is None and request.decoded_body is None
    assert request.query_parameters == {} and request.path_parameters == {} and request.cookies == []


def _both(register: Any) -> tuple[Router, APIGatewayHttpResolver]:
    """The same routes on this router and on Powertools' (``register(app, response_class, key)``)."""
    ours, theirs = Router(), APIGatewayHttpResolver()
    register(ours, Response, lambda method, path: ours.route(f"{method} {path}"))
    register(
        theirs,
        PowertoolsResponse,
        lambda method, path: theirs.route(path.replace("{", "<").replace("}", ">"), method=method),
    )
    return ours, theirs


def _routes(app: Any, response: Any, route: Any) -> None:
    @route("GET", "/banner.js")
    def script() -> Any:
        return response(
            200, "text/javascript; charset=utf-8", "x" * 300, {"ETag": '"a"', "Vary": "Accept-Encoding"}, compress=True
        )

    @route("GET", "/banner/{merchant_id}")
    def banner(merchant_id: str) -> Any:
        if merchant_id == "cached":
            return response(304, None, "", {"ETag": '"b"', "Cache-Control": "public, max-age=60"})
        body = json.dumps({"merchant": merchant_id, "text": "春節"}, ensure_ascii=False)
        return response(200, "application/json; charset=utf-8", body, {"Cache-Control": "public, max-age=60"})

    @route("GET", "/orders/{order_id}/notices")
    def notices(order_id: str) -> Any:
        return {"order": order_id, "amount": Decimal("12.50"), "notices": ["été", None, 1.5]}

    @route("POST", "/orders/{order_id}/wait")
    def wait(order_id: str) -> Any:
        if order_id == "busy":
            return response(503, "text/plain; charset=utf-8", "busy", {"Retry-After": "1", "Cache-Control": "no-store"})
        location = {"Location": f"/dev/orders/{order_id}?t=T", "Cache-Control": "no-store"}
        return response(303, "text/plain", "", location)

    @route("POST", "/orders/{order_id}/cancel")
    def cancel(order_id: str) -> Any:
        return response(202, APPLICATION_JSON, {"order_id": order_id, "queued": "e-1"})

    @route("GET", "/o/{code}")
    def short(code: str) -> Any:
        return response(200, "application/octet-stream", code.encode("utf-8"), {"Vary": ["Origin", "Accept"]})


CASES = [
    ("GET /banner.js", "/banner.js", {"accept-encoding": "gzip, deflate, br"}),
    ("GET /banner.js", "/banner.js", {"accept-encoding": "br"}),
    ("GET /banner.js", "/banner.js", {}),
    ("GET /banner/{merchant_id}", "/banner/m-1", {"accept-encoding": "gzip"}),
    ("GET /banner/{merchant_id}", "/banner/cached", {"accept-encoding": "gzip"}),
    ("GET /orders/{order_id}/notices", "/orders/O-1/notices", {}),
    ("POST /orders/{order_id}/wait", "/orders/O-1/wait", {}),
    ("POST /orders/{order_id}/wait", "/orders/busy/wait", {}),
    ("POST /orders/{order_id}/cancel", "/orders/O-1/cancel", {"accept-encoding": "gzip"}),
    ("GET /o/{code}", "/o/Ab3", {}),
    ("GET /nowhere", "/nowhere", {}),
    ("DELETE /orders/{order_id}/wait", "/orders/O-1/wait", {}),
]


@pytest.mark.parametrize(("route_key", "path", "headers"), CASES)
def test_every_answer_is_the_one_powertools_gave(route_key: str, path: str, headers: dict[str, str]) -> None:
    ours, theirs = _both(_routes)
    parameters = dict(zip(route_key.split(" ")[1].split("/"), path.split("/"), strict=True))
    path_parameters = {k[1:-1]: v for k, v in parameters.items() if k.startswith("{")} or None
    event = _event(route_key, path, headers=headers, pathParameters=path_parameters)
    assert event["requestContext"]["stage"] == "$default"
    assert ours.resolve(event, None) == theirs.resolve(event, None)  # type: ignore[arg-type]


def test_gzip_only_where_the_route_asks_and_the_client_accepts() -> None:
    ours, _ = _both(_routes)
    answer = ours.resolve(_event("GET /banner.js", "/banner.js", headers={"Accept-Encoding": "deflate, gzip"}))
    assert answer["isBase64Encoded"] is True and answer["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(base64.b64decode(answer["body"])) == b"x" * 300
    assert answer["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    plain = ours.resolve(_event("GET /banner.js", "/banner.js", headers={"accept-encoding": "identity"}))
    assert (
        plain["body"] == "x" * 300 and plain["isBase64Encoded"] is False and "Content-Encoding" not in plain["headers"]
    )
    # a route that does not ask is never compressed, whatever the client accepts
    json_answer = ours.resolve(
        _event(
            "GET /banner/{merchant_id}",
            "/banner/m-1",
            headers={"accept-encoding": "gzip"},
            pathParameters={"merchant_id": "m-1"},
        )
    )
    assert json.loads(json_answer["body"]) == {"merchant": "m-1", "text": "春節"}
    assert "Content-Encoding" not in json_answer["headers"]


def test_an_unknown_route_key_is_answered_404() -> None:
    ours, _ = _both(_routes)
    answer = ours.resolve(_event("GET /nowhere", "/nowhere"))
    assert answer == {
        "statusCode": 404,
        "body": '{"statusCode":404,"message":"Not found"}',
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json"},
        "cookies": [],
    }
    # routed on the key, not the path: the documented example's "$default" has no route here
    assert ours.resolve(load_event("apigw_http_v2_event"))["statusCode"] == 404


class Refused(Exception):
    pass


class Stale(Refused):
    pass


class Gone(Stale):
    pass


def test_an_exception_is_answered_by_the_most_specific_handler_else_raised() -> None:
    app = Router()

    @app.post("/webhooks/{source}")
    def receive(source: str) -> Response:
        raise {"stale": Stale, "gone": Gone, "refused": Refused, "value": ValueError}[source](source)

    @app.error(Refused)
    def refused(exc: Refused) -> Response:
        return Response(401, APPLICATION_JSON, {"error": str(exc)})

    @app.error(Gone, KeyError)
    def gone(exc: Exception) -> Response:
        return Response(410, APPLICATION_JSON, {"error": f"gone: {exc}"}, {"Retry-After": "60"})

    def post(source: str) -> dict[str, Any]:
        event = _event("POST /webhooks/{source}", f"/webhooks/{source}", pathParameters={"source": source})
        return app.resolve(event)

    assert post("stale")["statusCode"] == 401 and post("stale")["body"] == '{"error":"stale"}'  # by its base
    assert post("refused")["statusCode"] == 401
    gone_answer = post("gone")
    assert gone_answer["statusCode"] == 410 and gone_answer["headers"]["Retry-After"] == "60"
    assert gone_answer["body"] == '{"error":"gone: gone"}'
    with pytest.raises(ValueError, match="value"):  # unanswered: Lambda reports it
        post("value")
    with pytest.raises(RuntimeError):  # and no request is left behind
        _ = app.request


def test_the_current_request_is_the_one_being_answered() -> None:
    app = Router()
    seen: list[str | None] = []

    @app.get("/orders/{order_id}")
    def page(order_id: str) -> dict[str, Any]:
        seen.append(app.request.query("t"))
        return {"order_id": order_id, "at": app.request.now.isoformat()}

    event = _event("GET /orders/{order_id}", "/orders/O-1", pathParameters={"order_id": "O-1"})
    event["queryStringParameters"] = {"t": "TOKEN"}
    answer = app.resolve(event)
    assert seen == ["TOKEN"] and answer["statusCode"] == 200
    assert answer["body"] == '{"order_id":"O-1","at":"2020-03-04T19:03:58.390000+00:00"}'
    with pytest.raises(ValueError, match="twice"):
        app.get("/orders/{order_id}")(page)
