"""The proof suite, pure layers (hypothesis): every input class is applied or refused with a reason.

The invariant, per layer: an input either passes, or is refused with the documented error type
and a reason (a ``ValidationError`` naming the field, a ``WebhookError`` with its 4xx status, an
``EventRejected``); nothing else is raised, and applying an event to an order changes that order
only. ``tests/integration/test_proof_inputs_aws.py`` checks the same through the embedded AWS.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from conftest import contract_event, load_event, order_from, paid
from hostile import hostile_event, hostile_text, json_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delaydesk.core.events import EVENT_TYPES, parse_event
from delaydesk.core.fields import MAX_BODY_BYTES, MAX_DEPTH, body_problem
from delaydesk.core.orders import EventRejected, OrderNotFound, apply_event
from delaydesk.core.origins import parse_origin, refusal
from delaydesk.core.privacy import mask_body
from delaydesk.core.record import ValidationError, problems
from delaydesk.tracking.webhooks import MERCHANT_HEADER, SOURCES, WebhookError, receive, sign

FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
NOW = datetime(2020, 1, 22, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)
SECRET = "proof-secret"


def _refused_with_a_field(exc: ValidationError) -> None:
    for _where, reason in problems(exc):
        assert reason, exc


@FAST
@given(hostile_event())
def test_every_queue_message_is_parsed_or_refused_with_its_field(event: dict[str, Any]) -> None:
    try:
        body = json.dumps(event, ensure_ascii=False)
    except (ValueError, TypeError):
        return
    if body_problem(body) is not None:
        return  # refused before parsing (size, depth), with that reason
    try:
        parsed = parse_event(body)
    except ValidationError as exc:
        _refused_with_a_field(exc)
        return
    # Accepted: every time is a real instant, every text is printable one-line-where-it-must.
    assert parsed.at.tzinfo is not None and 1970 <= parsed.at.year < 2200
    for value in (parsed.event_id, getattr(parsed, "order_id", None) or ""):
        assert not re.search(r"[\r\n\ud800-\udfff\x00]", value)


@FAST
@given(hostile_event())
def test_applying_any_valid_event_changes_its_own_order_or_refuses_with_a_reason(event: dict[str, Any]) -> None:
    try:
        parsed = parse_event(event)
    except ValidationError:
        return
    order = order_from(paid("P-1", "2020-01-20T10:00:00+08:00"))
    before = order.model_dump()
    try:
        after = apply_event(order, parsed)
    except (EventRejected, OrderNotFound) as exc:
        assert str(exc)
        assert order.model_dump() == before  # a refusal changes nothing
        return
    if parsed.type != "order.paid":
        assert after.order_id == order.order_id and after.merchant_id == order.merchant_id
    assert order.model_dump() == before  # the input order is never mutated in place


@st.composite
def webhook_requests(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    source = draw(st.sampled_from([*SOURCES, "dhl", "", "../generic"]))
    base = {
        "aftership": load_event("aftership_webhook_tracking_update"),
        "easypost": load_event("easypost_webhook_tracker_updated"),
    }.get(source, contract_event("tracking"))
    payload: Any = json.loads(json.dumps(base))
    if draw(st.booleans()):
        payload = draw(json_value)
    elif isinstance(payload, dict):
        for _ in range(draw(st.integers(0, 3))):
            payload[draw(st.sampled_from([*payload.keys(), "extra"]))] = draw(json_value)
    body = draw(
        st.one_of(
            st.just(json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")),
            st.binary(max_size=64),
            st.just(b"[" * (MAX_DEPTH + 5) + b"]" * (MAX_DEPTH + 5)),
            st.just(b" " * (MAX_BODY_BYTES + 1)),
        )
    )
    signed = draw(st.booleans())
    ts = draw(st.one_of(st.just(int(NOW.timestamp())), st.integers(-(10**20), 10**20)))
    headers: dict[str, str] = {}
    if signed and source in SOURCES:
        stamp = ts if abs(ts) < 10**11 and ts >= 0 else int(NOW.timestamp())
        headers = sign(source, SECRET, body, stamp if source == "generic" else None)
    if draw(st.booleans()):
        headers[draw(st.sampled_from(["x-delaydesk-timestamp", MERCHANT_HEADER, "x-hmac-signature"]))] = draw(
            hostile_text
        )
    if source == "generic" and draw(st.booleans()):
        headers.setdefault(MERCHANT_HEADER, "m-teahouse")
    return source, body, headers


@FAST
@given(webhook_requests())
def test_every_webhook_is_accepted_as_one_contract_event_or_refused_with_a_4xx(
    request: tuple[str, bytes, dict[str, str]],
) -> None:
    source, body, headers = request
    try:
        received = receive(source, SECRET, body, headers, NOW, TOLERANCE)
    except WebhookError as exc:
        assert 400 <= exc.status < 500 and str(exc)
        return
    event = parse_event(received.event)  # what is queued is always a valid contract event
    assert event.type == "tracking"
    if source == "generic":
        assert event.merchant_id == headers[MERCHANT_HEADER]


@FAST
@given(st.one_of(st.none(), hostile_text), st.sampled_from(EVENT_TYPES), st.one_of(st.none(), hostile_text))
def test_an_origin_is_read_or_refused_and_speaks_only_for_what_it_may(
    origin: str | None, event_type: str, merchant: str | None
) -> None:
    try:
        sender = parse_origin(origin)
    except ValueError as exc:
        assert "unknown origin" in str(exc)
        return
    reason = refusal(sender, event_type, merchant)
    if sender.kind == "webhook" and event_type != "tracking":
        assert reason is not None
    if sender.kind == "order-page" and event_type != "cancel.requested":
        assert reason is not None
    if sender.kind == "producer":
        assert reason is None


@FAST
@given(json_value, st.emails(), st.from_regex(r"\+[1-9]\d{9,13}", fullmatch=True))
def test_a_rejected_body_is_masked_whatever_its_shape(value: Any, email: str, phone: str) -> None:
    body = json.dumps({"noise": value, "customer": {"email": email, "phone": phone, "name": "王小明"}, "note": email})
    if body_problem(body) is not None:  # too large to parse: masked as text
        assert email not in mask_body(body)
        return
    masked = json.loads(mask_body(body))
    local, domain = email.rsplit("@", 1)
    assert masked["customer"] == {"email": f"{local[0]}***@{domain}", "phone": "***", "name": "***"}
    assert masked["note"] == f"{local[0]}***@{domain}"
    assert mask_body(body[: len(body) // 2]).count("@") <= body[: len(body) // 2].count("@")
