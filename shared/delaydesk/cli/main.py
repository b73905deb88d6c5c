"""The parser and the entry point (``delaydesk.cli:main``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from delaydesk.cli import windows as windows_cmds
from delaydesk.cli.common import CommandError, _configured_region, describe_error
from delaydesk.cli.doctor import _doctor_parser
from delaydesk.cli.local import _cmd_demo, _cmd_serve, _cmd_simulate
from delaydesk.cli.notices import _notices_parsers
from delaydesk.cli.records import _cmd_merchants, _cmd_rejected, _escalations_parser
from delaydesk.cli.report import _report_parser


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="delaydesk", description="DelayDesk operator and simulation tools.")
    commands = root.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="replay a scenario through the template in the embedded AWS")
    simulate.add_argument("scenario", help="scenario JSON file (../shared/contracts/scenario.md)")
    simulate.add_argument("--json", action="store_true", help="print the contract's JSON object")
    simulate.add_argument("--log", help="write the functions' JSON logs and metrics to this file")
    simulate.set_defaults(func=_cmd_simulate)

    serve = commands.add_parser(
        "serve", help="replay a scenario, then serve the template's HTTP API on 127.0.0.1 until interrupted"
    )
    serve.add_argument("scenario", help="scenario JSON file (../shared/contracts/scenario.md)")
    serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default: 8765; 0: any free port)")
    serve.add_argument("--log", help="write the functions' JSON logs and metrics to this file")
    serve.set_defaults(func=_cmd_serve)

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

    windows_cmds._windows_parsers(commands, stack)
    _report_parser(commands, stack)
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
