"""Rendering notices from the jinja2 templates in ``templates/notices`` (a Lambda layer in AWS).

A kind's template renders the plain-text body and exports ``subject`` and ``sms``; the HTML
e-mail is the same paragraphs in the shared, autoescaped ``layout.html.j2``; the in-app inbox
stores the subject and the plain-text body.

A merchant may override one channel of a kind and locale (``templates_admin.py``): its source is
compiled in a sandboxed environment with autoescape and a budget (``budget.py``: render time,
output size, loop iterations, call depth) and replaces that channel's output only. An override
that fails or goes over its budget when it renders is dropped and the bundled template's output
stands (``Rendered.refused`` says which and why).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.kinds import NoticeChannel, NoticeRequest
from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order
from delaydesk.core.times import parse_instant
from delaydesk.notices.reader import babel_locale, customer_zone, instant_formatter, pick_locale, tracking_url
from delaydesk.notices.sms import SmsLength, gsm_friendly, measure
from delaydesk.policy import choice_names

if TYPE_CHECKING:
    from jinja2 import Environment, Template

    from delaydesk.notices.budget import BudgetedSandbox

# jinja2, Babel and the sandbox (budget.py, jinja2 too) are imported where a notice is rendered or
# formatted, not with this module, and a cold start pays for what its first request uses
# (benchmarks/cold_start.py). How a customer reads (locale, zone, instants, tracking links) is
# ``reader``, which the WISMO answers and the order page import without this module.


SMS_ORDER_URL = "sms_order_url"
"""The context key of the link an SMS carries in place of ``order_url`` (its short link)."""


class Rendered(msgspec.Struct, frozen=True):
    locale: str
    subject: str
    text: str
    html: str
    sms: str
    inbox: str = ""
    unsubscribe_url: str = ""
    """The signed one-click unsubscribe link for the e-mail's List-Unsubscribe header."""
    refused: tuple[str, ...] = ()
    """Merchant overrides not used (failed or over budget), each ``channel: reason``."""

    @property
    def sms_length(self) -> SmsLength:
        return measure(self.sms)

    def body(self, channel: NoticeChannel) -> str:
        """What the customer reads on ``channel`` (what the golden files and previews show)."""
        if channel == NoticeChannel.SMS:
            return self.sms
        if channel == NoticeChannel.INBOX:
            return self.inbox
        return self.text


@lru_cache(maxsize=4)
def environment(templates_dir: Path) -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env


@lru_cache(maxsize=4)
def sandbox(templates_dir: Path) -> BudgetedSandbox:
    """Where merchant templates run: no attribute access to Python internals, no mutation of
    what they are given, autoescape on (their output may reach HTML), a budget per render. They
    may import the bundled macros (``{% import "en/_common.j2" as c with context %}``)."""
    from delaydesk.notices.budget import BudgetedSandbox

    return BudgetedSandbox(templates_dir)


def notice_context(
    request: NoticeRequest,
    order: Order,
    merchant: Merchant | None,
    locale: str,
    settings: Settings,
    link_key: bytes,
    short_url: str | None = None,
) -> dict[str, Any]:
    """Everything a template may use, already formatted for the locale and time zone.

    ``link_key`` signs the order page link (``links.py``): the customer opens it without a login.
    ``short_url`` is the order's short link (``/o/CODE``), which an SMS carries as its ``order_url``.
    """
    from babel.dates import format_interval
    from babel.numbers import format_currency

    babel = babel_locale(locale)
    when = instant_formatter(customer_zone(order, merchant), locale)
    brief = instant_formatter(customer_zone(order, merchant), locale, "short")

    def span(start: date, end: date) -> str:
        return format_interval(start, end, skeleton="yMMMd", locale=babel)

    shipment = order.shipment
    support = merchant.support if merchant else None
    page = merchant.settings.order_page_url if merchant and merchant.settings.order_page_url else None
    order_url = links.order_url(settings.order_page_base_url, page, order.order_id, link_key)
    amount: Decimal = order.value.amount
    details = request.details

    def money(value: str | None, currency: str | None) -> str:
        return format_currency(Decimal(value) if value else amount, currency or order.value.currency, locale=babel)

    def instant(value: str | None) -> str | None:
        return when(datetime.fromisoformat(value)) if value else None

    compensation = None
    if details.get("compensation_type") in ("coupon", "points") and details.get("compensation_value"):
        granted = details["compensation_type"]
        compensation = {
            "type": granted,
            "value": money(details["compensation_value"], None)
            if granted == "coupon"
            else details["compensation_value"],
            "code": details.get("compensation_code"),
        }
    return {
        "order_id": order.order_id,
        "customer_name": order.customer.name,
        "merchant_name": merchant.name if merchant else order.merchant_id,
        "kind": request.kind.value,
        "delay_kind": request.delay_kind.value,
        "stage": request.stage,
        "rule": request.rule,
        "reason": request.reason,
        "estimate": span(request.eta_from, request.eta_to),
        "paid_at": when(order.paid_at),
        "ship_by": when(order.ship_by_at),
        "ship_by_short": brief(order.ship_by_at),  # the SMS form (no seconds)
        "delay_started": when(request.delay_started_at),
        "carrier": shipment.carrier if shipment else None,
        "tracking_number": shipment.tracking_number if shipment else None,
        "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number) if shipment else None,
        "last_location": shipment.last_location if shipment else None,
        "last_scan": when(shipment.last_scan_at) if shipment else None,
        "order_url": order_url,
        # What {{ order_url }} is in an SMS (render_context): the short link when there is one.
        SMS_ORDER_URL: short_url or order_url,
        "unsubscribe_url": links.unsubscribe_url(settings.unsubscribe_url, order.order_id, order.merchant_id, link_key),
        "order_value": format_currency(amount, order.value.currency, locale=babel),
        "items": [f"{item.name} × {item.quantity}" for item in order.items],
        "support_email": support.email if support else None,
        "support_phone": support.phone if support else None,
        "support_url": support.url if support else None,
        "refund_amount": money(details.get("refund_amount"), details.get("refund_currency")),
        "refund_method": details.get("refund_method", "original_payment"),
        "refund_days": details.get("refund_days", "1-5"),
        "cancel_reason": details.get("cancel_reason", "customer_request"),
        "window_reason": details.get("window_reason", "logistics_halt"),
        "window_starts": instant(details.get("window_starts")),
        "window_ends": instant(details.get("window_ends")),
        "changes": [c.strip() for c in details.get("changes", "").split(",") if c.strip()],
        "compensation": compensation,
        # What the order page offers for this order when the notice is decided (policy.choices):
        # a notice mentions only these.
        "choices": choice_names(order, merchant, request.requested_at),
        **_policy_context(request, when, brief),
    }


_TIMER_KINDS = ("ship_by", "refund_confirm", "return_receipt", "return_window", "auto_confirm")


def _policy_context(request: NoticeRequest, when: Any, brief: Any) -> dict[str, Any]:
    """What the policy notices (announcement, refund, cancellation) add: the changed deadlines."""
    details = request.details

    def moment(key: str) -> str | None:
        return when(parse_instant(details[key])) if key in details else None

    return {
        "window_id": request.window_id,
        "changed_deadlines": [(kind, when(parse_instant(details[kind]))) for kind in _TIMER_KINDS if kind in details],
        "shipped_on": moment("shipped_at"),
        "return_until": moment("return_until"),
        "promised_by": moment("promised_by"),
        # the buyer's consumer rules (policy/consumer_rules.py): how a delay notice is worded
        "rules": details.get("rules", "none"),
        "revised_ship_by": moment("revised_ship_by"),
        "missed_revised_ship_by": moment("missed_revised_ship_by"),
        "silence_consents": details.get("silence_consents") == "true",
        "consent_by": moment("consent_by"),
        "consent_by_short": brief(parse_instant(details["consent_by"])) if "consent_by" in details else None,
    }


def _clean(text: str) -> str:
    return " ".join(str(text).split())


_URL = re.compile(r"https?://[^\s<>\"']+")


def html_blocks(paragraphs: list[str], order_url: str) -> list[list[tuple[str, str]]]:
    """The text's paragraphs as the HTML layout shows them: text, line breaks and links; a line
    that is the order page's link becomes the call-to-action button (its own block, right after
    the sentence that introduces it). The HTML says what the text says."""
    blocks: list[list[tuple[str, str]]] = []
    for paragraph in paragraphs:
        current: list[tuple[str, str]] = []
        for line in paragraph.split("\n"):
            if order_url and line.strip() == order_url:
                if current:
                    blocks.append(current)
                blocks.append([("cta", order_url)])
                current = []
                continue
            if current:
                current.append(("br", ""))
            cursor = 0
            for found in _URL.finditer(line):
                if found.start() > cursor:
                    current.append(("text", line[cursor : found.start()]))
                current.append(("link", found.group(0)))
                cursor = found.end()
            if cursor < len(line):
                current.append(("text", line[cursor:]))
        if current:
            blocks.append(current)
    return blocks


def render(
    request: NoticeRequest,
    order: Order,
    merchant: Merchant | None,
    settings: Settings,
    link_key: bytes,
    overrides: dict[str, str] | None = None,
    short_url: str | None = None,
) -> Rendered:
    """Render every channel of ``request``; ``overrides`` maps a channel to a merchant's source;
    ``short_url`` is the link the SMS carries (else the full order page link)."""
    locale = pick_locale(order.customer.locale, merchant)
    context = notice_context(request, order, merchant, locale, settings, link_key, short_url)
    return render_context(request.kind.value, locale, context, settings.resolved_templates_dir, overrides)


def render_context(
    kind: str, locale: str, context: dict[str, Any], templates_dir: Path, overrides: dict[str, str] | None = None
) -> Rendered:
    from jinja2 import TemplateError

    from delaydesk.notices.budget import render_module

    env = environment(templates_dir)
    template = env.get_template(f"{locale}/{kind}.txt.j2")
    module = template.make_module(context)
    text = str(module).strip() + "\n"
    exported = module.__dict__  # the template's top-level {% set %} blocks
    subject = _clean(exported["subject"])
    # In an SMS, {{ order_url }} is the short link (bundled and merchant templates alike).
    sms_context = _sms_context(context)
    sms = _clean((template.make_module(sms_context) if sms_context is not context else module).__dict__["sms"])
    inbox = text
    refused: list[str] = []
    for channel, source in (overrides or {}).items():
        try:
            own = render_module(
                compile_override(source, templates_dir), sms_context if channel == NoticeChannel.SMS else context
            )
        except TemplateError as exc:  # SecurityError and BudgetExceeded included: the bundled one stands
            refused.append(f"{channel}: {type(exc).__name__}: {exc}")
            continue
        body = html.unescape(str(own)).strip()  # escaped in the sandbox; plain text from here
        own_subject = own.__dict__.get("subject")
        if channel == NoticeChannel.SMS:
            sms = _clean(body)
        elif channel == NoticeChannel.EMAIL:
            text = body + "\n"
            subject = _clean(own_subject) if own_subject else subject
        elif channel == NoticeChannel.INBOX:
            inbox = body + "\n"
    if locale == "en":
        sms = gsm_friendly(sms)  # keep Latin SMS in 7-bit GSM: 160 characters a segment, not 70
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    page = env.get_template("layout.html.j2").render(
        context,
        subject=subject,
        paragraphs=html_blocks(paragraphs, str(context.get("order_url") or "")),
        preheader=paragraphs[1] if len(paragraphs) > 1 else subject,
        locale=locale,
    )
    return Rendered(
        locale=locale,
        subject=subject,
        text=text,
        html=page,
        sms=sms,
        inbox=inbox,
        unsubscribe_url=str(context.get("unsubscribe_url", "")),
        refused=tuple(refused),
    )


def _sms_context(context: dict[str, Any]) -> dict[str, Any]:
    """The context an SMS renders with: ``order_url`` is the short link, if the notice has one."""
    short = context.get(SMS_ORDER_URL)
    if not short or short == context.get("order_url"):
        return context
    return {**context, "order_url": short}


@lru_cache(maxsize=256)
def compile_override(source: str, templates_dir: Path) -> Template:
    """Compile a merchant's template in the sandbox (raises jinja2's TemplateSyntaxError)."""
    return sandbox(templates_dir).from_string(source)
