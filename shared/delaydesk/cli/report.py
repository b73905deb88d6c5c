"""``report daily``: a merchant's daily digest, as the operations team receives it, or as CSV."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from delaydesk.cli.common import CommandError, use_stack


def _cmd_report_daily(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.core.config import get_settings
    from delaydesk.operations import digest_csv, digest_for, render_digest_html, reports_dir

    try:
        day = date.fromisoformat(args.date)
    except ValueError as exc:
        raise CommandError(f"--date {args.date!r} is not a date (YYYY-MM-DD)") from exc
    use_stack(args.stack_name)
    merchant = store.get_merchant(args.merchant)
    if merchant is None:
        raise CommandError(f"no merchant {args.merchant}")
    digest = digest_for(merchant, day)
    if args.csv:
        sys.stdout.write(digest_csv(digest))
    else:
        sys.stdout.write(render_digest_html(digest, reports_dir(get_settings())))
    return 0


def _cmd_report_effect(args: argparse.Namespace) -> int:
    import csv

    from delaydesk.operations import effect_report, effect_table

    use_stack(args.stack_name)
    try:
        summary = effect_report(args.merchant, args.window)
    except LookupError as exc:
        raise CommandError(str(exc)) from None
    header, rows = effect_table(summary)
    if args.csv:  # one row per scope, one column per figure: what a spreadsheet opens
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return 0
    who = f"merchant {args.merchant}" if args.merchant else "every merchant"
    where = f", orders under window {args.window}" if args.window else ""
    sys.stdout.write(f"What the notices achieved, {who}{where}\n")
    if args.merchant:  # its merchant column is the overall one
        rows = [row for row in rows if row[0] != "merchant"]
    titles = [scope if not ident else f"{scope} {ident}" for scope, ident, *_ in rows]
    names = header[2:]
    width = max(len(n) for n in names)
    widths = [max(len(t), *(len(v or "-") for v in row[2:])) for t, row in zip(titles, rows, strict=True)]
    line = "  " + " " * width + "".join(f"  {t.rjust(w)}" for t, w in zip(titles, widths, strict=True))
    sys.stdout.write(line.rstrip() + "\n")
    for i, name in enumerate(names, start=2):
        cells = "".join(f"  {(row[i] or '-').rjust(w)}" for row, w in zip(rows, widths, strict=True))
        sys.stdout.write(f"  {name.ljust(width)}{cells}\n")
    return 0


def _report_parser(commands: Any, stack: argparse.ArgumentParser) -> None:
    report = commands.add_parser("report", help="reports read from the statistics counters")
    actions = report.add_subparsers(dest="action", required=True)
    daily = actions.add_parser("daily", parents=[stack], help="a merchant's daily digest (HTML e-mail, or --csv)")
    daily.add_argument("--merchant", required=True)
    daily.add_argument("--date", required=True, help="the merchant's local day, YYYY-MM-DD")
    daily.add_argument("--csv", action="store_true", help="print the figures as CSV instead of the HTML e-mail")
    daily.set_defaults(func=_cmd_report_daily)
    effect = actions.add_parser(
        "effect", parents=[stack], help="what the notices achieved: inquiries, disputes, ratings of delayed orders"
    )
    effect.add_argument("--merchant", help="one merchant (default: every merchant)")
    effect.add_argument("--window", help="only the orders under this disruption window")
    effect.add_argument("--csv", action="store_true", help="print the figures as CSV (a row per scope)")
    effect.set_defaults(func=_cmd_report_effect)
