"""The customer's order page: at the top the status in words, the current estimate and the
progress steps; then the choices the rules give for this order (``policy.choices_for``: wait,
cancel, return), each with a confirm step and a result page; a short FAQ; the support contact;
and every notice the order received (the in-app inbox), folded.

Pure: a page is a function of the order, its inbox, its decisions, the merchant and "now" (the
request's time). ``customer_api.py`` reads those and serves the answer. The pages work without
JavaScript: a choice is a link to its confirm page, whose form posts to the choice's route; the
route answers 303 to the result page (post/redirect/get).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date, format_interval
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.notices import InboxEntry, customer_zone, instant_formatter, pick_locale, tracking_url
from delaydesk.policy import Choice, ChoiceKind, choices_for, consumer_rules

VIEWS = ("order", "confirm", "result")
"""What ``render`` can show: the page itself, a choice's confirm step, a choice's result."""


class Step(msgspec.Struct, frozen=True):
    name: str  # paid | shipped | in_transit | delivered
    state: str  # done | current | problem | todo


def choice(order: Order, merchant: Merchant | None, kind: str, now: datetime) -> Choice | None:
    """The choice ``kind`` if the rules give it to this order now, else None."""
    return next((c for c in choices_for(order, merchant, now) if c.kind == kind), None)


def choice_open(order: Order, now: datetime, kind: str = ChoiceKind.WAIT.value) -> bool:
    """Whether the rules give ``kind`` (wait, by default) to this order now."""
    return choice(order, None, kind, now) is not None


def period_zone(order: Order) -> ZoneInfo:
    """The clock an additional period's date is read on: the customer's (UTC when unknown)."""
    try:
        return ZoneInfo(order.customer.timezone or "UTC")
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo("UTC")


def additional_period_dates(order: Order, now: datetime) -> tuple[date, date]:
    """The first and last day the additional-period form accepts, on the customer's calendar. A
    date means the end of that day (``customer_api._until``); consumer_rules refuses a period that
    ends within a day of now or more than ``MAX_ADDITIONAL_PERIOD`` away."""
    zone = period_zone(order)
    first = (now + timedelta(days=1)).astimezone(zone).date()
    last = (now + consumer_rules.MAX_ADDITIONAL_PERIOD).astimezone(zone).date() - timedelta(days=1)
    return first, last


def last_day(order: Order, until: datetime) -> date:
    """The day an additional period ends with, on the customer's calendar (``until`` is the
    instant that day ends, as ``customer_api._until`` reads a date)."""
    return (until - timedelta(microseconds=1)).astimezone(period_zone(order)).date()


def wait_decision(order: Order, now: datetime) -> Decision:
    """The customer consented to the delay (once per delay of the order: a conditional put).
    Under us_ftc this is the buyer's express consent (16 CFR 435.2(b)(1)(i)): no automatic
    cancellation follows; ``accept_event`` tells the order so."""
    ftc = order.law is not None and order.law.rules == "us_ftc"
    inputs = {"source": "order_page", "ship_by_at": order.ship_by_at.isoformat()}
    if order.law is not None:
        inputs["rules"] = order.law.rules
    if ftc:
        inputs["clause"] = "16 CFR 435.2(b)(1)(i)"
    return Decision(
        order_id=order.order_id,
        decision_id=f"{Action.DELAY_ACCEPTED.value}#{order.delays_resolved}",
        action=Action.DELAY_ACCEPTED,
        rule="us_ftc" if ftc else "customer_choice",
        at=now,
        inputs=inputs,
    )


def accept_event(order: Order, now: datetime) -> dict[str, Any]:
    """The contract's ``delay.accepted``, as the order page's "wait" sends it (once per order)."""
    return {
        "type": "delay.accepted",
        "event_id": f"order-page-wait-{order.order_id}",
        "at": now.isoformat(),
        "order_id": order.order_id,
        "merchant_id": order.merchant_id,
    }


def additional_period_event(order: Order, until: datetime, now: datetime) -> dict[str, Any]:
    """``additional_period.set`` (an extension of the contract), as the order page sends it."""
    return {
        "type": "additional_period.set",
        "event_id": f"order-page-additional-period-{order.order_id}-{until.isoformat()}",
        "at": now.isoformat(),
        "order_id": order.order_id,
        "merchant_id": order.merchant_id,
        "until": until.isoformat(),
    }


def return_event(order: Order, now: datetime) -> dict[str, Any]:
    """The contract's ``refund.requested`` (reason ``return``), as the order page's "return" asks
    for it; one id per order, so a second click is the same event."""
    return {
        "type": "refund.requested",
        "event_id": f"order-page-return-{order.order_id}",
        "at": now.isoformat(),
        "order_id": order.order_id,
        "merchant_id": order.merchant_id,
        "reason": "return",
    }


def cancel_event(order: Order, now: datetime) -> dict[str, Any]:
    """The contract's ``cancel.requested``, as the order page asks for it. Its id is the order's,
    so a second click (or a retried request) is the same event and applies once."""
    return {
        "type": "cancel.requested",
        "event_id": f"order-page-cancel-{order.order_id}",
        "at": now.isoformat(),
        "order_id": order.order_id,
        "merchant_id": order.merchant_id,
    }


def state(order: Order, decisions: list[Decision], now: datetime, merchant: Merchant | None = None) -> dict[str, Any]:
    """What the page and the JSON API say about the order (no formatting, no locale)."""
    waited = [d for d in decisions if d.action == Action.DELAY_ACCEPTED]
    cancelled = next((d for d in decisions if d.action == Action.ORDER_CANCELLED), None)
    shipment = order.shipment
    delay = order.delay
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "paid_at": order.paid_at.isoformat(),
        "ship_by": order.ship_by_at.isoformat(),
        "late": order.status == OrderStatus.PAID and now >= order.ship_by_at,
        "delay": {
            "kind": delay.kind,
            "reason": delay.reason,
            "since": delay.started_at.isoformat(),
            "estimate": [delay.eta_from.isoformat(), delay.eta_to.isoformat()]
            if delay.eta_from and delay.eta_to
            else None,
        }
        if delay
        else None,
        "shipment": {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number),
            "last_scan_at": shipment.last_scan_at.isoformat(),
            "last_status": shipment.last_tag.value,
            "last_location": shipment.last_location,
            "carrier_eta": shipment.carrier_eta.isoformat() if shipment.carrier_eta else None,
        }
        if shipment
        else None,
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
        "cancel": order.cancel_status,
        "refund": order.refund_status,
        "cancelled_at": cancelled.at.isoformat() if cancelled else None,
        "waiting_since": waited[-1].at.isoformat() if waited else None,
        "choices": [c.kind for c in choices_for(order, merchant, now)],
        "rules": order.law.rules if order.law else None,
        "options": [
            {
                "choice": o.choice,
                "route": o.route,
                "clause": o.clause,
                "until": o.until.isoformat() if o.until else None,
            }
            for o in consumer_rules.buyer_options(order, now)
        ],
        "additional_period_until": order.additional_period_until.isoformat() if order.additional_period_until else None,
    }


def headline(order: Order, now: datetime) -> str:
    """The status in words, as the key of its page string."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return f"status_{order.status.value}"
    if order.cancel_status == "requested":
        return "status_cancel_requested"
    if order.status == OrderStatus.PAID:
        return "status_paid_late" if order.delay is not None or now >= order.ship_by_at else "status_paid"
    if order.status == OrderStatus.SHIPPED:
        if order.delay is not None:
            return "status_exception" if order.delay.kind == "delivery_exception" else "status_shipped_late"
        return "status_shipped"
    if order.refund_status == "requested":
        return "status_return_requested"
    return f"status_{order.status.value}"


def steps(order: Order) -> list[Step]:
    """Paid, shipped, on its way, delivered: the steps reached are done, the next one is in
    progress (``current``, or ``problem`` while the order is delayed). None once cancelled."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return []
    names = ["paid", "shipped", "in_transit", "delivered"]
    reached = {OrderStatus.PAID: 1, OrderStatus.SHIPPED: 2}.get(order.status, len(names))
    progress = "problem" if order.delay is not None else "current"
    return [
        Step(name, "done" if index <= reached else progress if index == reached + 1 else "todo")
        for index, name in enumerate(names, start=1)
    ]


def _estimate(order: Order, t: dict[str, str], when: Callable[[datetime], str], locale: str) -> str | None:
    """The current estimate in words: delivered on, the estimate the latest notice gave, the
    carrier's own, or the promised ship-by."""
    babel = locale.replace("-", "_")
    if order.delivered_at is not None:
        return t["delivered_on"].format(at=when(order.delivered_at))
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED) or order.cancel_status == "requested":
        return None
    delay, shipment = order.delay, order.shipment
    span: tuple[date, date] | None = None
    if delay is not None and delay.eta_from and delay.eta_to:
        span = (delay.eta_from, delay.eta_to)
    elif shipment is not None and shipment.carrier_eta is not None:
        day = shipment.carrier_eta.date()
        return t["estimate_delivery"].format(estimate=format_date(day, format="medium", locale=babel))
    if span is not None:
        text = format_interval(span[0], span[1], skeleton="yMMMd", locale=babel)
        return t["estimate_delivery"].format(estimate=text)
    if order.status == OrderStatus.PAID:
        return t["estimate_ship_by"].format(ship_by=when(order.ship_by_at))
    return None


@lru_cache(maxsize=4)
def _environment(pages_dir: Path, notices_dir: Path) -> Environment:
    # The notices' own macros (reasons in plain words) serve the page too: one wording.
    return Environment(
        loader=FileSystemLoader([str(pages_dir), str(notices_dir)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=4)
def strings(pages_dir: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((pages_dir / "strings.json").read_text(encoding="utf-8"))
    return data


def _page(
    order: Order, merchant: Merchant | None, templates_dir: Path
) -> tuple[Environment, dict[str, Any], Callable[[datetime], str]]:
    """The pages' environment, what every page shows, and the customer's clock."""
    pages_dir = templates_dir.parent / "pages"
    locale = pick_locale(order.customer.locale, merchant)
    support = merchant.support if merchant else None
    base = {
        "t": strings(pages_dir)[locale],
        "locale": locale,
        "merchant_name": merchant.name if merchant else order.merchant_id,
        "order_id": order.order_id,
        "support_email": support.email if support else None,
        "support_phone": support.phone if support else None,
        "support_url": support.url if support else None,
    }
    when = instant_formatter(customer_zone(order, merchant), locale)
    return _environment(pages_dir, templates_dir), base, when


def render(
    order: Order,
    merchant: Merchant | None,
    inbox: list[InboxEntry],
    decisions: list[Decision],
    now: datetime,
    templates_dir: Path,
    token: str,
    done: str | None = None,
    *,
    confirm: str | None = None,
    not_open: bool = False,
) -> str:
    """A page as HTML, in the customer's locale and time zone. ``inbox`` comes oldest first
    (``inbox.entries``) and is shown newest first.

    ``confirm`` names a choice to confirm (its confirm page, if the rules give it now); ``done``
    names the choice just made (its result page, after the form's redirect); ``not_open`` says
    that the choice asked for is not (or no longer) open: the page shows the order as it is.
    """
    env, base, when = _page(order, merchant, templates_dir)
    shipment = order.shipment
    offered = choices_for(order, merchant, now)

    def shown(moment: datetime | str | None) -> str:  # the facts carry ISO strings
        if not moment:
            return ""
        return when(datetime.fromisoformat(moment) if isinstance(moment, str) else moment)

    context = base | {
        "facts": state(order, decisions, now, merchant),
        "headline": headline(order, now),
        "estimate": _estimate(order, base["t"], when, base["locale"]),
        "steps": steps(order),
        "choices": offered,
        "customer_name": order.customer.name,
        "items": [f"{item.name} × {item.quantity}" for item in order.items],
        "order_value": format_currency(
            order.value.amount, order.value.currency, locale=base["locale"].replace("-", "_")
        ),
        "when": shown,
        # the last day of an additional period, as the customer picked it (it ends when that day does)
        "period_day": next(
            (
                format_date(last_day(order, c.until), "medium", locale=base["locale"].replace("-", "_"))
                for c in offered
                if c.kind == ChoiceKind.ADDITIONAL_PERIOD and c.until
            ),
            None,
        ),
        "token": token,
        "done": done,
        "not_open": not_open,
        "inbox": list(reversed(inbox)),
        # what the notices' reason macro reads
        "last_scan": when(shipment.last_scan_at) if shipment else None,
        "last_location": shipment.last_location if shipment else None,
    }
    asked = next((c for c in offered if c.kind == confirm), None) if confirm else None
    if asked is not None:
        first, last = additional_period_dates(order, now)
        period = {
            "first": first.isoformat(),
            "last": last.isoformat(),
            "default": min(first + timedelta(days=13), last).isoformat(),
            "first_shown": format_date(first, "medium", locale=base["locale"].replace("-", "_")),
            "last_shown": format_date(last, "medium", locale=base["locale"].replace("-", "_")),
        }
        return env.get_template("confirm.html.j2").render(context | {"choice": asked, "period": period})
    if done and f"result_title_{done}" in base["t"]:
        return env.get_template("result.html.j2").render(context)
    # A confirm link of a choice that has closed meanwhile (shipped, cancelled…): say so.
    return env.get_template("order.html.j2").render(context | {"done": None, "not_open": not_open or bool(confirm)})


def render_unsubscribe(order: Order, merchant: Merchant | None, templates_dir: Path, done: bool) -> str:
    """The page a person sees on the List-Unsubscribe link: a confirmation form (a GET never
    unsubscribes: mail scanners follow links), then the result."""
    env, base, _ = _page(order, merchant, templates_dir)
    return env.get_template("unsubscribe.html.j2").render(base | {"done": done})


def render_invalid(shops: list[Merchant], locale: str, templates_dir: Path) -> str:
    """The page for a link that does not open an order (wrong, cut or unknown: the same page,
    so order ids cannot be probed), with the deployment's shops' contacts (public facts, the
    same whatever the link)."""
    pages_dir = templates_dir.parent / "pages"
    env = _environment(pages_dir, templates_dir)
    return env.get_template("invalid.html.j2").render(
        t=strings(pages_dir)[locale],
        locale=locale,
        merchant_name=shops[0].name if len(shops) == 1 else "",
        shops=[
            {"name": m.name, "email": m.support.email, "phone": m.support.phone, "url": m.support.url} for m in shops
        ],
    )


def browser_locale(accept_language: str | None, shops: list[Merchant]) -> str:
    """The invalid-link page's locale: the browser's first supported language, else the only
    shop's default, else English."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if tag and tag != "*":
            chosen = pick_locale(tag, None)
            if chosen != "en" or tag.lower().startswith("en"):
                return chosen
    return pick_locale(None, shops[0] if len(shops) == 1 else None)
