"""The ``delaydesk`` command.

    delaydesk simulate SCENARIO.json [--json]     replay a scenario in the embedded AWS
    delaydesk demo [--outbox DIR]                 the bundled disruption, with rendered notices
    delaydesk rejected list [--category C]        events an operator must look at
    delaydesk rejected replay REJECTION_ID        send a stored event back to its queue
    delaydesk merchants put MERCHANT.json         create or update a merchant

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
