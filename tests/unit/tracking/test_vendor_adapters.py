"""17TRACK and Shopify webhooks on their documented payloads (pure: no AWS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import load_event

from delaydesk.core.events import Tag, parse_event
from delaydesk.core.taxonomy import SubStatus
from delaydesk.tracking import easyship, seventeen_track, shopify
from delaydesk.tracking.webhooks import Malformed, Unauthorized, receive, sign

SECRET = "s3cret-for-tests"
WINDOW = timedelta(days=4)
SEVENTEEN = load_event("seventeentrack_webhook_tracking_updated")
FULFILLMENT = load_event("shopify_webhook_fulfillment_update")
FULFILLMENT_EVENT = load_event("shopify_webhook_fulfillment_event_create")
SHOPIFY_NOW = datetime(2022, 1, 1, 0, 5, tzinfo=UTC)


def _body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _post(source: str, payload: Any, now: datetime, **headers: str) -> Any:
    body = _body(payload)
    return receive(source, SECRET, body, {**sign(source, SECRET, body), **headers}, now, WINDOW)


# ------------------------------------------------------------------ 17TRACK


def test_17track_signature_is_sha256_of_body_slash_key_as_documented() -> None:
    body = _body(SEVENTEEN)
    expected = hashlib.sha256(body.decode().encode() + b"/" + SECRET.encode()).hexdigest()
    assert sign("17track", SECRET, body) == {"sign": expected}


def test_17track_push_becomes_a_delivered_scan_of_the_provider_carrier() -> None:
    event = parse_event(_post("17track", SEVENTEEN, datetime(2022, 4, 30, tzinfo=UTC)).event)
    assert event.type == "tracking"
    assert (event.carrier, event.tracking_number, event.status) == ("ups", "1Z2617V10397725789", Tag.DELIVERED)
    assert event.at == datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)  # time_utc of latest_event
    assert (event.location, event.message) == ("GASQUET, CA, US", "DELIVERED")
    assert event.event_id == "17track-1Z2617V10397725789-2022-04-04T23:35:22Z-Delivered_Other"


def test_17track_numeric_carrier_key_when_no_provider_is_named() -> None:
    data = {**SEVENTEEN["data"], "track_info": {**SEVENTEEN["data"]["track_info"], "tracking": {"providers": []}}}
    event = _post("17track", {**SEVENTEEN, "data": data}, datetime(2022, 4, 30, tzinfo=UTC)).event
    assert event["carrier"] == "china-post"  # 3011


def test_17track_picked_up_is_a_collection_scan() -> None:
    info = {
        **SEVENTEEN["data"]["track_info"],
        "latest_status": {"status": "InTransit", "sub_status": "InTransit_PickedUp"},
    }
    event = _post(
        "17track", {**SEVENTEEN, "data": {**SEVENTEEN["data"], "track_info": info}}, datetime(2022, 4, 30, tzinfo=UTC)
    ).event
    assert (event["status"], event["sub_status"]) == ("in_transit", "picked_up")


def test_17track_maps_every_documented_status_and_sub_status() -> None:
    statuses = [
        "NotFound",
        "InfoReceived",
        "InTransit",
        "Expired",
        "AvailableForPickup",
        "OutForDelivery",
        "DeliveryFailure",
        "Delivered",
        "Exception",
    ]
    assert set(seventeen_track.STATUSES) == set(statuses)
    for sub, normalised in seventeen_track.SUB_STATUSES.items():
        assert normalised.mapped, sub
        assert sub == "InfoReceived" or sub.split("_")[0] in statuses
    assert seventeen_track.normalise_status("Exception", "Exception_Lost").sub_status == SubStatus.LOST
    assert seventeen_track.normalise_status("Exception", "Exception_New").tag == Tag.EXCEPTION
    assert not seventeen_track.normalise_status("Teleported", None).mapped


def test_17track_other_events_are_not_scans() -> None:
    with pytest.raises(Malformed, match="not a scan"):
        _post("17track", {"event": "TRACKING_STOPPED", "data": {"number": "1"}}, SHOPIFY_NOW)
    with pytest.raises(Malformed, match="number"):
        _post("17track", {"event": "TRACKING_UPDATED", "data": {}}, SHOPIFY_NOW)


# ------------------------------------------------------------------ Shopify


def test_shopify_signature_is_base64_hmac_sha256_of_the_raw_body() -> None:
    body = _body(FULFILLMENT_EVENT)
    digest = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert sign("shopify", SECRET, body) == {"x-shopify-hmac-sha256": digest}
    topic = {"X-Shopify-Topic": "fulfillment_events/create"}
    with pytest.raises(Unauthorized, match="does not match"):
        receive("shopify", SECRET, body, {"X-Shopify-Hmac-Sha256": digest[:-2] + "A=", **topic}, SHOPIFY_NOW, WINDOW)
    assert receive("shopify", SECRET, body, {"X-Shopify-Hmac-Sha256": digest, **topic}, SHOPIFY_NOW, WINDOW)


def test_shopify_fulfillment_event_keeps_shopifys_order_id() -> None:
    received = _post("shopify", FULFILLMENT_EVENT, SHOPIFY_NOW, **{"X-Shopify-Topic": "fulfillment_events/create"})
    event = parse_event(received.event)
    assert event.type == "tracking"
    assert (event.order_id, event.status, event.carrier, event.tracking_number) == (
        "820982911946154508",
        Tag.IN_TRANSIT,
        None,
        None,
    )
    assert event.at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)  # happened_at, -05:00
    assert (event.message, event.location, event.event_id) == ("Item is now in transit", "CA", "shopify-event-1234567")


def test_shopify_fulfillment_update_names_the_parcel() -> None:
    received = _post("shopify", FULFILLMENT, SHOPIFY_NOW, **{"X-Shopify-Topic": "fulfillments/update"})
    event = parse_event(received.event)
    assert event.type == "tracking"
    assert (event.order_id, event.carrier, event.tracking_number) == ("820982911946154508", "ups", "1z827wk74630")
    assert event.status == Tag.INFO_RECEIVED  # shipment_status null: a label, no carrier news yet
    picked = _post(
        "shopify",
        FULFILLMENT | {"shipment_status": "carrier_picked_up"},
        SHOPIFY_NOW,
        **{"X-Shopify-Topic": "fulfillments/update"},
    ).event
    assert (picked["status"], picked["sub_status"]) == ("in_transit", "picked_up")


def test_shopify_topic_and_shape_are_checked() -> None:
    with pytest.raises(Malformed, match="topic"):
        _post("shopify", FULFILLMENT, SHOPIFY_NOW, **{"X-Shopify-Topic": "orders/create"})
    with pytest.raises(Malformed, match="fulfillment"):
        _post("shopify", FULFILLMENT_EVENT, SHOPIFY_NOW, **{"X-Shopify-Topic": "fulfillments/update"})
    with pytest.raises(Unauthorized, match="older than"):
        _post(
            "shopify",
            FULFILLMENT_EVENT,
            SHOPIFY_NOW + timedelta(days=5),
            **{"X-Shopify-Topic": "fulfillment_events/create"},
        )


def test_shopify_statuses_are_mapped() -> None:
    documented = [
        "label_printed",
        "label_purchased",
        "attempted_delivery",
        "ready_for_pickup",
        "confirmed",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failure",
        "carrier_picked_up",
        "picked_up",
        "delayed",
    ]
    assert all(shopify.normalise_status(s).mapped for s in documented)
    assert shopify.normalise_status("DELIVERED").tag == Tag.DELIVERED
    assert not shopify.normalise_status("teleported").mapped


# ------------------------------------------------------------------ Easyship

CHECKPOINTS = load_event("easyship_webhook_checkpoints_created")
STATUS_CHANGED = load_event("easyship_webhook_status_changed")
EASYSHIP_SECRET = "webh_092dflkjhwelkjr109834wlkejhr8sdh"  # the documented example key
EASYSHIP_NOW = datetime(2025, 1, 3, 9, 0, tzinfo=UTC)


def _easyship(payload: Any, token: str | None, now: datetime = EASYSHIP_NOW) -> Any:
    headers = {"X-EASYSHIP-SIGNATURE": token} if token is not None else {}
    return receive("easyship", EASYSHIP_SECRET, _body(payload), headers, now, WINDOW)


def _jwt(secret: str, claims: dict[str, Any], alg: str = "HS256") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"alg": alg, "typ": "JWT"}).encode()) + "." + part(json.dumps(claims).encode())
    return head + "." + part(hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest())


def test_easyship_signature_is_an_hs256_jwt_under_the_secret_key() -> None:
    token = _jwt(EASYSHIP_SECRET, {"easyship_company_id": "CTW00001"})
    assert _easyship(CHECKPOINTS, token).event
    assert easyship.verify(
        EASYSHIP_SECRET, sign("easyship", EASYSHIP_SECRET, b"")["x-easyship-signature"], EASYSHIP_NOW
    )
    for bad, reason in [
        (None, "missing"),
        ("not-a-token", "not a JSON web token"),
        (_jwt("webh_guessed", {"easyship_company_id": "CTW00001"}), "does not match"),
        (_jwt(EASYSHIP_SECRET, {"easyship_company_id": "CTW00001"}, alg="none"), "HS256"),
        (_jwt(EASYSHIP_SECRET, {"exp": int((EASYSHIP_NOW - timedelta(minutes=1)).timestamp())}), "expired"),
    ]:
        with pytest.raises(Unauthorized, match=reason):
            _easyship(CHECKPOINTS, bad)


def test_easyship_checkpoints_give_the_latest_scan_with_its_handler_as_carrier() -> None:
    token = _jwt(EASYSHIP_SECRET, {"easyship_company_id": "CTW00001"})
    event = parse_event(_easyship(CHECKPOINTS, token).event)
    assert event.type == "tracking"
    assert (event.tracking_number, event.carrier, event.status) == ("12345", "usps", Tag.DELIVERED)
    assert event.at == datetime(2025, 1, 3, 8, 0, tzinfo=UTC)
    assert (event.message, event.event_id) == ("Delivered, In/At Mailbox", "easyship-ESTEST00000-checkpoint-112")


def test_easyship_status_change_has_no_carrier_and_is_dated_on_arrival() -> None:
    token = _jwt(EASYSHIP_SECRET, {"easyship_company_id": "CTW00001"})
    event = parse_event(_easyship(STATUS_CHANGED, token).event)
    assert event.type == "tracking"
    assert (event.order_id, event.carrier, event.tracking_number) == (None, None, "12345")  # by number alone
    assert event.status == Tag.DELIVERED and event.at == EASYSHIP_NOW


def test_easyship_documented_statuses_are_mapped() -> None:
    documented = [
        "Arrived at Consolidation Center",
        "Delivered",
        "Delivery Expected (End of Updates)",
        "Exception",
        "Failed Delivery Attempt",
        "In Transit to Consolidation Center",
        "In Transit to Customer",
        "Liquidated",
        "Lost by Courier",
        "No Recent Tracking Updates",
        "Out for Delivery",
        "Processing at Consolidation Center",
        "Shipped (No Tracking Provided)",
        "Shipped",
        "To be returned",
        "Uncancelled",
    ]
    assert all(easyship.normalise_status(s).mapped for s in documented)
    assert easyship.normalise_status("Lost by Courier").sub_status == SubStatus.LOST
    assert not easyship.normalise_status("Teleported").mapped
    with pytest.raises(Malformed, match="not one of"):
        _easyship({**CHECKPOINTS, "event_type": "shipment.label.created"}, _jwt(EASYSHIP_SECRET, {}))


@pytest.mark.parametrize(
    ("source", "payload"),
    [
        ("17track", {"event": "TRACKING_UPDATED", "data": {"number": "1", "carrier": 1.5, "track_info": [1]}}),
        ("17track", {"event": "TRACKING_UPDATED", "data": {"number": "N" * 300}}),
        (
            "easyship",
            {
                "event_type": "shipment.tracking.checkpoints.created",
                "resource_id": "E1",
                "data": {"tracking_number": "1", "checkpoints": [{"order_number": "x"}, {"order_number": 2}]},
            },
        ),
        (
            "aftership",
            {
                "event": "tracking_update",
                "ts": 1712741696,
                "msg": {
                    "slug": "ups",
                    "tracking_number": "1",
                    "checkpoints": [{"checkpoint_time": "2024-04-10T08:00:00", "country_iso3": 7, "state": []}],
                },
            },
        ),
    ],
)
def test_odd_signed_payloads_are_adapted_or_refused_never_crash(source: str, payload: dict[str, Any]) -> None:
    now = datetime(2024, 4, 10, 9, 35, tzinfo=UTC)
    body = _body(payload)
    secret = EASYSHIP_SECRET if source == "easyship" else SECRET
    try:
        received = receive(source, secret, body, sign(source, secret, body), now, WINDOW)
    except Malformed:
        return
    assert parse_event(received.event).type == "tracking"
