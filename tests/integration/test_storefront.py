"""The storefront routes on the deployed template: the delay banner follows the windows in force
(cacheable, ETag, CORS for the shop only), its script is served small, and the robots' WISMO
answers match the right pairs, refuse the rest alike and rate-limit floods."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import merchant, paid

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.links import Purpose
from delaydesk_local.metering import metered
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws

NOW = datetime.fromisoformat("2020-01-25T10:00:00+08:00")
SHOP = "https://shop.example"
SCRIPT = Path(__file__).resolve().parents[2] / "templates" / "storefront" / "banner.js"
HUBEI = {
    "window_id": "hubei-2020",
    "merchant_id": "m-teahouse",
    "reason": "public_health",
    "starts_at": "2020-01-23T10:00:00+08:00",
    "ends_at": "2020-03-31T23:59:59+08:00",
    "scope": {"regions": ["CN-HB"], "carriers": []},
    "rules": {"ship_by": {"extend_hours": 72}},
}


@pytest.fixture
def shop(local_aws: LocalAws) -> LocalAws:
    store.put_merchant(merchant(settings={"storefront_origins": [SHOP]}))
    return local_aws


def _banner(local: LocalAws, at: datetime = NOW, query: str = "?locale=en", **headers: str) -> dict[str, Any]:
    return local.http_request("GET", f"/banner/m-teahouse{query}", headers, now=at)


def _declare(local: LocalAws, window: dict[str, Any], at: datetime = NOW) -> None:
    response = local.http_request(
        "POST", "/admin/windows", {"content-type": "application/json"}, json.dumps(window), now=at
    )
    assert response["statusCode"] == 201, response["body"]


def test_the_banner_is_empty_until_a_window_is_in_force_and_empty_again_when_it_ends(shop: LocalAws) -> None:
    empty = _banner(shop)
    assert empty["statusCode"] == 200 and json.loads(empty["body"])["messages"] == []
    _declare(shop, HUBEI)
    shown = _banner(shop)
    (message,) = json.loads(shown["body"])["messages"]
    assert message["text"] == (
        "Shipping to Hubei is affected by public health measures until Mar 31. "
        "Orders ship up to 72 hours later than usual."
    )
    assert shown["headers"]["ETag"] != empty["headers"]["ETag"]
    zh = _banner(shop, query="", **{"accept-language": "zh-TW,zh;q=0.9"})
    assert json.loads(zh["body"])["messages"][0]["text"].startswith("受疫情防控影響，3月31日前發往湖北的訂單")
    assert zh["headers"]["Content-Language"] == "zh-TW"
    ended = shop.http_request(
        "POST",
        "/admin/windows/hubei-2020/end",
        {"content-type": "application/json"},
        '{"merchant_id": "m-teahouse"}',
        now=NOW,
    )
    assert ended["statusCode"] == 200, ended["body"]
    assert json.loads(_banner(shop, at=NOW + timedelta(seconds=1))["body"])["messages"] == []


def test_a_platform_wide_window_shows_on_every_shop(shop: LocalAws) -> None:
    _declare(shop, HUBEI | {"merchant_id": None, "window_id": "platform-hubei"})
    assert json.loads(_banner(shop)["body"])["messages"][0]["id"] == "window:platform-hubei"


def test_the_banner_is_cacheable_with_a_strong_etag_and_cors_for_the_shop_only(shop: LocalAws) -> None:
    _declare(shop, HUBEI)
    first = _banner(shop, origin=SHOP)
    headers = first["headers"]
    assert headers["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert headers["Access-Control-Allow-Origin"] == SHOP and "Origin" in headers["Vary"]
    assert not headers["ETag"].startswith("W/")
    again = _banner(shop, origin=SHOP, **{"if-none-match": headers["ETag"]})
    assert again["statusCode"] == 304 and again["body"] == "" and again["headers"]["ETag"] == headers["ETag"]
    assert _banner(shop, **{"if-none-match": '"stale"'})["statusCode"] == 200
    assert "Access-Control-Allow-Origin" not in _banner(shop, origin="https://evil.example")["headers"]
    unknown = shop.http_request("GET", "/banner/nobody", {}, now=NOW)
    assert unknown["statusCode"] == 404 and "Access-Control-Allow-Origin" not in unknown["headers"]
    assert shop.http_request("GET", "/banner/%00%0d%0a", {}, now=NOW)["statusCode"] == 404


def test_the_script_is_served_gzipped_under_its_budget_with_its_own_etag(shop: LocalAws) -> None:
    response = shop.http_request("GET", "/banner.js", {"accept-encoding": "gzip, br"}, now=NOW)
    assert response["statusCode"] == 200 and response["isBase64Encoded"]
    assert response["headers"]["Content-Encoding"] == "gzip"
    assert response["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    body = base64.b64decode(response["body"])
    assert len(body) < 3 * 1024
    assert gzip.decompress(body).decode("utf-8") == SCRIPT.read_text(encoding="utf-8")
    plain = shop.http_request("GET", "/banner.js", {}, now=NOW)
    assert plain["headers"]["ETag"] != response["headers"]["ETag"]  # two representations, two tags
    tag = response["headers"]["ETag"]
    assert (
        shop.http_request("GET", "/banner.js", {"accept-encoding": "gzip", "if-none-match": tag}, now=NOW)["statusCode"]
        == 304
    )


# ---------------------------------------------------------------- WISMO


def _ask(local: LocalAws, body: Any, at: datetime = NOW) -> tuple[int, dict[str, Any], dict[str, str]]:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = local.http_request("POST", "/answers/wismo", {"content-type": "application/json"}, text, now=at)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def _order(local: LocalAws, order_id: str) -> None:
    local.send("OrderEventsQueue", json.dumps(paid(order_id, "2020-01-20T10:00:00+08:00"), ensure_ascii=False))
    local.drain()


def test_a_robot_gets_the_status_estimate_and_link_for_the_right_pair(shop: LocalAws) -> None:
    _order(shop, "W-1")
    shop.tick(NOW)  # the 24-hour promise broke: the delay is detected and notified
    token = links.token(LOCAL_ORDER_LINK_KEY.encode(), Purpose.ORDER_PAGE, "W-1")
    emailed = next(m["message"].body for m in shop.sent_messages() if m["channel"] == "email")
    for proof in ({"email": " WANG.FANG@mail.example"}, {"phone": "138 0013 8000"}, {"token": token}):
        status, answer, headers = _ask(shop, {"merchant_id": "m-teahouse", "order_number": "W-1"} | proof)
        assert status == 200 and answer["matched"] is True, proof
        assert headers["Cache-Control"] == "no-store"
        assert answer["status"] == "late" and answer["locale"] == "zh-CN"
        assert answer["estimate"] == {"from": "2020-01-28", "to": "2020-02-01"}  # the ship_delay_eta_days (3, 7)
        api = shop.http_apis["DelayDeskHttpApi"]
        assert answer["link"] == f"https://{api}.execute-api.us-east-1.amazonaws.com/dev/orders/W-1?t={token}"
        assert answer["link"] in emailed  # the very link of the notice the customer got
        assert answer["text"].startswith("订单 W-1：发货延迟") and answer["link"] in answer["text"]
    _, english, _ = _ask(shop, {"merchant_id": "m-teahouse", "order_number": "W-1", "token": token, "locale": "en"})
    assert english["text"].startswith("Order W-1: late to ship")


def test_wrong_pairs_unknown_orders_and_other_shops_get_one_neutral_answer_for_the_same_work(shop: LocalAws) -> None:
    _order(shop, "W-2")
    questions = {
        "right": {"merchant_id": "m-teahouse", "order_number": "W-2", "email": "wang.fang@mail.example"},
        "wrong email": {"merchant_id": "m-teahouse", "order_number": "W-2", "email": "li.lei@mail.example"},
        "wrong token": {"merchant_id": "m-teahouse", "order_number": "W-2", "token": "AAAAAAAAAAAA"},
        "unknown order": {"merchant_id": "m-teahouse", "order_number": "W-404", "email": "wang.fang@mail.example"},
        "other shop": {"merchant_id": "m-other", "order_number": "W-2", "email": "wang.fang@mail.example"},
    }
    answers: dict[str, tuple[int, dict[str, Any]]] = {}
    calls: dict[str, dict[str, int]] = {}
    for name, body in questions.items():
        with metered() as meter:
            status, answer, _ = _ask(shop, body)
        answers[name], calls[name] = (status, answer), dict(meter.calls)
    assert answers["right"][1]["matched"] is True
    neutral = {name: a for name, a in answers.items() if name != "right"}
    assert {status for status, _ in neutral.values()} == {200}
    assert all(set(a) == set(answers["right"][1]) and a["matched"] is False for _, a in neutral.values())
    texts = {a["text"].replace(a["order_number"], "N") for name, (_, a) in neutral.items() if name != "other shop"}
    assert len(texts) == 1  # the same words whatever was wrong
    # The same DynamoDB calls whether the order exists, matches or not: 2 counters, the merchant, the order.
    assert all(c == {"UpdateItem": 2, "GetItem": 2} for c in calls.values()), calls


def test_floods_are_limited_per_order_number_and_per_client_with_retry_after(shop: LocalAws) -> None:
    _order(shop, "W-3")
    guess = {"merchant_id": "m-teahouse", "order_number": "W-3"}
    statuses = [_ask(shop, guess | {"email": f"guess{i}@mail.example"})[0] for i in range(5)]
    assert statuses == [200] * 5
    status, answer, headers = _ask(shop, guess | {"email": "wang.fang@mail.example"})  # even the right pair now
    assert status == 429 and answer["matched"] is False and answer["link"] is None
    window_end = (int(NOW.timestamp()) // 600 + 1) * 600
    assert headers["Retry-After"] == str(window_end - int(NOW.timestamp()))
    later = datetime.fromtimestamp(window_end, NOW.tzinfo)
    assert _ask(shop, guess | {"email": "wang.fang@mail.example"}, at=later)[1]["matched"] is True
    # One client asking about many orders: 30 questions per window, then 429 for any order.
    statuses = [
        _ask(shop, {"merchant_id": "m-teahouse", "order_number": f"X-{i}", "phone": "+8613800138000"}, later)[0]
        for i in range(31)
    ]
    assert statuses[:29] == [200] * 29 and statuses[29:] == [429, 429]  # the 30th: the right pair above counted too
    counters = list(store.RequestCounterRecord.scan())
    assert counters and all(c.expires_at == int(c.key.rsplit("#", 1)[1]) + 1200 for c in counters)


MALFORMED: list[tuple[Any, str]] = [
    ("not json", ""),
    ("[1, 2]", ""),
    ({"merchant_id": "m-teahouse", "order_number": "W-1"}, ""),
    ({"merchant_id": "m-teahouse", "order_number": "W-1", "email": "a@b.co\r\nBcc: x@y.z"}, "email"),
    ({"merchant_id": "m-teahouse", "order_number": "W" * 100, "email": "a@b.co"}, "order_number"),
    ({"merchant_id": "../etc", "order_number": "W-1", "email": "a@b.co"}, "merchant_id"),
    ({"merchant_id": "m-teahouse", "order_number": "W-1", "email": "a@b.co", "admin": True}, "admin"),
    ({"merchant_id": "m-teahouse", "order_number": 42, "email": "a@b.co"}, "order_number"),
    ('{"merchant_id": "m-teahouse", "order_number": "\\ud800", "email": "a@b.co"}', "order_number"),
    ("{" * 5000, ""),
]


def test_malformed_questions_are_refused_with_the_field_and_never_counted(shop: LocalAws) -> None:
    for body, field in MALFORMED:
        with metered() as meter:
            status, answer, _ = _ask(shop, body)
        assert status in (400, 413), (body, answer)
        assert status == 413 or any(e["field"] == field for e in answer["errors"]), answer
        assert meter.calls == {}  # nothing read, nothing counted


def test_every_public_route_is_throttled_on_the_deployed_stage_and_reserves_no_concurrency_by_default(
    local_aws: LocalAws,
) -> None:
    api_id = local_aws.http_apis["DelayDeskHttpApi"]
    stage = local_aws.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")
    routes = stage["RouteSettings"]
    assert routes["POST /answers/wismo"] == {"ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 20}
    assert routes["GET /banner/{merchant_id}"] == {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100}
    assert routes["POST /webhooks/{source}"] == {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100}
    assert routes["GET /orders/{order_id}"] == {"ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 40}
    served = {f"{r.method} {r.path}" for r in local_aws.http_routes if "/admin/" not in r.path}
    assert served == set(routes)  # every public route the API serves, and only those
    counters = local_aws.stack.physical("RequestCountersTable")
    ttl = local_aws.client("dynamodb").describe_time_to_live(TableName=counters)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    lambda_ = local_aws.client("lambda")
    for function in ("ReceiveWebhookFunction", "ServeStorefrontFunction", "AnswerWismoFunction"):
        name = local_aws.stack.physical(function)
        assert "ReservedConcurrentExecutions" not in lambda_.get_function_concurrency(FunctionName=name)


def test_reserved_concurrency_is_a_parameter() -> None:
    # (moto has no GetAccountSettings: doctor's reading of it is tested with botocore's Stubber.)
    with LocalAws(parameters={"CustomerReservedConcurrency": "5"}) as local:
        lambda_ = local.client("lambda")
        reserved = {
            function: lambda_.get_function_concurrency(FunctionName=local.stack.physical(function)).get(
                "ReservedConcurrentExecutions"
            )
            for function in ("ServeOrderPageFunction", "ServeStorefrontFunction", "AnswerWismoFunction")
        }
        webhook = lambda_.get_function_concurrency(FunctionName=local.stack.physical("ReceiveWebhookFunction"))
    assert reserved == dict.fromkeys(reserved, 5)
    assert "ReservedConcurrentExecutions" not in webhook  # WebhookReservedConcurrency 0: not reserved
