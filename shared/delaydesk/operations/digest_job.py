"""The daily digest (I/O): read the counters and records, build it (``digest``), mail it.

The hourly schedule (``send_digests``) sends each merchant the previous local day's digest once its
morning hour (``digest_hour``) has come, to its ``ops_email``, at most once per merchant and day:
the send is claimed first with a conditional write (``store.claim_digest``); a failed send gives the
claim back and a later run of the same day tries again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import msgspec
from botocore.exceptions import BotoCoreError, ClientError

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.config import Settings
from delaydesk.core.merchants import Merchant
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.core.stats import Alert
from delaydesk.operations.digest import (
    Digest,
    EscalationLine,
    build_digest,
    digest_csv,
    digest_span,
    digest_subject,
    due_day,
    render_digest_html,
)

CLAIM_LEASE = timedelta(minutes=15)
"""Longer than the function's timeout: an older claim belongs to a run that died."""


def reports_dir(settings: Settings) -> Path:
    """``templates/reports`` beside the notice templates (``/opt/reports`` in Lambda)."""
    return settings.resolved_templates_dir.parent / "reports"


def alerts_for(merchant_id: str) -> list[Alert]:
    """The merchant's early-warning alerts (the digest keeps those of its day)."""
    return [record.alert() for record in store.alerts_of(merchant_id)]


def digest_for(merchant: Merchant, day: date) -> Digest:
    """The digest of one merchant and local day, from the statistics counters and the records."""
    start, end = digest_span(day, merchant.timezone)
    rows = store.counter_rows(merchant.merchant_id, start, end)
    escalations = [
        EscalationLine(r.order_id, r.reason, r.opened_at)
        for r in store.list_escalations("open")
        if r.merchant_id == merchant.merchant_id
    ]
    return build_digest(
        merchant,
        day,
        rows,
        escalations=escalations,
        alerts=alerts_for(merchant.merchant_id),
        windows=store.windows_for(merchant.merchant_id),
    )


def compose(digest: Digest, settings: Settings, sender: str, to: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, the CSV attached."""
    folder = reports_dir(settings)
    csv_text = digest_csv(digest)
    message = EmailMessage()
    message["Subject"] = digest_subject(digest, folder)
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(csv_text, subtype="plain", charset="utf-8")
    message.add_alternative(render_digest_html(digest, folder), subtype="html", charset="utf-8")
    name = f"delaydesk-{digest.merchant_id}-{digest.day.isoformat()}.csv"
    # a BOM so that spreadsheet programs read the CSV's Chinese as UTF-8
    message.add_attachment(("\ufeff" + csv_text).encode("utf-8"), maintype="text", subtype="csv", filename=name)
    return message


def send_digest(digest: Digest, merchant: Merchant, settings: Settings) -> str:
    """Mail the digest to the merchant's ops address through SES v2 (raw: it has an attachment)."""
    sender = merchant.from_email or settings.sender_email
    to = merchant.settings.ops_email
    if not to:
        raise ValueError(f"merchant {merchant.merchant_id} has no ops_email")
    kwargs: dict[str, object] = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [to]},
        "Content": {"Raw": {"Data": compose(digest, settings, sender, to).as_bytes()}},
        "EmailTags": [{"Name": "kind", "Value": "daily_digest"}, {"Name": "merchant", "Value": merchant.merchant_id}],
    }
    if settings.ses_configuration_set:
        kwargs["ConfigurationSetName"] = settings.ses_configuration_set
    response = aws.sesv2().send_email(**kwargs)  # type: ignore[arg-type]
    return str(response["MessageId"])


class DigestRun(msgspec.Struct):
    sent: list[tuple[str, str]] = msgspec.field(default_factory=list)
    """(merchant, day) sent by this run."""
    skipped: int = 0
    failed: list[tuple[str, str]] = msgspec.field(default_factory=list)


def run_digests(now: datetime, settings: Settings, wall_now: datetime | None = None) -> DigestRun:
    """The hourly run: every merchant whose digest is due and not yet sent gets it, once."""
    run = DigestRun()
    wall = wall_now or datetime.now(UTC)
    for merchant in store.all_merchants():
        day = due_day(merchant, now)
        if day is None or not store.claim_digest(merchant.merchant_id, day, wall, CLAIM_LEASE):
            run.skipped += 1
            continue
        try:
            message_id = send_digest(digest_for(merchant, day), merchant, settings)
        except (ClientError, BotoCoreError):  # SES refused or unreachable: give the claim back
            store.release_digest(merchant.merchant_id, day)
            logger.exception(
                "daily digest not sent; a later run retries", merchant_id=merchant.merchant_id, day=str(day)
            )
            run.failed.append((merchant.merchant_id, day.isoformat()))
            continue
        store.mark_digest_sent(merchant.merchant_id, day, message_id, wall)
        logger.info("daily digest sent", merchant_id=merchant.merchant_id, day=str(day), message_id=message_id)
        run.sent.append((merchant.merchant_id, day.isoformat()))
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=len(run.sent))
    if run.failed:
        metrics.add_metric(name="DigestsFailed", unit=MetricUnit.Count, value=len(run.failed))
    return run
