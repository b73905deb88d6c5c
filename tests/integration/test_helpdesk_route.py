"""Help-desk webhooks through the template's HTTP API route, queue and ingest in the embedded AWS."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from conftest import load_event, paid

from delaydesk import store
from delaydesk.operations import effect_report
from delaydesk.tracking import rejections
from delaydesk.tracking.helpdesk import sign
from delaydesk_local.runtime import LocalAws

MERCHANT = "m-teahouse"
NOW = datetime(2020, 1, 22, 2, 0, tzinfo=UTC)
SECRETS = {"zendesk": "zendesk-signing-secret", "freshdesk": "freshdesk-password", "generic": "generic-secret"}


def _ticket(order_id: str = "A-1", ticket_id: str = "35436", **fields: str) -> dict[str, Any]:
    ticket = load_event("helpdesk/zendesk_trigger_ticket")["ticket"]
    return {"ticket": {**ticket, "id": ticket_id, "order_id": order_id, "created_at": "2020-01-22T01:30Z", **fields}}


def _post(
    local: LocalAws, source: str, payload: Any, *, merchant: str = MERCHANT, secret: str | None = None
) -> dict[str, Any]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = sign(source, secret or SECRETS[source], body, NOW, merchant)
    return local.http_request("POST", f"/helpdesk/{source}/{merchant}", headers, body, now=NOW)


def _inquiries(order_id: str) -> list[tuple[str, str]]:
    record = store.get_order(order_id)
    assert record is not None
    return [(c.topic or "", c.channel or "") for c in record.order().inquiries]


def _setup(local: LocalAws) -> None:
    for source, secret in SECRETS.items():
        local.set_webhook_secret(f"helpdesk/{source}/{MERCHANT}", secret)
    local.set_webhook_secret("helpdesk/zendesk/m-other", "other-zendesk-secret")
    for event in (
        paid("A-1", "2020-01-20T10:00:00+08:00"),
        paid("B-1", "2020-01-20T10:00:00+08:00", merchant_id="m-other"),
    ):
        local.send("OrderEventsQueue", json.dumps(event))
    local.drain()


def test_the_template_routes_post_helpdesk_source_merchant_to_the_webhook_function(local_aws: LocalAws) -> None:
    (route,) = [r for r in local_aws.http_routes if r.path.startswith("/helpdesk")]
    assert (route.method, route.path) == ("POST", "/helpdesk/{source}/{merchant_id}")
    assert route.function.logical_id == "ReceiveWebhookFunction"
    assert _post(local_aws, "zendesk", _ticket())["statusCode"] == 401  # no secret stored for it yet


def test_a_signed_zendesk_ticket_is_one_inquiry_on_its_order_even_when_redelivered(local_aws: LocalAws) -> None:
    _setup(local_aws)
    first = _post(local_aws, "zendesk", _ticket())
    assert first["statusCode"] == 202, first
    assert json.loads(first["body"]) == {"queued": "zendesk-35436"}
    assert local_aws.queue_depth("OrderEventsQueue") == 1
    local_aws.drain()
    assert _inquiries("A-1") == [("where_is_my_order", "email")]
    version = store.get_order("A-1")
    # Zendesk retries the same delivery: queued again, applied once.
    assert _post(local_aws, "zendesk", _ticket())["statusCode"] == 202
    local_aws.drain()
    again = store.get_order("A-1")
    assert again is not None and version is not None and again.version == version.version
    assert _inquiries("A-1") == [("where_is_my_order", "email")]
    report = effect_report(MERCHANT)
    assert report["inquiries_by_topic"] == {"where_is_my_order": 1}
    assert list(rejections.list_rejected()) == []


def test_bad_signature_is_401_and_nothing_is_queued(local_aws: LocalAws) -> None:
    _setup(local_aws)
    assert _post(local_aws, "zendesk", _ticket(), secret="not-the-secret")["statusCode"] == 401
    # m-other's secret cannot speak for m-teahouse, nor the reverse.
    assert _post(local_aws, "zendesk", _ticket(), secret="other-zendesk-secret")["statusCode"] == 401
    body = json.dumps(_ticket()).encode()
    unsigned = local_aws.http_request("POST", f"/helpdesk/zendesk/{MERCHANT}", {}, body, now=NOW)
    assert unsigned["statusCode"] == 401
    assert local_aws.http_request("POST", f"/helpdesk/gorgias/{MERCHANT}", {}, body, now=NOW)["statusCode"] == 404
    assert local_aws.queue_depth("OrderEventsQueue") == 0


def test_another_merchants_order_is_refused_and_a_guess_counts_for_the_merchant(local_aws: LocalAws) -> None:
    _setup(local_aws)
    b_before = store.get_order("B-1")
    # The custom field names m-other's order: queued, refused at ingest, listed.
    assert _post(local_aws, "zendesk", _ticket(order_id="B-1", ticket_id="1"))["statusCode"] == 202
    # No order field; the text names m-other's order: a guess, so the inquiry counts for m-teahouse.
    guess = _ticket(order_id="", ticket_id="2", subject="Where is order #B-1?", tags="")
    assert _post(local_aws, "zendesk", guess)["statusCode"] == 202
    # The text names m-teahouse's own order: the inquiry is about it.
    own = _ticket(order_id="", ticket_id="3", subject="Cancel order A-1 please", tags="")
    assert _post(local_aws, "zendesk", own)["statusCode"] == 202
    local_aws.drain()
    b_after = store.get_order("B-1")
    assert b_before is not None and b_after is not None and b_after.version == b_before.version
    listed = {r.event_id: (r.category, r.errors[0]) for r in rejections.list_rejected()}
    assert listed == {
        "zendesk-1": ("refused", "helpdesk:zendesk:m-teahouse speaks only for merchant m-teahouse's orders")
    }
    assert _inquiries("A-1") == [("cancel", "email")]
    report = effect_report(MERCHANT)
    assert report["inquiries_without_order"] == 1
    assert report["inquiries_by_topic"] == {"cancel": 1, "where_is_my_order": 1}


def test_freshdesk_basic_auth_and_the_generic_inquiry(local_aws: LocalAws) -> None:
    _setup(local_aws)
    rule = load_event("helpdesk/freshdesk_rule_ticket_created")
    rule["freshdesk_webhook"] |= {"ticket_created_at": "2020-01-22 09:30:00", "ticket_order_id": "A-1"}
    assert _post(local_aws, "freshdesk", rule)["statusCode"] == 202
    token = base64.b64encode(b"m-teahouse:guess").decode()
    body = json.dumps(rule).encode()
    wrong = local_aws.http_request(
        "POST", f"/helpdesk/freshdesk/{MERCHANT}", {"authorization": f"Basic {token}"}, body, now=NOW
    )
    assert wrong["statusCode"] == 401
    generic = load_event("helpdesk/helpdesk_generic_inquiry") | {"order_id": "A-1", "at": "2020-01-22T01:40:00Z"}
    assert _post(local_aws, "generic", generic)["statusCode"] == 202
    assert _post(local_aws, "generic", generic | {"merchant_id": "m-other"})["statusCode"] == 400
    local_aws.drain()
    assert sorted(_inquiries("A-1")) == [("refund", "chat"), ("where_is_my_order", "email")]
