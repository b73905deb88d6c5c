"""The webhook intake (I/O): the source's secret, the verified and normalised event queued for ingest.

``webhooks`` decides (signature, freshness, normalisation); this module applies it: it reads the
source's secret from Parameter Store and puts the one ``tracking`` event on the events queue.
A help desk's delivery (``helpdesk`` decides) becomes one ``inquiry.received`` on the order-events
queue, under its merchant's own secret and origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from aws_lambda_powertools.utilities import parameters

from delaydesk.core import aws
from delaydesk.core import origins as authority
from delaydesk.core.config import get_settings
from delaydesk.core.observability import MetricUnit, count_by, logger, metrics
from delaydesk.tracking import webhooks


def secret_for(source: str, merchant_id: str | None = None) -> str | None:
    """The source's secret; a per-merchant source's is ``{prefix}/{source}/{merchant_id}``."""
    name = f"{get_settings().webhook_secrets_prefix}/{source}" + (f"/{merchant_id}" if merchant_id else "")
    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=300)
    except parameters.exceptions.GetParameterError:
        logger.warning("no webhook secret for this source", source=source, merchant_id=merchant_id)
        return None
    return str(value) if value else None


def accept_webhook(source: str, body: bytes, headers: Mapping[str, str], now: datetime) -> str:
    """Verify, normalise and queue one webhook; its event id. Raises ``webhooks.WebhookError``."""
    settings = get_settings()
    merchant_id = webhooks.merchant_of(source, headers) if source in webhooks.SOURCES else None
    secret = secret_for(source, merchant_id) if source in webhooks.SOURCES else None
    received = webhooks.receive(
        source, secret, body, headers, now, timedelta(seconds=settings.webhook_tolerance_seconds)
    )
    if not received.normalised.mapped:
        logger.warning("unmapped vendor status: queued with the safe default", vendor_status=received.vendor_status)
        count_by("TrackingStatusUnmapped", "source", source)
    origin = authority.webhook(source, merchant_id).name  # what this sender may say, and its id namespace
    aws.sqs().send_message(
        QueueUrl=settings.tracking_events_queue_url,
        MessageBody=webhooks.dumps(received.event),
        MessageAttributes={authority.ORIGIN_ATTRIBUTE: {"DataType": "String", "StringValue": origin}},
    )
    event_id = str(received.event["event_id"])
    logger.info("webhook queued", source=source, event_id=event_id)
    metrics.add_metric(name="WebhooksAccepted", unit=MetricUnit.Count, value=1)
    return event_id


def accept_inquiry(source: str, merchant_id: str, body: bytes, headers: Mapping[str, str], now: datetime) -> str:
    """Authenticate, map and queue one help-desk delivery; its event id. Raises ``WebhookError``.

    The help-desk mapping is imported here: ReceiveWebhook's carrier and vendor webhooks, most of its
    requests, never read it (``benchmarks/cold_start.py``)."""
    from delaydesk.tracking import helpdesk

    settings = get_settings()
    known = source in helpdesk.SOURCES and helpdesk.merchant_problem(merchant_id) is None
    secret = secret_for(f"helpdesk/{source}", merchant_id) if known else None
    received = helpdesk.receive(
        source, merchant_id, secret, body, headers, now, timedelta(seconds=settings.webhook_tolerance_seconds)
    )
    origin = authority.helpdesk(source, merchant_id).name  # inquiries only, this merchant's orders only
    aws.sqs().send_message(
        QueueUrl=settings.order_events_queue_url,
        MessageBody=webhooks.dumps(received.event),
        MessageAttributes={authority.ORIGIN_ATTRIBUTE: {"DataType": "String", "StringValue": origin}},
    )
    event_id = str(received.event["event_id"])
    logger.info("help-desk inquiry queued", source=source, event_id=event_id, topic_from=received.topic_from)
    count_by("InquiriesAccepted", "source", source)
    return event_id


def refuse_webhook(exc: webhooks.WebhookError) -> None:
    """Log and count a refused webhook (the handler answers with ``exc.status``)."""
    logger.warning("webhook refused", status=exc.status, reason=str(exc))
    count_by("WebhooksRefused", "status", str(exc.status))
