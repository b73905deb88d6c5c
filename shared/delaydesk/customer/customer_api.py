"""The customer's side of the HTTP API: the order page, its inbox as JSON, wait or cancel, and the
one-click unsubscribe of the notices' List-Unsubscribe header.

Routes (functions/serve_order_page):

- ``GET  /orders/{order_id}?t=TOKEN``: the order page (HTML, ``order_page.py``); a visit is recorded
  once per order and UTC day, and each choice below once per order (the effect report reads them);
- ``GET  /orders/{order_id}/notices?t=TOKEN``: the order's status and in-app inbox (JSON);
- ``POST /orders/{order_id}/wait?t=TOKEN``: the customer consents to the delay (a decision, in
  the order's audit trail);
- ``POST /orders/{order_id}/cancel?t=TOKEN``: queues the contract's ``cancel.requested`` on
  OrderEvents; the next scan grants it (full refund) or refuses it (already shipped); under EU/UK
  rules, once the buyer's additional period has passed undelivered, it terminates the contract;
- ``POST /orders/{order_id}/additional-period?t=TOKEN&until=DATE``: EU/UK, queues
  ``additional_period.set`` (refused with a reason, 409, when the rules give none or it is not late);
- ``POST /orders/{order_id}/return?t=TOKEN``: queues ``refund.requested`` (reason ``return``) for
  a delivered order within its return window;
- ``GET|POST /notices/unsubscribe?order=…&merchant=…&t=TOKEN``: GET shows a confirmation form,
  POST (RFC 8058 one-click, or that form) stops e-mail to the order's address;
- ``GET  /o/{code}``: an SMS's short link (``links.short_code``, stored by dispatch): 303 to the
  order page's signed link, the one the e-mail carries; a malformed, unknown or expired code gets
  the same refusal as a wrong token.

A customer is not an AWS principal: each route checks the link's HMAC token (``links.py``) before
it reads anything, so a wrong token and an unknown order both answer 403 and order ids cannot be
probed (a browser gets a page that says what to do, with the shops' public contacts). Which
choices are open is decided by ``policy.choices_for`` alone. ``GET …?confirm=CHOICE`` is a
choice's confirm step; its form post answers 303 to the result page (``?done=CHOICE``,
post/redirect/get); a JSON client (``Accept: application/json``) gets the JSON answer (409 for a
choice that is not open). "Now" is the request's own time.
"""

from __future__ import annotations

import binascii
import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PynamoDBException

from delaydesk import store
from delaydesk.core import aws, links
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.http import APPLICATION_JSON, TEXT_PLAIN, Response, Router
from delaydesk.core.links import Purpose
from delaydesk.core.merchants import Merchant
from delaydesk.core.observability import count_by, logger
from delaydesk.core.orders import Order
from delaydesk.core.origins import ORDER_PAGE, ORIGIN_ATTRIBUTE
from delaydesk.customer import order_page
from delaydesk.notices import inbox, suppression
from delaydesk.policy import ChoiceKind, consumer_rules

if TYPE_CHECKING:
    from delaydesk.store import OrderRecord

app = Router()

PAGE_HEADERS = {
    # The token is in the URL: never leak it to another site, never cache the page anywhere.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}


MAX_FORM_CHARS = 4096
"""A form post carries a token and a choice; anything longer is not read further."""


class Forbidden(Exception):
    """No valid token for this order (or no such order: the same answer)."""


def _now() -> datetime:
    return app.request.now


def _param(name: str) -> str | None:
    """A query parameter, else a field of a form-encoded body."""
    request = app.request
    value = request.query(name)
    if value is None and "json" not in (request.header("content-type") or ""):
        try:
            form = request.decoded_body
        except (UnicodeDecodeError, binascii.Error):  # not a form a browser sends: no such field
            form = None
        if form:
            values = parse_qs(form[:MAX_FORM_CHARS]).get(name)
            value = values[0] if values else None
    return value


def _authorised(order_id: str, purpose: Purpose) -> tuple[Order, str]:
    """The order, if the request carries its token; raises Forbidden otherwise."""
    record, token = _authorised_record(order_id, purpose)
    return record.order(), token


def _authorised_record(order_id: str, purpose: Purpose) -> tuple[OrderRecord, str]:
    """The order's item (its state and the trail it holds), if the request carries its token."""
    token = _param("t")
    if not links.verify(links.signing_key(get_settings()), purpose, order_id, token):
        raise Forbidden(order_id)
    record = store.get_order(order_id)
    if record is None:
        raise Forbidden(order_id)
    logger.append_keys(order_id=order_id)
    return record, str(token)


def _wants_json() -> bool:
    return "application/json" in (app.request.header("accept") or "")


def _html(body: str, status: int = 200) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=PAGE_HEADERS)


def _back_to_page(order_id: str, token: str, done: str | None, not_open: bool = False) -> Response:
    """Post/redirect/get: the browser loads the result page (or the page), a reload does not post again."""
    path = app.request.raw_path.rsplit("/", 1)[0]  # …/orders/{order_id}
    location = f"{path}?t={quote(token)}" + (f"&done={done}" if done else "") + ("&not_open=1" if not_open else "")
    return Response(status_code=303, content_type=TEXT_PLAIN, body="", headers={"Location": location} | PAGE_HEADERS)


@app.get("/orders/{order_id}")
def page(order_id: str) -> Response:
    record, token = _authorised_record(order_id, Purpose.ORDER_PAGE)
    order = record.order()
    merchant = store.get_merchant(order.merchant_id)
    html = order_page.render(
        order,
        merchant,
        inbox.entries(order_id),
        store.decisions_for(order_id, record),  # from the item it read, when it holds them all
        _now(),
        get_settings().resolved_templates_dir,
        token,
        _param("done"),
        confirm=_param("confirm"),
        not_open=_param("not_open") == "1",
    )
    count_by("OrderPageViews", "status", order.status.value)
    _record_visit(order_id)
    return _html(html)


def _record_visit(order_id: str) -> None:
    """Once per order and day, for the effect report (a lost record must not lose the page)."""
    try:
        store.record_page_visit(order_id, _now())
    except (PynamoDBException, BotoCoreError) as exc:
        logger.warning("order-page visit not recorded", error=str(exc))


def _record_choice(order_id: str, choice: str) -> None:
    """Once per order and choice, for the effect report (after the choice itself was taken)."""
    try:
        store.record_choice(order_id, choice, _now())
    except (PynamoDBException, BotoCoreError) as exc:
        logger.warning("order-page choice not recorded", choice=choice, error=str(exc))


@app.get("/o/{code}")
def short_link(code: str) -> Response:
    """The short link of an SMS: 303 to the order page, signed as in the e-mail (the merchant's
    own page if it has one). The code is checked for its form before any read."""
    found = store.short_link(code, _now()) if links.is_short_code(code) else None
    if found is None:
        raise Forbidden("")  # no order to name: unknown, expired or malformed (never logged: a credential)
    settings = get_settings()
    merchant = store.cached_merchant(found.merchant_id)
    page = merchant.settings.order_page_url if merchant and merchant.settings.order_page_url else None
    location = links.order_url(
        _order_page_base(settings, f"/o/{code}"), page, found.order_id, links.signing_key(settings)
    )
    logger.append_keys(order_id=found.order_id)
    count_by("ShortLinksFollowed", "status", "303")
    return Response(status_code=303, content_type=TEXT_PLAIN, body="", headers={"Location": location} | PAGE_HEADERS)


def _order_page_base(settings: Settings, route: str) -> str:
    """``OrderPageBaseUrl`` when the stack sets one, else the order page on this very API and host
    (the short link's custom domain included): the function cannot name its own API."""
    if settings.order_page_base_url:
        return settings.order_page_base_url
    request = app.request
    return f"https://{request.domain_name}{request.raw_path.removesuffix(route)}/orders"


@app.get("/orders/{order_id}/notices")
def notices(order_id: str) -> dict[str, Any]:
    record, _ = _authorised_record(order_id, Purpose.ORDER_PAGE)
    order = record.order()
    merchant = store.get_merchant(order.merchant_id)
    return {
        "order": order_page.state(order, store.decisions_for(order_id, record), _now(), merchant),
        "notices": inbox.list_inbox(order_id),
    }


def _open(order: Order, kind: ChoiceKind, now: datetime) -> bool:
    return order_page.choice(order, store.get_merchant(order.merchant_id), kind.value, now) is not None


@app.post("/orders/{order_id}/wait")
def wait(order_id: str) -> Response:
    record, token = _authorised_record(order_id, Purpose.ORDER_PAGE)
    order = record.order()
    now = _now()
    if not _open(order, ChoiceKind.WAIT, now):
        return _refused(order, token, now)
    # In the order's trail (its item: one conditional update of the trail and version only).
    try:
        recorded = store.add_decision(record, order_page.wait_decision(order, now))
    except store.ConcurrentUpdate:  # the order kept changing under it: nothing recorded, ask again
        logger.warning("consent to wait not recorded: the order changed concurrently")
        count_by("OrderPageRefused", "status", "503")
        return Response(
            503, "text/plain; charset=utf-8", "busy: please try again", headers={"Retry-After": "1"} | PAGE_HEADERS
        )
    # The order itself learns of the consent (delay.accepted): no automatic cancellation follows.
    _queue(order_page.accept_event(order, now))
    logger.info("customer chose to wait", first_time=recorded)
    _record_choice(order_id, "wait")
    if recorded:
        count_by("CustomerChoices", "choice", "wait")
    if _wants_json():
        return Response(200, APPLICATION_JSON, {"order_id": order_id, "choice": "wait"})
    return _back_to_page(order_id, token, "wait")


@app.post("/orders/{order_id}/cancel")
def cancel(order_id: str) -> Response:
    order, token = _authorised(order_id, Purpose.ORDER_PAGE)
    now = _now()
    # Asking again while a cancellation is pending is the same request (the same event id).
    # EU/UK: once the buyer's additional period has passed undelivered, cancel terminates the contract.
    terminate = consumer_rules.may_terminate(order, now) and order.cancel_status in (None, "waiting", "refused")
    if not (_open(order, ChoiceKind.CANCEL, now) or order.cancel_status == "requested" or terminate):
        return _refused(order, token, now)
    event = order_page.cancel_event(order, now)
    if terminate:  # its own id: a cancellation refused earlier (already shipped) is another event
        event["event_id"] = f"order-page-terminate-{order.order_id}"
    return _queued(event, order_id, token, "terminate" if terminate else "cancel")


@app.post("/orders/{order_id}/return")
def return_order(order_id: str) -> Response:
    order, token = _authorised(order_id, Purpose.ORDER_PAGE)
    now = _now()
    # Asking again while the return is pending is the same request (the same event id).
    if not (_open(order, ChoiceKind.RETURN, now) or order.refund_status == "requested"):
        return _refused(order, token, now)
    return _queued(order_page.return_event(order, now), order_id, token, "return")


def _queued(event: dict[str, Any], order_id: str, token: str, choice: str) -> Response:
    """Queue the contract event a choice asks for on OrderEvents (ingest applies it once)."""
    _queue(event)
    logger.info("customer choice queued", choice=choice, event_id=event["event_id"])
    _record_choice(order_id, choice)
    count_by("CustomerChoices", "choice", choice)
    if _wants_json():
        return Response(202, APPLICATION_JSON, {"order_id": order_id, "queued": event["event_id"]})
    return _back_to_page(order_id, token, choice)


@app.post("/orders/{order_id}/additional-period")
def additional_period(order_id: str) -> Response:
    """EU/UK: the buyer sets an additional period for delivery (``until``: a date or an instant);
    when it passes undelivered, "cancel" terminates the contract for a refund."""
    order, token = _authorised(order_id, Purpose.ORDER_PAGE)
    now = _now()
    until = _until(_param("until"), order)
    refusal = "until must be a date (YYYY-MM-DD) or an RFC 3339 instant" if until is None else None
    refusal = refusal or consumer_rules.additional_period_refusal(order, until or now, now)
    if refusal is not None or until is None:
        logger.info("additional period refused", reason=refusal)
        if not _wants_json():
            return _back_to_page(order_id, token, None, not_open=True)
        return Response(409, APPLICATION_JSON, {"error": refusal, "order_id": order_id})
    return _queued(order_page.additional_period_event(order, until, now), order_id, token, "additional_period")


def _until(value: str | None, order: Order) -> datetime | None:
    """A date is the end of that day on the customer's clock; an instant must carry its offset."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            zone = order_page.period_zone(order)
            return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:  # a malformed date
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _queue(event: dict[str, Any]) -> None:
    """Put an event of the order page on OrderEvents, applied by ingest like any other."""
    aws.sqs().send_message(
        QueueUrl=get_settings().order_events_queue_url,
        MessageBody=json.dumps(event, ensure_ascii=False),
        # The order page's own id namespace: no other sender can take its events' ids.
        MessageAttributes={ORIGIN_ATTRIBUTE: {"DataType": "String", "StringValue": ORDER_PAGE}},
    )


def _refused(order: Order, token: str, now: datetime) -> Response:
    """The choice is not (or no longer) open, e.g. the order shipped meanwhile: 409 for a program;
    a browser goes back to the page, which says so and shows the order as it is."""
    logger.info("choice not open for this order", status=order.status.value, cancel=order.cancel_status)
    if not _wants_json():
        return _back_to_page(order.order_id, token, None, not_open=True)
    return Response(
        409,
        APPLICATION_JSON,
        {"error": "no choice to make for this order now", "order": order_page.state(order, [], now)},
    )


@app.get("/notices/unsubscribe")
def unsubscribe_form() -> Response:
    order, _ = _authorised(_param("order") or "", Purpose.UNSUBSCRIBE)
    merchant = store.get_merchant(order.merchant_id)
    return _html(order_page.render_unsubscribe(order, merchant, get_settings().resolved_templates_dir, done=False))


@app.post("/notices/unsubscribe")
def unsubscribe() -> Response:
    order, _ = _authorised(_param("order") or "", Purpose.UNSUBSCRIBE)
    if order.customer.email and suppression.suppressed(order.customer.email) is None:
        suppression.suppress(
            order.customer.email, suppression.Reason.UNSUBSCRIBED, f"unsubscribe:{order.order_id}", _now()
        )
        count_by("Unsubscribes", "channel", "email")
    merchant = store.get_merchant(order.merchant_id)
    return _html(order_page.render_unsubscribe(order, merchant, get_settings().resolved_templates_dir, done=True))


_SHOPS: tuple[float, list[Merchant]] = (0.0, [])
SHOPS_SHOWN = 3
"""At most this many shops' contacts on the invalid-link page (a deployment usually has one)."""


def _shops() -> list[Merchant]:
    """The deployment's first shops (public contacts), read at most every five minutes: a page
    anyone can request must not cost a table read each time."""
    global _SHOPS
    read_at, shops = _SHOPS
    if time.monotonic() - read_at > 300 or not read_at:
        shops = store.some_merchants(SHOPS_SHOWN + 1)
        _SHOPS = (time.monotonic(), shops)
    return shops if len(shops) <= SHOPS_SHOWN else []


@app.error(Forbidden)
def forbidden(exc: Forbidden) -> Response:
    logger.warning("customer link refused: bad or missing token", order_id=str(exc))
    count_by("OrderPageRefused", "status", "403")
    if _wants_json():
        return Response(403, APPLICATION_JSON, {"error": "this link is not valid; open the one in your notice"})
    shops = _shops()
    locale = order_page.browser_locale(app.request.header("accept-language"), shops)
    return _html(order_page.render_invalid(shops, locale, get_settings().resolved_templates_dir), 403)
