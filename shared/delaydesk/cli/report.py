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

    from delaydesk.operations import effect_report, effect_rows

    use_stack(args.stack_name)
    rows = effect_rows(effect_report(args.merchant))
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["figure", "value"])
        writer.writerows(rows)
        return 0
    who = f"merchant {args.merchant}" if args.merchant else "every merchant"
    sys.stdout.write(f"What the notices achieved, {who}\n")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        sys.stdout.write(f"  {name.ljust(width)}  {value or '-'}\n")
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
    effect.add_argument("--csv", action="store_true", help="print the figures as CSV")
    effect.set_defaults(func=_cmd_report_effect)
