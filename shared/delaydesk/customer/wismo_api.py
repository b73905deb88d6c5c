"""``POST /answers/wismo``: a robot's "where is my order?" (functions/answer_wismo).

The body (JSON, ``wismo.WismoQuestion``) is validated first: a malformed one gets 400 with each
field's problem, and nothing is read. Then, whatever the question, the same work: two rate-limit
counters (the client address, the order number: one conditional update each), the merchant, the
order and the link token's HMAC. Over either limit: 429 with ``Retry-After`` and the neutral
answer. Matched: 200 with the answer; anything else (a wrong pair, an unknown order, another
shop's order): 200 with the neutral answer, of the same shape. Contacts are never logged.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.http import Response, Router
from delaydesk.core.kinds import Kind
from delaydesk.core.links import Purpose
from delaydesk.core.merchants import DelayPolicy, Merchant
from delaydesk.core.observability import count_by, logger
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.core.record import ValidationError, problems
from delaydesk.customer import banner, wismo
from delaydesk.delays import eta
from delaydesk.notices import customer_zone, pick_locale

app = Router()

JSON_UTF8 = "application/json; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
MAX_BODY = 4096


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(status, JSON_UTF8, json.dumps(body, ensure_ascii=False), NO_STORE | (headers or {}))


def _question() -> wismo.WismoQuestion | Response:
    text = app.request.decoded_body or ""
    if len(text) > MAX_BODY:
        return _json(413, {"error": f"the body is larger than {MAX_BODY} bytes"})
    try:
        raw = json.loads(text)
    except ValueError:
        return _json(400, {"error": "the body is not JSON", "errors": [{"field": "", "reason": "not JSON"}]})
    if not isinstance(raw, dict):
        errors = [{"field": "", "reason": "not an object"}]
        return _json(400, {"error": "the body is not a JSON object", "errors": errors})
    try:
        return wismo.WismoQuestion.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": where, "reason": reason} for where, reason in problems(exc)]
        return _json(400, {"error": "invalid question", "errors": errors})


def estimate(order: Order, merchant: Merchant | None, settings: Settings, now: datetime) -> tuple[date, date] | None:
    """What a notice would say now: the delay's estimate, else the carrier's, else nothing."""
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
        return None
    if order.delay is not None:
        return eta.estimate(order, Kind(order.delay.kind), DelayPolicy.for_merchant(merchant, settings), now)
    carrier_eta = order.shipment.carrier_eta if order.shipment else None
    if carrier_eta is not None and carrier_eta > now:
        return carrier_eta.date(), carrier_eta.date()
    return None


def _order_page_base(settings: Settings) -> str:
    """``OrderPageBaseUrl`` when the stack sets one, else the order page on this very API (the
    function cannot name its own API in its environment: the API already depends on it)."""
    if settings.order_page_base_url:
        return settings.order_page_base_url
    request = app.request
    stage_prefix = request.raw_path.removesuffix("/answers/wismo")
    return f"https://{request.domain_name}{stage_prefix}/orders"


@app.post("/answers/wismo")
def answer() -> Response:
    question = _question()
    if isinstance(question, Response):
        count_by("WismoAnswers", "outcome", "invalid")
        return question
    request = app.request
    now = request.now
    settings = get_settings()
    merchant = store.get_merchant(question.merchant_id)
    default = merchant.default_locale if merchant else "en"
    asked = banner.negotiate(question.locale, request.header("accept-language"), default)
    period = settings.wismo_window_seconds
    start = int(now.timestamp()) // period * period
    client = request.source_ip
    by_ip = store.take_request_slot(f"wismo-ip#{client}", start, period, settings.wismo_per_ip)
    by_order = store.take_request_slot(f"wismo-order#{question.order_number}", start, period, settings.wismo_per_order)
    if not (by_ip and by_order):
        retry_after = start + period - int(now.timestamp())
        logger.info("wismo question over the rate limit", by_ip=by_ip, by_order=by_order)
        count_by("WismoAnswers", "outcome", "limited")
        body = wismo.neutral(question.order_number, merchant, asked, retry_after)
        return _json(429, body, {"Retry-After": str(retry_after)})
    record = store.get_order(question.order_number)
    order = record.order() if record else None
    key = links.signing_key(settings)
    token_ok = links.verify(key, Purpose.ORDER_PAGE, question.order_number, question.token)
    if order is None or not wismo.matches(question, order, question.merchant_id, token_ok):
        count_by("WismoAnswers", "outcome", "neutral")
        return _json(200, wismo.neutral(question.order_number, merchant, asked))
    locale = pick_locale(question.locale or order.customer.locale, merchant)
    page = merchant.settings.order_page_url if merchant else None
    link = links.order_url(_order_page_base(settings), page, order.order_id, key)
    zone = ZoneInfo(customer_zone(order, merchant))
    count_by("WismoAnswers", "outcome", "answered")
    return _json(200, wismo.answer(order, locale, zone, estimate(order, merchant, settings, now), link, now))
