"""The early-warning detector: thresholds, minimum volume, hysteresis, one alert per disruption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from delaydesk.core.stats import SHIPPED, CounterRow, delays
from delaydesk.core.windows import WindowRules
from delaydesk.operations.alert_thresholds import Thresholds
from delaydesk.operations.early_warning import (
    Figures,
    Reading,
    evaluate,
    figures,
    proposed_window,
    spans,
)

NOW = datetime(2020, 1, 25, 12, 0, tzinfo=UTC)
T = Thresholds()
STALL = delays("stalled_after_pickup")


def row(carrier: str, region: str, stalls: int = 0, shipped: int = 0, hour: datetime = NOW) -> CounterRow:
    counts = {k: v for k, v in {STALL: stalls, SHIPPED: shipped}.items() if v}
    return CounterRow("m", hour, carrier, region, counts)


def reading(now: list[CounterRow], usual: list[CounterRow] | None = None, days: int = 7) -> Reading:
    """``usual`` is what each of the earlier days held in the same hours."""
    return Reading(now=now, earlier=[list(usual or []) for _ in range(days)])


ORDINARY = [
    row(c, r, stalls=1 if (c, r) == ("ZTO", "CN-ZJ") else 0, shipped=12)
    for c in ("SF", "ZTO", "YTO")
    for r in ("CN-HB", "CN-ZJ", "CN-GD")
]


def test_spans_are_the_last_hours_and_the_same_hours_of_the_previous_days() -> None:
    got = spans(NOW + timedelta(minutes=5), T)
    assert got[0] == (NOW + timedelta(hours=1) - timedelta(hours=12), NOW + timedelta(hours=1))
    assert got[7] == (got[0][0] - timedelta(days=7), got[0][1] - timedelta(days=7))
    assert spans(NOW, T)[0][1] == NOW


def test_a_spike_in_one_cell_opens_one_alert_for_that_cell_only() -> None:
    now = [*ORDINARY, row("SF", "CN-HB", stalls=9)]
    (change,) = evaluate("m", "zh-CN", reading(now, ORDINARY), [], NOW)
    alert = change.alert
    assert change.state == "open"
    assert (alert.carriers, alert.regions, alert.delays, alert.orders) == (("SF",), ("CN-HB",), 9, 84)
    assert alert.rate == round(9 / 12, 4) and alert.baseline == 0.0
    assert alert.proposed_window is not None
    assert alert.proposed_window["scope"] == {"carriers": ["SF"], "regions": ["CN-HB"], "channels": []}


def test_below_the_thresholds_nothing_opens() -> None:
    # ZTO to Zhejiang stalls once per span as a rule: five is a bad day, not a spike (needs >= 1 + 3 + 3 = 7).
    assert evaluate("m", "en", reading([*ORDINARY, row("ZTO", "CN-ZJ", stalls=5)], ORDINARY), [], NOW) == []
    assert evaluate("m", "en", reading([*ORDINARY, row("ZTO", "CN-ZJ", stalls=7)], ORDINARY), [], NOW) != []
    # Minimum volume: seven delays among parcels of a scope that ships almost nothing.
    tiny = [row("EMS", "CN-XZ", shipped=2)]
    assert evaluate("m", "en", reading([row("EMS", "CN-XZ", stalls=7)], tiny), [], NOW) == []
    # Minimum delays: five stalls where there are usually none (two of three is not a spike).
    assert evaluate("m", "en", reading([*ORDINARY, row("SF", "CN-GD", stalls=5)], ORDINARY), [], NOW) == []


def test_a_busy_scope_needs_a_significant_excess() -> None:
    busy = [row("SF", "CN-GD", stalls=8, shipped=200)]
    assert evaluate("m", "en", reading([row("SF", "CN-GD", stalls=16)], busy), [], NOW) == []  # 2x is not 3x
    opened = evaluate("m", "en", reading([row("SF", "CN-GD", stalls=25)], busy), [], NOW)
    assert [c.state for c in opened] == ["open"]


def test_hysteresis_one_alert_while_it_lasts_resolved_when_back_to_normal() -> None:
    spike = [*ORDINARY, row("SF", "CN-HB", stalls=9)]
    (opened,) = evaluate("m", "en", reading(spike, ORDINARY), [], NOW)
    alert = opened.alert
    # Still high, or between the two thresholds (3 > 0 + 1 + 1): stays open, nothing new.
    assert evaluate("m", "en", reading(spike, ORDINARY), [alert], NOW + timedelta(hours=1)) == []
    half = [*ORDINARY, row("SF", "CN-HB", stalls=3)]
    assert evaluate("m", "en", reading(half, ORDINARY), [alert], NOW + timedelta(hours=6)) == []
    # Back to normal: resolved at that instant, and the scope could alert again afterwards.
    later = NOW + timedelta(hours=14)
    (resolved,) = evaluate("m", "en", reading(ORDINARY, ORDINARY), [alert], later)
    assert resolved.state == "resolved" and resolved.alert.resolved_at == later
    assert resolved.alert.alert_id == alert.alert_id


def test_the_carrier_and_region_are_not_alerted_again_for_their_cells_spike() -> None:
    spike = [*ORDINARY, row("SF", "CN-HB", stalls=30)]
    changes = evaluate("m", "en", reading(spike, ORDINARY), [], NOW)
    assert [(c.alert.carriers, c.alert.regions) for c in changes] == [(("SF",), ("CN-HB",))]
    # With the cell's alert open, a cell of the same carrier that spikes too alerts on its own.
    (open_alert,) = [c.alert for c in changes]
    more = [*spike, row("SF", "CN-GD", stalls=9)]
    (second,) = evaluate("m", "en", reading(more, ORDINARY), [open_alert], NOW + timedelta(hours=1))
    assert (second.alert.carriers, second.alert.regions) == (("SF",), ("CN-GD",))


def test_a_carrier_wide_halt_is_one_carrier_alert_once_it_is_open() -> None:
    halt = [*ORDINARY, *(row("YTO", r, stalls=5) for r in ("CN-HB", "CN-ZJ", "CN-GD"))]
    (change,) = evaluate("m", "en", reading(halt, ORDINARY), [], NOW)  # no cell reaches 6, the carrier does
    assert (change.alert.carriers, change.alert.regions) == (("YTO",), ())
    assert change.alert.proposed_window is not None
    assert change.alert.proposed_window["scope"] == {"carriers": ["YTO"], "regions": [], "channels": []}
    # Its cells are not judged while it is open.
    worse = [*ORDINARY, *(row("YTO", r, stalls=12) for r in ("CN-HB", "CN-ZJ", "CN-GD"))]
    assert evaluate("m", "en", reading(worse, ORDINARY), [change.alert], NOW + timedelta(hours=1)) == []


def test_unshipped_orders_delays_are_not_a_carrier_or_region_spike() -> None:
    unshipped = [row("unknown", "CN-HB", stalls=50)]
    assert evaluate("m", "en", reading([*ORDINARY, *unshipped], ORDINARY), [], NOW) == []


def test_the_baseline_leaves_out_the_worst_days() -> None:
    days = [[row("SF", "CN-HB", stalls=s, shipped=10)] for s in (0, 1, 0, 1, 0, 20, 30)]
    fig = figures(Reading(now=[row("SF", "CN-HB", stalls=9)], earlier=days), T)[("SF", "CN-HB")]
    assert fig == Figures(delays=9, baseline=0.4, shipped=70, days=7)


def test_the_proposed_window_uses_the_merchants_rules_and_starts_before_the_stalls() -> None:
    rules = WindowRules(ship_by="suspend", exempt_service_metrics=True)
    window = proposed_window("spike-x", "m", ("SF", "CN-HB"), NOW, rules, T)
    assert window["rules"]["ship_by"] == "suspend"
    assert window["starts_at"] == (NOW - timedelta(hours=48)).isoformat()
    assert window["ends_at"] == (NOW - timedelta(hours=48) + timedelta(days=7)).isoformat()
    assert window["window_id"] == "w-x"
    short = msgspec.structs.replace(T, window_days=2)
    assert proposed_window("spike-x", "m", ("SF", ""), NOW, None, short)["rules"]["refund_confirm_days"] == 15


def test_a_carrier_spike_made_by_one_cell_is_that_cells_alert() -> None:
    # The cell stays just under its threshold (5 < 6); with the carrier's other stalls the carrier spikes.
    now = [*ORDINARY, row("SF", "CN-HB", stalls=5), row("SF", "CN-ZJ", stalls=2)]
    (change,) = evaluate("m", "en", reading(now, ORDINARY), [], NOW)
    assert (change.alert.carriers, change.alert.regions) == (("SF",), ("CN-HB",))
