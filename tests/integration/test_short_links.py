"""SMS short links on the deployed template: the SMS carries ``/o/CODE``, the route answers 303 to
the signed order page, a code is the same on every delivery of the order's notices (one item), and
an unknown, malformed or expired code gets the same refusal as a wrong token."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError
from conftest import merchant, paid

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.links import Purpose
from delaydesk.notices import dispatch
from delaydesk.notices.sms import measure
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws
from delaydesk_local.serve import ServedStack

KEY = LOCAL_ORDER_LINK_KEY.encode()
PAID = "2020-01-20T10:00:00+08:00"
LATE = datetime.fromisoformat("2020-01-21T10:30:00+08:00")  # the promise broke at 10:00; no quiet hours
SHORT = re.compile(r"https://([^/\s]+)/dev/o/([0-9A-Za-z]+)")


def _late_order_by_sms(local: LocalAws, order_id: str) -> None:
    """An unshipped order past its promise whose customer has a phone and no e-mail."""
    customer = {"email": None, "phone": "+8613800138011"}
    local.send("OrderEventsQueue", json.dumps(paid(order_id, PAID, customer=customer), ensure_ascii=False))
    local.drain()
    local.tick(LATE)


def _sms(local: LocalAws, order_id: str) -> list[str]:
    return [m["text"] for m in local.sent_messages() if m["channel"] == "sms" and order_id in m["text"]]


def _get(local: LocalAws, path: str, at: datetime = LATE, **headers: str) -> dict[str, Any]:
    return local.http_request("GET", path, headers, now=at)


def test_the_sms_carries_a_short_link_that_opens_the_order_page(local_aws: LocalAws) -> None:
    _late_order_by_sms(local_aws, "SL-1")
    (text,) = _sms(local_aws, "SL-1")
    found = SHORT.search(text)
    assert found is not None, text
    host, code = found.groups()
    api_id = local_aws.http_apis["DelayDeskHttpApi"]
    assert host == f"{api_id}.execute-api.us-east-1.amazonaws.com"
    assert code == links.short_code(KEY, "SL-1") and len(code) == links.SHORT_CODE_CHARS
    assert "?t=" not in text  # the SMS carries no token, only the code
    # what the full link costs: /orders/ID?t=TOKEN (12) against /o/CODE (11)
    full = links.order_url(f"https://{host}/dev/orders", None, "SL-1", KEY)
    saved = len(full) - len(found.group(0))
    assert saved == 9 + len("SL-1") and measure(text.replace(found.group(0), full)).units == measure(text).units + saved

    answer = _get(local_aws, f"/o/{code}")
    assert answer["statusCode"] == 303
    assert answer["headers"]["Cache-Control"] == "no-store" and answer["headers"]["Referrer-Policy"] == "no-referrer"
    location = urlsplit(answer["headers"]["Location"])
    token = links.token(KEY, Purpose.ORDER_PAGE, "SL-1")
    assert (location.scheme, location.netloc, location.path, location.query) == (
        "https",
        host,
        "/dev/orders/SL-1",
        f"t={token}",
    )
    page = _get(local_aws, f"{location.path.removeprefix('/dev')}?{location.query}")
    assert page["statusCode"] == 200 and "SL-1" in page["body"]
    item = store.short_link(code, LATE)
    assert item is not None and (item.order_id, item.merchant_id) == ("SL-1", "m-teahouse")
    assert item.expires_at == int((LATE + timedelta(days=90)).timestamp())


def test_an_unknown_malformed_or_expired_code_is_refused_like_a_wrong_token(local_aws: LocalAws) -> None:
    _late_order_by_sms(local_aws, "SL-2")
    code = links.short_code(KEY, "SL-2")
    wrong_token = _get(local_aws, "/orders/SL-2?t=AAAAAAAAAAAA")
    assert wrong_token["statusCode"] == 403
    unknown = links.short_code(KEY, "SL-none")  # well formed, never stored
    expired_at = LATE + timedelta(days=90, seconds=1)
    for path, at in (
        (f"/o/{unknown}", LATE),
        (f"/o/{code[:-1]}", LATE),  # cut
        (f"/o/{code}x", LATE),  # too long
        ("/o/%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9", LATE),  # not base62
        (f"/o/{code}", expired_at),  # expired (DynamoDB's TTL may not have deleted it yet)
    ):
        refused = _get(local_aws, path, at)
        assert refused["statusCode"] == 403, path
        assert refused["body"] == wrong_token["body"], path  # the same page: nothing to probe
    assert _get(local_aws, f"/o/{code}", expired_at - timedelta(seconds=2))["statusCode"] == 303
    as_json = _get(local_aws, f"/o/{unknown}", accept="application/json")
    assert as_json["statusCode"] == 403 and "error" in json.loads(as_json["body"])


def test_the_code_is_the_same_on_redelivery_and_one_item_per_order(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = dispatch.senders.send
    attempts: list[str] = []

    def throttled_once(*args: Any, **kwargs: Any) -> str:
        attempts.append(args[2].sms)
        if len(attempts) == 1:  # after the short link was stored and the SMS rendered
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "Publish")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(dispatch.senders, "send", throttled_once)
    _late_order_by_sms(local_aws, "SL-3")
    assert _sms(local_aws, "SL-3") == []  # the first attempt was throttled: the message is retried
    local_aws.release_failed()
    local_aws.drain()
    (text,) = _sms(local_aws, "SL-3")
    assert len(attempts) == 2 and attempts[0] == attempts[1] == text  # the same link both times
    code = links.short_code(KEY, "SL-3")
    items = [i for i in store.ShortLinkRecord.scan() if i.order_id == "SL-3"]
    assert [i.code for i in items] == [code]


def test_serve_routes_short_links_and_keeps_the_redirect_on_its_own_server(local_aws: LocalAws) -> None:
    _late_order_by_sms(local_aws, "SL-4")
    served = ServedStack(local_aws, LATE)
    monkey_now = LATE + timedelta(minutes=5)
    served.now = lambda: monkey_now  # type: ignore[method-assign]
    code = links.short_code(KEY, "SL-4")
    answer = served.handle("GET", f"/dev/o/{code}", {}, b"")
    assert answer["statusCode"] == 303
    token = links.token(KEY, Purpose.ORDER_PAGE, "SL-4")
    assert answer["headers"]["Location"] == f"/dev/orders/SL-4?t={token}"  # this server, not execute-api
    page = served.handle("GET", answer["headers"]["Location"], {}, b"")
    assert page["statusCode"] == 200 and "SL-4" in page["body"]
    assert served.handle("GET", "/o/AAAAAAAAAAA", {}, b"")["statusCode"] == 403


def test_with_a_short_link_domain_the_sms_fits_its_budget() -> None:
    with LocalAws(parameters={"ShortLinkDomain": "s.teahouse.example"}) as local:
        store.put_merchant(merchant())
        _late_order_by_sms(local, "SHORT-20200120-00001")
        (text,) = _sms(local, "SHORT-20200120-00001")
        code = links.short_code(KEY, "SHORT-20200120-00001")
        assert text.endswith(f"：https://s.teahouse.example/o/{code}")
        length = measure(text)
        assert (length.encoding, length.segments) == ("ucs2", 2), text
        outputs = local.stack.outputs
        assert outputs["ShortLinkUrl"] == "https://s.teahouse.example/o"
        assert "ShortLinkDomainTarget" not in outputs  # no certificate: the domain is mapped by hand
