"""The storefront banner in a real browser (Chromium through Playwright): the demo shop page
(infra/delaydesk_local/shop.py) embeds the script, served with the banner by the template's HTTP
API on the embedded AWS behind a tiny local server (another origin than the shop's, so that CORS
is exercised as on a real shop). The banner shows at 375 and 1280 px without horizontal overflow,
is readable (contrast), is dismissed with the keyboard and stays dismissed for the session, and
a shop with nothing in force shows nothing. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from browser import ARTIFACTS, chromium
from conftest import merchant

from delaydesk import store
from delaydesk_local.runtime import LocalAws
from delaydesk_local.shop import shop_page

pytestmark = pytest.mark.e2e

NOW = datetime.fromisoformat("2020-01-25T10:00:00+08:00")
WINDOW = {
    "window_id": "hubei-2020",
    "merchant_id": "m-teahouse",
    "reason": "public_health",
    "starts_at": "2020-01-23T10:00:00+08:00",
    "ends_at": "2020-03-31T23:59:59+08:00",
    "scope": {"regions": ["CN-HB", "CN-ZJ"], "carriers": ["顺丰速运"]},
    "rules": {"ship_by": {"extend_hours": 72}},
}


class _Server:
    """One local HTTP server in a thread; ``handle(method, path, headers, body)`` answers."""

    def __init__(self, handle: Any) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                status, headers, body = handle(self.command, self.path, dict(self.headers), self.rfile.read(length))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers(local_aws: LocalAws) -> Iterator[tuple[str, str]]:
    """(shop URL base, API URL base): the shop's pages and the template's HTTP API, two origins."""
    lock = threading.Lock()

    def api(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        with lock:  # the embedded AWS serves one request at a time
            response = local_aws.http_request(method, path, headers, body, now=NOW)
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode("utf-8")
        return response["statusCode"], dict(response.get("headers") or {}), data

    with _Server(api) as api_server:

        def shop(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
            route, _, query = path.partition("?")
            locale = query.removeprefix("lang=") or "zh-CN"
            page = shop_page(route.removeprefix("/shop/"), api_server.url, locale=locale, shop_name="西湖茶舍")
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")

        with _Server(shop) as shop_server:
            origins = [shop_server.url]
            store.put_merchant(merchant(settings={"storefront_origins": origins}))
            store.put_merchant(
                merchant(merchant_id="m-quiet", name="Quiet Shop", settings={"storefront_origins": origins})
            )
            declared = local_aws.http_request(
                "POST", "/admin/windows", {"content-type": "application/json"}, json.dumps(WINDOW), now=NOW
            )
            assert declared["statusCode"] == 201
            yield shop_server.url, api_server.url


def _contrast(page: Any, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour on the banner's background."""
    return float(
        page.evaluate(
            """([selector]) => {
                const rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
                const lum = ([r, g, b]) => {
                    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
                };
                const el = document.querySelector(selector);
                const box = document.querySelector('.delaydesk-banner');
                const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(getComputedStyle(box).backgroundColor));
                return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            }""",
            [selector],
        )
    )


def test_the_banner_in_chromium_at_375_and_1280_px_dismissed_with_the_keyboard(servers: tuple[str, str]) -> None:
    shop_url, _ = servers
    with chromium() as browser:
        for width in (375, 1280):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(f"{shop_url}/shop/m-teahouse")
            banner = page.locator(".delaydesk-banner")
            banner.wait_for(state="visible", timeout=10_000)
            assert banner.get_attribute("role") == "region" and banner.get_attribute("lang") == "zh-CN"
            assert banner.get_attribute("aria-label") == "发货通知"
            status = banner.locator("[role=status]")
            assert (
                status.inner_text() == "受疫情防控影响，3月31日前发往湖北、浙江经顺丰速运配送的订单发货时间延长72小时。"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal overflow
            box = banner.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            assert _contrast(page, ".delaydesk-banner [role=status]") >= 4.5  # WCAG AA, normal text
            page.screenshot(path=str(ARTIFACTS / f"banner-{width}.png"), full_page=True)

            # The keyboard: the dismiss button is the first stop, shows its focus, Enter closes.
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
            assert focused == "关闭通知"
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
            page.screenshot(path=str(ARTIFACTS / f"banner-{width}-focus.png"))
            page.keyboard.press("Enter")
            banner.wait_for(state="detached", timeout=5_000)
            # Remembered for the session: a reload shows nothing.
            with page.expect_response(lambda r: "/banner/m-teahouse" in r.url):
                page.reload()
            page.wait_for_timeout(300)
            assert page.locator(".delaydesk-banner").count() == 0
            page.close()

        # An English page (its lang): the English message; Chromium here may lack CJK fonts,
        # so this screenshot is the one whose words can be read.
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{shop_url}/shop/m-teahouse?lang=en")
        status = page.locator(".delaydesk-banner [role=status]")
        status.wait_for(state="visible", timeout=10_000)
        assert status.inner_text().startswith("Shipping to Hubei and Zhejiang with 顺丰速运 is affected by")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(ARTIFACTS / "banner-375-en.png"))
        page.close()

        # Escape dismisses too (focus inside the banner).
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{shop_url}/shop/m-teahouse")
        page.locator(".delaydesk-banner").wait_for(state="visible", timeout=10_000)
        page.keyboard.press("Tab")
        page.keyboard.press("Escape")
        page.locator(".delaydesk-banner").wait_for(state="detached", timeout=5_000)
        page.close()

        # A shop with nothing in force: the script asks, and renders nothing.
        page = browser.new_page(viewport={"width": 375, "height": 800})
        with page.expect_response(lambda r: "/banner/m-quiet" in r.url) as answer:
            page.goto(f"{shop_url}/shop/m-quiet")
        assert answer.value.status == 200 and answer.value.json()["messages"] == []
        page.wait_for_timeout(300)
        assert page.locator(".delaydesk-banner").count() == 0
        page.screenshot(path=str(ARTIFACTS / "banner-empty-375.png"), full_page=True)
        page.close()
