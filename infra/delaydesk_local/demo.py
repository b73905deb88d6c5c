"""``make demo``: the bundled Spring Festival 2020 disruption, replayed through the whole system.

Shows progress while it runs, prints a summary, and writes every notice the embedded SES and
SNS accepted to ``outbox/`` (HTML e-mails, SMS texts, each order's page, and an index.html).
"""

from __future__ import annotations

import html
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from delaydesk_local.alerts_out import print_alerts
from delaydesk_local.report import print_summary
from delaydesk_local.runtime import LOCAL_ORDER_LINK_KEY, LocalAws
from delaydesk_local.simulate import Progress, ScenarioError, load_scenario, run
from delaydesk_local.stack import REPO_ROOT

BUNDLED = REPO_ROOT / "scenarios" / "spring_festival_2020.json"


def _progress(update: Progress) -> None:
    """A live bar on a terminal; one line per simulated day when the output is a log."""
    interactive = sys.stderr.isatty()
    if not interactive and not (update.now.hour == 0 and update.now.minute == 0) and update.done < 1:
        return
    width = 30
    filled = int(update.done * width)
    bar = "#" * filled + "-" * (width - filled)
    line = f"  [{bar}] {update.now:%Y-%m-%d %H:%M}Z  events fed {update.events:>5}  function runs {update.runs:>6}"
    sys.stderr.write(f"\r{line}" if interactive else f"{line}\n")
    if interactive and update.done >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def write_digests(outbox: Path, now: datetime) -> list[Path]:
    """Each merchant's daily digest (HTML e-mail and CSV) of the last whole local day before ``now``,
    read from the statistics counters as ``delaydesk report daily`` reads them."""
    from zoneinfo import ZoneInfo

    from delaydesk import store
    from delaydesk.core.config import get_settings
    from delaydesk.operations import digest_csv, digest_for, render_digest_html, reports_dir

    folder = outbox / "digests"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for merchant in store.all_merchants():
        day = now.astimezone(ZoneInfo(merchant.timezone)).date() - timedelta(days=1)
        digest = digest_for(merchant, day)
        base = folder / f"{merchant.merchant_id}-{day.isoformat()}"
        base.with_suffix(".html").write_text(render_digest_html(digest, reports_dir(get_settings())), encoding="utf-8")
        base.with_suffix(".csv").write_text(digest_csv(digest), encoding="utf-8")
        written.append(base.with_suffix(".html"))
    return written


def write_outbox(local: LocalAws, outbox: Path, now: datetime) -> int:
    """Write what SES and SNS accepted, named after the notice log entry that sent it, and each
    order's page (``page.html``) as its customer sees it at ``now`` through the HTTP API route."""
    from delaydesk import store
    from delaydesk.core import links

    by_message = {n.message_id: n for n in store.all_notices() if n.message_id}
    if outbox.exists():
        shutil.rmtree(outbox)
    outbox.mkdir(parents=True)
    rows = []
    for sent in local.sent_messages():
        notice = by_message.get(sent["id"])
        if notice is None:
            continue
        folder = outbox / notice.order_id
        folder.mkdir(exist_ok=True)
        name = f"{notice.kind}-{int(notice.stage)}-{notice.channel}"
        if sent["channel"] == "email":
            path = folder / f"{name}.html"
            path.write_text(sent["message"].body, encoding="utf-8")
        else:
            path = folder / f"{name}.txt"
            path.write_text(f"To: {sent['to']}\n\n{sent['text']}\n", encoding="utf-8")
        rows.append((notice.sent_at.isoformat() if notice.sent_at else "", notice, path.relative_to(outbox)))
    rows.sort(key=lambda row: (row[0], row[1].order_id))
    key = LOCAL_ORDER_LINK_KEY.encode()
    for order_id in sorted({notice.order_id for _, notice, _ in rows}):
        token = links.token(key, links.Purpose.ORDER_PAGE, order_id)
        page = local.http_request("GET", f"/orders/{quote(order_id)}?t={token}", now=now)
        if page["statusCode"] == 200:
            (outbox / order_id / "page.html").write_text(page["body"], encoding="utf-8")
    digests = write_digests(outbox, now)
    lines = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>DelayDesk outbox</title>",
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;text-align:left}"
        "tr:nth-child(even){background:#f4f5f7}</style></head><body>",
        f"<h1>DelayDesk outbox</h1><p>{len(rows)} notices, as the embedded SES and SNS accepted them.</p>",
        "<p>Each order's page (its status, its in-app inbox, and the choices the rules give it: wait or"
        " cancel while late and unshipped, return once delivered) is in the <em>page</em> column, as the"
        " customer sees it at the end; <code>make serve</code> opens them live.</p>",
        "<p>Daily digests (HTML e-mail, CSV beside it): "
        + ", ".join(
            f"<a href='{html.escape(p.relative_to(outbox).as_posix())}'>{html.escape(p.stem)}</a>"
            f" (<a href='{html.escape(p.with_suffix('.csv').relative_to(outbox).as_posix())}'>CSV</a>)"
            for p in digests
        )
        + "</p>",
        "<table><tr><th>sent</th><th>order</th><th>kind</th><th>stage</th><th>channel</th>"
        "<th>locale</th><th>to</th><th>subject</th><th>page</th></tr>",
    ]
    for sent_at, notice, rel in rows:
        cells = [
            sent_at[:16],
            notice.order_id,
            notice.kind,
            str(int(notice.stage)),
            notice.channel,
            notice.locale or "",
            notice.to or "",
        ]
        subject = notice.subject or rel.name
        lines.append(
            "<tr>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            + f"<td><a href='{html.escape(rel.as_posix())}'>{html.escape(subject)}</a></td>"
            + f"<td><a href='{html.escape(quote(notice.order_id))}/page.html'>page</a></td></tr>"
        )
    lines.append("</table></body></html>")
    (outbox / "index.html").write_text("\n".join(lines), encoding="utf-8")
    return len(rows)


def run_demo(outbox: Path, scenario_path: Path | None = None) -> int:
    path = scenario_path or BUNDLED
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        print(f"delaydesk demo: {exc}", file=sys.stderr)
        return 2
    orders = sum(1 for e in scenario.events if e.get("type") == "order.paid")
    print(
        f"Replaying {path.name}: {orders} orders, {len(scenario.events)} events, "
        f"{scenario.start:%Y-%m-%d} to {scenario.end:%Y-%m-%d}, every {scenario.tick_minutes} min"
    )
    print("Deploying template.yaml into the embedded AWS (moto) ...")
    written = 0

    def finish(local: LocalAws) -> None:
        nonlocal written
        written = write_outbox(local, outbox, scenario.end)

    log_path = outbox.parent / "demo-logs.jsonl"
    with log_path.open("w", encoding="utf-8") as log:
        result = run(scenario, log_stream=log, progress=_progress, on_finish=finish)
    print_summary(result, sys.stdout)
    print_alerts(result.alerts, sys.stdout)
    print(f"\n{written} notices written to {outbox}/ (open {outbox}/index.html)")
    print(f"Function logs and EMF metrics: {log_path}")
    live = "make serve" if scenario_path is None else f"delaydesk serve {path}"
    print(f"To open it live (order pages, their choices, every route): `{live}`, then http://127.0.0.1:8765/")
    return 0
