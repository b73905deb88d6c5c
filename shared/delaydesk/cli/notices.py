"""``templates`` and ``notices``: lint, overrides, previews, an order's inbox and link."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from delaydesk.cli.common import CommandError, use_stack


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
