"""Webhook signatures, freshness and the vendor adapters (pure: no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import contract_event, load_event

from delaydesk.core.config import Settings
from delaydesk.core.events import parse_event
from delaydesk.tracking.webhooks import MERCHANT_HEADER, Malformed, Unauthorized, UnknownSource, receive, sign

SECRET = "s3cret-for-tests"
TOLERANCE = timedelta(minutes=5)
AFTERSHIP = load_event("aftership_webhook_tracking_update")
AFTERSHIP_NOW = datetime.fromtimestamp(AFTERSHIP["ts"], tz=UTC)
EASYPOST = load_event("easypost_webhook_tracker_updated")
EASYPOST_NOW = datetime(2024, 8, 2, 19, 27, tzinfo=UTC)
GENERIC_NOW = datetime(2020, 1, 21, 0, 1, tzinfo=UTC)


def _body(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _call(source: str, payload: Any, now: datetime, *, secret: str = SECRET, **kw: Any) -> Any:
    body = payload if isinstance(payload, bytes) else _body(payload)
    ts = kw.pop("ts", int(now.timestamp()))
    headers = kw.pop("headers", None) or sign(source, secret, body, ts if source == "generic" else None)
    if source == "generic":
        headers = {MERCHANT_HEADER: "m-teahouse", **headers}
    return receive(source, SECRET, body, headers, now, TOLERANCE)


def test_aftership_tracking_update_becomes_a_contract_tracking_event() -> None:
    received = _call("aftership", AFTERSHIP, AFTERSHIP_NOW)
    event = parse_event(received.event)
    assert event.type == "tracking"
    assert (event.carrier, event.tracking_number, event.status) == ("usps", "0000000000000000", "in_transit")
    assert event.event_id == "aftership-94dadd60-ed26-46d0-aa52-3ced925a50ff"
    assert event.message == "Departed Shipping Partner Facility, USPS Awaiting Item"
    # checkpoint_time has no offset and no place: `at` holds the signed ts until ingest reads the local time
    assert event.at == AFTERSHIP_NOW and event.type == "tracking" and event.local_time == "2021-01-14T00:52:00"


def test_aftership_edd_revise_carries_the_new_estimate() -> None:
    payload = {**AFTERSHIP, "event": "edd_revise"}
    payload["msg"] = {**AFTERSHIP["msg"], "latest_estimated_delivery": {"datetime": "2024-04-15T18:00:00+00:00"}}
    event = parse_event(_call("aftership", payload, AFTERSHIP_NOW).event)
    assert event.estimated_delivery == datetime(2024, 4, 15, 18, tzinfo=UTC)


def test_aftership_exception_subtag_is_normalised() -> None:
    payload = {**AFTERSHIP, "msg": {**AFTERSHIP["msg"], "tag": "Exception", "subtag": "Exception_007"}}
    event = _call("aftership", payload, AFTERSHIP_NOW).event
    assert (event["status"], event["sub_status"]) == ("exception", "incorrect_address")


def test_easypost_tracker_updated_uses_the_last_tracking_detail() -> None:
    received = _call("easypost", EASYPOST, EASYPOST_NOW)
    event = parse_event(received.event)
    last = EASYPOST["result"]["tracking_details"][-1]
    assert (event.carrier, event.tracking_number, event.status) == ("fedex", "1", "in_transit")  # the carrier code
    assert event.at == datetime.fromisoformat(last["datetime"].replace("Z", "+00:00"))
    assert event.estimated_delivery == datetime(2024, 8, 5, tzinfo=UTC)
    assert received.vendor_status == "in_transit/arrived_at_facility"


def test_generic_form_is_the_contract_event() -> None:
    event = contract_event("tracking", status="exception", sub_status="customs")
    received = _call("generic", event, GENERIC_NOW)
    assert received.event["sub_status"] == "customs_delay"
    assert received.event["event_id"] == "evt-scan-0001"


def test_unknown_vendor_status_is_kept_with_a_safe_default() -> None:
    payload = {**AFTERSHIP, "msg": {**AFTERSHIP["msg"], "tag": "Teleported", "subtag": "Teleported_001"}}
    received = _call("aftership", payload, AFTERSHIP_NOW)
    assert received.event["status"] == "in_transit" and received.event["sub_status"] == "unmapped"
    assert received.event["vendor_status"] == "aftership:Teleported/Teleported_001"
    assert not received.normalised.mapped


SEVENTEEN = load_event("seventeentrack_webhook_tracking_updated")
SHOPIFY_EVENT = load_event("shopify_webhook_fulfillment_event_create")
SHOPIFY_NOW = datetime(2022, 1, 1, 0, 1, tzinfo=UTC)
SOURCES = {
    "aftership": (AFTERSHIP, AFTERSHIP_NOW),
    "easypost": (EASYPOST, EASYPOST_NOW),
    "17track": (SEVENTEEN, GENERIC_NOW),
    "shopify": (SHOPIFY_EVENT, SHOPIFY_NOW),
    "generic": (contract_event("tracking"), GENERIC_NOW),
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_tampered_body_is_refused(source: str) -> None:
    payload, now = SOURCES[source]
    body = _body(payload)
    headers = sign(source, SECRET, body, int(now.timestamp()) if source == "generic" else None)
    headers[MERCHANT_HEADER] = "m-teahouse"
    tampered = (
        body.replace(b"in_transit", b"delivered").replace(b"InTransit", b"Delivered").replace(b"DELIVERED", b"LOST")
    )
    assert tampered != body
    with pytest.raises(Unauthorized, match="does not match"):
        receive(source, SECRET, tampered, headers, now, TOLERANCE)


@pytest.mark.parametrize("source", list(SOURCES))
def test_wrong_secret_is_refused(source: str) -> None:
    payload, now = SOURCES[source]
    with pytest.raises(Unauthorized):
        _call(source, payload, now, secret="not-the-secret")


@pytest.mark.parametrize("source", list(SOURCES))
def test_missing_signature_header_is_refused(source: str) -> None:
    with pytest.raises(Unauthorized, match="missing"):
        receive(source, SECRET, _body(AFTERSHIP), {"content-type": "application/json"}, AFTERSHIP_NOW, TOLERANCE)


@pytest.mark.parametrize(
    ("offset", "ok"),
    [(TOLERANCE - timedelta(seconds=1), True), (TOLERANCE, True), (TOLERANCE + timedelta(seconds=1), False)],
)
def test_replay_window_boundary(offset: timedelta, ok: bool) -> None:
    now = AFTERSHIP_NOW + offset
    if ok:
        assert _call("aftership", AFTERSHIP, now).event
    else:
        with pytest.raises(Unauthorized, match="window"):
            _call("aftership", AFTERSHIP, now)


def test_replayed_old_generic_timestamp_is_refused_even_when_correctly_signed() -> None:
    old = int((GENERIC_NOW - timedelta(hours=1)).timestamp())
    with pytest.raises(Unauthorized, match="window"):
        _call("generic", contract_event("tracking"), GENERIC_NOW, ts=old)


def test_old_easypost_event_is_refused() -> None:
    with pytest.raises(Unauthorized, match="window"):
        _call("easypost", EASYPOST, EASYPOST_NOW + timedelta(days=1))


def test_malformed_json_is_400_after_the_signature_check() -> None:
    with pytest.raises(Malformed, match="not JSON"):
        _call("aftership", b"{not json", AFTERSHIP_NOW)


def test_signed_but_unusable_payloads_are_400() -> None:
    with pytest.raises(Malformed):
        _call("aftership", {**AFTERSHIP, "event": "order_created"}, AFTERSHIP_NOW)
    with pytest.raises(Malformed):
        _call("easypost", {**EASYPOST, "result": {"status": "in_transit"}}, EASYPOST_NOW)
    with pytest.raises(Malformed):
        _call("generic", {"type": "order.paid"}, GENERIC_NOW)
    with pytest.raises(Malformed):
        _call("generic", [1, 2], GENERIC_NOW)


def test_unknown_source_and_missing_secret() -> None:
    with pytest.raises(UnknownSource):
        receive("fedex", SECRET, b"{}", {}, GENERIC_NOW, TOLERANCE)
    with pytest.raises(Unauthorized, match="no secret"):
        receive("generic", None, b"{}", {MERCHANT_HEADER: "m1"}, GENERIC_NOW, TOLERANCE)
    with pytest.raises(Unauthorized, match="per merchant"):
        receive("generic", SECRET, b"{}", {}, GENERIC_NOW, TOLERANCE)
    with pytest.raises(Malformed, match="not a merchant id"):
        receive("generic", SECRET, b"{}", {MERCHANT_HEADER: "../aftership"}, GENERIC_NOW, TOLERANCE)


def test_an_honest_retry_68_hours_later_is_accepted_with_the_default_window() -> None:
    """AfterShip retries a delivery for ~68 hours; the deployment's default window accepts it."""
    default = timedelta(seconds=Settings().webhook_tolerance_seconds)
    assert default >= timedelta(hours=72)
    later = AFTERSHIP_NOW + timedelta(hours=68)
    body = _body(AFTERSHIP)
    received = receive("aftership", SECRET, body, sign("aftership", SECRET, body), later, default)
    assert received.event["event_id"] == _call("aftership", AFTERSHIP, AFTERSHIP_NOW).event["event_id"]
    with pytest.raises(Unauthorized, match="older than"):
        receive("aftership", SECRET, body, sign("aftership", SECRET, body), later + timedelta(days=4), default)


def test_a_send_time_ahead_of_the_receiver_is_refused_beyond_a_clock_skew() -> None:
    with pytest.raises(Unauthorized, match="ahead"):
        _call("aftership", AFTERSHIP, AFTERSHIP_NOW - timedelta(hours=1))
    assert _call("aftership", AFTERSHIP, AFTERSHIP_NOW - timedelta(minutes=10)).event


def test_aftership_checkpoint_time_without_offset_is_read_in_the_checkpoint_zone() -> None:
    checkpoint = {**AFTERSHIP["msg"]["checkpoints"][0], "checkpoint_time": "2024-04-09T22:30:00"}
    payload = {
        **AFTERSHIP,
        "msg": {**AFTERSHIP["msg"], "checkpoints": [checkpoint | {"country_iso3": "USA", "state": "CA"}]},
    }
    event = parse_event(_call("aftership", payload, AFTERSHIP_NOW).event)
    assert event.at == datetime(2024, 4, 10, 5, 30, tzinfo=UTC)  # 22:30 in Los Angeles (PDT, UTC-7)
    assert event.type == "tracking" and event.local_time is None
    # Without a place, the local time travels to ingest (read in the order's destination zone).
    event = parse_event(
        _call("aftership", {**AFTERSHIP, "msg": {**AFTERSHIP["msg"], "checkpoints": [checkpoint]}}, AFTERSHIP_NOW).event
    )
    assert event.type == "tracking" and event.local_time == "2024-04-09T22:30:00" and event.at == AFTERSHIP_NOW
