"""17TRACK and Shopify webhooks, carrier names, lookup by tracking number and local times, through
the template's HTTP API route on the embedded AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import contract_event, load_event, paid, shipped

from delaydesk import store
from delaydesk.tracking import rejections
from delaydesk.tracking.webhooks import sign
from delaydesk_local.runtime import LocalAws

SEVENTEEN = load_event("seventeentrack_webhook_tracking_updated")
FULFILLMENT = load_event("shopify_webhook_fulfillment_update")
FULFILLMENT_EVENT = load_event("shopify_webhook_fulfillment_event_create")
AFTERSHIP = load_event("aftership_webhook_tracking_update")


def _post(local: LocalAws, source: str, payload: Any, now: datetime, **headers: str) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    if source == "generic":  # per merchant: its own secret, named in x-delaydesk-merchant
        headers = {"x-delaydesk-merchant": "m-teahouse", **headers}
    key = local.webhook_secrets["generic/m-teahouse" if source == "generic" else source]
    signed = sign(source, key, body, int(now.timestamp()) if source == "generic" else None)
    return local.http_request("POST", f"/webhooks/{source}", {**signed, **headers}, body, now=now)


def _feed(local: LocalAws, *events: dict[str, Any]) -> None:
    for event in events:
        local.send("OrderEventsQueue", json.dumps(event))
    local.drain()


def _shipment(order_id: str) -> Any:
    record = store.get_order(order_id)
    assert record is not None
    return record.order().shipment


def test_shopify_fulfillment_event_reaches_the_order_with_shopifys_id(local_aws: LocalAws) -> None:
    order_id = str(FULFILLMENT_EVENT["order_id"])
    _feed(
        local_aws,
        paid(order_id, "2021-12-30T10:00:00-05:00"),
        shipped(order_id, "2021-12-31T09:00:00-05:00", carrier="UPS", tracking_number="1Z827WK74630"),
    )
    now = datetime(2022, 1, 1, 0, 5, tzinfo=UTC)
    answer = _post(local_aws, "shopify", FULFILLMENT_EVENT, now, **{"X-Shopify-Topic": "fulfillment_events/create"})
    assert answer["statusCode"] == 202, answer
    local_aws.drain()
    shipment = _shipment(order_id)
    assert (shipment.scans, shipment.last_tag, shipment.last_message) == (1, "in_transit", "Item is now in transit")
    assert shipment.last_scan_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    # A forged body (signed with another secret) is refused and queues nothing.
    body = json.dumps(FULFILLMENT_EVENT).encode()
    forged = local_aws.http_request(
        "POST",
        "/webhooks/shopify",
        {**sign("shopify", "guessed", body), "X-Shopify-Topic": "fulfillment_events/create"},
        body,
        now=now,
    )
    assert forged["statusCode"] == 401
    assert local_aws.queue_depth("TrackingEventsQueue") == 0


def test_17track_push_finds_the_order_by_normalised_carrier_and_number(local_aws: LocalAws) -> None:
    _feed(
        local_aws,
        paid("ST-1", "2022-03-28T10:00:00-07:00", destination={"country": "US", "region": "US-CA"}),
        shipped(
            "ST-1", "2022-03-29T09:00:00-07:00", carrier="United Parcel Service", tracking_number="1z2617v10397725789"
        ),
    )
    answer = _post(local_aws, "17track", SEVENTEEN, datetime(2022, 4, 5, tzinfo=UTC))
    assert answer["statusCode"] == 202, answer
    local_aws.drain()
    record = store.get_order("ST-1")
    assert record is not None and record.status == "delivered"


def test_a_scan_without_carrier_finds_its_order_by_number_unless_ambiguous(local_aws: LocalAws) -> None:
    _feed(
        local_aws,
        paid("N-1", "2020-01-20T10:00:00+08:00"),
        shipped("N-1", "2020-01-20T12:00:00+08:00", carrier="顺丰", tracking_number="SF100"),
        paid("N-2", "2020-01-20T10:00:00+08:00"),
        shipped("N-2", "2020-01-20T12:00:00+08:00", carrier="SF Express", tracking_number="SHARED1"),
        paid("N-3", "2020-01-20T10:00:00+08:00"),
        shipped("N-3", "2020-01-20T12:00:00+08:00", carrier="中通", tracking_number="SHARED1"),
    )
    now = datetime(2020, 1, 21, 0, 1, tzinfo=UTC)
    lone = contract_event("tracking", event_id="nc-1", at="2020-01-21T08:00:00+08:00", status="in_transit")
    for key in ("order_id", "carrier"):
        lone.pop(key, None)
    assert _post(local_aws, "generic", lone | {"tracking_number": "SF100"}, now)["statusCode"] == 202
    assert (
        _post(local_aws, "generic", lone | {"event_id": "nc-2", "tracking_number": "SHARED1"}, now)["statusCode"] == 202
    )
    # Carrier names are normalised: "sf-express" finds the order shipped as "SF Express".
    named = lone | {"event_id": "nc-3", "tracking_number": "SHARED1", "carrier": "sf-express"}
    assert _post(local_aws, "generic", named, now)["statusCode"] == 202
    local_aws.drain()
    assert _shipment("N-1").scans == 1
    assert _shipment("N-2").scans == 1 and _shipment("N-3").scans == 0
    refused = {r.event_id: r for r in rejections.list_rejected()}
    assert refused["nc-2"].category == "refused"
    assert any("belongs to 2 orders" in e for e in refused["nc-2"].errors)


def test_an_offset_less_checkpoint_time_is_read_in_the_destination_zone(local_aws: LocalAws) -> None:
    sent = datetime.fromtimestamp(AFTERSHIP["ts"], tz=UTC)  # 2024-04-10T09:34:56Z
    _feed(
        local_aws,
        paid("LT-1", "2024-04-08T10:00:00+08:00"),
        shipped("LT-1", "2024-04-08T18:00:00+08:00", carrier="USPS", tracking_number="0000000000000000"),
    )
    checkpoint = {**AFTERSHIP["msg"]["checkpoints"][0], "checkpoint_time": "2024-04-10T09:30:00"}
    payload = {**AFTERSHIP, "msg": {**AFTERSHIP["msg"], "checkpoints": [checkpoint]}}
    # A retry 68 hours later is still accepted (the replay window is 4 days by default).
    for now in (sent + timedelta(seconds=2), sent + timedelta(hours=68)):
        assert _post(local_aws, "aftership", payload, now)["statusCode"] == 202
    local_aws.drain()
    shipment = _shipment("LT-1")
    # The contract order ships to China: 09:30 in Asia/Shanghai, not 09:30 UTC and not the send time.
    assert shipment.last_scan_at == datetime(2024, 4, 10, 1, 30, tzinfo=UTC)
    assert shipment.scans == 1  # the retry was absorbed by idempotency


def test_easyship_checkpoint_finds_its_order_by_tracking_number(local_aws: LocalAws) -> None:
    checkpoints = load_event("easyship_webhook_checkpoints_created")
    _feed(
        local_aws,
        paid("ES-1", "2024-12-30T10:00:00-05:00", destination={"country": "US", "region": "US-NY"}),
        shipped("ES-1", "2024-12-31T10:00:00-05:00", carrier="USPS", tracking_number="12345"),
    )
    now = datetime(2025, 1, 3, 9, 0, tzinfo=UTC)
    assert _post(local_aws, "easyship", checkpoints, now)["statusCode"] == 202
    body = json.dumps(checkpoints).encode()
    forged = local_aws.http_request("POST", "/webhooks/easyship", {"X-EASYSHIP-SIGNATURE": "x.y.z"}, body, now=now)
    assert forged["statusCode"] == 401
    local_aws.drain()
    record = store.get_order("ES-1")
    assert record is not None and record.status == "delivered"
