"""Dispatching one notice request: claim its key, render, send, record. Exactly once per key,
but for the window documented in README ("Exactly-once notices")."""

from __future__ import annotations

from datetime import datetime, timedelta

from delaydesk import rendering, senders, store
from delaydesk.config import Settings, get_settings
from delaydesk.notices import NoticeChannel, NoticeRequest
from delaydesk.observability import MetricUnit, count_by, logger, metrics
from delaydesk.senders import PermanentSendError


def dispatch(request: NoticeRequest, now: datetime, settings: Settings | None = None) -> str:
    """Send ``request`` unless its key was sent already. Returns the outcome.

    Transient errors propagate (the message is retried by SQS) after the claim is released.
    """
    settings = settings or get_settings()
    logger.append_keys(order_id=request.order_id, notice_id=request.notice_id)
    claim = store.claim_notice(request, now, timedelta(seconds=settings.notice_claim_lease_seconds))
    if claim is None:
        logger.info("notice already sent or in flight; redelivery ignored")
        metrics.add_metric(name="NoticeDuplicatesSuppressed", unit=MetricUnit.Count, value=1)
        return "duplicate"
    record = store.get_order(request.order_id)
    if record is None:
        store.record_outcome(claim, "failed", error="order not found")
        logger.error("notice for an unknown order dropped")
        return "failed"
    order = record.order()
    merchant = store.get_merchant(order.merchant_id)
    to = order.customer.email if request.channel == NoticeChannel.EMAIL else order.customer.phone
    if not to:
        store.record_outcome(claim, "failed", error=f"customer has no {request.channel} address")
        logger.error("notice has no address for its channel")
        return "failed"
    try:
        rendered = rendering.render(request, order, merchant, settings)
        message_id = senders.send(request.channel, to, rendered, request, merchant, settings)
    except PermanentSendError as exc:
        store.record_outcome(claim, "failed", to=to, error=str(exc))
        logger.error("notice refused by the provider; not retried", error=str(exc))
        count_by("NoticesFailed", "channel", request.channel.value)
        return "failed"
    except BaseException:
        store.release_claim(claim)
        raise
    store.record_outcome(
        claim, "sent", to=to, locale=rendered.locale, subject=rendered.subject, message_id=message_id, sent_at=now
    )
    logger.info("notice sent", channel=request.channel.value, locale=rendered.locale, message_id=message_id)
    count_by("NoticesSent", "channel", request.channel.value)
    return "sent"
