"""The customer's side in a real browser: Chromium (Debian's) driven by Playwright, against
``delaydesk serve`` replaying tests/e2e/scenarios/customer_page.json (one server and one browser
for the whole module).

The order page and its choices end to end (link → confirm → POST → 303 → result page → the order
as it now is), no horizontal overflow at 375 and 1280 px for every page and for every e-mail kind
× locale, lang, visible focus and WCAG AA contrast of the text actually rendered. Screenshots go to
tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import ARTIFACTS, chromium

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices import templates_admin

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).parent / "scenarios" / "customer_page.json"
WIDTHS = (375, 1280)
ORDERS = (
    "CP-LATE-CN",
    "CP-LATE-EN",
    "CP-TRANSIT-TW",
    "CP-DELIVERED-EN",
    "CP-EXCEPTION-CN",
    "CP-ONTIME-EN",
    "CP-LATE-DE",
    "CP-PERIOD-FR",
)

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
CONTRAST = """() => {
  const rgb = s => { const m = s.match(/[\\d.]+/g).map(Number); return m.length > 3 ? m : [...m, 1]; };
  const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
    if (c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const worst = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none') continue;
    const a = lum(rgb(s.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) worst.push(`${el.tagName} "${text}" ${ratio.toFixed(2)}`);
  }
  return worst;
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``delaydesk serve`` on a free port (``--port 0``); yields its base URL; Ctrl-C at the end."""
    log = tmp_path_factory.mktemp("serve") / "requests.log"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "delaydesk.cli", "serve", str(SCENARIO), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            deadline = time.monotonic() + 600
            url = None
            while url is None and time.monotonic() < deadline:
                line = process.stdout.readline()
                if not line:
                    break
                found = re.match(r"serving (http://127\.0\.0\.1:\d+)$", line.strip())
                url = found.group(1) if found else None
            assert url, f"serve did not start: {log.read_text()[-2000:]}"
            yield url
        finally:
            process.send_signal(signal.SIGINT)  # Ctrl-C: the server stops cleanly
            try:
                assert process.wait(timeout=60) == 0
            finally:
                if process.poll() is None:
                    process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def _shown(locator: Any) -> None:
    """Visible, waiting for the navigation a form post (303) or a link started."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()


def _links(tab: Any, served: str) -> dict[str, str]:
    tab.goto(served + "/")
    return {a.inner_text(): a.get_attribute("href") for a in tab.locator("table a").all()}


def _check_fits(browser: Any, url: str | None, name: str, html: str | None = None) -> None:
    """At 375 and 1280 px: no horizontal overflow, a lang, readable contrast; a full-page screenshot."""
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        if url is not None:
            page.goto(url)
        else:
            page.set_content(html or "")
        assert page.evaluate(OVERFLOW) <= 0, f"{name} overflows at {width} px"
        assert page.locator("html").get_attribute("lang"), name
        assert page.evaluate(CONTRAST) == [], f"{name} at {width} px: text below WCAG AA contrast"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        context.close()


def test_the_index_lists_every_order_with_its_signed_link(tab: Any, served: str) -> None:
    links = _links(tab, served)
    assert sorted(links) == sorted(ORDERS)
    assert all(re.fullmatch(r"/dev/orders/[\w-]+\?t=[\w-]{12}", href) for href in links.values())
    assert "served without SigV4" in tab.content()


def test_serve_routes_every_template_route_and_marks_the_admin_ones(served: str) -> None:
    import json
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(served + "/dev/admin/windows") as answer:  # an AWS_IAM route, unsigned
        assert answer.status == 200 and json.load(answer) == {"windows": []}
        assert answer.headers["X-DelayDesk-Local-Auth"] == "AWS_IAM route served without SigV4 (local only)"
    with urllib.request.urlopen(served + "/admin/windows") as answer:  # the stage prefix is optional
        assert answer.status == 200
    with pytest.raises(urllib.error.HTTPError) as unrouted:
        urllib.request.urlopen(served + "/dev/no/such/route")
    assert unrouted.value.code == 404
    webhook = urllib.request.Request(served + "/dev/webhooks/generic", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as unsigned:  # routed to receive_webhook, which refuses it
        urllib.request.urlopen(webhook)
    assert unsigned.value.code in (400, 401, 403)


@pytest.mark.parametrize("order_id", ORDERS)
def test_every_order_page_fits_a_phone_and_a_desktop(browser: Any, tab: Any, served: str, order_id: str) -> None:
    href = _links(tab, served)[order_id]
    _check_fits(browser, served + href, f"page-{order_id}")


def test_a_late_order_is_cancelled_from_the_page_without_javascript(browser: Any, tab: Any, served: str) -> None:
    tab.goto(served + _links(tab, served)["CP-LATE-CN"])
    assert tab.locator("html").get_attribute("lang") == "zh-CN"
    assert tab.locator("#status").inner_text() == "已延误：暂未发货"
    assert tab.locator("#estimate").inner_text().startswith("预计送达：")
    assert tab.locator("#notices details").get_attribute("open") is None  # the history is folded
    tab.get_by_role("link", name="取消订单").click()
    _shown(tab.get_by_role("heading", name="确定取消订单吗？"))
    _check_fits(browser, tab.url, "confirm-cancel-CP-LATE-CN")
    tab.get_by_role("button", name="确定取消订单").click()  # a form POST, then 303 to the result
    _shown(tab.get_by_role("heading", name="已提交取消申请"))
    assert "done=cancel" in tab.url
    _check_fits(browser, tab.url, "result-cancel-CP-LATE-CN")
    tab.get_by_role("link", name="返回订单").click()
    assert tab.locator("#status").inner_text() == "已取消"  # serve ran the scan: granted, refunded
    assert "¥128.00" in tab.locator("#cancel-state").inner_text()
    assert tab.locator("#choices").count() == 0
    tab.go_back()
    tab.go_back()  # the confirm page again: the choice is gone, so the order page says so
    assert tab.locator("#choices").count() == 0 and tab.locator("form").count() == 0
    assert tab.locator("#not-open").is_visible()


def test_a_us_buyer_accepts_the_delay_then_still_cancels(browser: Any, tab: Any, served: str) -> None:
    """A US order (16 CFR 435): the delay option's two answers, wait (express consent, until the
    automatic cancellation) and cancel, each with its confirm and result page."""
    tab.goto(served + _links(tab, served)["CP-LATE-EN"])
    assert tab.locator("#status").inner_text() == "Late: not shipped yet"
    assert tab.locator("#wait-until").inner_text().startswith("Please answer by")
    tab.get_by_role("link", name="Wait for it").click()
    _check_fits(browser, tab.url, "confirm-wait-CP-LATE-EN")
    tab.get_by_role("button", name="Yes, I will wait").click()
    _shown(tab.get_by_role("heading", name="Thank you for waiting"))
    _check_fits(browser, tab.url, "result-wait-CP-LATE-EN")
    tab.get_by_role("link", name="Back to your order").click()
    assert tab.locator("#waiting").inner_text().startswith("You chose to wait on")
    assert tab.locator("#choice-wait").count() == 0  # consent is given once (delay.accepted)
    tab.get_by_role("link", name="Cancel my order").click()
    tab.get_by_role("button", name="Yes, cancel my order").click()
    _shown(tab.get_by_role("heading", name="Cancellation requested"))
    tab.get_by_role("link", name="Back to your order").click()
    assert tab.locator("#status").inner_text() == "Cancelled"
    assert "$59.90" in tab.locator("#cancel-state").inner_text()
    assert tab.locator("#choices").count() == 0


def test_an_eu_buyer_sets_an_additional_period_with_a_bounded_date(browser: Any, tab: Any, served: str) -> None:
    """An EU order (Directive 2011/83/EU art. 18(2)), late: wait, cancel, or a final date for delivery."""
    tab.goto(served + _links(tab, served)["CP-LATE-DE"])
    assert tab.locator("#status").inner_text() == "Late: not shipped yet"
    kinds = [c.get_attribute("id") for c in tab.locator("#choices .choice").all()]
    assert kinds == ["choice-wait", "choice-cancel", "choice-additional_period"]
    tab.get_by_role("link", name="Set a final date").click()
    _shown(tab.get_by_role("heading", name="Set a final date for delivery?"))
    date = tab.get_by_label("Deliver by (the end of this day)")
    first, last = date.get_attribute("min"), date.get_attribute("max")
    assert first and last and first < (date.get_attribute("value") or "") <= last
    assert date.get_attribute("required") is not None and date.get_attribute("type") == "date"
    _check_fits(browser, tab.url, "confirm-additional_period-CP-LATE-DE")
    date.fill("2020-02-14")
    tab.get_by_role("button", name="Set this date").click()  # a form POST (until=…), then 303
    _shown(tab.get_by_role("heading", name="Final date received"))
    assert "done=additional_period" in tab.url
    _check_fits(browser, tab.url, "result-additional_period-CP-LATE-DE")
    tab.get_by_role("link", name="Back to your order").click()
    assert "Feb 14, 2020" in tab.locator("#additional-period-until").inner_text()
    assert tab.locator("#not-open").count() == 0


def test_an_eu_buyer_terminates_once_the_additional_period_passed(browser: Any, tab: Any, served: str) -> None:
    """The period the buyer set has passed undelivered: ending the purchase replaces wait-or-cancel."""
    tab.goto(served + _links(tab, served)["CP-PERIOD-FR"])
    kinds = [c.get_attribute("id") for c in tab.locator("#choices .choice").all()]
    assert kinds == ["choice-terminate"]
    tab.get_by_role("link", name="End the purchase").click()
    _shown(tab.get_by_role("heading", name="End the purchase?"))
    _check_fits(browser, tab.url, "confirm-terminate-CP-PERIOD-FR")
    tab.get_by_role("button", name="Yes, end the purchase").click()
    _shown(tab.get_by_role("heading", name="Purchase ended"))
    assert "done=terminate" in tab.url
    _check_fits(browser, tab.url, "result-terminate-CP-PERIOD-FR")
    tab.get_by_role("link", name="Back to your order").click()
    assert tab.locator("#status").inner_text() == "Cancelled"  # serve ran the scan: terminated, refunded
    assert "€42.00" in tab.locator("#cancel-state").inner_text()
    assert tab.locator("#choices").count() == 0


def test_a_delivered_order_is_returned_and_a_shipped_one_offers_nothing(tab: Any, served: str) -> None:
    links = _links(tab, served)
    tab.goto(served + links["CP-DELIVERED-EN"])
    assert tab.locator("#status").inner_text() == "Delivered"
    tab.get_by_role("link", name="Return my order").click()
    tab.get_by_role("button", name="Yes, return it").click()
    _shown(tab.get_by_role("heading", name="Return requested"))
    tab.get_by_role("link", name="Back to your order").click()
    assert tab.locator("#return-state").is_visible() and tab.locator("#choices").count() == 0
    tab.goto(served + links["CP-TRANSIT-TW"])
    assert tab.locator("#status").inner_text() == "運送中，但有延誤"
    assert tab.locator("#choices").count() == 0  # shipped: nothing to choose, and its e-mail promised nothing


def test_focus_is_visible_on_every_control(browser: Any, served: str, tab: Any) -> None:
    href = _links(tab, served)["CP-ONTIME-EN"]
    tab.goto(served + href)
    seen = 0
    for _ in range(12):
        tab.keyboard.press("Tab")
        style = tab.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }"
        )
        if style[0] in ("A", "BUTTON", "SUMMARY"):
            seen += 1
            assert style[1] != "none" and style[2] != "0px", style
    assert seen >= 3


def test_a_bad_link_gets_a_helpful_page_not_an_error(browser: Any, served: str) -> None:
    for name, path in (("wrong-token", "/dev/orders/CP-LATE-EN?t=AAAAAAAAAAAA"), ("no-order", "/dev/orders/X")):
        context = browser.new_context(locale="en-US")
        page = context.new_page()
        answer = page.goto(served + path)
        assert answer is not None and answer.status == 403
        assert page.get_by_role("heading", name="This link does not work").is_visible()
        assert page.get_by_role("link", name="help@teahouse.example").is_visible()
        context.close()
        _check_fits(browser, served + path, f"invalid-{name}")


def test_the_served_demo_shop_shows_the_banner_of_a_window_in_force(browser: Any, tab: Any, served: str) -> None:
    """``GET /shop/{merchant}`` (linked from the index): the demo shop embeds the banner script served
    by the same API; with a window in force it shows the banner (the window's scope has no order of
    the scenario, so the other tests' orders are unaffected)."""
    tab.goto(served + "/")
    href = tab.get_by_role("link", name="西湖茶舍 West Lake Tea House").get_attribute("href")
    assert href == "/dev/shop/m-teahouse"
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    with page.expect_response(lambda r: "/banner/m-teahouse" in r.url) as answer:
        page.goto(served + href)
    assert answer.value.json()["messages"] == []  # nothing in force yet: no banner
    page.wait_for_timeout(300)
    assert page.locator(".delaydesk-banner").count() == 0
    window = {
        "window_id": "xizang-roads",
        "merchant_id": "m-teahouse",
        "reason": "extreme_weather",
        "starts_at": "2020-01-24T00:00:00+08:00",
        "ends_at": "2020-03-31T23:59:59+08:00",
        "scope": {"regions": ["CN-XZ"]},
        "rules": {"ship_by": {"extend_hours": 72}},
    }
    declare = urllib.request.Request(
        served + "/dev/admin/windows",
        data=json.dumps(window).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(declare) as declared:
        assert declared.status == 201
    page.goto(served + href + "?lang=en")
    banner = page.locator(".delaydesk-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert page.locator("html").get_attribute("lang") == "en"
    assert "ends_at" not in banner.inner_text() and banner.locator("[role=status]").inner_text().strip()
    assert page.evaluate(OVERFLOW) <= 0
    page.screenshot(path=str(ARTIFACTS / "served-shop-375.png"), full_page=True)
    context.close()
    missing = urllib.request.Request(served + "/dev/shop/m-nobody")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(missing)
    assert refused.value.code == 404


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_email_fits_a_phone_and_a_desktop(browser: Any, kind: Kind, locale: str) -> None:
    html = templates_admin.preview(kind, locale, NoticeChannel.EMAIL, Settings()).html
    _check_fits(browser, None, f"email-{kind.value}-{locale}", html)
