"""Dispatching one notice request: claim its key, check, render, send, record. Exactly once per
key, but for the window documented in README ("Exactly-once notices").

The steps, in order:

0. an e-mail or SMS holding a send slot or bulk ticket that has not come yet goes straight back
   on the queue; a bulk one (an announcement) takes its ticket of the bulk share, then its send
   slot (``ratelimit.py``: the merchant's buckets for e-mail, the stack's for SMS). Before the
   claim, so that each pass of a mass announcement costs at most one DynamoDB update (a ticket or
   slot is lost if the key turns out done, suppressed or held);
1. claim the key (order, kind, stage, channel) in the notice log: a conditional put. A key that
   is done (sent, failed, suppressed) ends here; a key claimed by a live sender raises
   ``InFlight`` so the message is retried, never dropped;
2. the in-app inbox channel is stored and done;
3. a suppressed address (hard bounce, complaint, SMS opt-out) is recorded as ``suppressed`` and
   the notice falls back to the customer's other channel (once);
4. an SMS in the customer's quiet hours is held until they end (``store.hold_notice``; the
   scheduled ``release_notices`` function re-queues it) and the claim is released. An
   announcement's SMS gives up its ticket and slot: released, it takes a new ticket here (step 0);
5. an e-mail takes a slot of the merchant's send rate, an SMS one of the stack's SMS rate; one that
   is not now is re-queued with a delay, holding the slot (``ratelimit.py``);
6. compensation is granted (at most once per order, within budget; none where a holdout
   experiment withholds it, core/experiments.py) and rendered; an SMS first stores its order's
   short link (``/o/CODE``, one conditional put, the same item on every try);
7. send. Throttling and other transient errors release the claim and raise (the queue retries
   with backoff); a permanent refusal is recorded and not retried (and an invalid phone number
   is suppressed);
8. record the provider's message id with the inbox copy (one conditional update).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from delaydesk import store
from delaydesk.core import links, pacing, stats
from delaydesk.core.config import Settings, get_settings
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.experiments import COMPENSATION_DETAIL
from delaydesk.core.kinds import BULK_KINDS, DELAY_KINDS, NoticeChannel, NoticeRequest, address_for
from delaydesk.core.merchants import CompensationPolicy, Merchant, NoticePolicy
from delaydesk.core.observability import MetricUnit, count_by, logger, metrics
from delaydesk.core.orders import Order, OrderStatus
from delaydesk.core.stats import NoticeOutcome
from delaydesk.notices import compensation, ratelimit, reader, reads, rendering, senders, suppression
from delaydesk.notices.notice_policy import quiet_until
from delaydesk.notices.senders import PermanentSendError
from delaydesk.store import InFlight, NoticeClaim

__all__ = ["InFlight", "dispatch"]

Requeue = Callable[[NoticeRequest, int], None]

COMMIT_WAIT_SECONDS = 5
"""How long a notice whose evaluation has not committed its order yet goes back on the queue for
(``NoticeRequest.order_version``): a scan page's commits follow its queueing within a second or two."""
"""Put a request back on the Notices queue with a delay in seconds (SQS DelaySeconds)."""

wall_clock: Callable[[], float] = time.time
"""Physical time, for the claim lease and the send rate only (tests replace it)."""

_MERCHANT_TTL = 60.0
_merchants: dict[str, tuple[float, Merchant | None]] = {}


CLOSED_BY_REFUND = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
"""Orders whose delay is over for good: a delay notice still queued for them is not sent."""


def _merchant(merchant_id: str) -> Merchant | None:
    """Merchants cached per container for a minute (one read per merchant, not per notice)."""
    now = wall_clock()
    hit = _merchants.get(merchant_id)
    if hit is None or now - hit[0] > _MERCHANT_TTL:
        hit = (now, store.get_merchant(merchant_id))
        _merchants[merchant_id] = hit
    return hit[1]


def forget_merchants() -> None:
    _merchants.clear()
    _overrides_cache.clear()


def dispatch(
    request: NoticeRequest, now: datetime, settings: Settings | None = None, requeue: Requeue | None = None
) -> str:
    """Handle ``request``; returns the outcome (sent, duplicate, suppressed, superseded, held, deferred, failed).

    Transient errors propagate (the message is retried by SQS) after the claim is released.
    """
    settings = settings or get_settings()
    now = request.effective_now(now)
    logger.append_keys(order_id=request.order_id, notice_id=request.notice_id)
    if requeue is not None:
        paced = _pace_before_claim(request, wall_clock(), requeue, settings)
        if paced is None:
            return "deferred"
        request = paced
    wall = datetime.fromtimestamp(wall_clock(), UTC)
    claim = store.claim_notice_key(request, wall, timedelta(seconds=settings.notice_claim_lease_seconds))
    if claim is None:
        logger.info("notice already handled; redelivery ignored")
        metrics.add_metric(name="NoticeDuplicatesSuppressed", unit=MetricUnit.Count, value=1)
        return "duplicate"
    try:
        return _dispatch_claimed(request, claim, now, settings, requeue)
    except BaseException:
        store.release_claim(claim)
        raise


def _pacing(
    channel: NoticeChannel, merchant_id: str, merchant: Merchant | None, settings: Settings
) -> tuple[str | None, ratelimit.Rates] | None:
    """Whose buckets a notice takes its slots of, and their rates: the merchant's ``max_send_rate``
    for e-mail, the stack's ``sms_send_rate`` for SMS (at the merchant's bulk share for bulk SMS);
    None: not paced."""
    policy = merchant.settings.notices if merchant else NoticePolicy()
    rates = pacing.notice_rates(channel, policy, settings.sms_send_rate)
    return None if rates is None else (pacing.owner(channel, merchant_id), rates)


def _defer(request: NoticeRequest, paced: ratelimit.Paced, requeue: Requeue) -> str:
    requeue(request.model_copy(update=paced.fields), paced.delay_seconds)
    metrics.add_metric(name="NoticesDeferred", unit=MetricUnit.Count, value=1)
    return "deferred"


def _pace_before_claim(
    request: NoticeRequest, wall_now: float, requeue: Requeue, settings: Settings
) -> NoticeRequest | None:
    """Step 0. None if the notice went back on the queue; else the request to dispatch (a bulk
    notice whose send slot is now holds it, so that step 5 does not take another)."""
    if request.channel not in pacing.PACED_CHANNELS:
        return request
    at = ratelimit.held_until(request, wall_now)
    if at is not None:
        _defer(request, ratelimit.Paced({}, ratelimit.delay_for(at, wall_now)), requeue)
        return None
    if request.kind not in BULK_KINDS or ratelimit.holds_send_slot(request, wall_now):
        return request
    paced_by = _pacing(request.channel, request.merchant_id, _merchant(request.merchant_id), settings)
    if paced_by is None:
        return request
    owner, rates = paced_by
    if ratelimit.needs_ticket(request):
        paced = ratelimit.take_bulk_slot(owner, rates, wall_now)
    else:
        paced = ratelimit.take_send_slot(owner, rates, wall_now, bulk=True)
    if paced.delay_seconds:
        _defer(request, paced, requeue)
        return None
    return request.model_copy(update=paced.fields)


def _record(
    claim: NoticeClaim, request: NoticeRequest, order: Order | None, now: datetime, status: NoticeOutcome, **fields: Any
) -> None:
    """Record the claimed notice's outcome, then count it (once: only the claim's owner records it)."""
    store.record_outcome(claim, status, **fields)
    merchant_id = order.merchant_id if order is not None else request.merchant_id
    counter = stats.notices(request.kind.value, request.channel.value, status)
    store.add_counts(merchant_id, now, *stats.scope_of(order), {counter: 1})


def _dispatch_claimed(
    request: NoticeRequest, claim: NoticeClaim, now: datetime, settings: Settings, requeue: Requeue | None
) -> str:
    record = reads.order(request.order_id)  # prefetched for the queue batch (reads.py)
    if record is None:
        _record(claim, request, None, now, "failed", error="order not found")
        logger.error("notice for an unknown order dropped")
        return "failed"
    if requeue is not None and request.order_version is not None and (record.version or 0) < request.order_version:
        # Queued by an evaluation whose commit has not landed yet: wait for it once (then as it is).
        store.release_claim(claim)
        requeue(request.model_copy(update={"order_version": None}), COMMIT_WAIT_SECONDS)
        logger.info("order not yet committed by its evaluation; notice back on the queue", version=record.version)
        metrics.add_metric(name="NoticesAwaitingCommit", unit=MetricUnit.Count, value=1)
        return "deferred"
    order = record.order()
    if request.kind in DELAY_KINDS and order.status in CLOSED_BY_REFUND:
        # A delay notice held (quiet hours, send rate) or retried past the order's cancellation:
        # the customer was told it is cancelled, so no delay notice follows (16 CFR 435).
        store.record_outcome(claim, "superseded", error=f"order {order.status.value} before it was sent")
        logger.info("delay notice superseded: the order was cancelled or refunded")
        return "superseded"
    merchant = _merchant(order.merchant_id)
    policy = merchant.settings.notices if merchant else NoticePolicy()
    channel = request.channel
    if channel == NoticeChannel.INBOX:
        rendered = _render(request, order, merchant, settings, now)
        _record(
            claim,
            request,
            order,
            now,
            "sent",
            to="inbox",
            locale=rendered.locale,
            subject=rendered.subject,
            sent_at=now,
            inbox=rendered.inbox,
        )
        count_by("NoticesSent", "channel", channel.value)
        return "sent"
    to = address_for(order.customer, channel)
    if not to:
        _record(claim, request, order, now, "failed", error=f"customer has no {channel} address")
        logger.error("notice has no address for its channel")
        return "failed"
    reason = suppression.suppressed(to)
    if reason is not None:
        # The fallback first: if recording fails, the retry finds the key open and queues it again
        # (deduplicated by the fallback's own key); the other order could lose the fallback.
        # Someone who unsubscribed asked for less, not for the other channel: the inbox only.
        other_channel = reason != suppression.Reason.UNSUBSCRIBED
        _fall_back(request, order, merchant, now, settings, requeue, other_channel)
        _record(claim, request, order, now, "suppressed", to=to, error=f"suppressed: {reason}")
        logger.info("address suppressed; not sent", reason=reason)
        count_by("NoticesSuppressed", "channel", channel.value)
        return "suppressed"
    if channel == NoticeChannel.SMS and (policy.quiet_hours_urgent or not request.urgent):
        release_at = quiet_until(now, reader.customer_zone(order, merchant), policy)
        if release_at is not None:
            store.release_claim(claim)
            # Without its ticket or slot (long past when it is released): an announcement's SMS
            # takes a new ticket then, so the held ones drain at the bulk share after quiet hours.
            held = {"not_before": release_at, "bulk_slot": None, "send_slot": None}
            store.hold_notice(request.model_copy(update=held), release_at)
            logger.info("SMS held for the customer's quiet hours", release_at=release_at.isoformat())
            metrics.add_metric(name="NoticesHeld", unit=MetricUnit.Count, value=1)
            return "held"
    paced_by = _pacing(channel, order.merchant_id, merchant, settings)
    if paced_by is not None and requeue is not None:
        wall_now = wall_clock()
        if not ratelimit.holds_send_slot(request, wall_now):
            paced = ratelimit.take_send_slot(paced_by[0], paced_by[1], wall_now)
            if paced.delay_seconds:
                store.release_claim(claim)
                return _defer(request, paced, requeue)
    request = _with_compensation(request, order, policy, now)
    rendered = _render(request, order, merchant, settings, now)
    try:
        message_id = senders.send(channel, to, rendered, request, merchant, settings)
    except PermanentSendError as exc:
        if channel == NoticeChannel.SMS and exc.code in ("InvalidParameter", "InvalidParameterValue", "OptedOut"):
            reason_code = suppression.Reason.SMS_OPT_OUT if exc.code == "OptedOut" else suppression.Reason.REFUSED
            suppression.suppress(to, reason_code, f"sns:{exc.code}", now)
            _fall_back(request, order, merchant, now, settings, requeue)
        _record(claim, request, order, now, "failed", to=to, error=str(exc))
        logger.error("notice refused by the provider; not retried", error=str(exc))
        count_by("NoticesFailed", "channel", channel.value)
        return "failed"
    _record(
        claim,
        request,
        order,
        now,
        "sent",
        to=to,
        locale=rendered.locale,
        subject=rendered.subject,
        message_id=message_id,
        sent_at=now,
        inbox=rendered.inbox,  # the in-app copy, in the same write
    )
    logger.info("notice sent", channel=channel.value, locale=rendered.locale, message_id=message_id)
    count_by("NoticesSent", "channel", channel.value)
    return "sent"


def _render(
    request: NoticeRequest, order: Order, merchant: Merchant | None, settings: Settings, now: datetime
) -> rendering.Rendered:
    locale = reader.pick_locale(order.customer.locale, merchant)
    overrides = None
    if merchant is not None:
        prefix = f"{request.kind}#{locale}#"
        stored = _overrides(merchant.merchant_id)
        overrides = {key.removeprefix(prefix): src for key, src in stored.items() if key.startswith(prefix)} or None
    key = links.signing_key(settings)
    short = _short_url(order, key, now, settings) if request.channel == NoticeChannel.SMS else None
    rendered = rendering.render(request, order, merchant, settings, key, overrides, short)
    for refusal in rendered.refused:  # over budget or failing at send time: the bundled template was used
        logger.warning("merchant template refused; the bundled one was used", reason=refusal)
        count_by("TemplateOverridesRefused", "kind", request.kind.value)
    return rendered


def _short_url(order: Order, key: bytes, now: datetime, settings: Settings) -> str | None:
    """The order's short link for an SMS, stored (or renewed) before it is sent: one conditional
    put, the same item on every redelivery. None (the SMS keeps the full link) when the deployment
    has no short-link base, or in the vanishing case that another order holds the code."""
    if not settings.short_link_base_url:
        return None
    code = links.short_code(key, order.order_id)
    expires_at = now + timedelta(days=settings.short_link_days)
    if not store.put_short_link(code, order.order_id, order.merchant_id, expires_at):
        logger.error("short-link code held by another order; the SMS carries the full link")
        metrics.add_metric(name="ShortLinkCollisions", unit=MetricUnit.Count, value=1)
        return None
    return links.short_url(settings.short_link_base_url, code)


_overrides_cache: dict[str, tuple[float, dict[str, str]]] = {}


def _overrides(merchant_id: str) -> dict[str, str]:
    """A merchant's template overrides, cached per container for a minute like the merchant
    (a new upload applies within a minute)."""
    now = wall_clock()
    hit = _overrides_cache.get(merchant_id)
    if hit is None or now - hit[0] > _MERCHANT_TTL:
        hit = (now, store.template_overrides(merchant_id))
        _overrides_cache[merchant_id] = hit
    return hit[1]


def _fall_back(
    request: NoticeRequest,
    order: Order,
    merchant: Merchant | None,
    now: datetime,
    settings: Settings,
    requeue: Requeue | None,
    other_channel: bool = True,
) -> None:
    """Tell the customer on another channel: SMS for a suppressed e-mail and vice versa (unless
    ``other_channel`` is False), and always the inbox. A fallback does not fall back again."""
    if request.fallback_from is not None:
        return
    other = {NoticeChannel.EMAIL: NoticeChannel.SMS, NoticeChannel.SMS: NoticeChannel.EMAIL}.get(request.channel)
    channels = [NoticeChannel.INBOX]
    if other_channel and other is not None and address_for(order.customer, other):
        channels.insert(0, other)
    for channel in channels:
        # Without the slots this channel held: the other channel's are another bucket's.
        moved = {"channel": channel, "fallback_from": request.channel, "bulk_slot": None, "send_slot": None}
        fallback = request.model_copy(update=moved)
        logger.info("falling back to another channel", channel=channel.value)
        if requeue is not None:
            requeue(fallback, 0)  # its own message: retried on its own if it fails
        else:
            dispatch(fallback, now, settings, requeue)


def _with_compensation(request: NoticeRequest, order: Order, policy: NoticePolicy, now: datetime) -> NoticeRequest:
    """Add the compensation this notice grants (or granted, on another channel) to its details."""
    rules = policy.compensation
    if not rules.rules or request.kind not in DELAY_KINDS or "compensation_type" in request.details:
        return request
    if COMPENSATION_DETAIL in request.details:
        _compensation_held_out(request, order, rules, now)
        return request
    notice_key = f"{request.kind}#{request.stage}"
    existing = store.grant_of(order.order_id)
    if existing is None:
        grant = compensation.decide(request, order.value.amount, rules, now)
        if grant is None:
            return request
        budget = float(rules.budget) if rules.budget is not None else None
        window = compensation.budget_window(now, rules)
        if store.record_grant(
            order.order_id,
            order.merchant_id,
            notice_key,
            grant.grant,
            str(grant.value),
            float(grant.cost),
            budget,
            window,
            now,
        ):
            store.put_decision(
                Decision(
                    order_id=order.order_id,
                    decision_id=f"{compensation.COMPENSATION_GRANTED}#{notice_key}",
                    action=Action.COMPENSATION_GRANTED,
                    rule=f"compensation_rule_{grant.rule_index}",
                    at=now,
                    inputs={"grant": grant.grant, "value": str(grant.value), "budget_window": window},
                )
            )
            count_by("CompensationGranted", "grant", grant.grant)
        existing = store.grant_of(order.order_id)
    if existing is None or existing.title != notice_key or not existing.label or not existing.text:
        return request
    details = {**request.details, "compensation_type": existing.label, "compensation_value": existing.text}
    return request.model_copy(update={"details": details})


def _compensation_held_out(request: NoticeRequest, order: Order, rules: CompensationPolicy, now: datetime) -> None:
    """The rules decided (core/experiments.py) that this order's notices carry no compensation: grant
    none, and record once per order that a grant was withheld when the policy would have made one."""
    grant = compensation.decide(request, order.value.amount, rules, now)
    if grant is None:
        return
    experiment_id = request.details[COMPENSATION_DETAIL]
    decision = Decision(
        order_id=order.order_id,
        decision_id=f"{Action.HELD_OUT}#{experiment_id}#compensation",
        action=Action.HELD_OUT,
        rule="experiment_compensation",
        at=now,
        inputs={
            "experiment_id": experiment_id,
            "kind": request.kind.value,
            "stage": request.stage,
            "arm": "holdout",
            "grant": grant.grant,
            "value": str(grant.value),
        },
    )
    if store.put_decision(decision):
        logger.info("compensation held out by experiment", order_id=order.order_id, experiment_id=experiment_id)
