"""The arms of each holdout experiment, compared honestly (pure): ``summary.effect.experiments``.

For each experiment recorded on the orders and each arm: the orders assigned to it, and of its
*delayed* orders the same figures as ``summary.effect`` (WISMO inquiries, before and after the
first notice, per 100 delayed orders, disputes, mean rating), plus the intervals:

- ``wismo_share``: the proportion of delayed orders with at least one WISMO inquiry, with its 95 %
  **Wilson score interval**. A proportion of orders (each order yes or no) is a binomial count, the
  case the Wilson interval is for; inquiries per order are a count that can exceed one per order
  (no binomial), so ``wismo_per_100_delayed`` is given as a figure without an interval;
- ``dispute_share``: the proportion of delayed orders with at least one dispute, Wilson interval;
- ``rating``: the mean rating of the delayed orders' reviews with its standard deviation and a
  95 % Student t interval (n - 1 degrees of freedom).

Below ``MIN_DELAYED_PER_ARM`` delayed orders in either arm the experiment says ``enough_data:
false`` and ``verdict: not_enough_data``, and states no difference. With enough data it gives
the difference treatment - holdout of each share with **Newcombe's hybrid score interval**
(method 10 of Newcombe 1998, built from the two Wilson intervals) and of the mean rating with
Welch's interval; the verdict reads the WISMO share's difference: ``treatment_fewer_wismo`` or
``treatment_more_wismo`` when its interval excludes 0, else ``no_clear_difference``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

Z95 = 1.9599639845400536
"""``statistics.NormalDist().inv_cdf(0.975)``: the normal quantile of a two-sided 95 % interval. A
literal, so that importing the effect report (the admin API imports it) does not import
``statistics`` (with ``fractions`` and ``decimal``); tests/unit/operations/test_experiment_report.py
checks it against ``NormalDist``."""
MIN_DELAYED_PER_ARM = 30
"""Fewer delayed orders than this in either arm: "not enough data", no difference stated."""
ARMS = ("treatment", "holdout")
WISMO = "where_is_my_order"
DIGITS = 4

T975 = (
    12.706204736,
    4.302652730,
    3.182446305,
    2.776445105,
    2.570581836,
    2.446911851,
    2.364624252,
    2.306004135,
    2.262157163,
    2.228138852,
    2.200985160,
    2.178812830,
    2.160368656,
    2.144786688,
    2.131449546,
    2.119905299,
    2.109815578,
    2.100922040,
    2.093024054,
    2.085963447,
    2.079613845,
    2.073873068,
    2.068657610,
    2.063898562,
    2.059538553,
    2.055529439,
    2.051830516,
    2.048407142,
    2.045229642,
    2.042272456,
)
"""The 0.975 quantile of Student's t for 1 to 30 degrees of freedom (the published table)."""


class _Contact(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def topic(self) -> str | None: ...


class ArmFact(Protocol):
    """What the comparison reads of one order (``operations.effect.OrderEffect`` has it)."""

    @property
    def merchant_id(self) -> str: ...
    @property
    def delayed(self) -> bool: ...
    @property
    def first_notice_at(self) -> datetime | None: ...
    @property
    def inquiries(self) -> tuple[_Contact, ...]: ...
    @property
    def disputes(self) -> int: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def arms(self) -> tuple[tuple[str, str, str, float], ...]: ...


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": round(self.value, DIGITS), "low": round(self.low, DIGITS), "high": round(self.high, DIGITS)}


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of ``successes`` out of ``n`` (None when n is 0).

    centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) · √(p(1-p)/n + z²/4n²).
    """
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n}")
    p = successes / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At 0 or n the bound is exactly 0 or 1 (the formula gives it up to rounding).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high)


def newcombe(first: Interval, second: Interval) -> Interval:
    """The difference first - second of two independent proportions, from their Wilson intervals
    (Newcombe 1998, method 10): d - √((p1-l1)² + (u2-p2)²) to d + √((u1-p1)² + (p2-l2)²)."""
    d = first.value - second.value
    low = d - math.sqrt((first.value - first.low) ** 2 + (second.high - second.value) ** 2)
    high = d + math.sqrt((first.high - first.value) ** 2 + (second.value - second.low) ** 2)
    return Interval(d, low, high)


def t975(df: float) -> float:
    """Student's t 0.975 quantile: the table to 30 degrees of freedom, then the Cornish-Fisher
    expansion around the normal quantile (error below 1e-5 from 30 on)."""
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df <= 30:
        # Welch's fractional degrees of freedom: the whole number below (a wider, safe interval).
        return T975[math.floor(df) - 1]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


@dataclass(frozen=True)
class MeanSummary:
    n: int
    mean: float
    sd: float | None
    interval: Interval | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "mean": round(self.mean, DIGITS),
            "sd": None if self.sd is None else round(self.sd, DIGITS),
            "low": None if self.interval is None else round(self.interval.low, DIGITS),
            "high": None if self.interval is None else round(self.interval.high, DIGITS),
        }


def mean_interval(values: list[int]) -> MeanSummary | None:
    """Mean, sample standard deviation and the t interval (None without values; no interval for one)."""
    n = len(values)
    if n == 0:
        return None
    mean = sum(values) / n
    if n == 1:
        return MeanSummary(1, mean, None, None)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return MeanSummary(n, mean, sd, Interval(mean, mean - half, mean + half))


def welch(first: MeanSummary, second: MeanSummary) -> Interval | None:
    """The difference of two means with Welch's interval (None unless each has a deviation)."""
    if first.sd is None or second.sd is None:
        return None
    a, b = first.sd**2 / first.n, second.sd**2 / second.n
    d = first.mean - second.mean
    if a + b == 0:
        return Interval(d, d, d)
    df = (a + b) ** 2 / (a**2 / (first.n - 1) + b**2 / (second.n - 1))
    half = t975(df) * math.sqrt(a + b)
    return Interval(d, d - half, d + half)


@dataclass
class Tally:
    """The WISMO inquiries (split at the first notice), disputes and ratings of a group of orders:
    the delayed arm of an experiment here, and ``summary.effect``'s two groups (operations/effect.py)."""

    orders: int = 0
    wismo: int = 0
    before: int = 0
    after: int = 0
    disputes: int = 0
    ratings: list[int] = field(default_factory=list)

    def add(self, fact: ArmFact) -> int:
        """Count one order's facts; returns its WISMO inquiries."""
        self.orders += 1
        self.disputes += fact.disputes
        if fact.rating is not None:
            self.ratings.append(fact.rating)
        asked = 0
        for inquiry in fact.inquiries:
            if inquiry.topic != WISMO:
                continue
            asked += 1
            if fact.first_notice_at is not None and inquiry.at >= fact.first_notice_at:
                self.after += 1
            else:
                self.before += 1
        self.wismo += asked
        return asked


@dataclass
class _Arm:
    orders: int = 0
    tally: Tally = field(default_factory=Tally)
    """The arm's delayed orders."""
    with_wismo: int = 0
    with_dispute: int = 0

    @property
    def delayed(self) -> int:
        return self.tally.orders

    def add(self, fact: ArmFact) -> None:
        self.orders += 1
        if not fact.delayed:
            return
        self.with_wismo += self.tally.add(fact) > 0
        self.with_dispute += fact.disputes > 0

    def figures(self, arm: str) -> dict[str, Any]:
        wismo_share, dispute_share = wilson(self.with_wismo, self.delayed), wilson(self.with_dispute, self.delayed)
        tally = self.tally
        rating = mean_interval(tally.ratings)
        return {
            "arm": arm,
            "orders": self.orders,
            "delayed_orders": self.delayed,
            "wismo_inquiries": tally.wismo,
            "wismo_per_100_delayed": round(100 * tally.wismo / self.delayed, 2) if self.delayed else None,
            "wismo_before_first_notice": tally.before,
            "wismo_after_first_notice": tally.after,
            "delayed_with_wismo": self.with_wismo,
            "wismo_share": wismo_share.as_dict() if wismo_share else None,
            "disputes": tally.disputes,
            "delayed_with_dispute": self.with_dispute,
            "dispute_share": dispute_share.as_dict() if dispute_share else None,
            "mean_rating": round(rating.mean, 2) if rating else None,
            "reviews": len(tally.ratings),
            "rating": rating.as_dict() if rating else None,
        }


def _compare(arms: Mapping[str, _Arm]) -> dict[str, Any]:
    treatment, holdout = arms["treatment"], arms["holdout"]
    out: dict[str, Any] = {}
    for name, first, second in (
        ("wismo_share", wilson(treatment.with_wismo, treatment.delayed), wilson(holdout.with_wismo, holdout.delayed)),
        (
            "dispute_share",
            wilson(treatment.with_dispute, treatment.delayed),
            wilson(holdout.with_dispute, holdout.delayed),
        ),
    ):
        assert first is not None and second is not None  # enough delayed orders in each arm
        out[name] = newcombe(first, second).as_dict()
    means = mean_interval(treatment.tally.ratings), mean_interval(holdout.tally.ratings)
    rating = welch(means[0], means[1]) if means[0] and means[1] else None
    out["mean_rating"] = rating.as_dict() if rating else None
    return out


def _verdict(difference: Mapping[str, Any]) -> str:
    wismo = difference["wismo_share"]
    if wismo["high"] < 0:
        return "treatment_fewer_wismo"
    if wismo["low"] > 0:
        return "treatment_more_wismo"
    return "no_clear_difference"


def experiment_figures(facts: Iterable[ArmFact], floor: int = MIN_DELAYED_PER_ARM) -> list[dict[str, Any]]:
    """Each experiment recorded on the orders, its two arms with their figures, and the comparison.
    An experiment is its merchant's: two merchants' experiments with one id are two experiments."""
    arms: dict[tuple[str, str], dict[str, _Arm]] = {}
    declared: dict[tuple[str, str], tuple[str, float]] = {}
    for fact in facts:
        for experiment_id, arm, holds_out, share in fact.arms:
            key = (fact.merchant_id, experiment_id)
            arms.setdefault(key, {name: _Arm() for name in ARMS})[arm].add(fact)
            declared.setdefault(key, (holds_out, share))
    out = []
    for key in sorted(arms):
        merchant_id, experiment_id = key
        groups = arms[key]
        enough = all(group.delayed >= floor for group in groups.values())
        difference = _compare(groups) if enough else None
        out.append(
            {
                "experiment_id": experiment_id,
                "merchant_id": merchant_id,
                "holds_out": declared[key][0],
                "holdout_share": declared[key][1],
                "min_delayed_per_arm": floor,
                "enough_data": enough,
                "verdict": _verdict(difference) if difference else "not_enough_data",
                "arms": [groups[name].figures(name) for name in ARMS],
                "difference": difference,
            }
        )
    return out


ROW_FIGURES = (
    "orders",
    "delayed_orders",
    "wismo_inquiries",
    "wismo_per_100_delayed",
    "wismo_before_first_notice",
    "wismo_after_first_notice",
    "delayed_with_wismo",
    "disputes",
    "delayed_with_dispute",
    "mean_rating",
    "reviews",
)


def _interval_text(found: Mapping[str, Any] | None, value: str = "value") -> str:
    if not found:
        return ""
    if found.get("low") is None:
        return f"{found[value]}"
    return f"{found[value]} [{found['low']}, {found['high']}]"


def experiment_rows(experiments: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The comparison as (figure, value) rows for ``report effect`` (text and CSV)."""
    rows: list[tuple[str, str]] = []
    for experiment in experiments:
        head = f"experiments.{experiment['merchant_id']}.{experiment['experiment_id']}"
        rows.append((f"{head}.holds_out", f"{experiment['holds_out']} from {experiment['holdout_share'] * 100:g}%"))
        rows.append((f"{head}.verdict", experiment["verdict"]))
        for arm in experiment["arms"]:
            prefix = f"{head}.{arm['arm']}"
            rows += [(f"{prefix}.{name}", "" if arm[name] is None else str(arm[name])) for name in ROW_FIGURES]
            rows.append((f"{prefix}.wismo_share_95", _interval_text(arm["wismo_share"])))
            rows.append((f"{prefix}.dispute_share_95", _interval_text(arm["dispute_share"])))
            rows.append((f"{prefix}.rating_mean_95", _interval_text(arm["rating"], "mean")))
        difference = experiment["difference"]
        if difference is None:
            rows.append(
                (
                    f"{head}.difference",
                    f"not enough data (fewer than {experiment['min_delayed_per_arm']} delayed orders in an arm)",
                )
            )
            continue
        for name in ("wismo_share", "dispute_share", "mean_rating"):
            rows.append((f"{head}.difference.{name}_95", _interval_text(difference[name])))
    return rows
