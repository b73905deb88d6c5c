"""``rejected``, ``merchants`` and ``escalations``: records of a deployed stack."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from delaydesk.cli.common import CommandError, _first_problem, use_stack


def _cmd_rejected(args: argparse.Namespace) -> int:
    from delaydesk.tracking import Category, rejections

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
    from delaydesk import store
    from delaydesk.core.merchants import Merchant
    from delaydesk.core.record import ValidationError

    # The file first: a typo in it is found without touching AWS. A missing or unreadable file
    # raises OSError, which main() reports.
    source = Path(args.file).read_text(encoding="utf-8")
    try:
        merchant = Merchant.model_validate_json(source)
    except ValidationError as exc:
        raise CommandError(f"{args.file}: {_first_problem(exc)}") from None
    use_stack(args.stack_name)
    store.put_merchant(merchant)
    print(f"merchant {merchant.merchant_id} saved")
    return 0


def _cmd_escalations(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.delays import close_escalation

    use_stack(args.stack_name)
    if args.action == "close":
        if not close_escalation(args.order_id, args.reason, datetime.now(UTC), args.by, args.note):
            raise CommandError(f"no open escalation for order {args.order_id} and reason {args.reason}")
        print(f"closed the {args.reason} escalation of order {args.order_id}")
        return 0
    rows: list[dict[str, Any]] = [
        {
            "order_id": r.order_id,
            "reason": r.reason,
            "status": r.status,
            "merchant_id": r.merchant_id,
            "opened_at": r.opened_at.isoformat(),
            "published": r.published_at is not None,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "closed_by": r.closed_by,
            "note": r.note,
            "inputs": r.inputs.as_dict() if r.inputs else {},  # type: ignore[no-untyped-call]
        }
        for r in store.list_escalations(None if args.all else "open")
    ]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        for row in rows:
            print(f"{row['opened_at']}  {row['order_id']:<24} {row['reason']:<16} {row['status']}")
        print(f"{len(rows)} escalation(s)")
    return 0


def _escalations_parser(commands: Any, stack: argparse.ArgumentParser) -> None:
    escalations = commands.add_parser("escalations", help="orders escalated to a person (support team)")
    actions = escalations.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", parents=[stack], help="open escalations (--all: closed ones too)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("--json", action="store_true")
    close = actions.add_parser("close", parents=[stack], help="close an open escalation")
    close.add_argument("order_id")
    close.add_argument("reason", choices=["long_delay", "high_value", "customer_action"])
    close.add_argument("--by", help="who handled it")
    close.add_argument("--note", help="what was done")
    escalations.set_defaults(func=_cmd_escalations)
