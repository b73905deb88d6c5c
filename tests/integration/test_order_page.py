"""The customer's order page and API on the deployed template: the link in a notice opens it, the
inbox is listed, wait and cancel work end to end, and the one-click unsubscribe stops e-mail."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import paid, scan, shipped

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.decisions import Action
from delaydesk.core.links import Purpose
from delaydesk.notices import inbox
from delaydesk.tracking import rejections
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws

KEY = LOCAL_ORDER_LINK_KEY.encode()
PAID = "2020-01-20T10:00:00+08:00"
LATE = datetime.fromisoformat("2020-01-21T10:30:00+08:00")  # the 24-hour promise broke at 10:00


def _late_order(local: LocalAws, order_id: str, **customer: Any) -> None:
    """An unshipped order past its promise, with its shipment_delayed notice sent."""
    local.send("OrderEventsQueue", json.dumps(paid(order_id, PAID, customer=customer), ensure_ascii=False))
    local.drain()
    local.tick(LATE)


def _get(local: LocalAws, path: str, at: datetime = LATE, **headers: str) -> dict[str, Any]:
    return local.http_request("GET", path, headers, now=at)


def _post(local: LocalAws, path: str, body: str = "", at: datetime = LATE, **headers: str) -> dict[str, Any]:
    headers.setdefault("content-type", "application/x-www-form-urlencoded")
    return local.http_request("POST", path, headers, body, now=at)


def _link_in_email(local: LocalAws, order_id: str) -> str:
    """The order page link of the first e-mail sent for the order, as the customer clicks it."""
    for sent in local.sent_messages():
        if sent["channel"] == "email" and order_id in sent["message"].body:
            href = re.search(r'href="([^"]*/orders/[^"]+)"', sent["message"].body)
            assert href is not None
            return href.group(1).replace("&amp;", "&")
    raise AssertionError(f"no e-mail for {order_id}")


def _page(order_id: str, purpose: Purpose = Purpose.ORDER_PAGE) -> str:
    return f"/orders/{order_id}?t={links.token(KEY, purpose, order_id)}"


def test_the_link_in_a_notice_opens_the_order_page_with_its_inbox(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-1")
    link = urlsplit(_link_in_email(local_aws, "OP-1"))
    api_id = local_aws.http_apis["DelayDeskHttpApi"]
    assert link.netloc == f"{api_id}.execute-api.us-east-1.amazonaws.com" and link.path == "/dev/orders/OP-1"
    response = _get(local_aws, f"{link.path.removeprefix('/dev')}?{link.query}")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"
    page = response["body"]
    (entry,) = inbox.entries("OP-1")
    assert entry.title and entry.title in page  # the shipment_delayed notice, listed in the inbox
    assert "很抱歉，您的订单未能在承诺时间内发货。" in page  # zh-CN: the customer's locale
    assert "&amp;confirm=wait" in page and "&amp;confirm=cancel" in page  # the choices are offered
    confirm = _get(local_aws, f"{link.path.removeprefix('/dev')}?{link.query}&confirm=cancel")["body"]
    assert 'action="OP-1/cancel?t=' in confirm and "确定取消订单" in confirm  # the confirm step posts
    assert "¥128.00" in page


def test_the_page_and_the_api_refuse_a_missing_or_wrong_token_alike(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-2")
    assert _get(local_aws, "/orders/OP-2")["statusCode"] == 403
    assert _get(local_aws, "/orders/OP-2?t=AAAAAAAAAAAA")["statusCode"] == 403
    assert _get(local_aws, "/orders/OP-2?t=%C3%A9")["statusCode"] == 403  # non-ASCII: a wrong token, not a 500
    assert _get(local_aws, _page("OP-2", Purpose.UNSUBSCRIBE))["statusCode"] == 403  # another purpose's token
    assert _get(local_aws, _page("OP-1"))["statusCode"] == 403  # a valid token of an unknown order: the same
    assert _get(local_aws, _page("OP-3").replace("OP-3", "OP-2", 1))["statusCode"] == 403  # another order's token
    assert _get(local_aws, _page("OP-2").replace("?", "/notices?"))["statusCode"] == 200
    # A browser gets a page that says what to do, with the shop's public contact, the same for both
    wrong, unknown = _get(local_aws, "/orders/OP-2?t=AAAAAAAAAAAA"), _get(local_aws, _page("OP-1"))
    assert wrong["body"] == unknown["body"] and "help@teahouse.example" in wrong["body"]
    assert wrong["headers"]["Content-Type"] == "text/html; charset=utf-8" and "此链接无法打开" in wrong["body"]
    english = _get(local_aws, "/orders/OP-2?t=AAAAAAAAAAAA", **{"accept-language": "en-GB,en;q=0.9"})
    assert english["statusCode"] == 403 and "This link does not work" in english["body"]
    as_json = _get(local_aws, "/orders/OP-2?t=AAAAAAAAAAAA", accept="application/json")
    assert as_json["statusCode"] == 403 and "error" in json.loads(as_json["body"])


def test_the_api_lists_the_inbox_and_the_choices(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-4")
    response = _get(local_aws, _page("OP-4").replace("?", "/notices?"))
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    assert body["order"]["status"] == "paid" and body["order"]["late"] is True
    assert body["order"]["choices"] == ["wait", "cancel"]
    assert body["order"]["delay"]["kind"] == "shipment_delayed"
    (notice,) = body["notices"]
    assert notice["notice"] == "shipment_delayed#0" and "OP-4" in notice["title"] and notice["locale"] == "zh-CN"


def test_choosing_to_wait_is_recorded_once_and_cancel_stays_open(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-5")
    path = _page("OP-5").replace("?", "/wait?")
    first = _post(local_aws, path)
    assert first["statusCode"] == 303
    assert (
        first["headers"]["Location"] == f"/dev/orders/OP-5?t={links.token(KEY, Purpose.ORDER_PAGE, 'OP-5')}&done=wait"
    )
    assert _post(local_aws, path)["statusCode"] == 303  # a second click (or a retried request)
    waits = [d for d in store.decisions_for("OP-5") if d.action == Action.DELAY_ACCEPTED]
    assert len(waits) == 1 and waits[0].rule == "customer_choice" and waits[0].at == LATE
    result = _get(local_aws, _page("OP-5") + "&done=wait")["body"]
    assert 'id="result"' in result and "感谢您的耐心等待" in result
    page = _get(local_aws, _page("OP-5"))["body"]
    assert 'id="waiting"' in page and "confirm=wait" not in page and "confirm=cancel" in page


def test_cancel_from_the_page_is_granted_at_the_next_scan_with_a_full_refund(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-6")
    answer = _post(local_aws, _page("OP-6").replace("?", "/cancel?"), accept="application/json")
    assert answer["statusCode"] == 202 and json.loads(answer["body"])["queued"] == "order-page-cancel-OP-6"
    assert _post(local_aws, _page("OP-6").replace("?", "/cancel?"))["statusCode"] == 303  # the same event again
    local_aws.drain()  # ingest applies cancel.requested once
    record = store.get_order("OP-6")
    assert record is not None and record.order().cancel_status == "requested"
    local_aws.tick(datetime.fromisoformat("2020-01-21T10:35:00+08:00"))
    order = store.get_order("OP-6")
    assert order is not None and order.order().status == "cancelled"
    cancelled = [d for d in store.decisions_for("OP-6") if d.action == Action.ORDER_CANCELLED]
    assert len(cancelled) == 1 and cancelled[0].rule == "cancel_while_late"
    kinds = sorted(n.kind for n in store.notices_for("OP-6") if n.channel == "email")
    assert kinds == ["order_cancelled", "shipment_delayed"]
    after = datetime.fromisoformat("2020-01-21T11:00:00+08:00")
    page = _get(local_aws, _page("OP-6"), at=after)["body"]
    assert 'id="cancel-state"' in page and "¥128.00" in page and "confirm=cancel" not in page
    refused = _post(local_aws, _page("OP-6").replace("?", "/cancel?"), at=after, accept="application/json")
    assert refused["statusCode"] == 409


def test_no_choice_is_offered_before_the_promise_breaks_or_after_shipping(local_aws: LocalAws) -> None:
    local_aws.send("OrderEventsQueue", json.dumps(paid("OP-7", PAID), ensure_ascii=False))
    local_aws.drain()
    early = datetime.fromisoformat("2020-01-20T12:00:00+08:00")
    assert "OP-7/cancel" not in _get(local_aws, _page("OP-7"), at=early)["body"]
    not_yet = _post(local_aws, _page("OP-7").replace("?", "/wait?"), at=early, accept="application/json")
    assert not_yet["statusCode"] == 409 and json.loads(not_yet["body"])["order"]["choices"] == []
    back = _post(local_aws, _page("OP-7").replace("?", "/wait?"), at=early)  # a browser: back to the page
    assert back["statusCode"] == 303 and back["headers"]["Location"].endswith(_page("OP-7") + "&not_open=1")
    assert 'id="not-open"' in _get(local_aws, _page("OP-7") + "&not_open=1", at=early)["body"]
    local_aws.send("OrderEventsQueue", json.dumps(shipped("OP-7", "2020-01-20T18:00:00+08:00")))
    local_aws.drain()
    page = _get(local_aws, _page("OP-7"))["body"]
    assert "OP-7/cancel" not in page and "SF" in page  # shipped: carrier and tracking instead
    assert _post(local_aws, _page("OP-7").replace("?", "/cancel?"), accept="application/json")["statusCode"] == 409
    assert local_aws.queue_depth("OrderEventsQueue") == 0  # nothing was queued


def test_a_delivered_order_can_be_returned_from_the_page_once(local_aws: LocalAws) -> None:
    for event in (
        paid("OP-10", PAID),
        shipped("OP-10", "2020-01-20T18:00:00+08:00"),
        scan("OP-10", "2020-01-22T10:00:00+08:00", status="delivered"),
    ):
        local_aws.send("OrderEventsQueue" if event["type"] != "tracking" else "TrackingEventsQueue", json.dumps(event))
        local_aws.drain()
    at = datetime.fromisoformat("2020-01-23T10:00:00+08:00")
    assert "confirm=return" in _get(local_aws, _page("OP-10"), at=at)["body"]
    answer = _post(local_aws, _page("OP-10").replace("?", "/return?"), at=at)
    assert answer["statusCode"] == 303 and answer["headers"]["Location"].endswith("&done=return")
    assert _post(local_aws, _page("OP-10").replace("?", "/return?"), at=at)["statusCode"] == 303  # same event
    local_aws.drain()
    record = store.get_order("OP-10")
    assert record is not None and record.order().refund_status == "requested"
    page = _get(local_aws, _page("OP-10"), at=at)["body"]
    assert 'id="return-state"' in page and "confirm=return" not in page
    assert list(rejections.list_rejected()) == []  # the second click was the same event, not a conflict


def test_one_click_unsubscribe_stops_email_and_later_notices_reach_the_inbox_only(local_aws: LocalAws) -> None:
    _late_order(local_aws, "OP-8")
    token = links.token(KEY, Purpose.UNSUBSCRIBE, "OP-8")
    path = f"/notices/unsubscribe?order=OP-8&merchant=m-teahouse&t={token}"
    form = _get(local_aws, path)
    assert form["statusCode"] == 200 and '<form method="post">' in form["body"]
    assert store.suppression_of("wang.fang@mail.example") is None  # a GET (a mail scanner) changes nothing
    assert _post(local_aws, path.replace(token, "AAAAAAAAAAAA"), "List-Unsubscribe=One-Click")["statusCode"] == 403
    assert (
        _post(local_aws, _page("OP-8").replace("/orders/OP-8?", "/notices/unsubscribe?order=OP-8&"))["statusCode"]
        == 403
    )  # the page token does not unsubscribe
    done = _post(local_aws, path, "List-Unsubscribe=One-Click")  # RFC 8058, as a mail provider posts it
    assert done["statusCode"] == 200 and 'id="done"' in done["body"]
    assert store.suppression_of("wang.fang@mail.example") == "unsubscribed"
    sms_before = [m for m in local_aws.sent_messages() if m["channel"] == "sms"]
    emails_before = [m for m in local_aws.sent_messages() if m["channel"] == "email"]
    local_aws.tick(datetime.fromisoformat("2020-01-24T10:30:00+08:00"))  # the 3-day update is due
    assert [m for m in local_aws.sent_messages() if m["channel"] == "email"] == emails_before
    assert [m for m in local_aws.sent_messages() if m["channel"] == "sms"] == sms_before  # no SMS instead
    update = [n for n in store.notices_for("OP-8") if n.kind == "delay_update"]
    assert {(n.channel, n.status) for n in update} >= {("email", "suppressed"), ("inbox", "sent")}
    assert not any(n.channel == "sms" for n in update)
    assert [e.key for e in inbox.entries("OP-8")] == ["shipment_delayed#0", "delay_update#1"]


def test_the_customer_routes_exist_on_the_http_api_without_aws_auth(local_aws: LocalAws) -> None:
    api = local_aws.http_apis["DelayDeskHttpApi"]
    routes = {r["RouteKey"]: r for r in local_aws.client("apigatewayv2").get_routes(ApiId=api)["Items"]}
    for key in (
        "GET /orders/{order_id}",
        "GET /orders/{order_id}/notices",
        "POST /orders/{order_id}/wait",
        "POST /orders/{order_id}/cancel",
        "POST /orders/{order_id}/return",
        "GET /notices/unsubscribe",
        "POST /notices/unsubscribe",
    ):
        assert routes[key]["AuthorizationType"] == "NONE", key  # the link's token is the credential
    assert local_aws.stack.outputs["OrderPageUrl"] == f"https://{api}.execute-api.us-east-1.amazonaws.com/dev/orders"


def test_support_staff_get_the_signed_link_from_the_cli(
    local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    from delaydesk.cli import main

    _late_order(local_aws, "OP-9")
    capsys.readouterr()
    assert main(["notices", "link", "OP-9", "--stack-name", "delaydesk-local"]) == 0
    link = capsys.readouterr().out.strip()
    assert link == _link_in_email(local_aws, "OP-9")  # the very link the notice carried
    assert _get(local_aws, urlsplit(link).path.removeprefix("/dev") + "?" + urlsplit(link).query)["statusCode"] == 200
