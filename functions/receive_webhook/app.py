"""HTTP API → carrier webhook: verify the signature, normalise, queue one ``tracking`` event.

``POST /webhooks/{source}`` (aftership, easypost, generic). 202 when queued; 401 on a bad or
missing signature or a stale timestamp; 400 on a body that is not a usable payload; 404 on an
unknown source. Nothing is queued unless the answer is 202. "Now" is the request's own time.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk import aws, webhooks
from delaydesk.config import get_settings
from delaydesk.observability import MetricUnit, count_by, logger, metrics, tracer

app = APIGatewayHttpResolver()


def _secret(source: str) -> str | None:
    try:
        value = parameters.get_parameter(f"{get_settings().webhook_secrets_prefix}/{source}", decrypt=True, max_age=300)
    except parameters.exceptions.GetParameterError:
        logger.warning("no webhook secret for this source", source=source)
        return None
    return str(value) if value else None


@app.post("/webhooks/<source>")
def receive(source: str) -> Response[dict[str, Any]]:
    event = app.current_event
    settings = get_settings()
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    now = datetime.fromtimestamp(event.request_context.time_epoch / 1000, tz=UTC)
    secret = _secret(source) if source in webhooks.SOURCES else None
    received = webhooks.receive(
        source, secret, body, event.headers, now, timedelta(seconds=settings.webhook_tolerance_seconds)
    )
    if not received.normalised.mapped:
        logger.warning("unmapped vendor status: queued with the safe default", vendor_status=received.vendor_status)
        count_by("TrackingStatusUnmapped", "source", source)
    aws.sqs().send_message(QueueUrl=settings.tracking_events_queue_url, MessageBody=webhooks.dumps(received.event))
    logger.info("webhook queued", source=source, event_id=received.event["event_id"])
    metrics.add_metric(name="WebhooksAccepted", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, content_type="application/json", body={"queued": received.event["event_id"]})


@app.exception_handler(webhooks.WebhookError)  # type: ignore[untyped-decorator]
def refused(exc: webhooks.WebhookError) -> Response[dict[str, Any]]:
    logger.warning("webhook refused", status=exc.status, reason=str(exc))
    count_by("WebhooksRefused", "status", str(exc.status))
    return Response(status_code=exc.status, content_type="application/json", body={"error": str(exc)})


@logger.inject_lambda_context(clear_state=True, correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
