"""Carrier webhooks through the template's HTTP API route in the embedded AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import contract_event, load_event, paid, shipped

from delaydesk import store
from delaydesk.tracking.webhooks import sign
from delaydesk_local.runtime import LocalAws

AFTERSHIP = load_event("aftership_webhook_tracking_update")
AFTERSHIP_NOW = datetime.fromtimestamp(AFTERSHIP["ts"], tz=UTC) + timedelta(seconds=2)
EASYPOST = load_event("easypost_webhook_tracker_updated")
EASYPOST_NOW = datetime(2024, 8, 2, 19, 27, tzinfo=UTC)
MERCHANT = "m-teahouse"  # the contract examples' merchant; the embedded AWS holds its generic secret


def _post(
    local: LocalAws, source: str, payload: Any, now: datetime, *, secret: str | None = None, **headers: str
) -> dict[str, Any]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if source == "generic":  # per merchant: its own secret, named in x-delaydesk-merchant
        headers = {"x-delaydesk-merchant": MERCHANT, **headers}
    key = (
        secret or local.webhook_secrets[f"generic/{headers['x-delaydesk-merchant']}" if source == "generic" else source]
    )
    signed = sign(source, key, body, int(now.timestamp()) if source == "generic" else None)
    return local.http_request("POST", f"/webhooks/{source}", {**signed, **headers}, body, now=now)


def _queued(local: LocalAws) -> int:
    return local.queue_depth("TrackingEventsQueue")


def test_the_template_routes_post_webhooks_source_to_the_function(local_aws: LocalAws) -> None:
    (route,) = [r for r in local_aws.http_routes if r.path.startswith("/webhooks")]
    assert (route.api, route.method, route.path) == ("DelayDeskHttpApi", "POST", "/webhooks/{source}")
    assert route.function.logical_id == "ReceiveWebhookFunction"
    assert local_aws.http_request("GET", "/webhooks/aftership")["statusCode"] == 404


def test_signed_aftership_webhook_is_queued_and_applied_to_its_order(local_aws: LocalAws) -> None:
    for event in (
        # The sample's checkpoint is dated 2021-01-14T00:52:00 without an offset (its ts is in 2024).
        paid("WH-1", "2021-01-13T10:00:00+08:00"),
        shipped("WH-1", "2021-01-13T18:00:00+08:00", carrier="USPS", tracking_number="0000000000000000"),
    ):
        local_aws.send("OrderEventsQueue", json.dumps(event))
    local_aws.drain()
    answer = _post(local_aws, "aftership", AFTERSHIP, AFTERSHIP_NOW)
    assert answer["statusCode"] == 202, answer
    assert json.loads(answer["body"]) == {"queued": "aftership-94dadd60-ed26-46d0-aa52-3ced925a50ff"}
    assert _queued(local_aws) == 1
    local_aws.drain()
    record = store.get_order("WH-1")
    assert record is not None
    shipment = record.order().shipment
    assert shipment is not None and shipment.scans == 1 and shipment.last_tag == "in_transit"
    # Read on the wall clock of the order's destination (China), not as UTC and not as the send time.
    assert shipment.last_scan_at == datetime(2021, 1, 13, 16, 52, tzinfo=UTC)
    # The vendor retries the same delivery: queued again, applied once (idempotent by event id).
    assert _post(local_aws, "aftership", AFTERSHIP, AFTERSHIP_NOW)["statusCode"] == 202
    local_aws.drain()
    record = store.get_order("WH-1")
    assert record is not None and record.order().shipment.scans == 1  # type: ignore[union-attr]


def test_easypost_and_generic_webhooks_are_accepted(local_aws: LocalAws) -> None:
    assert _post(local_aws, "easypost", EASYPOST, EASYPOST_NOW)["statusCode"] == 202
    generic_now = datetime(2020, 1, 21, 0, 1, tzinfo=UTC)
    assert _post(local_aws, "generic", contract_event("tracking"), generic_now)["statusCode"] == 202
    assert _queued(local_aws) == 2


def test_nothing_invalid_reaches_the_queue(local_aws: LocalAws) -> None:
    body = json.dumps(AFTERSHIP).encode()
    good = sign("aftership", local_aws.webhook_secrets["aftership"], body)
    generic = json.dumps(contract_event("tracking")).encode()
    old = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())  # signed correctly, but long ago
    cases = {
        "tampered body": local_aws.http_request(
            "POST", "/webhooks/aftership", good, body.replace(b"InTransit", b"Delivered"), now=AFTERSHIP_NOW
        ),
        "wrong secret": _post(local_aws, "aftership", AFTERSHIP, AFTERSHIP_NOW, secret="guessed"),
        "missing header": local_aws.http_request(
            "POST", "/webhooks/aftership", {"content-type": "application/json"}, body, now=AFTERSHIP_NOW
        ),
        "replayed old timestamp": _post(local_aws, "aftership", AFTERSHIP, AFTERSHIP_NOW + timedelta(days=5)),
        "malformed JSON": _post(local_aws, "aftership", b'{"event": "tracking_update",', AFTERSHIP_NOW),
        "replayed generic": local_aws.http_request(
            "POST",
            "/webhooks/generic",
            {
                "x-delaydesk-merchant": MERCHANT,
                **sign("generic", local_aws.webhook_secrets[f"generic/{MERCHANT}"], generic, old),
            },
            generic,
        ),
        "unknown source": local_aws.http_request("POST", "/webhooks/dhl", {}, body, now=AFTERSHIP_NOW),
    }
    assert {name: answer["statusCode"] for name, answer in cases.items()} == {
        "tampered body": 401,
        "wrong secret": 401,
        "missing header": 401,
        "replayed old timestamp": 401,
        "malformed JSON": 400,
        "replayed generic": 401,
        "unknown source": 404,
    }
    assert _queued(local_aws) == 0


def _within(built: dict[str, Any], documented: dict[str, Any], where: str = "") -> None:
    """Every field the local HTTP API sets is a documented field of the same type."""
    for key, value in built.items():
        assert key in documented, f"{where}{key} is not in the documented v2.0 event"
        if isinstance(value, dict) and key not in ("headers", "pathParameters"):
            _within(value, documented[key], f"{where}{key}.")
        else:
            assert type(value) is type(documented[key]), f"{where}{key}"


def test_the_local_http_api_builds_the_documented_v2_event(local_aws: LocalAws) -> None:
    local_aws.http_request("POST", "/webhooks/generic", {"X-Test": "1"}, "{}", now=EASYPOST_NOW)
    built = local_aws.invocations[-1].event
    documented = load_event("apigw_http_v2_event")
    _within(built, documented)
    required = {"version", "routeKey", "rawPath", "rawQueryString", "headers", "requestContext", "isBase64Encoded"}
    assert required <= set(built)
    assert built["headers"]["x-test"] == "1" and built["pathParameters"] == {"source": "generic"}
    assert built["requestContext"]["timeEpoch"] == int(EASYPOST_NOW.timestamp() * 1000)
