"""The daily digest's figures, CSV and HTML (pure)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from delaydesk.core.merchants import Merchant
from delaydesk.core.stats import Alert, CounterRow
from delaydesk.core.windows import SPRING_FESTIVAL_2020, parse_window
from delaydesk.operations.digest import (
    EscalationLine,
    build_digest,
    day_bounds,
    digest_csv,
    digest_span,
    digest_subject,
    due_day,
    render_digest_html,
)

REPORTS = Path(__file__).resolve().parents[3] / "templates" / "reports"
DAY = date(2020, 1, 27)


def merchant(locale: str = "zh-CN", **settings: Any) -> Merchant:
    return Merchant.model_validate(
        {
            "merchant_id": "m1",
            "name": "湖北茶铺",
            "timezone": "Asia/Shanghai",
            "default_locale": locale,
            "settings": {"ops_email": "ops@shop.example", **settings},
        }
    )


def row(at: datetime, carrier: str, region: str, **counts: int) -> CounterRow:
    return CounterRow("m1", at, carrier, region, {k.replace("__", "#"): v for k, v in counts.items()})


def rows() -> list[CounterRow]:
    out = []
    for d in range(8):  # 2020-01-20 .. 2020-01-27, local days (UTC+8): 02:00 UTC is 10:00 local
        at = datetime(2020, 1, 20, 2, tzinfo=UTC) + timedelta(days=d)
        out.append(
            row(at, "ZTO", "CN-GD", orders_paid=10, shipped_on_time=9, shipped_late_recorded=1, delays__ship_by=1)
        )
        out.append(row(at, "SF Express", "CN-HB", orders_paid=4, shipped_on_time=4))
    last = datetime(2020, 1, 27, 15, 30, tzinfo=UTC)  # 23:30 local: still the 27th
    out += [
        row(
            last,
            "SF Express",
            "CN-HB",
            delays__stalled_in_transit=6,
            exceptions__customs_delay=2,
            shipped_late_exempted=3,
        ),
        row(
            last,
            "SF Express",
            "CN-HB",
            notices__in_transit_delayed__email__sent=5,
            notices__in_transit_delayed__email__bounced=1,
        ),
        row(
            datetime(2020, 1, 27, 16, tzinfo=UTC), "SF Express", "CN-HB", delays__stalled_in_transit=50
        ),  # the 28th local
        CounterRow("m2", last, "SF Express", "CN-HB", {"delays#stalled_in_transit": 99}),  # another merchant
    ]
    return out


def alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "alert_id": "al-1",
        "merchant_id": "m1",
        "kind": "delay_spike",
        "carriers": ("SF Express",),
        "regions": ("CN-HB",),
        "opened_at": datetime(2020, 1, 27, 12, tzinfo=UTC),
        "resolved_at": None,
        "rate": 0.5,
        "baseline": 0.02,
        "delays": 6,
        "orders": 12,
        "locale": "zh-CN",
        "proposed_window": {"reason": "logistics_halt", "starts_at": "2020-01-27T00:00:00+00:00"},
    }
    values.update(changes)
    return Alert(**values)


def test_figures_compare_the_day_with_the_previous_weeks_daily_mean() -> None:
    digest = build_digest(merchant(), DAY, rows())
    assert digest.figure("orders_paid").value == 14 and digest.figure("orders_paid").trend == 0
    delays = digest.figure("delays")
    assert (delays.value, delays.week_mean) == (7, 1.0) and delays.trend == pytest.approx(6.0)
    assert digest.figure("exceptions").value == 2 and digest.figure("exceptions").trend is None
    assert digest.figure("shipped_late_exempted").value == 3
    assert (digest.figure("notices_sent").value, digest.figure("notices_bounced").value) == (5, 1)
    assert digest.delays_by_rule == [("stalled_in_transit", 6), ("ship_by", 1)]
    assert digest.daily_delays[0] == (date(2020, 1, 20), 1) and digest.daily_delays[-1] == (DAY, 7)


def test_the_scorecard_leaves_window_exempted_shipments_out_of_the_on_time_rate() -> None:
    digest = build_digest(merchant(), DAY, rows())
    sf, zto = digest.scorecard
    assert (sf.carrier, sf.region, sf.shipped, sf.on_time_rate, sf.stalls, sf.exceptions) == (
        "SF Express",
        "CN-HB",
        7,
        1.0,
        6,
        2,
    )
    assert (zto.carrier, zto.shipped, zto.on_time_rate, zto.stalls) == ("ZTO", 10, 0.9, 0)


def test_alerts_and_windows_are_those_of_the_day() -> None:
    windows = [parse_window(w) for w in SPRING_FESTIVAL_2020]
    later = alert(alert_id="al-2", opened_at=datetime(2020, 1, 28, 1, tzinfo=UTC))
    gone = alert(
        alert_id="al-0", opened_at=datetime(2020, 1, 20, tzinfo=UTC), resolved_at=datetime(2020, 1, 21, tzinfo=UTC)
    )
    digest = build_digest(merchant(), DAY, rows(), alerts=[alert(), later, gone], windows=windows)
    assert [a.alert_id for a in digest.alerts] == ["al-1"]
    assert [w.window_id for w in digest.windows] == [w.window_id for w in windows]
    assert build_digest(merchant(), date(2020, 3, 1), rows(), windows=windows).windows == []


def test_the_morning_hour_makes_yesterdays_digest_due() -> None:
    m = merchant(digest_hour=8)
    assert due_day(m, datetime(2020, 1, 27, 23, 30, tzinfo=UTC)) is None  # 07:30 local on the 28th
    assert due_day(m, datetime(2020, 1, 28, 0, 0, tzinfo=UTC)) == DAY  # 08:00 local
    assert due_day(m, datetime(2020, 1, 28, 15, 0, tzinfo=UTC)) == DAY  # 23:00 local: still due (a retry)
    assert due_day(merchant(ops_email=None), datetime(2020, 1, 28, 0, tzinfo=UTC)) is None
    assert day_bounds(DAY, "Asia/Shanghai") == (
        datetime(2020, 1, 26, 16, tzinfo=UTC),
        datetime(2020, 1, 27, 16, tzinfo=UTC),
    )
    assert digest_span(DAY, "Asia/Shanghai") == (
        datetime(2020, 1, 19, 16, tzinfo=UTC),
        datetime(2020, 1, 27, 16, tzinfo=UTC),
    )


def test_the_csv_holds_the_same_figures() -> None:
    digest = build_digest(
        merchant(),
        DAY,
        rows(),
        escalations=[EscalationLine("o-1", "delay_over_7_days", datetime(2020, 1, 25, tzinfo=UTC))],
    )
    table = list(csv.reader(io.StringIO(digest_csv(digest))))
    assert table[0] == ["section", "name", "carrier", "region", "value", "previous_7_day_mean"]
    assert ["figure", "delays", "", "", "7", "1.00"] in table
    assert ["scorecard", "on_time_rate", "ZTO", "CN-GD", "0.9000", ""] in table
    assert ["notices", "in_transit_delayed#email#bounced", "", "", "1", ""] in table
    assert ["open_escalation", "o-1", "", "", "delay_over_7_days", "2020-01-25T00:00:00+00:00"] in table


@pytest.mark.parametrize(
    ("locale", "phrases"),
    [
        ("zh-CN", ["每日简报", "新增延误", "承运商 × 地区 评分", "运输中停滞"]),
        ("zh-TW", ["每日摘要", "新增延誤", "物流商 × 地區 評分", "運送中停滯"]),
        ("en", ["Daily digest", "New delays", "Carrier × region scorecard", "Stalled in transit"]),
    ],
)
def test_the_html_reads_in_the_merchants_locale_without_svg_or_scripts(locale: str, phrases: list[str]) -> None:
    digest = build_digest(merchant(locale), DAY, rows(), alerts=[alert()])
    html = render_digest_html(digest, REPORTS)
    for phrase in phrases:
        assert phrase in html
    assert "<svg" not in html and "<script" not in html and "<img" not in html
    assert "max-width:600px" in html and "prefers-color-scheme: dark" in html
    assert "delaydesk windows declare --from-alert al-1" in html
    assert digest.day.isoformat() in digest_subject(digest, REPORTS)


def test_merchant_names_are_escaped() -> None:
    m = merchant("en").model_copy(update={"name": "<b>Shop</b>"})
    assert "&lt;b&gt;Shop&lt;/b&gt;" in render_digest_html(build_digest(m, DAY, []), REPORTS)
