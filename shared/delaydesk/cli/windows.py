"""``windows`` and ``explain``: disruption windows and an order's timeline."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from delaydesk.cli.common import CommandError, use_stack


def _when(text: str | None) -> datetime:
    from delaydesk.core.times import parse_instant

    if not text:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except ValueError:
        raise CommandError(f"--at {text!r} is not an RFC 3339 instant (e.g. 2020-02-09T23:59:59+08:00)") from None


def _windows_from(args: argparse.Namespace) -> list[Any]:
    from delaydesk.core.record import ValidationError, problems
    from delaydesk.core.windows import parse_window, preset

    if args.preset:
        try:
            return preset(args.preset, args.merchant)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if not args.file:
        raise CommandError("windows declare needs a FILE (one window or a list) or --preset NAME")
    text = Path(args.file).read_text(encoding="utf-8")  # a missing file: main() reports it
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    items = data if isinstance(data, list) else [data]
    windows = []
    for index, item in enumerate(items):
        try:
            windows.append(parse_window(item if isinstance(item, dict) else {}))
        except ValidationError as exc:
            where, message = problems(exc)[0]
            raise CommandError(f"{args.file}: window {index}: {where or '(window)'}: {message}") from None
    return windows


def _declare_from_alert(args: argparse.Namespace) -> int:
    from delaydesk.core.record import ValidationError
    from delaydesk.operations import declare_from_alert

    if args.file or args.preset:
        raise CommandError("--from-alert declares the alert's proposed window: give no FILE and no --preset")
    use_stack(args.stack_name)
    try:
        window, created = declare_from_alert(args.from_alert, args.merchant, _when(args.at))
    except (LookupError, ValidationError) as exc:
        raise CommandError(str(exc).splitlines()[0]) from None
    scope = window.scope
    where = ", ".join([*scope.carriers, *scope.regions]) or "everything"
    if not created:
        print(f"{window.window_id} was declared before ({window.merchant_id}): unchanged")
        return 0
    print(
        f"declared {window.window_id} ({window.merchant_id}, {window.reason.value}, {where}):"
        f" {window.starts_at.isoformat()} .. {window.ends_at.isoformat()}; orders are being recomputed"
    )
    return 0


def _cmd_windows(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.delays import recompute

    if args.action == "declare" and args.from_alert:
        return _declare_from_alert(args)
    windows = _windows_from(args) if args.action == "declare" else []  # the file before AWS
    use_stack(args.stack_name)
    if args.action == "declare":
        now = _when(args.at)
        for window in windows:
            _, created = recompute.declare(window, now)
            owner = window.merchant_id or "platform-wide"
            print(
                f"{'declared' if created else 'changed'} {window.window_id} ({owner}, {window.reason.value}):"
                f" {window.starts_at.isoformat()} .. {window.ends_at.isoformat()}; orders are being recomputed"
            )
        return 0
    if args.action == "list":
        rows = [r.window().model_dump(mode="json") for r in store.all_windows()]
        if args.json:
            json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            for row in rows:
                rules = ", ".join(f"{k}={v}" for k, v in row["rules"].items() if v not in (None, False, []))
                owner = row["merchant_id"] or "platform"
                print(f"{row['window_id']:<24} {owner:<12} {row['starts_at']} .. {row['ends_at']}  {rules}")
            print(f"{len(rows)} window(s)")
        return 0
    try:
        ended = recompute.end(args.merchant, args.window_id, _when(args.at))
    except (recompute.WindowNotFound, recompute.WindowConflict) as exc:
        raise CommandError(str(exc)) from None
    print(f"ended {ended.window_id} at {ended.ends_at.isoformat()}; orders are being recomputed")
    return 0


def _cmd_alerts(args: argparse.Namespace) -> int:
    from delaydesk.operations import list_alerts

    use_stack(args.stack_name)
    rows = list_alerts(args.merchant)
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        scope = " ".join([*row["scope"]["carriers"], *row["scope"]["regions"]]) or "everything"
        state = f"resolved {row['resolved_at']}" if row["resolved_at"] else "OPEN"
        window = row["proposed_window"] or {}
        declared = f" declared as {row['window_id']}" if row["window_id"] else ""
        print(
            f"{row['alert_id']}  {row['merchant_id']}  {scope}: {row['delays']} delays (rate {row['rate']:.2f},"
            f" usual {row['baseline']:.2f})  opened {row['opened_at']}  {state}"
        )
        if window:
            print(f"    proposes {window['window_id']}: {window['starts_at']} .. {window['ends_at']}{declared}")
    print(f"{len(rows)} alert(s)")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.operations import Notice, timeline

    use_stack(args.stack_name)
    record = store.get_order(args.order_id)
    if record is None:
        raise CommandError(f"no order {args.order_id}")
    order = record.order()
    merchant = store.get_merchant(order.merchant_id)
    notices = [
        Notice(n.kind, int(n.stage), n.channel, n.status, n.sent_at or n.claimed_at)
        for n in store.notices_for(order.order_id)
    ]
    decisions = store.decisions_for(order.order_id, record)
    lines = timeline(order, decisions, notices, merchant.timezone if merchant else "UTC")
    print("\n".join(lines))
    return 0


# ------------------------------------------------------------------ doctor (issue 9)


def _windows_parsers(commands: Any, stack: argparse.ArgumentParser) -> None:
    windows = commands.add_parser("windows", help="disruption windows (policy windows)")
    window_actions = windows.add_subparsers(dest="action", required=True)
    declare = window_actions.add_parser("declare", parents=[stack], help="declare or change windows")
    declare.add_argument("file", nargs="?", help="a JSON window, or a list of them")
    declare.add_argument("--preset", help="a bundled preset instead of a file: spring_festival_2020")
    declare.add_argument("--from-alert", metavar="ALERT_ID", help="declare the window an early-warning alert proposes")
    declare.add_argument(
        "--merchant", help="owner of the preset's windows (default: platform-wide); with --from-alert, the alert's"
    )
    declare.add_argument("--at", help="when the declaration takes effect (default: now)")
    listing_windows = window_actions.add_parser("list", parents=[stack], help="list the windows")
    listing_windows.add_argument("--json", action="store_true")
    end = window_actions.add_parser("end", parents=[stack], help="end a window early")
    end.add_argument("window_id")
    end.add_argument("--merchant", help="the window's merchant (default: a platform-wide window)")
    end.add_argument("--at", help="when it ends (default: now)")
    windows.set_defaults(func=_cmd_windows)

    alerts = commands.add_parser("alerts", help="early-warning alerts on delay spikes")
    alert_actions = alerts.add_subparsers(dest="action", required=True)
    listing_alerts = alert_actions.add_parser("list", parents=[stack], help="list the alerts, oldest first")
    listing_alerts.add_argument("--merchant", help="one merchant's alerts only")
    listing_alerts.add_argument("--json", action="store_true")
    alerts.set_defaults(func=_cmd_alerts)

    explain = commands.add_parser("explain", parents=[stack], help="an order's timeline in words")
    explain.add_argument("order_id")
    explain.set_defaults(func=_cmd_explain)
