"""What a customer may choose for an order, now: the one place that decides it.

Pure (``now`` is an argument). The order page offers exactly these choices, each with a confirm
step and a result page, and the notices mention exactly these (``notices.rendering`` puts their
names in every template's context as ``choices``), so an e-mail never promises what the page
does not offer.

Today's rules (the seeds and the FTC Mail Order Rule's "wait or cancel"):

- ``wait`` and ``cancel``: the order is paid and not shipped, and either its promised ship-by has
  passed, a delay was detected, or a disruption window moved its ship-by; no cancellation has
  been asked for (or it waits for the deadline: ``cancel_status == "waiting"``). Waiting is
  recorded as the decision ``delay_accepted`` and does not take the right to cancel away while
  the order is unshipped. Once shipped, cancelling is no longer offered (the scan would refuse it):
  a late parcel can be returned after delivery instead.
- ``return``: the order was delivered (or its receipt confirmed), no refund or return is under
  way, and its return window (``timers["return_window"]``, as windows moved it, else the
  default days after delivery) is still open. It queues ``refund.requested`` (reason ``return``).

- the buyer's consumer rules (``consumer_rules.buyer_options``, branch ``law``) decide the rest:
  under ``us_ftc`` the delay option's **wait** (express consent, until the automatic cancellation
  ``law.cancel_at``; gone once the buyer consented) and **cancel** (free, full refund), offered from
  the delay-option notice on; under ``eu_crd`` / ``uk_cra`` **additional_period** (the buyer sets
  a date for delivery; posts ``until``) while the order is late and not delivered, then, once that
  date has passed undelivered, **terminate** (posts to the cancel route: the contract ends with a
  refund); wait and cancel as above while it is unshipped.

To add a choice: add its name to ``ChoiceKind`` and a rule below that appends a ``Choice`` (with
``until`` when it closes), add ``POST /orders/{order_id}/{route}`` to ``ServeOrderPageFunction``
in template.yaml (and its route throttle) and its handler in ``customer/customer_api.py``, and its
page strings (``choice_<name>``, ``confirm_<name>``, ``done_<name>``… in
templates/pages/strings.json). The page and the notices pick it up from here without other changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from delaydesk.core.merchants import DEFAULT_RETURN_WINDOW_DAYS, Merchant
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.policy.consumer_rules import RuleSet, buyer_options, law_of


class ChoiceKind(StrEnum):
    WAIT = "wait"
    CANCEL = "cancel"
    RETURN = "return"
    ADDITIONAL_PERIOD = "additional_period"
    TERMINATE = "terminate"


class Choice(msgspec.Struct, frozen=True):
    """One thing the customer may do now. ``kind`` names it (and its page strings); the page
    posts it to ``POST /orders/{order_id}/{route}``; ``until`` is when it closes, if known."""

    kind: str
    until: datetime | None = None
    posts_to: str | None = None
    """The route's last segment when it is not the kind's own (terminate posts to cancel)."""
    clause: str | None = None
    """The consumer-law clause that gives the choice, if one does."""

    @property
    def route(self) -> str:
        return self.posts_to or self.kind.replace("_", "-")


def late_and_unshipped(order: Order, now: datetime) -> bool:
    """Paid, not shipped, and late: past the promised ship-by, a delay detected, or a window
    moved its ship-by; and no cancellation pending."""
    if order.status != OrderStatus.PAID or order.cancel_status not in (None, "waiting"):
        return False
    ship_by = order.timers.get("ship_by")
    covered = ship_by is not None and ship_by.window_id is not None
    return now >= order.default_ship_by_at or order.delay is not None or covered


def return_until(order: Order) -> datetime | None:
    """The end of the order's return window, once it is delivered."""
    stored = order.timers.get("return_window")
    if stored is not None:
        return stored.at
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(days=DEFAULT_RETURN_WINDOW_DAYS)


def choices_for(order: Order, merchant: Merchant | None, now: datetime) -> list[Choice]:
    """The choices the rules give this order at ``now``, in the order the page shows them.

    ``merchant`` is there for rules that depend on the merchant's settings; the consumer-law rule
    set comes from the order (``order.law``, else the destination's country).
    """
    found: list[Choice] = []
    law = order.law
    rules = RuleSet(law.rules) if law else law_of(order.destination.country)
    options = {option.choice: option for option in buyer_options(order, now)}
    if rules == RuleSet.US_FTC:
        # The delay option's two answers, exactly as the rule gives them (consent closes at cancel_at).
        found += [
            Choice(kind.value, options[kind.value].until, clause=options[kind.value].clause)
            for kind in (ChoiceKind.WAIT, ChoiceKind.CANCEL)
            if kind.value in options
        ]
    elif late_and_unshipped(order, now) and ChoiceKind.TERMINATE.value not in options:
        # (once the additional period has passed, terminating replaces the wait-or-cancel pair:
        # both would post to the cancel route, which then ends the contract)
        found += [Choice(ChoiceKind.WAIT.value), Choice(ChoiceKind.CANCEL.value)]
    if (period := options.get(ChoiceKind.ADDITIONAL_PERIOD.value)) is not None:
        found.append(Choice(period.choice, period.until, clause=period.clause))
    if (end := options.get(ChoiceKind.TERMINATE.value)) is not None:
        found.append(Choice(end.choice, None, posts_to="cancel", clause=end.clause))
    if (
        order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        and order.refund_status is None
        and order.return_status is None
    ):
        until = return_until(order)
        if until is not None and now < until:
            found.append(Choice(ChoiceKind.RETURN.value, until))
    return found


def choice_names(order: Order, merchant: Merchant | None, now: datetime) -> list[str]:
    """The names of ``choices_for``: what the notices' templates read as ``choices``."""
    return [choice.kind for choice in choices_for(order, merchant, now)]
