"""``delaydesk serve``: replay a scenario like ``simulate``, then serve the template's HTTP API.

Contract (../shared/contracts/scenario.md): after the replay, ``127.0.0.1:PORT`` answers every
``HttpApi`` route of ``template.yaml`` through the same handlers as API Gateway would (the routes
are read from the template, so a route added there is served without a change here), with or
without the stage prefix (``/dev/orders/…`` as in the notices' links, or ``/orders/…``).
``GET /`` lists every order with its signed order-page link, and ``GET /shop/{merchant}`` is a
demo shop page (infra/delaydesk_local/shop.py) embedding the storefront banner script served by
this same API (same origin: no CORS involved): both are local conveniences only, not routes of the
template. ``?lang=zh-CN|zh-TW|en`` picks the shop page's language (default: the merchant's).
A short link (``/dev/o/CODE``) answers its 303 with this server's path in place of the API's
execute-api host, which exists only in the embedded AWS. Routes that API Gateway guards with
SigV4 (``Auth: AWS_IAM``, the admin API) are served without a signature check, and every such
answer says so in ``X-DelayDesk-Local-Auth``.

The socket is bound before the replay, so the notices sent during it already link to this server
(``OrderPageBaseUrl``). The clock goes on from the scenario's ``end`` at wall-clock pace. After a
request that may have queued work (any method but GET or HEAD, answered below 400), the queues
are drained and the schedules fired once at that clock, so a cancellation asked on the page is
decided (as the next scan would) before the browser follows the redirect. The embedded AWS is
not thread-safe: requests are accepted by a threaded server and run one at a time.
"""

from __future__ import annotations

import base64
import html
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import parse_qs, quote, unquote

from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws
from delaydesk_local.shop import shop_page
from delaydesk_local.simulate import Scenario, run
from delaydesk_local.stack import REGION

LOCAL_AUTH_NOTE = "AWS_IAM route served without SigV4 (local only)"
CLI_NOTE = (
    "operator commands (delaydesk explain, windows, notices inbox/link, rejected) cannot reach this "
    "stack: it lives in this process's memory, not behind an AWS endpoint; use `delaydesk simulate "
    "--json` for the records, or the admin routes here (served without SigV4)"
)


class ServedStack:
    """The replayed embedded AWS behind a lock, with the clock going on from the scenario's end."""

    def __init__(self, local: LocalAws, end: datetime) -> None:
        self.local = local
        self.lock = threading.Lock()
        self._end = end
        self._started = time.monotonic()

    def now(self) -> datetime:
        """The scenario's end plus the seconds served, in whole seconds: a schedule's event carries
        its time to the second, and must not run before a request made in the same second."""
        return self._end + timedelta(seconds=int(time.monotonic() - self._started))

    def strip_stage(self, path: str) -> str:
        prefix = f"/{self.local.http_api.stage}"
        return path[len(prefix) :] if path == prefix or path.startswith(prefix + "/") else path

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """One request, as API Gateway would answer it (``GET /``: the local index)."""
        path, _, query = raw_path.partition("?")
        path = self.strip_stage(path) or "/"
        with self.lock:
            now = self.now()
            if path == "/" and method in ("GET", "HEAD"):
                return {
                    "statusCode": 200,
                    "headers": {"Content-Type": "text/html; charset=utf-8"},
                    "body": self.index(),
                }
            if path.startswith("/shop/") and method in ("GET", "HEAD"):
                return self.shop(unquote(path.removeprefix("/shop/")), parse_qs(query).get("lang", [""])[0])
            found = self.local.http_api.route(method, path)
            answer = self.local.http_request(method, f"{path}?{query}" if query else path, headers, body, now=now)
            if found is not None and found[0].auth == "AWS_IAM":
                answer.setdefault("headers", {})["X-DelayDesk-Local-Auth"] = LOCAL_AUTH_NOTE
            self.localise_redirect(answer)
            if method not in ("GET", "HEAD") and int(answer.get("statusCode", 500)) < 400:
                self.local.drain()
                self.local.tick(self.now())
            return answer

    def localise_redirect(self, answer: dict[str, Any]) -> None:
        """A redirect to this API's own execute-api host (a short link's 303 to the order page)
        stays on this server: the host only exists in the embedded AWS."""
        headers = answer.get("headers") or {}
        location = str(headers.get("Location", ""))
        for api_id in self.local.http_apis.values():
            host = f"https://{api_id}.execute-api.{REGION}.amazonaws.com"
            if location.startswith(host + "/"):
                headers["Location"] = location.removeprefix(host)

    def shop(self, merchant_id: str, lang: str) -> dict[str, Any]:
        """The demo shop page of a known merchant, embedding the banner served by this API."""
        from delaydesk import store

        merchant = store.get_merchant(merchant_id) if merchant_id and "/" not in merchant_id else None
        if merchant is None:
            return {
                "statusCode": 404,
                "headers": {"Content-Type": "text/plain; charset=utf-8"},
                "body": f"no merchant {merchant_id!r} in the replayed scenario",
            }
        page = shop_page(
            merchant.merchant_id,
            f"/{self.local.http_api.stage}",
            locale=lang or merchant.default_locale,
            shop_name=merchant.name,
        )
        return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": page}

    def index(self) -> str:
        """Every order with its signed link, newest first within each merchant."""
        from delaydesk import store
        from delaydesk.core import links

        key = LOCAL_ORDER_LINK_KEY.encode()
        stage = self.local.http_api.stage
        rows = []
        for record in sorted(store.all_orders(), key=lambda r: (r.merchant_id, r.order_id)):
            order = record.order()
            token = links.token(key, links.Purpose.ORDER_PAGE, order.order_id)
            href = f"/{stage}/orders/{quote(order.order_id)}?t={token}"
            cells = [order.merchant_id, order.status.value, order.customer.locale or "", order.customer.name]
            rows.append(
                f"<tr><td><a href='{html.escape(href)}'>{html.escape(order.order_id)}</a></td>"
                + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                + ("<td>late</td>" if order.delay else "<td></td>")
                + "</tr>"
            )
        routes = "".join(
            f"<li><code>{html.escape(r.method)} /{stage}{html.escape(r.path)}</code>"
            + (f" ({LOCAL_AUTH_NOTE})" if r.auth == "AWS_IAM" else "")
            + "</li>"
            for r in self.local.http_api.routes
        )
        shops = "".join(
            f"<li><a href='/{stage}/shop/{html.escape(quote(m.merchant_id))}'>{html.escape(m.name)}</a>"
            f" (<code>{html.escape(m.merchant_id)}</code>)</li>"
            for m in sorted(store.all_merchants(), key=lambda m: m.merchant_id)
        )
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><title>DelayDesk (local)</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#1f2933}table{border-collapse:collapse}"
            "td,th{padding:4px 10px;text-align:left}tr:nth-child(even){background:#f1f3f5}a{color:#1d4ed8}"
            "a:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}</style></head><body>"
            "<h1>DelayDesk: the replayed scenario, served locally</h1>"
            f"<p>{len(rows)} orders; each link is the signed order-page link its notices carry. "
            "This list exists only under <code>delaydesk serve</code>.</p>"
            "<table><tr><th>order</th><th>merchant</th><th>state</th><th>locale</th><th>customer</th>"
            "<th>delay</th></tr>" + "".join(rows) + "</table>"
            "<h2>Demo shops</h2><p>Each merchant's demo storefront, embedding the delay banner script "
            f"(local only; <code>?lang=en</code>, <code>zh-TW</code>, <code>zh-CN</code>):</p><ul>{shops}</ul>"
            f"<h2>Routes of template.yaml</h2><ul>{routes}</ul></body></html>"
        )


def _handler_class(stack: ServedStack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "delaydesk-serve"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            answer = stack.handle(self.command, self.path, headers, body)
            raw = answer.get("body") or ""
            payload = base64.b64decode(raw) if answer.get("isBase64Encoded") else str(raw).encode("utf-8")
            self.send_response(int(answer.get("statusCode", 500)))
            sent = {k.lower() for k in (answer.get("headers") or {})}
            for name, value in (answer.get("headers") or {}).items():
                self.send_header(name, str(value))
            for name, values in (answer.get("multiValueHeaders") or {}).items():
                for value in values:
                    self.send_header(name, str(value))
            for cookie in answer.get("cookies") or []:
                self.send_header("Set-Cookie", cookie)
            if "content-type" not in sent:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            # No query string in the log: the order links carry their signed token in ?t=.
            sys.stderr.write(f"{self.command} {self.path.partition('?')[0]} {args[1] if len(args) > 1 else ''}\n")

    return Handler


def bind(port: int) -> ThreadingHTTPServer:
    """The listening socket on 127.0.0.1 (``port`` 0: any free port), before the replay."""
    server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    server.daemon_threads = True
    return server


def serve(
    scenario: Scenario,
    port: int,
    *,
    out: IO[str] | None = None,
    log_stream: IO[str] | None = None,
    on_ready: Callable[[ThreadingHTTPServer], None] | None = None,
) -> int:
    """Replay ``scenario``, then serve until interrupted (Ctrl-C or SIGTERM); returns the exit status."""
    out = out or sys.stdout
    server = bind(port)
    bound = server.server_address[1]

    def serve_forever(local: LocalAws) -> None:
        stack = ServedStack(local, scenario.end)
        server.RequestHandlerClass = _handler_class(stack)
        print(f"serving http://127.0.0.1:{bound}", file=out, flush=True)
        print(
            f"  GET / lists every order with its signed order-page link and each merchant's demo shop "
            f"(GET /shop/MERCHANT, with the storefront banner); {CLI_NOTE}.",
            file=out,
            flush=True,
        )
        if on_ready is not None:
            on_ready(server)
        previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            print("\nstopped", file=out, flush=True)
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)

    try:
        run(
            scenario,
            log_stream=log_stream,
            on_finish=serve_forever,
            # The stage is the template's default (dev): the notices link to this server.
            parameters={"OrderPageBaseUrl": f"http://127.0.0.1:{bound}/dev/orders"},
        )
    finally:
        server.server_close()
    return 0
