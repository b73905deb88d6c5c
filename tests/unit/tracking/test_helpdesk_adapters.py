"""Help-desk webhooks (pure): Zendesk, Freshdesk and the generic inquiry, on the stored payloads."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import load_event
from hostile import hostile_text, json_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delaydesk.core.events import EVENT_TYPES, InquiryReceived, parse_event
from delaydesk.core.origins import helpdesk as helpdesk_origin
from delaydesk.core.origins import order_refusal, parse_origin, refusal
from delaydesk.tracking.helpdesk import SOURCES, channel_of, order_ref_in, plain_text, receive, sign, topic_of
from delaydesk.tracking.webhook_errors import Malformed, TooLarge, Unauthorized, UnknownSource, WebhookError

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # the secret of Zendesk's own verification example
TOLERANCE = timedelta(days=4)
ZENDESK_EVENT = load_event("helpdesk/zendesk_event_ticket_created")
ZENDESK_TRIGGER = load_event("helpdesk/zendesk_trigger_ticket")
FRESHDESK_ZULIP = load_event("helpdesk/freshdesk_zulip_ticket_created")
FRESHDESK_RULE = load_event("helpdesk/freshdesk_rule_ticket_created")
GENERIC = load_event("helpdesk/helpdesk_generic_inquiry")
NOW = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)


def _body(payload: Any) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()


def _receive(
    source: str, payload: Any, *, signed_at: datetime | None = None, now: datetime = NOW, **headers: str
) -> Any:
    body = _body(payload)
    signed = sign(source, SECRET, body, signed_at or now, "m1")
    return receive(source, "m1", SECRET, body, {**signed, **headers}, now, TOLERANCE)


# ------------------------------------------------------------------ Zendesk


def test_zendesk_signature_is_base64_hmac_of_the_timestamp_then_the_body() -> None:
    body = b'{"ticket":{"id":"1"}}'
    headers = sign("zendesk", SECRET, body, datetime(2021, 3, 25, 5, 9, 27, tzinfo=UTC))
    assert headers["x-zendesk-webhook-signature-timestamp"] == "2021-03-25T05:09:27Z"  # Zendesk's own format
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"2021-03-25T05:09:27Z" + body, hashlib.sha256).digest()
    assert base64.b64decode(headers["x-zendesk-webhook-signature"]) == expected


def test_zendesk_event_subscription_ticket_created_is_one_inquiry() -> None:
    inquiry = _receive("zendesk", ZENDESK_EVENT, now=datetime(2025, 1, 8, 10, 12, 9, tzinfo=UTC))
    assert inquiry.event == {
        "type": "inquiry.received",
        "event_id": "zendesk-5158",
        "at": "2025-01-08T10:12:07Z",
        "merchant_id": "m1",
        "channel": "other",  # web_service: the API
        "text": "ticketinfo_2294a6e9ece2\nticket_info_desc_2294a6e9ece2",
    }
    assert inquiry.topic_from == "text"
    assert isinstance(parse_event(inquiry.event), InquiryReceived)


def test_zendesk_trigger_body_maps_order_field_channel_time_and_tag_topic() -> None:
    inquiry = _receive("zendesk", ZENDESK_TRIGGER, now=datetime(2019, 5, 21, tzinfo=UTC))
    assert inquiry.event == {
        "type": "inquiry.received",
        "event_id": "zendesk-35436",
        "at": "2019-05-20T22:55:00Z",  # {{ticket.created_at_with_timestamp}} has minutes only
        "merchant_id": "m1",
        "channel": "email",  # {{ticket.via}} "Mail"
        "order_id": "A1042",
        "topic": "where_is_my_order",  # the tag "wismo"
    }
    assert inquiry.topic_from == "sender"


def test_a_tag_that_names_no_topic_leaves_the_text_to_the_classifier() -> None:
    ticket = {**ZENDESK_TRIGGER["ticket"], "tags": "vip enterprise", "order_id": ""}
    inquiry = _receive("zendesk", {"ticket": ticket}, now=datetime(2019, 5, 21, tzinfo=UTC))
    assert "topic" not in inquiry.event and "order_id" not in inquiry.event
    assert inquiry.event["text"].startswith("Where is my order?\nHello, I ordered a tea set")


def test_zendesk_sender_topic_beats_the_text() -> None:
    ticket = {**ZENDESK_TRIGGER["ticket"], "tags": "", "topic": "Refund"}
    inquiry = _receive("zendesk", {"ticket": ticket}, now=datetime(2019, 5, 21, tzinfo=UTC))
    assert inquiry.event["topic"] == "refund"  # the text says WISMO; the ticket's own field wins


def test_zendesk_bad_signature_wrong_secret_missing_headers_are_401() -> None:
    body = _body(ZENDESK_TRIGGER)
    now = datetime(2019, 5, 21, tzinfo=UTC)
    good = sign("zendesk", SECRET, body, now)
    tampered = body.replace(b"A1042", b"B2042")
    with pytest.raises(Unauthorized, match="does not match"):
        receive("zendesk", "m1", SECRET, tampered, good, now, TOLERANCE)
    with pytest.raises(Unauthorized, match="does not match"):
        receive("zendesk", "m1", "another-secret", body, good, now, TOLERANCE)
    with pytest.raises(Unauthorized, match="missing"):
        receive("zendesk", "m1", SECRET, body, {}, now, TOLERANCE)
    moved = {**good, "x-zendesk-webhook-signature-timestamp": "2019-05-20T23:55:00Z"}  # a replayer's new time
    with pytest.raises(Unauthorized, match="does not match"):
        receive("zendesk", "m1", SECRET, body, moved, now, TOLERANCE)


def test_zendesk_old_or_future_timestamp_is_401() -> None:
    with pytest.raises(Unauthorized, match="older than"):
        _receive("zendesk", ZENDESK_TRIGGER, signed_at=NOW - timedelta(days=5))
    with pytest.raises(Unauthorized, match="ahead"):
        _receive("zendesk", ZENDESK_TRIGGER, signed_at=NOW + timedelta(hours=1))


def test_zendesk_other_events_and_unusable_bodies_are_400() -> None:
    with pytest.raises(Malformed, match=r"ticket\.created"):
        _receive("zendesk", {**ZENDESK_EVENT, "type": "zen:event-type:ticket.status_changed"})
    with pytest.raises(Malformed, match="'ticket' object"):
        _receive("zendesk", {"hello": "world"})
    with pytest.raises(Malformed, match="creation time"):
        _receive("zendesk", {"ticket": {**ZENDESK_TRIGGER["ticket"], "created_at": ""}})
    with pytest.raises(Malformed, match="not JSON"):
        _receive("zendesk", b"{not json")
    with pytest.raises(Malformed, match="order_id"):
        _receive("zendesk", {"ticket": {**ZENDESK_TRIGGER["ticket"], "order_id": "A\n1"}}, now=NOW)


# ------------------------------------------------------------------ Freshdesk


def test_freshdesk_rule_body_reads_the_order_number_in_the_text_and_the_local_time() -> None:
    inquiry = _receive("freshdesk", FRESHDESK_RULE)
    assert inquiry.event == {
        "type": "inquiry.received",
        "event_id": "freshdesk-11",
        "at": "2026-03-11T04:44:19Z",  # 12:44:19 in Asia/Shanghai
        "merchant_id": "m1",
        "channel": "email",
        "order_ref": "A1042",  # 订单号：A1042 in the subject (the order field is empty)
        "text": "订单号：A1042 还没到\n您好，我的快递一直没有更新，请帮我查一下物流。",  # HTML dropped
    }


def test_freshdesk_basic_auth_password_is_the_secret() -> None:
    body = _body(FRESHDESK_RULE)
    token = base64.b64encode(f"anyone:{SECRET}".encode()).decode()
    assert receive("freshdesk", "m1", SECRET, body, {"Authorization": f"Basic {token}"}, NOW, TOLERANCE)
    wrong = base64.b64encode(b"m1:guess").decode()
    refused: list[dict[str, str]] = [{}, {"authorization": f"Basic {wrong}"}, {"authorization": "Bearer x"}]
    for headers in [*refused, {"authorization": "Basic %%"}]:
        with pytest.raises(Unauthorized):
            receive("freshdesk", "m1", SECRET, body, headers, NOW, TOLERANCE)


def test_freshdesk_zulip_shape_without_a_creation_time_is_refused_with_the_reason() -> None:
    with pytest.raises(Malformed, match="creation time"):
        _receive("freshdesk", FRESHDESK_ZULIP)
    naive = {"freshdesk_webhook": {**FRESHDESK_RULE["freshdesk_webhook"], "helpdesk_time_zone": ""}}
    with pytest.raises(Malformed, match="time zone"):
        _receive("freshdesk", naive)
    unknown = {"freshdesk_webhook": {**FRESHDESK_RULE["freshdesk_webhook"], "helpdesk_time_zone": "Mars/Base"}}
    with pytest.raises(Malformed, match="IANA"):
        _receive("freshdesk", unknown)


def test_freshdesk_redelivery_is_the_same_event() -> None:
    first = _receive("freshdesk", FRESHDESK_RULE, now=NOW)
    again = _receive("freshdesk", FRESHDESK_RULE, now=NOW + timedelta(hours=3))
    assert first.event == again.event  # ingest's idempotency then applies it once


# ------------------------------------------------------------------ generic


def test_generic_inquiry_is_the_contract_event_for_the_url_merchant() -> None:
    inquiry = _receive("generic", GENERIC)
    assert inquiry.event == {**GENERIC, "merchant_id": "m1"}
    with pytest.raises(Malformed, match="speaks for m1 only"):
        _receive("generic", {**GENERIC, "merchant_id": "m2"})
    with pytest.raises(Malformed, match=r"inquiry\.received"):
        _receive("generic", {**GENERIC, "type": "refund.requested"})
    with pytest.raises(Malformed, match="topic"):
        _receive("generic", {**GENERIC, "topic": "complaint"})
    with pytest.raises(Unauthorized, match="older than"):
        _receive("generic", GENERIC, signed_at=NOW - timedelta(days=5))


def test_unknown_source_bad_merchant_no_secret_and_size_limits() -> None:
    body = _body(GENERIC)
    with pytest.raises(UnknownSource):
        receive("gorgias", "m1", SECRET, body, {}, NOW, TOLERANCE)
    with pytest.raises(Malformed, match="merchant"):
        receive("generic", "m 1", SECRET, body, {}, NOW, TOLERANCE)
    with pytest.raises(Unauthorized, match="no secret"):
        receive("generic", "m1", None, body, {}, NOW, TOLERANCE)
    with pytest.raises(TooLarge):
        receive("generic", "m1", SECRET, b"{" + b" " * 70_000 + b"}", {}, NOW, TOLERANCE)


# ------------------------------------------------------------------ mapping helpers


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("Mail", "email"),
        ("Email", "email"),
        ("Outbound Email", "email"),
        ("mail", "email"),
        ("Chat", "chat"),
        ("Web Widget", "chat"),
        ("Phone call (incoming)", "phone"),
        ("Voicemail", "phone"),
        ("phone_call_inbound", "phone"),
        ("WhatsApp", "im"),
        ("Facebook Messenger", "im"),
        ("WeChat", "im"),
        ("Text message", "im"),
        ("Web Form", "other"),
        ("Portal", "other"),
        ("web_service", "other"),
        (None, "other"),
    ],
)
def test_channel_names_of_zendesk_and_freshdesk(name: str | None, channel: str) -> None:
    assert channel_of(name) == channel


def test_topic_tags_map_only_known_names_and_cancel_comes_first() -> None:
    assert topic_of("vip wismo") == "where_is_my_order"
    assert topic_of("refund,cancel-order") == "cancel"
    assert topic_of(["Address Change"]) == "address"
    assert topic_of("vip", None, "") is None
    assert topic_of("other") is None  # "other" is not a sender's topic: the text decides


def test_order_numbers_in_text() -> None:
    assert order_ref_in("Where is order #1042?") == "1042"
    assert order_ref_in("my Order Number: a-77731 is late") == "a-77731"  # as written: ids are case-sensitive
    assert order_ref_in("訂單編號＃TW2001 還沒到") == "TW2001"
    assert order_ref_in("my order has not arrived") is None  # a word is not a number
    assert order_ref_in("order 1042 and order 2042") is None  # two: no guess
    assert order_ref_in(None) is None


def test_plain_text_drops_tags_and_control_characters_and_is_cut() -> None:
    assert plain_text("Hi", "<p>a &amp; b</p>\x07<br>c") == "Hi\na & b c"
    assert plain_text(None, " ") is None
    assert len(plain_text("x" * 5000) or "") == 2000


# ------------------------------------------------------------------ any input: one inquiry or a 4xx

_TICKETS = st.one_of(
    json_value,
    st.fixed_dictionaries({"ticket": st.dictionaries(st.sampled_from(list(ZENDESK_TRIGGER["ticket"])), json_value)}),
    st.fixed_dictionaries(
        {"freshdesk_webhook": st.dictionaries(st.sampled_from(list(FRESHDESK_RULE["freshdesk_webhook"])), json_value)}
    ),
    st.builds(lambda extra: {**GENERIC, **extra}, st.dictionaries(st.sampled_from(list(GENERIC)), json_value)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([*SOURCES, "gorgias"]), _TICKETS, st.one_of(st.just("m1"), hostile_text), st.booleans())
def test_any_delivery_is_one_valid_inquiry_for_its_merchant_or_a_4xx(
    source: str, payload: Any, merchant: str, signed: bool
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    headers = sign(source if source in SOURCES else "generic", SECRET, body, NOW, merchant) if signed else {}
    try:
        inquiry = receive(source, merchant, SECRET, body, headers, NOW, TOLERANCE)
    except WebhookError as exc:
        assert 400 <= exc.status < 500 and str(exc)
        return
    event = parse_event(inquiry.event)
    assert isinstance(event, InquiryReceived) and event.merchant_id == merchant == "m1"
    assert signed


@given(st.sampled_from(SOURCES), st.sampled_from(EVENT_TYPES), st.one_of(st.none(), st.just("m1"), hostile_text))
def test_a_help_desk_origin_may_send_inquiries_for_its_merchant_only(
    source: str, event_type: str, merchant: str | None
) -> None:
    sender = parse_origin(f"helpdesk:{source}:m1")
    assert sender == helpdesk_origin(source, "m1") and sender.name == f"helpdesk:{source}:m1"
    reason = refusal(sender, event_type, merchant)
    assert (reason is None) == (event_type == "inquiry.received" and merchant in (None, "m1"))
    assert order_refusal(sender, "m2") is not None and order_refusal(sender, "m1") is None
    with pytest.raises(ValueError, match="unknown origin"):
        parse_origin(f"helpdesk:{source}")  # a help desk always speaks for one merchant
