"""``doctor``: a deployed stack against what real AWS requires."""

from __future__ import annotations

import argparse
from typing import Any


def _webhook_sources(text: str) -> tuple[str, ...]:
    from delaydesk.operations import WEBHOOK_SOURCES

    sources = tuple(s.strip() for s in text.split(",") if s.strip() and s.strip() != "none")
    unknown = [s for s in sources if s not in WEBHOOK_SOURCES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown source {', '.join(unknown)} (known: {', '.join(WEBHOOK_SOURCES)})")
    return sources


def _helpdesks(text: str) -> tuple[tuple[str, str], ...]:
    from delaydesk.core.origins import MERCHANT_ID
    from delaydesk.tracking import helpdesk

    pairs = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        source, _, merchant = item.partition(":")
        if source not in helpdesk.SOURCES or not MERCHANT_ID.match(merchant):
            known = ", ".join(helpdesk.SOURCES)
            raise argparse.ArgumentTypeError(f"{item[:60]!r} is not SOURCE:MERCHANT_ID (sources: {known})")
        pairs.append((source, merchant))
    return tuple(pairs)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from delaydesk.operations import doctor

    clients = doctor.Clients.create(args.region)
    verdicts = []
    for verdict in doctor.diagnose(clients, args.stack_name, args.webhook_sources, args.helpdesks):
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
    doctor.add_argument(
        "--helpdesks",
        type=_helpdesks,
        default=(),
        metavar="SOURCE:MERCHANT,…",
        help="merchants' help desks whose secrets must exist, e.g. zendesk:m1,freshdesk:m2 (default: none)",
    )
    doctor.set_defaults(func=_cmd_doctor)


# ------------------------------------------------------------------ one-line errors (issue 9)
