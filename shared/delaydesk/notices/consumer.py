"""The notices queue's consumer (I/O): one message → one dispatch; poison to the DLQ, throttling backed off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from delaydesk.core import aws
from delaydesk.core.config import get_settings
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.observability import RECORD_KEYS, MetricUnit, logger, metrics
from delaydesk.core.record import ValidationError, first_problem
from delaydesk.notices import dispatch, notice_jobs, ratelimit, reads, senders

_parsed: ContextVar[dict[str, list[NoticeRequest]] | None] = ContextVar("parsed_notices", default=None)
"""The batch's notice requests that ``prefetched`` parsed, by body: ``consume`` takes each once
instead of validating its body again."""


def dead_letter(body: str, message_id: str, reason: str) -> None:
    """A poison message goes straight to the DLQ with its reason (no pointless retries)."""
    aws.dead_letter(get_settings().notices_dlq_url, body, reason, message_id)
    metrics.add_metric(name="NoticesDeadLettered", unit=MetricUnit.Count, value=1)
    logger.error("poison notice sent to the DLQ", reason=reason)


def back_off(receipt_handle: str, receive_count: int) -> None:
    """Throttled: come back later, later each time (exponential, within SQS's 12 hours)."""
    seconds = notice_jobs.throttle_backoff(receive_count)
    queue_url = get_settings().notices_queue_url
    aws.sqs().change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)


def consume(body: str, message_id: str, receipt_handle: str, receive_count: int) -> str:
    """Dispatch the notice request in one queue message; what happened to it."""
    logger.remove_keys(RECORD_KEYS)
    logger.set_correlation_id(None)
    parsed = _parsed.get() or {}
    if parsed.get(body):
        request = parsed[body].pop()
    else:
        try:
            request = NoticeRequest.model_validate_json(body)
        except ValidationError as exc:
            dead_letter(body, message_id, f"not a notice request: {first_problem(exc)}")
            return "dead-lettered"
    logger.set_correlation_id(request.order_id)
    settings = get_settings()
    try:
        return dispatch.dispatch(
            request,
            now=request.requested_at,
            settings=settings,
            requeue=lambda r, delay: notice_jobs.requeue(r, delay, settings),
        )
    except Exception as exc:
        if senders.is_throttling(exc):
            metrics.add_metric(name="NoticesThrottled", unit=MetricUnit.Count, value=1)
            back_off(receipt_handle, receive_count)
        raise


@contextlib.contextmanager
def prefetched(bodies: Iterable[str]) -> Iterator[None]:
    """Within the block, the notices of these queue messages find their orders and suppression
    records read for the whole batch: two ``BatchGetItem`` calls (``reads.py``). Bodies that are
    not notice requests are left to ``consume``; a notice whose send slot or ticket has not come
    goes back on the queue unread, so it is not read here either. Each body is parsed once: its
    ``consume`` within the block takes the request parsed here (one per copy of the body)."""
    wall_now = dispatch.wall_clock()
    requests: list[NoticeRequest] = []
    parsed: dict[str, list[NoticeRequest]] = {}
    for body in bodies:
        try:
            request = NoticeRequest.model_validate_json(body)
        except ValidationError:
            continue
        parsed.setdefault(body, []).append(request)
        if ratelimit.held_until(request, wall_now) is None:
            requests.append(request)
    token = _parsed.set(parsed)
    try:
        with reads.prefetched(requests):
            yield
    finally:
        _parsed.reset(token)
