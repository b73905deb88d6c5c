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

To add a choice (consumer-law options such as a revised date or an additional period, branch
``law``): add its name to ``ChoiceKind`` and a rule below that appends a ``Choice`` (with
``until`` when it closes), add ``POST /orders/{order_id}/{route}`` to ``ServeOrderPageFunction``
in template.yaml and its handler in ``customer/customer_api.py``, and its page strings
(``choice_<name>``, ``confirm_<name>``, ``done_<name>``… in templates/pages/strings.json). The
page and the notices pick it up from here without other changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from delaydesk.core.merchants import DEFAULT_RETURN_WINDOW_DAYS, Merchant
from delaydesk.core.orders import Order, OrderStatus


class ChoiceKind(StrEnum):
    WAIT = "wait"
    CANCEL = "cancel"
    RETURN = "return"


@dataclass(frozen=True)
class Choice:
    """One thing the customer may do now. ``kind`` names it (and its page strings); the page
    posts it to ``POST /orders/{order_id}/{route}``; ``until`` is when it closes, if known."""

    kind: str
    until: datetime | None = None

    @property
    def route(self) -> str:
        return self.kind.replace("_", "-")


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

    ``merchant`` is there for rules that depend on the merchant's settings or country (the
    consumer-law rule sets); today's rules do not read it.
    """
    found: list[Choice] = []
    if late_and_unshipped(order, now):
        found += [Choice(ChoiceKind.WAIT.value), Choice(ChoiceKind.CANCEL.value)]
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
