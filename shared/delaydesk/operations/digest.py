"""The daily digest of one merchant (pure): figures from the statistics counters, rendered as an
HTML e-mail (jinja2, table-based bars: mail clients strip SVG and scripts) and as CSV.

The day is the merchant's local calendar day. Its figures come from the counter rows of that day
and of the 7 days before it (the trend compares the day with the previous week's daily mean);
counters are kept per UTC hour, so in a zone whose offset is not a whole hour the day's edges
fall on the nearest hour. Reports read counters, never the order table.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from delaydesk.core import effect_stats, stats
from delaydesk.core.merchants import SUPPORTED_LOCALES, Merchant
from delaydesk.core.stats import Alert, CounterRow
from delaydesk.core.windows import Window

TREND_DAYS = 7
SCORECARD_ROWS = 25
STALL_RULES = ("stalled_after_pickup", "stalled_in_transit", "stalled_at_delivery")
OUTCOMES = ("sent", "failed", "bounced", "complained", "suppressed")
FIGURES = (
    "orders_paid",
    "shipped_on_time",
    "shipped_late_recorded",
    "shipped_late_exempted",
    "delays",
    "exceptions",
    "notices_sent",
    "notices_failed",
    "notices_bounced",
    "notices_complained",
    "notices_suppressed",
    "escalations_opened",
    "escalations_closed",
    "cancellations",
    "refunds",
    "inquiries",
)


class Figure(msgspec.Struct, frozen=True):
    key: str
    value: int
    week_mean: float
    """The mean per day over the previous 7 days."""

    @property
    def trend(self) -> float | None:
        """The change against the previous week's daily mean (0.25: a quarter more); None: no baseline."""
        return None if self.week_mean == 0 else (self.value - self.week_mean) / self.week_mean


class ScoreLine(msgspec.Struct, frozen=True):
    carrier: str
    region: str
    on_time: int
    late: int
    exempted: int
    stalls: int
    exceptions: int

    @property
    def shipped(self) -> int:
        return self.on_time + self.late + self.exempted

    @property
    def on_time_rate(self) -> float | None:
        """On time among the shipments that count (late ones exempted by a window do not)."""
        counted = self.on_time + self.late
        return None if counted == 0 else self.on_time / counted


class EscalationLine(msgspec.Struct, frozen=True):
    order_id: str
    reason: str
    opened_at: datetime


class EffectFigures(msgspec.Struct, frozen=True):
    """What the notices achieved over a span, from the effect counters (``core.effect_stats``)."""

    delayed_orders: int
    wismo_before: int
    wismo_after: int
    disputes: int
    disputes_on_time: int
    mean_rating: float | None
    mean_rating_on_time: float | None

    @property
    def wismo(self) -> int:
        return self.wismo_before + self.wismo_after

    @property
    def wismo_per_100_delayed(self) -> float | None:
        return None if self.delayed_orders == 0 else round(100 * self.wismo / self.delayed_orders, 1)

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) as the CSV and the e-mail show them (empty: no value)."""
        return [
            ("delayed_orders", str(self.delayed_orders)),
            ("wismo_inquiries", str(self.wismo)),
            ("wismo_per_100_delayed", _number(self.wismo_per_100_delayed)),
            ("wismo_before_first_notice", str(self.wismo_before)),
            ("wismo_after_first_notice", str(self.wismo_after)),
            ("disputes", str(self.disputes)),
            ("disputes_on_time", str(self.disputes_on_time)),
            ("mean_rating", _number(self.mean_rating)),
            ("mean_rating_on_time", _number(self.mean_rating_on_time)),
        ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _ratio(total: int, n: int) -> float | None:
    return None if n <= 0 else round(total / n, 2)


def effect_figures(counts: Counter[str]) -> EffectFigures:
    """The effect figures of summed counter rows (the on-time side is the total less the delayed)."""
    reviews, rating_sum = counts[stats.REVIEWS], counts[stats.RATING_SUM]
    reviews_delayed, rating_delayed = counts[effect_stats.REVIEWS_DELAYED], counts[effect_stats.RATING_SUM_DELAYED]
    return EffectFigures(
        delayed_orders=counts[effect_stats.DELAYED_ORDERS],
        wismo_before=counts[effect_stats.WISMO_DELAYED_BEFORE],
        wismo_after=counts[effect_stats.WISMO_DELAYED_AFTER],
        disputes=counts[effect_stats.DISPUTES_DELAYED],
        disputes_on_time=max(0, counts[stats.DISPUTES] - counts[effect_stats.DISPUTES_DELAYED]),
        mean_rating=_ratio(rating_delayed, reviews_delayed),
        mean_rating_on_time=_ratio(rating_sum - rating_delayed, reviews - reviews_delayed),
    )


EFFECT_DAYS = 7
"""The effect section's second column: the day and the 6 days before it."""


class Digest(msgspec.Struct, frozen=True):
    merchant_id: str
    merchant_name: str
    locale: str
    timezone: str
    day: date
    figures: list[Figure]
    delays_by_rule: list[tuple[str, int]]
    daily_delays: list[tuple[date, int]]
    """Delays per day, the 7 previous days then the day itself."""
    scorecard: list[ScoreLine]
    notices_by_kind: list[tuple[str, str, dict[str, int]]]
    """(kind, channel, {outcome: n}) of the day."""
    escalations: list[EscalationLine]
    alerts: list[Alert]
    windows: list[Window]
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    effect_day: EffectFigures | None = None
    """What the notices achieved: the day, and (``effect_week``) the day with the 6 days before it."""
    effect_week: EffectFigures | None = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the local ``day`` starts and the next one starts."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def digest_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The counter rows a digest reads: the day and the 7 days before it."""
    start, _ = day_bounds(day - timedelta(days=TREND_DAYS), timezone)
    _, end = day_bounds(day, timezone)
    return start, end


def due_day(merchant: Merchant, now: datetime) -> date | None:
    """The local day whose digest is due at ``now``: yesterday, once the merchant's morning hour
    has come (later runs the same day retry a digest that could not be sent); None before it."""
    if not merchant.settings.ops_email:
        return None
    local = now.astimezone(ZoneInfo(merchant.timezone))
    return local.date() - timedelta(days=1) if local.hour >= merchant.settings.digest_hour else None


def _figures(counts: Counter[str]) -> dict[str, int]:
    out = {
        "orders_paid": counts[stats.ORDERS_PAID],
        "shipped_on_time": counts[stats.SHIPPED_ON_TIME],
        "shipped_late_recorded": counts[stats.SHIPPED_LATE_RECORDED],
        "shipped_late_exempted": counts[stats.SHIPPED_LATE_EXEMPTED],
        "delays": _prefixed(counts, "delays"),
        "exceptions": _prefixed(counts, "exceptions"),
        "escalations_opened": counts[stats.ESCALATIONS_OPENED],
        "escalations_closed": counts[stats.ESCALATIONS_CLOSED],
        "cancellations": counts[stats.CANCELLATIONS],
        "refunds": counts[stats.REFUNDS],
        "inquiries": counts[stats.INQUIRIES],
    }
    for outcome in OUTCOMES:
        out[f"notices_{outcome}"] = sum(
            v for k, v in counts.items() if k.startswith("notices#") and k.endswith(f"#{outcome}")
        )
    return out


def _prefixed(counts: Counter[str], prefix: str) -> int:
    return sum(v for k, v in counts.items() if k == prefix or k.startswith(prefix + "#"))


def build_digest(
    merchant: Merchant,
    day: date,
    rows: Iterable[CounterRow],
    *,
    escalations: Sequence[EscalationLine] = (),
    alerts: Sequence[Alert] = (),
    windows: Sequence[Window] = (),
) -> Digest:
    """The digest of ``day`` from the counter rows of the day and the 7 days before (others ignored)."""
    zone = ZoneInfo(merchant.timezone)
    first = day - timedelta(days=TREND_DAYS)
    by_day: dict[date, list[CounterRow]] = defaultdict(list)
    for row in rows:
        local = row.hour.astimezone(zone).date()
        if first <= local <= day and row.merchant_id == merchant.merchant_id:
            by_day[local].append(row)
    today = stats.totals(by_day[day])
    before = stats.totals(r for d, rs in by_day.items() if d != day for r in rs)
    now_figures, week_figures = _figures(today), _figures(before)
    figures = [Figure(key, now_figures[key], week_figures[key] / TREND_DAYS) for key in FIGURES]

    delays_by_rule = sorted(
        ((k.split("#", 1)[1], v) for k, v in today.items() if k.startswith("delays#") and v),
        key=lambda kv: (-kv[1], kv[0]),
    )
    daily = [
        (first + timedelta(days=i), _prefixed(stats.totals(by_day[first + timedelta(days=i)]), "delays"))
        for i in range(TREND_DAYS + 1)
    ]

    scopes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in by_day[day]:
        scopes[(row.carrier, row.region)].update(row.counts)
    scorecard = [
        ScoreLine(
            carrier=carrier,
            region=region,
            on_time=c[stats.SHIPPED_ON_TIME],
            late=c[stats.SHIPPED_LATE_RECORDED],
            exempted=c[stats.SHIPPED_LATE_EXEMPTED],
            stalls=sum(c[stats.delays(rule)] for rule in STALL_RULES),
            exceptions=_prefixed(c, "exceptions"),
        )
        for (carrier, region), c in scopes.items()
    ]
    scorecard = [s for s in scorecard if s.shipped or s.stalls or s.exceptions]
    scorecard.sort(key=lambda s: (-(s.stalls + s.exceptions), -s.shipped, s.carrier, s.region))

    notices: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for name, value in today.items():
        parts = name.split("#")
        if parts[0] == "notices" and len(parts) == 4 and value:
            notices[(parts[1], parts[2])][parts[3]] = notices[(parts[1], parts[2])].get(parts[3], 0) + value

    start, end = day_bounds(day, merchant.timezone)
    return Digest(
        merchant_id=merchant.merchant_id,
        merchant_name=merchant.name,
        locale=merchant.default_locale if merchant.default_locale in SUPPORTED_LOCALES else "en",
        timezone=merchant.timezone,
        day=day,
        figures=figures,
        delays_by_rule=delays_by_rule,
        daily_delays=daily,
        scorecard=scorecard[:SCORECARD_ROWS],
        notices_by_kind=[(k, c, o) for (k, c), o in sorted(notices.items())],
        escalations=sorted(escalations, key=lambda e: e.opened_at),
        alerts=[a for a in alerts if a.opened_at < end and (a.resolved_at is None or a.resolved_at >= start)],
        windows=[w for w in windows if w.starts_at < end and w.ends_at >= start],
        extra={"scorecard_scopes": len(scorecard)},
        effect_day=effect_figures(today),
        effect_week=effect_figures(
            stats.totals(r for d, rs in by_day.items() if (day - d).days < EFFECT_DAYS for r in rs)
        ),
    )


# ------------------------------------------------------------------ CSV

CSV_HEADER = ("section", "name", "carrier", "region", "value", "previous_7_day_mean")


def digest_csv(digest: Digest) -> str:
    """The digest's figures as CSV (one table: section, name, scope, value, previous week's mean)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerow(("digest", "day", "", "", digest.day.isoformat(), ""))
    writer.writerow(("digest", "merchant_id", "", "", digest.merchant_id, ""))
    for f in digest.figures:
        writer.writerow(("figure", f.key, "", "", f.value, f"{f.week_mean:.2f}"))
    for rule, n in digest.delays_by_rule:
        writer.writerow(("delays_by_rule", rule, "", "", n, ""))
    for d, n in digest.daily_delays:
        writer.writerow(("daily_delays", d.isoformat(), "", "", n, ""))
    for s in digest.scorecard:
        rate = "" if s.on_time_rate is None else f"{s.on_time_rate:.4f}"
        for name, value in (
            ("shipped", s.shipped),
            ("on_time", s.on_time),
            ("late", s.late),
            ("late_exempted", s.exempted),
            ("on_time_rate", rate),
            ("stalls", s.stalls),
            ("exceptions", s.exceptions),
        ):
            writer.writerow(("scorecard", name, s.carrier, s.region, value, ""))
    for kind, channel, outcomes in digest.notices_by_kind:
        for outcome, n in sorted(outcomes.items()):
            writer.writerow(("notices", f"{kind}#{channel}#{outcome}", "", "", n, ""))
    if digest.effect_day is not None and digest.effect_week is not None:
        for (name, value), (_, week) in zip(digest.effect_day.rows(), digest.effect_week.rows(), strict=True):
            writer.writerow(("effect", name, "", "", value, ""))
            writer.writerow(("effect", f"{name}.last_{EFFECT_DAYS}_days", "", "", week, ""))
    for e in digest.escalations:
        writer.writerow(("open_escalation", e.order_id, "", "", e.reason, e.opened_at.isoformat()))
    for a in digest.alerts:
        writer.writerow(
            ("alert", a.alert_id, "|".join(a.carriers), "|".join(a.regions), f"{a.rate:.4f}", f"{a.baseline:.4f}")
        )
    for w in digest.windows:
        scope = ("|".join(w.scope.carriers), "|".join(w.scope.regions))
        writer.writerow(
            ("window", w.window_id, *scope, w.reason.value, f"{w.starts_at.isoformat()}/{w.ends_at.isoformat()}")
        )
    return out.getvalue()


# ------------------------------------------------------------------ HTML


@lru_cache(maxsize=4)
def _environment(reports_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(reports_dir)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=4)
def strings(reports_dir: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((reports_dir / "strings.json").read_text(encoding="utf-8"))
    return data


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.0f}%"


def digest_subject(digest: Digest, reports_dir: Path) -> str:
    t = strings(reports_dir)[digest.locale]
    return t["subject"].format(merchant=digest.merchant_name, day=digest.day.isoformat())


def render_digest_html(digest: Digest, reports_dir: Path) -> str:
    """The HTML e-mail: fluid (100 % wide up to 600 px), table-based bars, no SVG, no scripts."""
    zone = ZoneInfo(digest.timezone)
    peak = max([n for _, n in digest.daily_delays] + [1])
    rule_peak = max([n for _, n in digest.delays_by_rule] + [1])

    def local(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return (
        _environment(reports_dir)
        .get_template("digest.html.j2")
        .render(
            d=digest,
            t=strings(reports_dir)[digest.locale],
            percent=_percent,
            local=local,
            bar_width=lambda n, top: max(1, round(100 * n / top)) if n else 0,
            peak=peak,
            rule_peak=rule_peak,
            headline=[digest.figure(k) for k in ("orders_paid", "delays", "exceptions", "notices_sent")],
        )
    )
