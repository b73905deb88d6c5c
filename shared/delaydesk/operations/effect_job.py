"""The effect report from stored data (operations.effect computes it).

Reads: the order table (a scan, filtered by merchant: there is no index by merchant yet), the notice
log of each delayed order (one query per order: its send times) and the statistics table (a scan of
the counter rows, for the inquiries that named no order, counted under no carrier and no region).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from delaydesk import store
from delaydesk.core import stats
from delaydesk.operations.effect import OrderEffect, effect_figures, order_effect, order_was_delayed


def _facts(merchant_id: str | None) -> list[OrderEffect]:
    facts = []
    for record in store.all_orders():
        if merchant_id is not None and record.merchant_id != merchant_id:
            continue
        order = record.order()
        sent = []
        if order_was_delayed(order):
            sent = [(n.kind, n.sent_at) for n in store.notices_for(order.order_id) if n.status == "sent"]
        facts.append(order_effect(order, sent))
    return facts


def _without_order(merchant_id: str | None) -> Counter[str]:
    """Per topic, the inquiries that named no order (their counters are the only record of them)."""
    out: Counter[str] = Counter()
    for row in store.all_counter_rows():
        if merchant_id is not None and row.merchant_id != merchant_id:
            continue
        for name, n in row.counts.items():
            if name.startswith(stats.INQUIRIES_WITHOUT_ORDER + "#"):
                out[name.split("#", 1)[1]] += n
    return out


def effect_report(merchant_id: str | None = None) -> dict[str, Any]:
    """``summary.effect`` for one merchant, or for every merchant."""
    return effect_figures(_facts(merchant_id), _without_order(merchant_id))
