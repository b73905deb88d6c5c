"""What the notices achieved, per incident (pure): the effect figures per disruption window and per
early-warning alert, with the order page and e-mail engagement of the delayed orders.

An order **falls under a window** when a decision about it, one of its policy timers or an
announcement names the window (``window_id``), or when the window's scope covers the order
(``policy.engine.in_scope``: merchant, channel, region, carrier) and its interval holds the
order's payment or one of its delay detections. An order **falls under an alert** when it was
delayed, the alert is the order's merchant's, the alert's scope (carriers, regions; empty: all)
holds the order's carrier and destination region as the counters name them (``stats.scope_of``),
and one of its delays was detected while the alert was open, or in the detection span before it
opened (the delays that raised it). An order may fall under several incidents.

Engagement (extensions of ``summary.effect``, about delayed orders): ``order_page_visits`` (days on
which an order page was opened with a valid link, once per order and day), ``orders_with_page_visit``
and ``choices`` (orders that made each choice on the page, once per order and choice);
``notices_opened`` and ``notices_clicked`` (notices with at least one SES open / click event),
counted only for merchants with ``settings.track_engagement``; null when no such order is in scope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from delaydesk.core import stats
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.orders import Order
from delaydesk.core.stats import Alert
from delaydesk.core.windows import Window
from delaydesk.operations.alert_thresholds import THRESHOLDS
from delaydesk.operations.effect import FIGURES, OrderEffect, effect_figures
from delaydesk.operations.experiments import experiment_rows
from delaydesk.policy import engine

PAGE_CHOICES = ("wait", "cancel", "additional_period", "terminate", "return")
"""The choices the order page posts (customer_api), in the order the report lists them."""


@dataclass(frozen=True)
class Engagement:
    """What the customer did with the notices of one order."""

    visit_days: int = 0
    choices: frozenset[str] = frozenset()
    tracked: bool = False
    """The merchant tracks opens and clicks (``settings.track_engagement``)."""
    opened: int = 0
    clicked: int = 0


@dataclass(frozen=True)
class OrderFacts:
    """One order's effect facts with what places it in incidents."""

    effect: OrderEffect
    order: Order
    delayed_at: tuple[datetime, ...] = ()
    """When its delays were detected (the ``delay_detected`` decisions)."""
    named_windows: frozenset[str] = frozenset()
    engagement: Engagement = field(default_factory=Engagement)


def delay_times(order: Order, decisions: Iterable[Decision]) -> tuple[datetime, ...]:
    """The detection times of the order's delays (the current delay's start if no decision says)."""
    times = sorted(d.at for d in decisions if d.action == Action.DELAY_DETECTED)
    if not times and order.delay is not None:
        times = [order.delay.started_at]
    return tuple(times)


def named_windows(order: Order, decisions: Iterable[Decision]) -> frozenset[str]:
    """The windows a decision, a timer or an announcement of the order names."""
    names = {d.window_id for d in decisions if d.window_id}
    names |= {t.window_id for t in order.timers.values() if t.window_id}
    names |= set(order.announced_windows)
    return frozenset(n for n in names if n)


def under_window(fact: OrderFacts, window: Window) -> bool:
    if window.window_id in fact.named_windows:
        return window.merchant_id in (None, fact.order.merchant_id)
    if not engine.in_scope(window, fact.order):
        return False
    return any(window.contains(moment) for moment in (fact.order.paid_at, *fact.delayed_at))


def under_alert(fact: OrderFacts, alert: Alert, span: timedelta | None = None) -> bool:
    if not fact.effect.delayed or alert.merchant_id != fact.order.merchant_id:
        return False
    carrier, region = stats.scope_of(fact.order)
    if alert.carriers and carrier not in alert.carriers:
        return False
    if alert.regions and region not in alert.regions and fact.order.destination.country not in alert.regions:
        return False
    start = alert.opened_at - (span if span is not None else timedelta(hours=THRESHOLDS.span_hours))
    return any(start <= t and (alert.resolved_at is None or t <= alert.resolved_at) for t in fact.delayed_at)


def engagement_figures(facts: Iterable[OrderFacts]) -> dict[str, Any]:
    """The engagement extensions of the figures, about delayed orders."""
    visits = visited = 0
    choices: Counter[str] = Counter({name: 0 for name in PAGE_CHOICES})
    tracked = opened = clicked = 0
    for fact in facts:
        if not fact.effect.delayed:
            continue
        e = fact.engagement
        visits += e.visit_days
        visited += 1 if e.visit_days else 0
        choices.update(e.choices)
        if e.tracked:
            tracked += 1
            opened += e.opened
            clicked += e.clicked
    return {
        "order_page_visits": visits,
        "orders_with_page_visit": visited,
        "choices": {name: choices[name] for name in [*PAGE_CHOICES, *sorted(set(choices) - set(PAGE_CHOICES))]},
        "notices_opened": opened if tracked else None,
        "notices_clicked": clicked if tracked else None,
    }


def figures(facts: Sequence[OrderFacts], without_order: Mapping[str, int] | None = None) -> dict[str, Any]:
    """``effect_figures`` of these orders with the engagement extensions."""
    return effect_figures([f.effect for f in facts], without_order) | engagement_figures(facts)


def effect_summary(
    facts: Sequence[OrderFacts],
    windows: Sequence[Window],
    alerts: Sequence[Alert],
    without_order: Mapping[str, Mapping[str, int]] | None = None,
    window_id: str | None = None,
) -> dict[str, Any]:
    """``summary.effect``: the figures overall, then ``by_merchant``, ``by_window`` and ``by_alert``.

    ``without_order`` holds per merchant the per-topic counts of inquiries that named no order
    (they count overall and for their merchant, never for an incident). ``window_id`` restricts
    everything to the orders under that window (and leaves the order-less inquiries out).
    """
    order_less: dict[str, Mapping[str, int]] = dict(without_order or {})
    if window_id is not None:
        windows = [w for w in windows if w.window_id == window_id]
        facts = [f for f in facts if any(under_window(f, w) for w in windows)]
        order_less = {}
    merchants = sorted({f.order.merchant_id for f in facts} | set(order_less))
    return figures(facts, _sum(order_less.values())) | {
        "by_merchant": {
            m: figures([f for f in facts if f.order.merchant_id == m], order_less.get(m)) for m in merchants
        },
        "by_window": {
            w.window_id: figures([f for f in facts if under_window(f, w)])
            for w in sorted(windows, key=lambda w: (w.starts_at, w.window_id))
        },
        "by_alert": {
            a.alert_id: figures([f for f in facts if under_alert(f, a)])
            for a in sorted(alerts, key=lambda a: (a.opened_at, a.alert_id))
        },
    }


def _sum(counts: Iterable[Mapping[str, int]]) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counts:
        out.update(c)
    return out


# ------------------------------------------------------------------ the report's tables

ENGAGEMENT = ("order_page_visits", "orders_with_page_visit", "notices_opened", "notices_clicked")


def _columns(f: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {name: f[name] for name in FIGURES}
    out |= {f"on_time.{k}": v for k, v in f["on_time"].items()}
    out |= {name: f[name] for name in ENGAGEMENT}
    out |= {f"choices.{k}": v for k, v in f["choices"].items()}
    out |= {f"inquiries.{k}": v for k, v in f["inquiries_by_topic"].items()}
    out |= dict(experiment_rows(f.get("experiments", [])))  # the arms of the scope's own orders
    out["inquiries_without_order"] = f["inquiries_without_order"]
    return out


def scopes(summary: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(scope, id, columns) of the report: overall, then each merchant, window and alert."""
    rows = [("overall", "", _columns(summary))]
    for scope, key in (("merchant", "by_merchant"), ("window", "by_window"), ("alert", "by_alert")):
        rows += [(scope, ident, _columns(f)) for ident, f in summary.get(key, {}).items()]
    return rows


def wide_table(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The report as one spreadsheet: a row per scope, a column per figure (empty: no value)."""
    rows = scopes(summary)
    names: list[str] = []
    for _, _, columns in rows:
        names += [n for n in columns if n not in names]
    header = ["scope", "id", *names]
    return header, [[scope, ident, *(_cell(columns, n) for n in names)] for scope, ident, columns in rows]


def _cell(columns: Mapping[str, Any], name: str) -> str:
    if name not in columns and name.startswith("inquiries."):
        return "0"  # a topic nobody in this scope asked about
    return _text(columns.get(name))


def _text(value: Any) -> str:
    return "" if value is None else str(value)
