"""The arms of a holdout experiment compared (pure): Wilson, Newcombe and t intervals against
published values, "not enough data" below the floor, and the report's rows."""

from __future__ import annotations

from datetime import timedelta
from statistics import NormalDist

import pytest
from conftest import instant

from delaydesk.core.orders import Contact
from delaydesk.operations.effect import OrderEffect, effect_figures, effect_rows
from delaydesk.operations.experiments import (
    MIN_DELAYED_PER_ARM,
    Z95,
    experiment_figures,
    mean_interval,
    newcombe,
    t975,
    welch,
    wilson,
)

AT = instant("2020-01-21T10:00:00+08:00")


def test_the_95_quantile_is_the_normal_distributions() -> None:
    assert NormalDist().inv_cdf(0.975) == Z95


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17:857,
        # Table I, method 3 (score, no continuity correction); and the textbook 0/10, 5/10, 10/10.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_matches_the_published_intervals(successes: int, n: int, low: float, high: float) -> None:
    found = wilson(successes, n)
    assert found is not None
    assert (round(found.low, 4), round(found.high, 4)) == (low, high)
    assert found.value == successes / n


def test_wilson_is_exact_at_the_edges_and_refuses_nonsense() -> None:
    assert wilson(0, 0) is None
    zero, every = wilson(0, 7), wilson(7, 7)
    assert zero is not None and every is not None
    assert zero.low == 0.0 and every.high == 1.0
    with pytest.raises(ValueError, match="8 successes out of 7"):
        wilson(8, 7)


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [
        # Newcombe (1998), "Interval estimation for the difference between independent proportions",
        # Stat Med 17:873, Table II, method 10 (hybrid score, no continuity correction).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
    ],
)
def test_newcombe_matches_the_published_differences(a: int, m: int, b: int, n: int, low: float, high: float) -> None:
    first, second = wilson(a, m), wilson(b, n)
    assert first is not None and second is not None
    found = newcombe(first, second)
    assert (round(found.low, 4), round(found.high, 4)) == (low, high)
    assert found.value == pytest.approx(a / m - b / n)


@pytest.mark.parametrize(
    ("df", "quantile"),
    [(1, 12.7062), (5, 2.5706), (10, 2.2281), (30, 2.0423), (40, 2.0211), (60, 2.0003), (120, 1.9799)],
)
def test_student_t_quantiles(df: int, quantile: float) -> None:
    assert round(t975(df), 4) == quantile


def test_the_mean_rating_interval() -> None:
    found = mean_interval([1, 2, 3, 4, 5])
    assert found is not None and found.interval is not None
    # mean 3, sd sqrt(2.5) = 1.5811, half-width t(4) 2.7764 * 1.5811 / sqrt(5) = 1.9632
    assert (found.n, found.mean, round(found.sd or 0, 4)) == (5, 3.0, 1.5811)
    assert (round(found.interval.low, 4), round(found.interval.high, 4)) == (1.0368, 4.9632)
    single = mean_interval([4])
    assert single is not None and single.sd is None and single.interval is None
    assert mean_interval([]) is None
    other = mean_interval([4, 5, 5, 4, 5, 3])
    assert other is not None
    difference = welch(other, found)
    assert difference is not None and difference.low < difference.value < difference.high


def _fact(
    order_id: str, arm: str, *, delayed: bool = True, wismo: int = 0, disputes: int = 0, rating: int | None = None
) -> OrderEffect:
    asked = tuple(Contact(at=AT + timedelta(hours=i), topic="where_is_my_order") for i in range(wismo))
    return OrderEffect(
        order_id=order_id,
        merchant_id="m",
        delayed=delayed,
        first_notice_at=AT + timedelta(minutes=30),
        inquiries=(*asked, Contact(at=AT, topic="refund")),
        disputes=disputes,
        rating=rating,
        arms=(("updates", arm, "staged_updates", 0.5),),
    )


def _facts(per_arm: int) -> list[OrderEffect]:
    facts = []
    for i in range(per_arm):
        # Treatment: 1 in 5 delayed orders asks once; holdout: 3 in 5 ask (twice each).
        facts.append(_fact(f"T-{i}", "treatment", wismo=1 if i % 5 == 0 else 0, rating=4 + (i % 2)))
        facts.append(
            _fact(
                f"H-{i}", "holdout", wismo=2 if i % 5 < 3 else 0, disputes=1 if i % 10 == 0 else 0, rating=2 + (i % 3)
            )
        )
    facts.append(_fact("T-on-time", "treatment", delayed=False, wismo=1))
    return facts


def test_below_the_floor_the_arms_are_shown_and_no_difference_is_claimed() -> None:
    (experiment,) = experiment_figures(_facts(MIN_DELAYED_PER_ARM - 1))
    assert (experiment["enough_data"], experiment["verdict"], experiment["difference"]) == (
        False,
        "not_enough_data",
        None,
    )
    treatment, holdout = experiment["arms"]
    assert (treatment["arm"], treatment["orders"], treatment["delayed_orders"]) == ("treatment", 30, 29)
    assert (holdout["arm"], holdout["orders"], holdout["delayed_orders"]) == ("holdout", 29, 29)
    # Treatment: 6 of 29 delayed orders asked (i = 0, 5, ..., 25); holdout: 18 of 29 asked, twice each.
    assert (treatment["delayed_with_wismo"], treatment["wismo_inquiries"]) == (6, 6)
    assert (holdout["delayed_with_wismo"], holdout["wismo_inquiries"]) == (18, 36)
    assert holdout["wismo_per_100_delayed"] == 124.14
    assert (holdout["wismo_before_first_notice"], holdout["wismo_after_first_notice"]) == (18, 18)
    assert treatment["wismo_share"] == {"value": 0.2069, "low": 0.0985, "high": 0.3839}
    assert (holdout["disputes"], holdout["delayed_with_dispute"]) == (3, 3)
    assert treatment["dispute_share"] == {"value": 0.0, "low": 0.0, "high": 0.117}
    assert treatment["rating"]["n"] == 29 and treatment["mean_rating"] == 4.48


def test_with_enough_data_the_difference_has_its_interval_and_a_verdict() -> None:
    (experiment,) = experiment_figures(_facts(MIN_DELAYED_PER_ARM))
    assert experiment["enough_data"] is True
    difference = experiment["difference"]
    # 6/30 - 18/30 = -0.4, Newcombe from the two Wilson intervals: entirely below 0.
    assert difference["wismo_share"]["value"] == -0.4
    assert difference["wismo_share"]["high"] < 0
    assert experiment["verdict"] == "treatment_fewer_wismo"
    assert difference["dispute_share"]["low"] < 0 < difference["dispute_share"]["high"]
    assert difference["mean_rating"]["low"] > 0  # 4.5 against 3.0
    # And the other way round: no clear difference when the arms ask alike.
    alike = [f for f in _facts(MIN_DELAYED_PER_ARM) if f.arms[0][1] == "treatment"]
    mirrored = alike + [
        OrderEffect(
            **{**vars(f), "order_id": f"H{f.order_id}", "arms": (("updates", "holdout", "staged_updates", 0.5),)}
        )
        for f in alike
    ]
    (same,) = experiment_figures(mirrored)
    assert same["verdict"] == "no_clear_difference" and same["difference"]["wismo_share"]["value"] == 0.0


def test_summary_effect_lists_each_experiment_and_the_report_rows_show_it() -> None:
    effect = effect_figures(_facts(MIN_DELAYED_PER_ARM - 1))
    assert effect["delayed_orders"] == 58  # the overall figures are unchanged by the experiment
    assert [e["experiment_id"] for e in effect["experiments"]] == ["updates"]
    rows = dict(effect_rows(effect))
    assert rows["experiments.m.updates.holds_out"] == "staged_updates from 50%"
    assert rows["experiments.m.updates.verdict"] == "not_enough_data"
    assert rows["experiments.m.updates.treatment.delayed_orders"] == "29"
    assert rows["experiments.m.updates.treatment.wismo_share_95"] == "0.2069 [0.0985, 0.3839]"
    assert rows["experiments.m.updates.difference"].startswith("not enough data (fewer than 30 delayed orders")
    assert effect_figures([])["experiments"] == []


def test_two_merchants_experiments_with_one_id_are_two_experiments() -> None:
    first = _facts(MIN_DELAYED_PER_ARM)
    second = [OrderEffect(**{**vars(f), "merchant_id": "other", "order_id": f"O{f.order_id}"}) for f in first[:10]]
    found = experiment_figures(first + second)
    assert [(e["merchant_id"], e["experiment_id"]) for e in found] == [("m", "updates"), ("other", "updates")]
    assert sum(a["orders"] for a in found[0]["arms"]) == len(first)
    assert sum(a["orders"] for a in found[1]["arms"]) == 10 and found[1]["verdict"] == "not_enough_data"
