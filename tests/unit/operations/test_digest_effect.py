"""The daily digest's "What the notices achieved" section: from the effect counters of the day and the
7 days to it (never the order table), in the e-mail and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from delaydesk.core.merchants import Merchant
from delaydesk.core.stats import CounterRow
from delaydesk.operations.digest import build_digest, digest_csv, render_digest_html

REPORTS = Path(__file__).resolve().parents[3] / "templates" / "reports"
DAY = date(2020, 1, 27)
M = Merchant.model_validate(
    {"merchant_id": "m1", "name": "Tea", "timezone": "Asia/Shanghai", "default_locale": "en", "settings": {}}
)


def _row(days_before: int, **counts: int) -> CounterRow:
    at = datetime(2020, 1, 27, 2, tzinfo=UTC) - timedelta(days=days_before)  # 10:00 local
    return CounterRow("m1", at, "SF", "CN-HB", dict(counts))


ROWS = [
    _row(0, delayed_orders=4, wismo_delayed_before=3, wismo_delayed_after=1, disputes=2, disputes_delayed=1),
    _row(0, reviews=3, rating_sum=11, reviews_delayed=1, rating_sum_delayed=2),
    _row(3, delayed_orders=6, wismo_delayed_after=2, reviews=1, rating_sum=5),
    _row(7, delayed_orders=100, wismo_delayed_before=100),  # 8 days back: outside the 7 days to the day
]


def test_the_section_reads_the_day_and_the_seven_days_to_it() -> None:
    digest = build_digest(M, DAY, ROWS)
    day, week = digest.effect_day, digest.effect_week
    assert day is not None and week is not None
    assert (day.delayed_orders, day.wismo, day.wismo_per_100_delayed) == (4, 4, 100.0)
    assert (day.wismo_before, day.wismo_after, day.disputes, day.disputes_on_time) == (3, 1, 1, 1)
    assert (day.mean_rating, day.mean_rating_on_time) == (2.0, 4.5)
    assert (week.delayed_orders, week.wismo, week.wismo_per_100_delayed) == (10, 6, 60.0)
    assert week.mean_rating_on_time == 4.67  # (9 + 5) / 3


def test_no_delayed_orders_no_rate_and_no_rating() -> None:
    digest = build_digest(M, DAY, [])
    assert digest.effect_day is not None
    assert digest.effect_day.wismo_per_100_delayed is None and digest.effect_day.mean_rating is None
    html = render_digest_html(digest, REPORTS)
    assert "What the notices achieved" in html and "– / –" in html


def test_the_csv_and_the_email_carry_the_section() -> None:
    digest = build_digest(M, DAY, ROWS)
    table = [r for r in csv.DictReader(io.StringIO(digest_csv(digest))) if r["section"] == "effect"]
    values = {r["name"]: r["value"] for r in table}
    assert values["wismo_before_first_notice"] == "3" and values["wismo_before_first_notice.last_7_days"] == "3"
    assert values["wismo_per_100_delayed"] == "100.0" and values["wismo_per_100_delayed.last_7_days"] == "60.0"
    assert values["mean_rating_on_time"] == "4.5" and values["delayed_orders.last_7_days"] == "10"
    html = render_digest_html(digest, REPORTS)
    assert "asked before the first delay notice" in html and "2.0 / 4.5" in html
    zh = render_digest_html(build_digest(M.model_copy(update={"default_locale": "zh-TW"}), DAY, ROWS), REPORTS)
    assert "通知的成效" in zh and "首則延誤通知之前" in zh
