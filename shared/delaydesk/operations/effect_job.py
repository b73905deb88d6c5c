"""The effect report from stored data (``operations.effect`` and ``effect_incidents`` compute it).

Reads: the order table (a scan, filtered by merchant: there is no index by merchant yet); for each
delayed order, four queries by its key: the notice log (its send times), the decisions (its delay
detections and the windows they name), its order-page visits and choices (notice-state
``engage#<order>``) and, where the merchant tracks engagement, its SES feedback (opens, clicks);
the windows and alerts (the merchant's, or every one) and the statistics table (a scan of the
counter rows, for the inquiries that named no order, counted under no carrier and no region).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from delaydesk import store
from delaydesk.core import stats
from delaydesk.core.merchants import Merchant
from delaydesk.core.orders import Order
from delaydesk.core.stats import Alert
from delaydesk.core.windows import Window
from delaydesk.operations.effect import order_effect, order_was_delayed
from delaydesk.operations.effect_incidents import (
    Engagement,
    OrderFacts,
    delay_times,
    effect_summary,
    named_windows,
)


def _engagement(order: Order, merchant: Merchant | None) -> Engagement:
    days, choices = 0, set()
    for item in store.engagement_of(order.order_id):
        if item.sk.startswith("visit#"):
            days += 1
        elif item.sk.startswith("choice#"):
            choices.add(item.sk.split("#", 1)[1])
    tracked = merchant is not None and merchant.settings.track_engagement
    opened: set[str] = set()
    clicked: set[str] = set()
    if tracked:
        for item in store.feedback_of(order.order_id):
            notice, _, event = item.sk.rpartition("#")
            (opened if event == "open" else clicked if event == "click" else set()).add(notice)
    return Engagement(days, frozenset(choices), tracked, len(opened), len(clicked))


def _facts(merchant_id: str | None) -> list[OrderFacts]:
    facts = []
    merchants: dict[str, Merchant | None] = {}
    for record in store.all_orders():
        if merchant_id is not None and record.merchant_id != merchant_id:
            continue
        order = record.order()
        if not order_was_delayed(order):
            facts.append(OrderFacts(order_effect(order, []), order, named_windows=named_windows(order, [])))
            continue
        sent = [(n.kind, n.sent_at) for n in store.notices_for(order.order_id) if n.status == "sent"]
        decisions = store.decisions_for(order.order_id, record)  # the item read: its trail, and the table if needed
        if order.merchant_id not in merchants:
            merchants[order.merchant_id] = store.get_merchant(order.merchant_id)
        facts.append(
            OrderFacts(
                order_effect(order, sent),
                order,
                delayed_at=delay_times(order, decisions),
                named_windows=named_windows(order, decisions),
                engagement=_engagement(order, merchants[order.merchant_id]),
            )
        )
    return facts


def _without_order(merchant_id: str | None) -> dict[str, Counter[str]]:
    """Per merchant and topic, the inquiries that named no order (their counters are their only record)."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for row in store.all_counter_rows():
        if merchant_id is not None and row.merchant_id != merchant_id:
            continue
        for name, n in row.counts.items():
            if name.startswith(stats.INQUIRIES_WITHOUT_ORDER + "#"):
                out[row.merchant_id][name.split("#", 1)[1]] += n
    return dict(out)


def _incidents(merchant_id: str | None) -> tuple[list[Window], list[Alert]]:
    if merchant_id is not None:
        return store.windows_for(merchant_id), [r.alert() for r in store.alerts_of(merchant_id)]
    return [r.window() for r in store.all_windows()], [r.alert() for r in store.all_alerts()]


def effect_report(merchant_id: str | None = None, window_id: str | None = None) -> dict[str, Any]:
    """``summary.effect`` for one merchant, or for every merchant, with its incidents (``by_merchant``,
    ``by_window``, ``by_alert``); ``window_id``: only the orders under that window."""
    windows, alerts = _incidents(merchant_id)
    if window_id is not None and not any(w.window_id == window_id for w in windows):
        raise LookupError(f"no window {window_id!r}" + (f" for merchant {merchant_id}" if merchant_id else ""))
    return effect_summary(_facts(merchant_id), windows, alerts, _without_order(merchant_id), window_id)
