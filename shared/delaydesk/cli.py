"""The ``delaydesk`` command.

    delaydesk simulate SCENARIO.json [--json]     replay a scenario in the embedded AWS
    delaydesk demo [--outbox DIR]                 the bundled disruption, with rendered notices
    delaydesk rejected list [--category C]        events an operator must look at
    delaydesk rejected replay REJECTION_ID        send a stored event back to its queue
    delaydesk merchants put MERCHANT.json         create or update a merchant
    delaydesk escalations list [--all] [--json]   orders escalated to the support team
    delaydesk escalations close ORDER_ID REASON   close one after handling it
    delaydesk templates lint [--stored]           check the bundled (and stored) notice templates
    delaydesk templates put --merchant M --kind K --locale L --channel C FILE
                                                  validate and store a merchant's template
    delaydesk notices preview --kind K --locale L --channel C [--file F]
                                                  render one notice with sample data
    delaydesk notices inbox ORDER_ID              the order's in-app inbox
    delaydesk notices link ORDER_ID               the signed order page link of an order
    delaydesk windows declare FILE | --preset NAME   declare (or change) disruption windows
    delaydesk windows list                        the windows in force
    delaydesk windows end WINDOW_ID [--at T]      end a window early
    delaydesk explain ORDER_ID                    an order's timeline of events, deadlines, decisions
    delaydesk doctor [--stack NAME] [--region R] [--webhook-sources aftership,generic]
                                                  check a deployed stack against what real AWS requires
                                                  (SES identity, DKIM, sandbox and quota; SMS; topic keys;
                                                  alarm subscriptions; DLQs; schedules; secrets): one line
                                                  per check, ✔ / ✘ with the fix / ! with advice; exit 1
                                                  when anything must be fixed (see doctor.py)

Every command but ``simulate``, ``demo``, ``templates lint`` and ``notices preview`` works on a
deployed stack (``--stack-name``, default ``delaydesk-dev``) with the usual AWS credentials and
region. Whatever keeps a command from its stack, table or file (no credentials, no region, an
unknown stack, a missing table, a missing or malformed file, a refused call) is told in one line,
``delaydesk: <command>: <what went wrong> (<hint>)``, with exit status 2: an operator needs the
cause, not a traceback.
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
    "EscalationsTable": "ESCALATIONS_TABLE",
    "WindowsTable": "WINDOWS_TABLE",
    "RecomputeDeadlinesQueue": "RECOMPUTE_QUEUE_URL",
}


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def use_stack(stack_name: str) -> None:
    """Point the data layer at the tables of a deployed stack."""
    from delaydesk import store
    from delaydesk.core import aws
    from delaydesk.core.config import get_settings

    # An unknown stack raises CloudFormation's ValidationError, which main() reports in one line.
    cloudformation = boto3.client("cloudformation")
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
    }
    for logical_id, variable in STACK_ENV.items():
        if logical_id in resources:
            os.environ[variable] = resources[logical_id]
    # The tables are in the stack's region, whichever way boto3 found it (AWS_DEFAULT_REGION, a
    # profile): the settings read only AWS_REGION, and would otherwise default to us-east-1.
    os.environ["AWS_REGION"] = cloudformation.meta.region_name
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
    from pydantic import ValidationError

    from delaydesk import store
    from delaydesk.core.merchants import Merchant

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

    use_stack(args.stack_name)
    if args.action == "close":
        if not store.close_escalation(args.order_id, args.reason, datetime.now(UTC), args.by, args.note):
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


def _first_problem(exc: Any) -> str:
    """One line for a pydantic ValidationError: where the first problem is, and what it is."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


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


# ------------------------------------------------------------------ notices and templates (issue 5)

STACK_ENV["NoticeStateTable"] = "NOTICE_STATE_TABLE"


def _cmd_templates(args: argparse.Namespace) -> int:
    from delaydesk.core.config import get_settings
    from delaydesk.core.kinds import Kind, NoticeChannel
    from delaydesk.notices import templates_admin

    if args.action == "lint":
        problems = templates_admin.lint_bundled(get_settings())
        checked = "bundled templates"
        if args.stored:
            use_stack(args.stack_name)
            problems += templates_admin.lint_stored(get_settings())
            checked += " and stored overrides"
        for problem in problems:
            print(problem)
        print(f"{checked}: {len(problems)} problem(s)")
        return 1 if problems else 0
    source = Path(args.file).read_text(encoding="utf-8")  # before AWS: main() reports a missing file
    use_stack(args.stack_name)
    try:
        templates_admin.upload(
            args.merchant,
            Kind(args.kind),
            args.locale,
            NoticeChannel(args.channel),
            source,
            get_settings(),
            datetime.now(UTC),
        )
    except templates_admin.TemplateRejected as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise CommandError(f"template refused: {len(exc.problems)} problem(s)") from None
    print(f"template {args.kind}/{args.locale}/{args.channel} saved for {args.merchant}")
    return 0


def _cmd_notices(args: argparse.Namespace) -> int:
    from delaydesk.core.config import get_settings
    from delaydesk.core.kinds import Kind, NoticeChannel
    from delaydesk.notices import inbox, measure, templates_admin

    if args.action == "inbox":
        use_stack(args.stack_name)
        json.dump(inbox.list_inbox(args.order_id), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    if args.action == "link":
        print(_order_link(args.stack_name, args.order_id))
        return 0
    channel = NoticeChannel(args.channel)
    source = Path(args.file).read_text(encoding="utf-8") if args.file else None
    if source is not None:
        problems = templates_admin.lint_source(source, Kind(args.kind), args.locale, channel, get_settings())
        if problems:
            for problem in problems:
                print(problem, file=sys.stderr)
            raise CommandError(f"template refused: {len(problems)} problem(s)")
    out = templates_admin.preview(Kind(args.kind), args.locale, channel, get_settings(), source)
    if channel == NoticeChannel.SMS:
        length = measure(out.sms)
        print(out.sms)
        print(f"({length.encoding}, {length.units} units, {length.segments} segment(s))")
    elif args.html:
        print(out.html)
    else:
        print(f"Subject: {out.subject}\n")
        print(out.body(channel), end="")
    return 0


def _order_link(stack_name: str, order_id: str) -> str:
    """The order page link a notice carries, for support staff to give a customer again."""
    from delaydesk.core import links
    from delaydesk.core.config import Settings

    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
    base = parameters.get("OrderPageBaseUrl") or outputs["OrderPageUrl"]
    settings = Settings(order_link_key_parameter=parameters.get("OrderLinkKeyParameter") or "/delaydesk/order-link-key")
    try:
        key = links.signing_key(settings)
    except links.LinkKeyMissing as exc:
        raise CommandError(str(exc)) from None
    return links.order_url(base, None, order_id, key)


def _notices_parsers(commands: Any, stack: argparse.ArgumentParser) -> None:
    from delaydesk.core.kinds import Kind, NoticeChannel
    from delaydesk.core.merchants import SUPPORTED_LOCALES

    kinds = [k.value for k in Kind]
    channels = [c.value for c in NoticeChannel]
    templates = commands.add_parser("templates", help="notice templates: lint, merchant overrides")
    template_actions = templates.add_subparsers(dest="action", required=True)
    lint = template_actions.add_parser("lint", parents=[stack], help="check bundled (and stored) templates")
    lint.add_argument("--stored", action="store_true", help="also the overrides stored on the stack")
    put = template_actions.add_parser("put", parents=[stack], help="validate and store a merchant's template")
    put.add_argument("--merchant", required=True)
    put.add_argument("--kind", required=True, choices=kinds)
    put.add_argument("--locale", required=True, choices=SUPPORTED_LOCALES)
    put.add_argument("--channel", required=True, choices=channels)
    put.add_argument("file")
    templates.set_defaults(func=_cmd_templates)

    notices = commands.add_parser("notices", help="preview notices, read an order's inbox")
    notice_actions = notices.add_subparsers(dest="action", required=True)
    preview = notice_actions.add_parser("preview", help="render one notice with sample data")
    preview.add_argument("--kind", required=True, choices=kinds)
    preview.add_argument("--locale", required=True, choices=SUPPORTED_LOCALES)
    preview.add_argument("--channel", required=True, choices=channels)
    preview.add_argument("--file", help="a template to preview instead of the bundled one")
    preview.add_argument("--html", action="store_true", help="print the e-mail's HTML")
    box = notice_actions.add_parser("inbox", parents=[stack], help="the in-app inbox of an order")
    box.add_argument("order_id")
    link = notice_actions.add_parser("link", parents=[stack], help="the signed order page link of an order")
    link.add_argument("order_id")
    notices.set_defaults(func=_cmd_notices)


# ------------------------------------------------------------------ windows and explain (issue 4)


def _when(text: str | None) -> datetime:
    from delaydesk.core.times import parse_instant

    if not text:
        return datetime.now(UTC)
    try:
        return parse_instant(text)
    except ValueError:
        raise CommandError(f"--at {text!r} is not an RFC 3339 instant (e.g. 2020-02-09T23:59:59+08:00)") from None


def _windows_from(args: argparse.Namespace) -> list[Any]:
    from pydantic import ValidationError

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
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(window)"
            message = first["msg"].removeprefix("Value error, ")
            raise CommandError(f"{args.file}: window {index}: {where}: {message}") from None
    return windows


def _cmd_windows(args: argparse.Namespace) -> int:
    from delaydesk import store
    from delaydesk.delays import recompute

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
    lines = timeline(order, store.decisions_for(order.order_id), notices, merchant.timezone if merchant else "UTC")
    print("\n".join(lines))
    return 0


# ------------------------------------------------------------------ doctor (issue 9)


def _webhook_sources(text: str) -> tuple[str, ...]:
    from delaydesk.operations import WEBHOOK_SOURCES

    sources = tuple(s.strip() for s in text.split(",") if s.strip() and s.strip() != "none")
    unknown = [s for s in sources if s not in WEBHOOK_SOURCES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown source {', '.join(unknown)} (known: {', '.join(WEBHOOK_SOURCES)})")
    return sources


def _cmd_doctor(args: argparse.Namespace) -> int:
    from delaydesk.operations import doctor

    clients = doctor.Clients.create(args.region)
    verdicts = []
    for verdict in doctor.diagnose(clients, args.stack_name, args.webhook_sources):
        print(verdict.line(), flush=True)
        verdicts.append(verdict)
    return doctor.exit_code(verdicts)


def _doctor_parser(commands: Any) -> None:
    from delaydesk.operations import WEBHOOK_SOURCES

    doctor = commands.add_parser(
        "doctor",
        help="check a deployed stack against what real AWS requires (and the embedded AWS never enforces)",
    )
    doctor.add_argument(
        "--stack",
        "--stack-name",
        dest="stack_name",
        metavar="NAME",
        default="delaydesk-dev",
        help="default: delaydesk-dev",
    )
    doctor.add_argument("--region", metavar="R", help="the stack's region (default: the configured one, AWS_REGION)")
    doctor.add_argument(
        "--webhook-sources",
        type=_webhook_sources,
        default=WEBHOOK_SOURCES,
        metavar="S,S",
        help="the webhook sources whose secrets must exist (default: all three; 'none' for none)",
    )
    doctor.set_defaults(func=_cmd_doctor)


# ------------------------------------------------------------------ one-line errors (issue 9)


def describe_error(exc: BaseException, region: str | None = None, *, region_option: bool = False) -> str | None:
    """One line for an error that keeps a command from its stack, table or file: what went wrong,
    then a hint in parentheses. None for anything else, which is a bug and keeps its traceback.

    botocore and pynamodb errors say what failed in terms of HTTP calls and stack frames; an
    operator needs to know it is their credentials, their region or a name they typed.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )
    from pynamodb.exceptions import PynamoDBException, TableDoesNotExist

    where = f" {region}" if region else ""
    if isinstance(exc, TableDoesNotExist):
        return f"table does not exist: {exc.msg} (check --stack-name and the region{where})"
    if isinstance(exc, PynamoDBException):
        cause = exc.cause
        if isinstance(cause, BotoCoreError | ClientError):
            return describe_error(cause, region, region_option=region_option)
        return None
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"{exc} (set AWS_PROFILE, or run `aws configure` or `aws sso login`)"
    if isinstance(exc, NoRegionError):
        return f"no AWS region configured (set AWS_REGION{', or pass --region' if region_option else ''})"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"{exc} (check the network and the region{where})"
    if isinstance(exc, ProfileNotFound):
        return f"{exc} (check AWS_PROFILE and ~/.aws/config)"
    if isinstance(exc, ClientError):
        return _describe_client_error(exc, where)
    if isinstance(exc, BotoCoreError):
        return f"{exc} (check the AWS configuration)"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return f"{exc.filename}: {exc.strerror} (check the path)"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: {exc.strerror} (give a file)"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: {exc.strerror} (check the file's permissions)"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (check the file)"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: {exc.reason} at byte {exc.start} (save the file as UTF-8)"
    return None


def _describe_client_error(exc: Any, where: str) -> str:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", "")).rstrip(".")
    operation = getattr(exc, "operation_name", "the call")
    if code == "ValidationError" and "does not exist" in message:
        return f"{message} (check --stack-name and the region{where})"
    if code in ("ResourceNotFoundException", "NotFoundException", "ParameterNotFound", "QueueDoesNotExist"):
        return f"{operation}: {message or code} (check --stack-name and the region{where})"
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return f"the AWS credentials have expired (refresh them, e.g. `aws sso login`): {message}"
    if code in ("UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"):
        return f"the AWS credentials were refused: {message} (check AWS_PROFILE or the access keys)"
    if "AccessDenied" in code or code == "UnauthorizedOperation":
        return f"{operation}: access denied: {message} (the credentials' IAM policy must allow it)"
    return f"{operation}: {code}: {message}"


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
    _escalations_parser(commands, stack)
    _notices_parsers(commands, stack)

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
    _doctor_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = " ".join(part for part in (args.command, getattr(args, "action", None)) if part)
    try:
        code: Any = args.func(args)
    except CommandError as exc:
        message: str | None = str(exc)
    except Exception as exc:  # only the errors describe_error knows; the rest re-raise
        message = describe_error(
            exc, getattr(args, "region", None) or _configured_region(), region_option=hasattr(args, "region")
        )
        if message is None:
            raise
    else:
        return int(code)
    print(f"delaydesk: {command}: {message}", file=sys.stderr)
    return 2


def _configured_region() -> str | None:
    """The region boto3 would use (for the hint of an error), or None."""
    try:
        return boto3.session.Session().region_name
    except Exception:  # noqa: BLE001 - a broken configuration only loses the hint
        return None


if __name__ == "__main__":
    sys.exit(main())
