"""The effect report on the deployed template (issue 14): order-page visits and choices, e-mail opens
and clicks of a merchant that tracks them (SES events on the feedback path), per window, and the
admin route ``GET /admin/effect``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from conftest import load_event, merchant, paid

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.links import Purpose
from delaydesk.operations import effect_report
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws

KEY = LOCAL_ORDER_LINK_KEY.encode()
M = "m-teahouse"
PAID = "2020-01-20T10:00:00+08:00"
LATE = datetime.fromisoformat("2020-01-21T10:30:00+08:00")  # its 24-hour promise broke at 10:00


def _late_order(local: LocalAws, order_id: str) -> None:
    """An unshipped order past its promise, with its shipment_delayed e-mail sent."""
    local.send("OrderEventsQueue", json.dumps(paid(order_id, PAID), ensure_ascii=False))
    local.drain()
    local.tick(LATE)


def _page(order_id: str) -> str:
    return f"/orders/{order_id}?t={links.token(KEY, Purpose.ORDER_PAGE, order_id)}"


def _ses(kind: str, order_id: str, notice_kind: str = "shipment_delayed") -> str:
    """The SES guide's Open or Click record, carrying the tags our sender sets on a notice."""
    event = load_event(f"ses_event_{kind}")
    event["mail"]["tags"] |= {"order_id": [order_id], "kind": [notice_kind], "stage": ["0"], "merchant": [M]}
    return json.dumps(event)


def _admin(local: LocalAws, query: str) -> tuple[int, Any]:
    response = local.http_request("GET", f"/admin/effect{query}", now=LATE)
    return response["statusCode"], json.loads(response["body"])


def test_visits_choices_opens_and_clicks_count_once_and_only_where_tracked(local_aws: LocalAws) -> None:
    store.put_merchant(merchant(settings={"track_engagement": True}))
    _late_order(local_aws, "EF-1")
    _late_order(local_aws, "EF-2")  # delayed too, never visited
    for at in (LATE, LATE + timedelta(hours=1), LATE + timedelta(days=1)):  # two days: two visits
        assert local_aws.http_request("GET", _page("EF-1"), now=at)["statusCode"] == 200
    assert local_aws.http_request("GET", "/orders/EF-2?t=AAAAAAAAAAAA", now=LATE)["statusCode"] == 403  # no visit
    wait = _page("EF-1").replace("?", "/wait?")
    for _ in range(2):  # a second click of the same choice
        headers = {"content-type": "application/x-www-form-urlencoded"}
        assert local_aws.http_request("POST", wait, headers, now=LATE)["statusCode"] == 303
    for body in (_ses("open", "EF-1"), _ses("open", "EF-1"), _ses("click", "EF-1"), _ses("open", "EF-2")):
        local_aws.send("SesFeedbackQueue", body)  # the first open of EF-1 delivered twice
    local_aws.drain()

    effect = effect_report(M)
    assert effect["delayed_orders"] == 2
    assert (effect["order_page_visits"], effect["orders_with_page_visit"]) == (2, 1)
    assert effect["choices"] == {"wait": 1, "cancel": 0, "additional_period": 0, "terminate": 0, "return": 0}
    assert (effect["notices_opened"], effect["notices_clicked"]) == (2, 1)  # one notice of each order opened

    store.put_merchant(merchant())  # the default: opens and clicks are not counted
    untracked = effect_report(M)
    assert untracked["notices_opened"] is None and untracked["notices_clicked"] is None
    assert untracked["order_page_visits"] == 2  # the page's own records are not e-mail tracking


def test_the_admin_route_answers_the_report_per_window(local_aws: LocalAws) -> None:
    _late_order(local_aws, "EW-1")
    window = {
        "window_id": "snow-1",
        "merchant_id": M,
        "reason": "extreme_weather",
        "starts_at": "2020-01-21T00:00:00+08:00",
        "ends_at": "2020-01-23T00:00:00+08:00",
    }
    response = local_aws.http_request("POST", "/admin/windows", {}, json.dumps(window), now=LATE)
    assert response["statusCode"] == 201
    route = next(r for r in local_aws._http.routes if r.path == "/admin/effect")
    assert route.auth == "AWS_IAM" and route.method == "GET"  # IAM-authorised like the other admin routes

    status, body = _admin(local_aws, f"?merchant={M}")
    assert status == 200 and body == json.loads(json.dumps(effect_report(M)))
    assert body["delayed_orders"] == 1 and list(body["by_merchant"]) == [M]
    # EW-1 was delayed (detected at LATE) inside the window: it falls under it
    assert body["by_window"]["snow-1"]["delayed_orders"] == 1
    status, only = _admin(local_aws, f"?merchant={M}&window=snow-1")
    assert status == 200 and list(only["by_window"]) == ["snow-1"] and only["delayed_orders"] == 1
    assert _admin(local_aws, "?window=nope")[0] == 404
    assert _admin(local_aws, "?merchant=" + "x" * 200)[0] == 400
