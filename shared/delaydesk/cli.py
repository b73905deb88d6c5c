"""The ``delaydesk`` command.

    delaydesk simulate SCENARIO.json [--json]     replay a scenario in the embedded AWS
    delaydesk demo [--outbox DIR]                 the bundled disruption, with rendered notices
    delaydesk rejected list [--category C]        events an operator must look at
    delaydesk rejected replay REJECTION_ID        send a stored event back to its queue
    delaydesk merchants put MERCHANT.json         create or update a merchant
    delaydesk windows declare FILE | --preset NAME   declare (or change) disruption windows
    delaydesk windows list                        the windows in force
    delaydesk windows end WINDOW_ID [--at T]      end a window early
    delaydesk explain ORDER_ID                    an order's timeline of events, deadlines, decisions

``rejected`` and ``merchants`` work on a deployed stack (``--stack-name``, default
``delaydesk-dev``) with the usual AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

STACK_ENV = {
    "OrdersTable": "ORDERS_TABLE",
    "MerchantsTable": "MERCHANTS_TABLE",
    "DecisionsTable": "DECISIONS_TABLE",
    "NoticeLogTable": "NOTICE_LOG_TABLE",
    "IdempotencyTable": "IDEMPOTENCY_TABLE",
    "RejectedEventsTable": "REJECTED_TABLE",
    "NoticesQueue": "NOTICES_QUEUE_URL",
    "WindowsTable": "WINDOWS_TABLE",
    "RecomputeDeadlinesQueue": "RECOMPUTE_QUEUE_URL",
}


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def use_stack(stack_name: str) -> None:
    """Point the data layer at the tables of a deployed stack."""
    from delaydesk import aws, store
    from delaydesk.config import get_settings

    cloudformation = boto3.client("cloudformation")
    try:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
        }
    except cloudformation.exceptions.ClientError as exc:
        raise CommandError(f"stack {stack_name}: {exc.response['Error'].get('Message', exc)}") from None
    for logical_id, variable in STACK_ENV.items():
        if logical_id in resources:
            os.environ[variable] = resources[logical_id]
    aws.reset()
    store.bind(get_settings())


def _cmd_simulate(args: argparse.Namespace) -> int:
    from delaydesk_local.report import print_summary
    from delaydesk_local.simulate import ScenarioError, load_scenario, run

    try:
        scenario = load_scenario(Path(args.scenario))
    except ScenarioError as exc:
        raise CommandError(str(exc)) from None
    log = Path(args.log).open("w", encoding="utf-8") if args.log else None  # noqa: SIM115
    try:
        result = run(scenario, log_stream=log)
    finally:
        if log:
            log.close()
    if args.json:
        json.dump(result.contract(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print_summary(result, sys.stdout)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from delaydesk_local.demo import run_demo

    return run_demo(Path(args.outbox), Path(args.scenario) if args.scenario else None)


def _cmd_rejected(args: argparse.Namespace) -> int:
    from delaydesk import rejections
    from delaydesk.rejections import Category

    use_stack(args.stack_name)
    if args.action == "list":
        category = Category(args.category) if args.category else None
        rows: list[dict[str, Any]] = [
            {
                "rejection_id": r.rejection_id,
                "category": r.category,
                "source": r.source,
                "event_id": r.event_id,
                "receive_count": int(r.receive_count),
                "errors": list(r.errors),
                "last_seen_at": r.last_seen_at.isoformat(),
                "replayed_at": r.replayed_at.isoformat() if r.replayed_at else None,
            }
            for r in rejections.list_rejected(category)
        ]
        if args.json:
            json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            for row in rows:
                errors = "; ".join(row["errors"])
                print(f"{row['rejection_id']}  {row['category']:<8} seen {row['receive_count']}x  {errors}")
            print(f"{len(rows)} rejected event(s)")
        return 0
    item = rejections.get(args.rejection_id)
    if item is None:
        raise CommandError(f"no rejected event {args.rejection_id}")
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=item.source)["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody=item.body)
    rejections.mark_replayed(item, datetime.now(UTC))
    print(f"replayed {item.rejection_id} to {item.source}")
    return 0


def _cmd_merchants(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from delaydesk import store
    from delaydesk.merchants import Merchant

    use_stack(args.stack_name)
    try:
        merchant = Merchant.model_validate_json(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        raise CommandError(f"{args.file}: {str(exc).splitlines()[0]}") from None
    store.put_merchant(merchant)
    print(f"merchant {merchant.merchant_id} saved")
    return 0


# ------------------------------------------------------------------ windows and explain (issue 4)


def _when(text: str | None) -> datetime:
    from delaydesk.times import parse_instant

    if not text:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except ValueError:
        raise CommandError(f"--at {text!r} is not an RFC 3339 instant (e.g. 2020-02-09T23:59:59+08:00)") from None


def _windows_from(args: argparse.Namespace) -> list[Any]:
    from pydantic import ValidationError

    from delaydesk.windows import parse_window, preset

    if args.preset:
        try:
            return preset(args.preset, args.merchant)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    if not args.file:
        raise CommandError("windows declare needs a FILE (one window or a list) or --preset NAME")
    try:
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    items = data if isinstance(data, list) else [data]
    windows = []
    for index, item in enumerate(items):
        try:
            windows.append(parse_window(item if isinstance(item, dict) else {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(window)"
            message = first["msg"].removeprefix("Value error, ")
            raise CommandError(f"{args.file}: window {index}: {where}: {message}") from None
    return windows


def _cmd_windows(args: argparse.Namespace) -> int:
    from delaydesk import recompute, store

    use_stack(args.stack_name)
    if args.action == "declare":
        windows = _windows_from(args)
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


def _cmd_explain(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.explain import Notice, timeline

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
    lines = timeline(order, store.decisions_for(order.order_id), notices, merchant.timezone if merchant else "UTC")
    print("\n".join(lines))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="delaydesk", description="DelayDesk operator and simulation tools.")
    commands = root.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="replay a scenario through the template in the embedded AWS")
    simulate.add_argument("scenario", help="scenario JSON file (../shared/contracts/scenario.md)")
    simulate.add_argument("--json", action="store_true", help="print the contract's JSON object")
    simulate.add_argument("--log", help="write the functions' JSON logs and metrics to this file")
    simulate.set_defaults(func=_cmd_simulate)

    demo = commands.add_parser("demo", help="replay the bundled disruption and write the notices to an outbox")
    demo.add_argument("--outbox", default="outbox", help="folder for the rendered notices (default: outbox)")
    demo.add_argument("--scenario", help="another scenario instead of the bundled one")
    demo.set_defaults(func=_cmd_demo)

    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument("--stack-name", default="delaydesk-dev", help="the deployed stack (default: delaydesk-dev)")

    rejected = commands.add_parser("rejected", help="events that failed validation, were refused or keep failing")
    rejected_actions = rejected.add_subparsers(dest="action", required=True)
    listing = rejected_actions.add_parser("list", parents=[stack], help="list them with their errors")
    listing.add_argument("--category", choices=["invalid", "refused", "failing"])
    listing.add_argument("--json", action="store_true")
    replay = rejected_actions.add_parser("replay", parents=[stack], help="send one back to its queue")
    replay.add_argument("rejection_id")
    rejected.set_defaults(func=_cmd_rejected)

    merchants = commands.add_parser("merchants", help="merchant settings")
    merchant_actions = merchants.add_subparsers(dest="action", required=True)
    put = merchant_actions.add_parser("put", parents=[stack], help="create or update a merchant from a JSON file")
    put.add_argument("file")
    merchants.set_defaults(func=_cmd_merchants)

    windows = commands.add_parser("windows", help="disruption windows (policy windows)")
    window_actions = windows.add_subparsers(dest="action", required=True)
    declare = window_actions.add_parser("declare", parents=[stack], help="declare or change windows")
    declare.add_argument("file", nargs="?", help="a JSON window, or a list of them")
    declare.add_argument("--preset", help="a bundled preset instead of a file: spring_festival_2020")
    declare.add_argument("--merchant", help="owner of the preset's windows (default: platform-wide)")
    declare.add_argument("--at", help="when the declaration takes effect (default: now)")
    listing_windows = window_actions.add_parser("list", parents=[stack], help="list the windows")
    listing_windows.add_argument("--json", action="store_true")
    end = window_actions.add_parser("end", parents=[stack], help="end a window early")
    end.add_argument("window_id")
    end.add_argument("--merchant", help="the window's merchant (default: a platform-wide window)")
    end.add_argument("--at", help="when it ends (default: now)")
    windows.set_defaults(func=_cmd_windows)

    explain = commands.add_parser("explain", parents=[stack], help="an order's timeline in words")
    explain.add_argument("order_id")
    explain.set_defaults(func=_cmd_explain)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: Any = args.func(args)
    except CommandError as exc:
        print(f"delaydesk: {exc}", file=sys.stderr)
        return 2
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
