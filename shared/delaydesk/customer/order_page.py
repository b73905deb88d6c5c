"""The customer's order page: where the order is, every notice it received (the in-app inbox),
and, when it is late and not shipped, the choice to wait or to cancel for a full refund.

Pure: the page is a function of the order, its inbox, its decisions, the merchant and "now"
(the request's time). ``customer_api.py`` reads those and serves the answer.

The choice follows the seeds and the FTC Mail Order Rule: once the promised ship-by has passed
(or a disruption window covers the order), the customer may consent to the delay or cancel for a
full refund; consenting does not take the right to cancel away while the order is unshipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.notices import InboxEntry, customer_zone, instant_formatter, pick_locale, tracking_url
from delaydesk.policy import consumer_rules


def choice_open(order: Order, now: datetime) -> bool:
    """Wait-or-cancel is offered for an unshipped order that is late or covered by a window,
    until a cancellation is asked for."""
    if order.status != OrderStatus.PAID or order.cancel_status not in (None, "waiting"):
        return False
    ship_by = order.timers.get("ship_by")
    covered = ship_by is not None and ship_by.window_id is not None
    return now >= order.default_ship_by_at or order.delay is not None or covered


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


def state(order: Order, decisions: list[Decision], now: datetime) -> dict[str, Any]:
    """What the page and the JSON API say about the order (no formatting, no locale)."""
    waited = [d for d in decisions if d.action == Action.DELAY_ACCEPTED]
    cancelled = next((d for d in decisions if d.action == Action.ORDER_CANCELLED), None)
    shipment = order.shipment
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "paid_at": order.paid_at.isoformat(),
        "ship_by": order.ship_by_at.isoformat(),
        "late": order.status == OrderStatus.PAID and now >= order.ship_by_at,
        "delay": {"kind": order.delay.kind, "reason": order.delay.reason, "since": order.delay.started_at.isoformat()}
        if order.delay
        else None,
        "shipment": {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": tracking_url(shipment.carrier, shipment.tracking_number),
            "last_scan_at": shipment.last_scan_at.isoformat(),
            "last_status": shipment.last_tag.value,
            "last_location": shipment.last_location,
        }
        if shipment
        else None,
        "cancel": order.cancel_status,
        "cancelled_at": cancelled.at.isoformat() if cancelled else None,
        "waiting_since": waited[-1].at.isoformat() if waited else None,
        "choices": ["wait", "cancel"] if choice_open(order, now) else [],
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
    base = {
        "t": strings(pages_dir)[locale],
        "locale": locale,
        "merchant_name": merchant.name if merchant else order.merchant_id,
        "order_id": order.order_id,
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
) -> str:
    """The page as HTML, in the customer's locale and time zone. ``inbox`` comes oldest first
    (``inbox.entries``) and is shown newest first. ``done`` names the choice the customer has
    just made (the page after the form's redirect)."""
    env, base, when = _page(order, merchant, templates_dir)
    shipment = order.shipment
    support = merchant.support if merchant else None

    def shown(moment: datetime | str | None) -> str:  # the facts carry ISO strings
        if not moment:
            return ""
        return when(datetime.fromisoformat(moment) if isinstance(moment, str) else moment)

    context = base | {
        "facts": state(order, decisions, now),
        "customer_name": order.customer.name,
        "items": [f"{item.name} × {item.quantity}" for item in order.items],
        "order_value": format_currency(
            order.value.amount, order.value.currency, locale=base["locale"].replace("-", "_")
        ),
        "when": shown,
        "token": token,
        "done": done,
        "inbox": list(reversed(inbox)),
        # what the notices' reason macro reads
        "last_scan": when(shipment.last_scan_at) if shipment else None,
        "last_location": shipment.last_location if shipment else None,
        "support_email": support.email if support else None,
        "support_phone": support.phone if support else None,
        "support_url": support.url if support else None,
    }
    return env.get_template("order.html.j2").render(context)


def render_unsubscribe(order: Order, merchant: Merchant | None, templates_dir: Path, done: bool) -> str:
    """The page a person sees on the List-Unsubscribe link: a confirmation form (a GET never
    unsubscribes: mail scanners follow links), then the result."""
    env, base, _ = _page(order, merchant, templates_dir)
    return env.get_template("unsubscribe.html.j2").render(base | {"done": done})
