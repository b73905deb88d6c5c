"""The daily digest looked at in Chromium: 375 px (a phone) and 1280 px, light and dark, no horizontal
overflow; screenshots in tests/artifacts/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser import ARTIFACTS, chromium

from delaydesk.core.merchants import Merchant
from delaydesk.core.stats import Alert, CounterRow
from delaydesk.core.windows import SPRING_FESTIVAL_2020, parse_window
from delaydesk.operations.digest import EscalationLine, build_digest, render_digest_html

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "templates" / "reports"
DAY = date(2020, 1, 27)
SCOPES = [
    ("SF Express", "CN-HB"),
    ("ZTO", "CN-GD"),
    ("YTO Express", "CN-ZJ"),
    ("China Post EMS International Express Mail Service", "TW-TPE"),
    ("J&T", "CN-SH"),
    ("Best Express", "HK"),
]


def digest_html(locale: str) -> str:
    merchant = Merchant.model_validate(
        {
            "merchant_id": "m1",
            "name": "西湖茶舍 West Lake Tea House",
            "timezone": "Asia/Shanghai",
            "default_locale": locale,
        }
    )
    rows = []
    for d in range(8):
        for i, (carrier, region) in enumerate(SCOPES):
            counts = {
                "orders_paid": 40 - 3 * i,
                "shipped_on_time": 30 - 2 * i,
                "shipped_late_recorded": i % 3,
                "shipped_late_exempted": 4 if d > 4 else 0,
                "delays#ship_by": 1 + i % 2,
                "notices#shipment_delayed#email#sent": 3,
                "notices#shipment_delayed#sms#failed": i % 2,
                "notices#delivery_exception#email#bounced": 1 if i == 1 else 0,
                "notices#disruption_announcement#email#suppressed": 2 if i == 2 else 0,
            }
            if i < 2:  # what the notices achieved (issue 14): the effect counters
                counts |= {
                    "delayed_orders": 1 + i % 2,
                    "wismo_delayed_before": 1,
                    "wismo_delayed_after": d % 2,
                    "disputes": 1,
                    "disputes_delayed": i,
                    "reviews": 3,
                    "rating_sum": 12,
                    "reviews_delayed": 1,
                    "rating_sum_delayed": 3,
                }
            if (carrier, region) == SCOPES[0] and d >= 6:
                counts |= {"delays#stalled_in_transit": 18 * (d - 5), "exceptions#customs_delay": 3}
            rows.append(
                CounterRow("m1", datetime(2020, 1, 20, 3, tzinfo=UTC) + timedelta(days=d), carrier, region, counts)
            )
    alert = Alert(
        alert_id="al-m1-sf-express-cn-hb-2020012603",
        merchant_id="m1",
        kind="delay_spike",
        carriers=("SF Express",),
        regions=("CN-HB",),
        opened_at=datetime(2020, 1, 26, 3, tzinfo=UTC),
        resolved_at=None,
        rate=0.45,
        baseline=0.04,
        delays=36,
        orders=80,
        locale=locale,
        proposed_window={"reason": "logistics_halt"},
    )
    escalations = [
        EscalationLine(f"2020012{i}-SH-000{i}4567", "delay_over_7_days", datetime(2020, 1, 20 + i, tzinfo=UTC))
        for i in range(3)
    ]
    digest = build_digest(
        merchant,
        DAY,
        rows,
        escalations=escalations,
        alerts=[alert],
        windows=[parse_window(w) for w in SPRING_FESTIVAL_2020],
    )
    return render_digest_html(digest, REPORTS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("width", [375, 1280])
def test_the_digest_fits_the_screen_without_horizontal_scrolling(
    browser: Any, tmp_path: Path, width: int, locale: str, scheme: str
) -> None:
    page_file = tmp_path / "digest.html"
    page_file.write_text(digest_html(locale), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme, java_script_enabled=True)
    try:
        page.goto(page_file.as_uri())
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll_width <= inner_width
        card = page.evaluate(
            "(() => { const c = document.querySelector('.dd-card'); const s = getComputedStyle(c);"
            " return [c.getBoundingClientRect().width, s.backgroundColor, s.color]; })()"
        )
        assert card[0] <= min(600, width)
        effect = page.evaluate("document.body.innerText")
        assert ("What the notices achieved" if locale == "en" else "通知的效果") in effect
        background, text = (_luminance(card[1]), _luminance(card[2]))
        assert (background < text) if scheme == "dark" else (background > text)  # readable either way
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-{locale}-{width}-{scheme}.png"), full_page=True)
    finally:
        page.close()


def _luminance(css: str) -> float:
    red, green, blue = (int(part) for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
