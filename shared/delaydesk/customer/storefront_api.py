"""The storefront's side of the HTTP API: the delay banner and its embeddable script.

Routes (functions/serve_storefront), public and cacheable, no customer data:

- ``GET /banner/{merchant_id}?locale=``: the shop-wide delay message (``banner.py``) as JSON,
  with ``Cache-Control`` (a minute, then five of stale-while-revalidate), a strong ``ETag``
  (304 on ``If-None-Match``) and CORS for the merchant's ``storefront_origins`` only;
- ``GET /banner.js``: the script a shop embeds (``templates/storefront/banner.js``), gzipped for
  clients that accept it.

"Now" is the request's own time.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from delaydesk import store
from delaydesk.core.config import get_settings
from delaydesk.core.http import Response, Router
from delaydesk.core.observability import count_by
from delaydesk.customer import banner

app = Router()

MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SCRIPT_CACHE = "public, max-age=3600, stale-while-revalidate=86400"
JSON_UTF8 = "application/json; charset=utf-8"


def _now() -> datetime:
    return app.request.now


def _header(name: str) -> str | None:
    return app.request.header(name)


@lru_cache(maxsize=2)
def script(templates_dir: Path) -> str:
    """The embeddable script (deployed with the templates layer, next to the notices)."""
    return (templates_dir.parent / "storefront" / "banner.js").read_text(encoding="utf-8")


def _cached(body: str, content_type: str, headers: dict[str, str], compress: bool = False) -> Response:
    """200 with the body and its ETag, or 304 when the client holds this very representation."""
    # A gzipped body is another representation: it gets its own strong tag (RFC 9110 8.8.3).
    gzipped = compress and "gzip" in (_header("accept-encoding") or "")
    tag = banner.etag(body, "gzip" if gzipped else "")
    headers = headers | {"ETag": tag, "X-Content-Type-Options": "nosniff"}
    if compress:
        headers["Vary"] = "Accept-Encoding"
    if banner.not_modified(_header("if-none-match"), tag):
        return Response(304, None, "", headers)
    return Response(200, content_type, body, headers, compress=compress)


@app.get("/banner/{merchant_id}")
def banner_for(merchant_id: str) -> Response:
    merchant = store.get_merchant(merchant_id) if MERCHANT_ID.match(merchant_id) else None
    if merchant is None:
        count_by("BannerViews", "outcome", "unknown_merchant")
        return Response(404, JSON_UTF8, '{"error":"unknown merchant"}', {"Cache-Control": "public, max-age=60"})
    locale = banner.negotiate(app.request.query("locale"), _header("accept-language"), merchant.default_locale)
    windows = store.windows_for(merchant_id)
    # The second source, early-warning alerts confirmed by an operator, joins here when it exists.
    announcements = [banner.from_window(window) for window in windows if banner.affects_shipping(window)]
    answer = banner.content(merchant, announcements, _now(), locale)
    count_by("BannerViews", "outcome", "shown" if answer["messages"] else "empty")
    headers = {
        "Cache-Control": banner.CACHE_CONTROL,
        "Content-Language": locale,
        "Vary": "Origin, Accept-Language",
    } | banner.cors(_header("origin"), merchant.settings.storefront_origins)
    return _cached(banner.encode(answer), JSON_UTF8, headers)


@app.get("/banner.js")
def banner_script() -> Response:
    body = script(get_settings().resolved_templates_dir)
    return _cached(body, "text/javascript; charset=utf-8", {"Cache-Control": SCRIPT_CACHE}, compress=True)
