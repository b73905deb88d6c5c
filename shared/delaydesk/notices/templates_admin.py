"""Merchant template overrides: validation (the lint), sample data, previews, storage.

A merchant may replace one channel of one kind and locale with its own jinja2 source:

- ``email``: renders the plain-text body (the HTML is the shared layout around it) and must set
  ``{% set subject %}…{% endset %}``;
- ``sms``: renders the text message;
- ``inbox``: renders the in-app inbox body.

Every upload is compiled and rendered with sample data in the sandbox (``rendering.sandbox``:
jinja2's ImmutableSandboxedEnvironment, autoescape on, and a budget: ``budget.py``, render time,
output size, loop iterations and nesting, call depth; checked again at every render), then
checked: the required elements are present (order number; support contact on e-mail and inbox;
estimate and order link on delay kinds), no blame phrase of the locale appears, and an SMS fits
its segments (``sms.py``). An invalid upload is refused with every problem listed. ``delaydesk
templates lint`` runs the same checks on the bundled templates and on every stored override.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import TemplateError

from delaydesk import store
from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.events import parse_event
from delaydesk.core.kinds import DELAY_KINDS, Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import SUPPORTED_LOCALES, Merchant, Support
from delaydesk.core.orders import Order, apply_event
from delaydesk.notices import budget, rendering
from delaydesk.notices.sms import MAX_SEGMENTS, measure

BLAME_PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "fault of",
        "carrier's fault",
        "courier's fault",
        "blame",
        "their fault",
        "not our fault",
        "incompetent",
        "useless courier",
    ),
    "zh-CN": ("快递公司的问题", "物流公司的问题", "都怪", "快递的锅", "不是我们的责任", "快递太差", "与我们无关"),
    "zh-TW": ("物流公司的問題", "快遞公司的問題", "都怪", "不是我們的責任", "與我們無關", "物流太差"),
}
"""Phrases that blame a partner (the guides: a plain reason, never shifting responsibility)."""

FORBIDDEN_SOURCE = re.compile(
    r"__|\b(mro|subclasses|globals|builtins|import_module|getattr|self|cycler|joiner|lipsum|namespace|config)\b"
)
"""Names a notice template never needs; their presence alone refuses an upload."""

MAX_SOURCE_CHARS = 20_000

ESTIMATE_MARK = "EstimateMark7F3A"
"""Stands in for the estimate in a second rendering, so the lint finds the estimate by what the
template renders: plain ASCII letters and digits, which no locale formatting, whitespace folding
or GSM translation changes (unlike a CLDR date range, whose wording moves between releases)."""


class TemplateRejected(Exception):
    """An uploaded template failed validation; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Sample(msgspec.Struct, frozen=True):
    """Sample data a template is checked (and previewed) with."""

    request: NoticeRequest
    order: Order
    merchant: Merchant
    context: dict[str, Any]


_SAMPLE_CUSTOMERS = {
    "en": ("Alice Chen", "America/Los_Angeles"),
    "zh-CN": ("王芳", "Asia/Shanghai"),
    "zh-TW": ("陳美玲", "Asia/Taipei"),
}
SAMPLE_LINK_KEY = b"delaydesk-sample-link-key"
"""Signs the links of sample notices (previews, lint, golden files); never a deployment's key."""

SAMPLE_ORDER_PAGE = "https://shop.example/orders"
"""The order page base of sample notices (e-mail and inbox)."""

SAMPLE_SHORT_LINK_BASE = "https://s.shop.example"
"""The short-link base of sample SMS. SMS length is a property of the template, so it is measured
with this reference link (36 characters: a ``ShortLinkDomain``, ``/o/`` and the code), not with
whatever base the deployment has; dispatch warns when a real SMS runs long (``senders.py``)."""

_SAMPLE_MERCHANTS = {"en": "Tea House", "zh-CN": "西湖茶舍", "zh-TW": "西湖茶舍"}


def sample(kind: Kind, locale: str, settings: Settings, merchant: Merchant | None = None) -> Sample:
    name, zone = _SAMPLE_CUSTOMERS[locale]
    merchant = merchant or Merchant(
        merchant_id="m-sample",
        name=_SAMPLE_MERCHANTS[locale],
        timezone=zone,
        default_locale=locale,
        support=Support(email="help@shop.example", phone="+8657188880000"),
    )
    order_id = "SAMPLE-20200120-0001"
    events: list[dict[str, Any]] = [
        {
            "type": "order.paid",
            "event_id": "sample-paid",
            "at": "2020-01-20T10:00:00+08:00",
            "order": {
                "order_id": order_id,
                "merchant_id": merchant.merchant_id,
                "paid_at": "2020-01-20T10:00:00+08:00",
                "ship_within_hours": 24,
                "channel": "domestic",
                "value": {"amount": "128.00", "currency": "CNY"},
                "customer": {"name": name, "email": "customer@mail.example", "locale": locale, "timezone": zone},
                "destination": {"country": "CN", "region": "CN-HB"},
                "items": [{"sku": "LJ-250", "name": "Longjing 250g", "quantity": 2}],
            },
        },
        {
            "type": "order.shipped",
            "event_id": "sample-shipped",
            "at": "2020-01-20T18:00:00+08:00",
            "order_id": order_id,
            "carrier": "sf",
            "tracking_number": "SF1234567890123",
        },
        {
            "type": "tracking",
            "event_id": "sample-scan",
            "at": "2020-01-21T08:00:00+08:00",
            "order_id": order_id,
            "status": "in_transit",
            "location": "Wuhan",
        },
    ]
    if kind in (Kind.SHIPMENT_DELAYED, Kind.DELAY_CONSENT_REQUEST):
        events = events[:1]  # not shipped yet: the notice offers what the page does (wait or cancel)
    if kind == Kind.DELAY_CONSENT_REQUEST:  # the FTC's renewed option: a buyer in the US, as its details say
        events[0]["order"] |= {"destination": {"country": "US", "region": "US-CA"}}
    order: Order | None = None
    for raw in events:
        order = apply_event(order, parse_event(raw))
    assert order is not None
    request = NoticeRequest(
        order_id=order_id,
        merchant_id=merchant.merchant_id,
        kind=kind,
        stage=1 if kind == Kind.DELAY_UPDATE else 0,
        channel=NoticeChannel.EMAIL,
        requested_at=datetime.fromisoformat("2020-01-24T10:00:00+08:00"),
        rule="stalled_in_transit",
        reason={
            Kind.DELIVERY_EXCEPTION: "customs_delay",
            Kind.SHIPMENT_DELAYED: "not_shipped",
            Kind.DELAY_CONSENT_REQUEST: "not_shipped",
        }.get(kind, "stalled_in_transit"),
        delay_kind=Kind.IN_TRANSIT_DELAYED,
        delay_started_at=datetime.fromisoformat("2020-01-23T10:00:00+08:00"),
        eta_from=date(2020, 1, 26),
        eta_to=date(2020, 1, 29),
        details=_sample_details(kind),
    )
    reference = msgspec.structs.replace(settings, order_page_base_url=SAMPLE_ORDER_PAGE)
    short = links.short_url(SAMPLE_SHORT_LINK_BASE, links.short_code(SAMPLE_LINK_KEY, order_id))
    context = rendering.notice_context(request, order, merchant, locale, reference, SAMPLE_LINK_KEY, short)
    return Sample(request, order, merchant, context)


def _sample_details(kind: Kind) -> dict[str, str]:
    if kind == Kind.DISRUPTION_ANNOUNCEMENT:
        return {
            "window_id": "cny2020",
            "window_reason": "public_health",
            "window_starts": "2020-01-24T00:00:00+08:00",
            "window_ends": "2020-02-09T23:59:59+08:00",
            "changes": "ship_by_suspended,refund_confirm_extended,return_window_extended",
        }
    if kind == Kind.ORDER_CANCELLED:
        return {"cancel_reason": "not_shipped_in_time", "refund_amount": "128.00"}
    if kind == Kind.REFUND_APPROVED:
        return {"refund_amount": "128.00", "refund_days": "1-3"}
    if kind == Kind.DELAY_CONSENT_REQUEST:
        return {
            "rules": "us_ftc",
            "clause": "16 CFR 435.2(b)(2)",
            "missed_revised_ship_by": "2020-01-27T10:00:00+08:00",
            "revised_ship_by": "2020-02-18T10:00:00+08:00",
            "consent_by": "2020-02-18T10:00:00+08:00",
            "silence_consents": "false",
        }
    return {"compensation_type": "coupon", "compensation_value": "10.00"}


def render_marked(
    kind: Kind, locale: str, s: Sample, templates_dir: Path, overrides: dict[str, str] | None = None
) -> rendering.Rendered:
    """The sample rendered once more with ``ESTIMATE_MARK`` as the estimate."""
    context = {**s.context, "estimate": ESTIMATE_MARK}
    return rendering.render_context(kind.value, locale, context, templates_dir, overrides)


def check_output(
    kind: Kind,
    locale: str,
    channel: NoticeChannel,
    rendered: rendering.Rendered,
    marked: rendering.Rendered,
    s: Sample,
) -> list[str]:
    """The content rules every notice of ``kind`` must pass on ``channel`` (sample data).

    ``rendered`` is the sample as a customer would read it (lengths, wording); ``marked`` is the
    same with ``ESTIMATE_MARK`` as the estimate, where the estimate's presence is checked.
    """
    problems: list[str] = []
    ctx = s.context
    body = rendered.body(channel)
    where = f"{kind}/{locale}/{channel}"
    if s.order.order_id not in body:
        problems.append(f"{where}: the order number is missing")
    if channel == NoticeChannel.EMAIL and s.order.order_id not in rendered.subject:
        problems.append(f"{where}: the subject must carry the order number")
    if channel != NoticeChannel.SMS and not any(
        contact and contact in body for contact in (ctx["support_email"], ctx["support_phone"], ctx["support_url"])
    ):
        problems.append(f"{where}: the support contact is missing")
    if kind in DELAY_KINDS:
        if ctx[rendering.SMS_ORDER_URL if channel == NoticeChannel.SMS else "order_url"] not in body:
            problems.append(f"{where}: the link to the order page is missing")
        # An exception SMS tells what happened and where to look, a consent request by when to
        # answer (and what silence means); the estimate is in the e-mail.
        needs_estimate = channel != NoticeChannel.SMS or kind not in (
            Kind.DELIVERY_EXCEPTION,
            Kind.DELAY_CONSENT_REQUEST,
        )
        if needs_estimate and ESTIMATE_MARK not in marked.body(channel):
            problems.append(f"{where}: the new estimate is missing")
    lowered = (rendered.subject + "\n" + body).lower()
    for phrase in BLAME_PHRASES.get(locale, ()):
        if phrase.lower() in lowered:
            problems.append(f"{where}: blames a partner ({phrase!r})")
    if channel == NoticeChannel.SMS:
        length = measure(body)
        if not length.within_limit:
            problems.append(
                f"{where}: SMS takes {length.segments} segments ({length.units} {length.encoding} units); "
                f"at most {MAX_SEGMENTS[length.encoding]}"
            )
    return problems


def lint_source(source: str, kind: Kind, locale: str, channel: NoticeChannel, settings: Settings) -> list[str]:
    """Every problem of a merchant's template (empty: it may be stored)."""
    where = f"{kind}/{locale}/{channel}"
    if locale not in SUPPORTED_LOCALES:
        return [f"{where}: unsupported locale {locale!r}"]
    if len(source) > MAX_SOURCE_CHARS:
        return [f"{where}: longer than {MAX_SOURCE_CHARS} characters"]
    problems = [
        f"{where}: uses {match.group(0)!r}, which reaches Python internals"
        for match in {m.group(0): m for m in FORBIDDEN_SOURCE.finditer(source)}.values()
    ]
    lowered = source.lower()
    problems += [f"{where}: blames a partner ({p!r})" for p in BLAME_PHRASES[locale] if p.lower() in lowered]
    templates_dir = settings.resolved_templates_dir
    try:
        rendering.compile_override(source, templates_dir)
        problems += [f"{where}: {p}" for p in budget.static_problems(rendering.sandbox(templates_dir), source)]
    except TemplateError as exc:
        return [*problems, f"{where}: does not compile: {exc}"]
    s = sample(kind, locale, settings)
    overrides = {channel.value: source}
    rendered = rendering.render_context(kind.value, locale, s.context, templates_dir, overrides)
    marked = render_marked(kind, locale, s, templates_dir, overrides)
    for refusal in rendered.refused + marked.refused:
        reason = refusal.split(": ", 1)[1]
        if reason.startswith(("SecurityError", "BudgetExceeded")):
            return [*problems, f"{where}: refused by the sandbox: {reason.split(': ', 1)[1]}"]
        return [*problems, f"{where}: does not render: {reason.split(': ', 1)[1]}"]
    if channel == NoticeChannel.EMAIL and "subject" not in source:
        problems.append(f"{where}: must set the subject ({{% set subject %}}…{{% endset %}})")
    problems += [p for p in check_output(kind, locale, channel, rendered, marked, s) if p not in problems]
    return problems


def lint_bundled(settings: Settings) -> list[str]:
    """Every problem of the bundled templates, every kind × locale × channel."""
    problems: list[str] = []
    for kind in Kind:
        for locale in SUPPORTED_LOCALES:
            s = sample(kind, locale, settings)
            try:
                rendered = rendering.render_context(kind.value, locale, s.context, settings.resolved_templates_dir)
                marked = render_marked(kind, locale, s, settings.resolved_templates_dir)
            except TemplateError as exc:
                problems.append(f"{kind}/{locale}: does not render: {exc}")
                continue
            for channel in NoticeChannel:
                problems += check_output(kind, locale, channel, rendered, marked, s)
    return problems


def preview(
    kind: Kind, locale: str, channel: NoticeChannel, settings: Settings, source: str | None = None
) -> rendering.Rendered:
    """Render one notice with sample data (the bundled template, or ``source`` for ``channel``)."""
    s = sample(kind, locale, settings)
    overrides = {channel.value: source} if source is not None else None
    return rendering.render_context(kind.value, locale, s.context, settings.resolved_templates_dir, overrides)


def template_path(templates_dir: Path, kind: Kind, locale: str) -> Path:
    return templates_dir / locale / f"{kind.value}.txt.j2"


def override_key(kind: Kind, locale: str, channel: NoticeChannel) -> str:
    return f"{kind.value}#{locale}#{channel.value}"


def upload(
    merchant_id: str, kind: Kind, locale: str, channel: NoticeChannel, source: str, settings: Settings, now: datetime
) -> None:
    """Validate and store a merchant's template; raises ``TemplateRejected`` with every problem."""
    problems = lint_source(source, kind, locale, channel, settings)
    if problems:
        raise TemplateRejected(problems)
    store.put_template_override(merchant_id, override_key(kind, locale, channel), source, now)


def lint_stored(settings: Settings) -> list[str]:
    """The lint of every stored override (templates may have been stored before a rule changed)."""
    problems: list[str] = []
    for merchant_id, key, source in store.all_template_overrides():
        kind, locale, channel = key.split("#")
        problems += [
            f"{merchant_id}: {p}" for p in lint_source(source, Kind(kind), locale, NoticeChannel(channel), settings)
        ]
    return problems
