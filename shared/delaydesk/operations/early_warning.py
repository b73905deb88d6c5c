"""Early warning on delay spikes (DESIGN.md, "Operations"): pure, from counter rows only, ``now`` passed in.

For every scope of a merchant (a carrier x region cell, a carrier, a region) it compares the new
delays of the last ``span_hours`` with that scope's own baseline: the same hours of each of the
previous ``baseline_days`` days (a trimmed mean: the ``trim`` highest days are left out, so that an
earlier disruption does not raise the bar for the next one). Only parcels that have shipped count
(rows with a known carrier): a delay of an unshipped order is the merchant's, not a carrier's or a
region's.

A scope **opens** an alert when all of these hold (``Thresholds``):

- volume: at least ``min_orders`` parcels shipped in the scope over the baseline days, and at least
  ``min_delays`` new delays in the span (two delays out of three orders is not a spike);
- ratio: delays >= ``ratio`` x baseline;
- significance: delays >= baseline + ``sigmas`` x sqrt(baseline) + ``excess`` (counts are Poisson-like,
  so a busy scope's ordinary noise does not open one).

An open alert **resolves** when its delays over the span are back to normal: at most baseline +
sqrt(baseline) + ``resolve_excess``. Hysteresis: between the two thresholds nothing changes, and a
scope with an open alert never opens another.

One disruption makes one alert, not three: the most specific scopes are judged first; a carrier or
region is judged on what is left once the cells covered by an open alert (the cell's own, its
carrier's or its region's) are taken out, and when it spikes because one cell holds most of the
excess (``explain_share``), that cell is the alert; a cell is not judged while its carrier or its
region has an open alert.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import msgspec

from delaydesk.core.stats import SHIPPED, UNKNOWN, Alert, CounterRow, hour_of
from delaydesk.core.windows import Reason, WindowRules
from delaydesk.operations.alert_thresholds import THRESHOLDS, Thresholds

ALL = ""
"""A scope part that matches everything (every carrier, or every region)."""

Scope = tuple[str, str]
"""(carrier, region); ``ALL`` in either place for a wider scope."""


@cache
def default_disruption_rules() -> WindowRules:
    """The rules a proposed window carries when the merchant has none (``settings.disruption_rules``):
    the 2020 preset's longer timeouts and the exemption from service metrics, without suspending the
    ship-by (the parcels of a carrier/region disruption have shipped). Built at first use, when an
    alert opens: a module constant built the model at every import of the early warning (the admin
    API, DetectSpikes, DeliverAlerts), most of whose requests propose no window."""
    return WindowRules(
        exempt_service_metrics=True, refund_confirm_days=15, return_receipt_days=15, return_window_days=15
    )


class Figures(msgspec.Struct, frozen=True):
    """One scope: new delays in the span now, the baseline (delays per span, trimmed mean of the
    earlier days) and the parcels shipped during the same hours of the earlier days (the volume)."""

    delays: int = 0
    baseline: float = 0.0
    shipped: int = 0
    days: int = 7

    def minus(self, other: Figures) -> Figures:
        return Figures(
            max(0, self.delays - other.delays),
            max(0.0, self.baseline - other.baseline),
            max(0, self.shipped - other.shipped),
            self.days,
        )

    def plus(self, other: Figures) -> Figures:
        return Figures(
            self.delays + other.delays, self.baseline + other.baseline, self.shipped + other.shipped, self.days
        )

    @property
    def per_span(self) -> float:
        """Parcels shipped in one span, usually (the earlier days' mean)."""
        return self.shipped / max(1, self.days)

    @property
    def rate(self) -> float:
        """New delays per parcel shipped in a span, now."""
        return self.delays / self.per_span if self.shipped else 0.0

    @property
    def baseline_rate(self) -> float:
        return self.baseline / self.per_span if self.shipped else 0.0

    def spikes(self, t: Thresholds) -> bool:
        b = self.baseline
        return (
            self.shipped >= t.min_orders
            and self.delays >= t.min_delays
            and self.delays >= t.ratio * b
            and self.delays >= b + t.sigmas * math.sqrt(b) + t.excess
        )

    def back_to_normal(self, t: Thresholds) -> bool:
        b = self.baseline
        return self.delays <= b + math.sqrt(b) + t.resolve_excess


class Reading(msgspec.Struct, frozen=True):
    """The counter rows an evaluation needs: the span now, and the same span on each earlier day."""

    now: list[CounterRow]
    earlier: list[list[CounterRow]]
    """``earlier[k]`` is the span ``k + 1`` days before."""


def spans(now: datetime, t: Thresholds) -> list[tuple[datetime, datetime]]:
    """The hour ranges to read: the span ending at ``now``'s hour, then the same span 1..N days before."""
    end = hour_of(now) + timedelta(hours=1) if now != hour_of(now) else now
    out = []
    for day in range(t.baseline_days + 1):
        stop = end - timedelta(days=day)
        out.append((stop - timedelta(hours=t.span_hours), stop))
    return out


def _delays(row: CounterRow) -> int:
    return row.total("delays")


def _scopes_of(row: CounterRow) -> list[Scope]:
    return [(row.carrier, row.region), (row.carrier, ALL), (ALL, row.region)]


def figures(reading: Reading, t: Thresholds) -> dict[Scope, Figures]:
    """Every scope's figures (only rows of shipped parcels count)."""
    now: dict[Scope, int] = {}
    earlier: dict[Scope, list[int]] = {}
    shipped: dict[Scope, int] = {}
    for row in reading.now:
        if row.carrier == UNKNOWN:
            continue
        for scope in _scopes_of(row):
            now[scope] = now.get(scope, 0) + _delays(row)
    for day, rows in enumerate(reading.earlier):
        for row in rows:
            if row.carrier == UNKNOWN:
                continue
            for scope in _scopes_of(row):
                counts = earlier.setdefault(scope, [0] * len(reading.earlier))
                counts[day] += _delays(row)
            for scope in _scopes_of(row):
                shipped[scope] = shipped.get(scope, 0) + row.get(SHIPPED)
    out: dict[Scope, Figures] = {}
    for scope in set(now) | set(earlier) | set(shipped):
        days = sorted(earlier.get(scope, [0] * len(reading.earlier)))
        kept = days[: max(1, len(days) - t.trim)] if days else [0]
        out[scope] = Figures(now.get(scope, 0), sum(kept) / len(kept), shipped.get(scope, 0), len(reading.earlier))
    return out


def _is_cell(scope: Scope) -> bool:
    return scope[0] != ALL and scope[1] != ALL


def _parents(scope: Scope) -> list[Scope]:
    return [(scope[0], ALL), (ALL, scope[1])]


def _children(scope: Scope, among: Iterable[Scope]) -> list[Scope]:
    carrier, region = scope
    return [s for s in among if _is_cell(s) and (carrier in (ALL, s[0])) and (region in (ALL, s[1]))]


def scope_of(alert: Alert) -> Scope:
    return (alert.carriers[0] if alert.carriers else ALL, alert.regions[0] if alert.regions else ALL)


class Transition(msgspec.Struct, frozen=True):
    alert: Alert
    state: str  # "open" | "resolved"


def alert_id(scope: Scope, opened_at: datetime) -> str:
    """Readable and stable for a scope and instant (a retried run makes the same id)."""
    carrier, region = scope
    slug = f"{carrier or 'all'}-{region or 'all'}".lower().replace(" ", "_")
    digest = hashlib.sha256(f"{carrier}|{region}|{opened_at.isoformat()}".encode()).hexdigest()[:6]
    return f"spike-{opened_at:%Y%m%dT%H%M}-{slug}-{digest}"[:64]


def proposed_window(
    alert_id_: str, merchant_id: str, scope: Scope, opened_at: datetime, rules: WindowRules | None, t: Thresholds
) -> dict[str, Any]:
    """The contract's window object an alert suggests declaring: its scope only, the merchant's rules."""
    carrier, region = scope
    where = " → ".join(p for p in (carrier, region) if p) or "all"
    starts = hour_of(opened_at) - timedelta(hours=t.lead_hours)
    return {
        "window_id": f"w-{alert_id_.removeprefix('spike-')}"[:64],
        "merchant_id": merchant_id,
        "reason": Reason.LOGISTICS_HALT.value,
        "title": f"Delay spike: {where}",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=t.window_days)).isoformat(),
        "scope": {"carriers": [carrier] if carrier else [], "regions": [region] if region else [], "channels": []},
        "rules": (rules or default_disruption_rules()).model_dump(mode="json"),
    }


def evaluate(
    merchant_id: str,
    locale: str,
    reading: Reading,
    open_alerts: Sequence[Alert],
    now: datetime,
    rules: WindowRules | None = None,
    t: Thresholds = THRESHOLDS,
) -> list[Transition]:
    """What changes at ``now``: alerts that resolve, then alerts that open (most specific first)."""
    figs = figures(reading, t)
    out: list[Transition] = []
    still_open: dict[Scope, Alert] = {}
    for alert in open_alerts:
        scope = scope_of(alert)
        fig = figs.get(scope, Figures())
        if fig.back_to_normal(t):
            out.append(Transition(msgspec.structs.replace(alert, resolved_at=now), "resolved"))
        else:
            still_open[scope] = alert
    cells = sorted(s for s in figs if _is_cell(s))
    wider = sorted(s for s in figs if not _is_cell(s))
    opened: dict[Scope, Figures] = {}
    for scope in cells:
        if scope in still_open or any(p in still_open for p in _parents(scope)):
            continue
        if figs[scope].spikes(t):
            opened[scope] = figs[scope]
    for scope in wider:
        if scope in still_open or scope in opened:
            continue
        active = set(still_open) | set(opened)
        explained = Figures()
        for child in _children(scope, cells):
            if child in active or any(p in active for p in _parents(child)):
                explained = explained.plus(figs[child])
        residual = figs[scope].minus(explained)
        if not residual.spikes(t):
            continue
        # The narrowest scope that explains it: one cell with most of the excess is the alert.
        free = [c for c in _children(scope, cells) if c not in active and not any(p in active for p in _parents(c))]
        top = max(free, key=lambda c: (figs[c].delays - figs[c].baseline, c), default=None)
        excess = residual.delays - residual.baseline
        if top is not None and figs[top].delays - figs[top].baseline >= t.explain_share * excess:
            opened[top] = figs[top]
        else:
            opened[scope] = residual
    for scope, fig in sorted(opened.items()):
        aid = alert_id(scope, now)
        alert = Alert(
            alert_id=aid,
            merchant_id=merchant_id,
            kind="delay_spike",
            carriers=(scope[0],) if scope[0] else (),
            regions=(scope[1],) if scope[1] else (),
            opened_at=now,
            resolved_at=None,
            rate=round(fig.rate, 4),
            baseline=round(fig.baseline_rate, 4),
            delays=fig.delays,
            orders=fig.shipped,
            locale=locale,
            proposed_window=proposed_window(aid, merchant_id, scope, now, rules, t),
        )
        out.append(Transition(alert, "open"))
    return out
