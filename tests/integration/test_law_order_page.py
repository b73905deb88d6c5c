"""The buyer's consumer rules on the deployed template: the order page's "wait" is express consent
(``delay.accepted`` reaches the order, so no automatic cancellation follows), and an EU buyer sets
an additional period, then terminates a shipped order for a refund, through the page's routes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from conftest import notice_request, paid, shipped

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.decisions import Action
from delaydesk.core.kinds import NoticeChannel
from delaydesk.core.links import Purpose
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws

KEY = LOCAL_ORDER_LINK_KEY.encode()
PAID = "2020-03-02T09:00:00-08:00"
PROMISED = datetime.fromisoformat("2020-03-04T09:00:00-08:00")
US = {"destination": {"country": "US", "region": "US-CA"}, "value": {"amount": "89.00", "currency": "USD"}}
DE = {"destination": {"country": "DE", "region": "DE-BE"}, "value": {"amount": "89.00", "currency": "EUR"}}


def _send(local: LocalAws, event: dict[str, Any]) -> None:
    local.send("OrderEventsQueue", json.dumps(event, ensure_ascii=False))
    local.drain()


def _path(order_id: str, route: str = "") -> str:
    return f"/orders/{order_id}{route}?t={links.token(KEY, Purpose.ORDER_PAGE, order_id)}"


def _post(local: LocalAws, path: str, at: datetime, body: str = "") -> dict[str, Any]:
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
    return local.http_request("POST", path, headers, body, now=at)


def _order(order_id: str) -> Any:
    record = store.get_order(order_id)
    assert record is not None
    return record.order()


def test_wait_on_the_page_is_express_consent_and_the_us_order_is_never_cancelled(local_aws: LocalAws) -> None:
    _send(local_aws, paid("LAW-US", PAID, hours=48, **US))
    option_at = PROMISED - timedelta(hours=2)
    local_aws.tick(option_at)
    law = _order("LAW-US").law
    assert law is not None and law.rules == "us_ftc" and law.option_sent_at == option_at
    sent = [n.kind for n in store.notices_for("LAW-US")]
    assert "shipment_delayed" in sent
    answer = _post(local_aws, _path("LAW-US", "/wait"), PROMISED)
    assert answer["statusCode"] == 200
    local_aws.drain()  # ingest applies delay.accepted
    assert _order("LAW-US").delay_accepted_at == PROMISED
    waits = [d for d in store.decisions_for("LAW-US") if d.action == Action.DELAY_ACCEPTED]
    assert len(waits) == 1 and waits[0].rule == "us_ftc" and waits[0].inputs["clause"] == "16 CFR 435.2(b)(1)(i)"
    for day in (8, 20, 29, 31, 40):
        local_aws.tick(PROMISED + timedelta(days=day))
    order = _order("LAW-US")
    assert order.status == "paid"
    assert [d for d in store.decisions_for("LAW-US") if d.action == Action.ORDER_CANCELLED] == []
    assert "delay_consent_request" not in [n.kind for n in store.notices_for("LAW-US")]
    state = json.loads(local_aws.http_request("GET", _path("LAW-US", "/notices"), {}, now=PROMISED)["body"])
    assert state["order"]["rules"] == "us_ftc"
    assert [o["choice"] for o in state["order"]["options"]] == ["cancel"]


def test_an_eu_buyer_sets_an_additional_period_then_terminates_for_a_refund(local_aws: LocalAws) -> None:
    _send(local_aws, paid("LAW-DE", PAID, hours=48, **DE))
    _send(local_aws, shipped("LAW-DE", "2020-03-05T09:00:00-08:00"))
    early = datetime.fromisoformat("2020-03-10T09:00:00-07:00")
    local_aws.tick(early)
    refused = _post(local_aws, _path("LAW-DE", "/additional-period"), early, "until=2020-03-20")
    assert refused["statusCode"] == 409 and json.loads(refused["body"])["error"] == "the order is not late yet"
    late = datetime.fromisoformat("2020-04-02T12:00:00-07:00")  # 30 days after the order: undelivered
    local_aws.tick(late)
    malformed = _post(local_aws, _path("LAW-DE", "/additional-period"), late, "until=next+week")
    assert malformed["statusCode"] == 409
    too_long = _post(local_aws, _path("LAW-DE", "/additional-period"), late, "until=2020-09-01")
    assert json.loads(too_long["body"])["error"] == "the additional period may be at most 90 days"
    # Too early to terminate: the cancel route answers as before (shipped: not open).
    assert _post(local_aws, _path("LAW-DE", "/cancel"), late)["statusCode"] == 409
    accepted = _post(local_aws, _path("LAW-DE", "/additional-period"), late, "until=2020-04-16")
    assert accepted["statusCode"] == 202
    local_aws.drain()
    # the end of that day on the customer's clock (the sample customer lives in Asia/Shanghai)
    assert _order("LAW-DE").additional_period_until == datetime.fromisoformat("2020-04-17T00:00:00+08:00")
    after = datetime.fromisoformat("2020-04-18T09:00:00-07:00")
    local_aws.tick(after)
    state = json.loads(local_aws.http_request("GET", _path("LAW-DE", "/notices"), {}, now=after)["body"])
    assert [o["choice"] for o in state["order"]["options"]] == ["terminate"]
    terminated = _post(local_aws, _path("LAW-DE", "/cancel"), after)
    assert terminated["statusCode"] == 202 and json.loads(terminated["body"])["queued"] == "order-page-terminate-LAW-DE"
    local_aws.drain()
    local_aws.tick(after + timedelta(minutes=5))
    order = _order("LAW-DE")
    assert order.status == "cancelled" and order.refund_status == "refunded"
    (cancelled,) = [d for d in store.decisions_for("LAW-DE") if d.action == Action.ORDER_CANCELLED]
    assert cancelled.rule == "eu_crd_termination" and cancelled.inputs["clause"] == "Directive 2011/83/EU art. 18(2)"
    assert "order_cancelled" in [n.kind for n in store.notices_for("LAW-DE")]


def test_a_delay_notice_held_past_the_cancellation_is_not_sent(local_aws: LocalAws) -> None:
    """No delay notice after the cancellation notice: an SMS held for quiet hours is superseded."""
    paid_at = "2020-01-20T10:00:00+08:00"
    _send(local_aws, paid("LAW-Q", paid_at, hours=72, customer={"email": None, "phone": "+8613800138009"}))
    request = notice_request(
        order_id="LAW-Q", channel=NoticeChannel.SMS, requested_at=datetime.fromisoformat("2020-01-24T23:00:00+08:00")
    )
    local_aws.send("NoticesQueue", request.model_dump_json())
    local_aws.drain()  # held until 09:00 in Shanghai
    for kind, fields in (
        ("refund.requested", {"reason": "too slow"}),
        ("refund.seller_responded", {"decision": "approved"}),
    ):
        _send(
            local_aws,
            {
                "type": kind,
                "event_id": f"{kind}-LAW-Q",
                "at": "2020-01-25T00:30:00+08:00",
                "order_id": "LAW-Q",
                **fields,
            },
        )
    assert _order("LAW-Q").status == "cancelled"
    local_aws.tick(datetime.fromisoformat("2020-01-25T09:00:00+08:00"))
    assert [m for m in local_aws.sent_messages() if m["channel"] == "sms"] == []
    (notice,) = [n for n in store.all_notices() if n.order_id == "LAW-Q" and n.kind == "shipment_delayed"]
    assert notice.status == "superseded"
