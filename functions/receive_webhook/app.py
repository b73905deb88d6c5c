"""HTTP API → carrier webhook: verify the signature, normalise, queue one ``tracking`` event.

``POST /webhooks/{source}`` (aftership, easypost, 17track, shopify, easyship; generic: per
merchant, ``x-delaydesk-merchant``). 202 when queued; 401 on a bad or missing signature or a stale
timestamp; 400 on a body that is not a usable payload; 404 on an unknown source; 413 on a body over
the edge limit. Nothing is queued unless the answer is 202. "Now" is the request's own time.
``POST /helpdesk/{source}/{merchant_id}`` (zendesk, freshdesk, generic): a merchant's help desk,
one ``inquiry.received`` per ticket, with the same answers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from delaydesk.core.http import Response, Router
from delaydesk.core.observability import logger, metrics, tracer
from delaydesk.tracking import WebhookError, accept_inquiry, accept_webhook, refuse_webhook, webhooks

app = Router()


@app.post("/webhooks/{source}")
def receive(source: str) -> Response:
    request = app.request
    body = webhooks.decode_body(request.body or "", request.is_base64_encoded)
    event_id = accept_webhook(source, body, request.headers, request.now)
    return Response(status_code=202, content_type="application/json", body={"queued": event_id})


@app.post("/helpdesk/{source}/{merchant_id}")
def receive_inquiry(source: str, merchant_id: str) -> Response:
    request = app.request
    body = webhooks.decode_body(request.body or "", request.is_base64_encoded)
    event_id = accept_inquiry(source, merchant_id, body, request.headers, request.now)
    return Response(status_code=202, content_type="application/json", body={"queued": event_id})


@app.error(WebhookError)
def refused(exc: WebhookError) -> Response:
    refuse_webhook(exc)
    return Response(status_code=exc.status, content_type="application/json", body={"error": str(exc)})


@logger.inject_lambda_context(clear_state=True, correlation_id_path="requestContext.requestId")
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
