"""Delay rules: pure functions of order state, the merchant's policy and ``now``.

``evaluate`` is what the scan runs on every due order; ``next_due_at`` folds the order's
pending deadlines into the single instant the due-time index is keyed on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec

from delaydesk.core import experiments
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import Tag
from delaydesk.core.kinds import Kind, NoticeRequest, choose_channels
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Delay, Order, OrderStatus, Shipment
from delaydesk.core.times import iso
from delaydesk.core.windows import Window
from delaydesk.delays import escalation, eta
from delaydesk.policy import consumer_rules, pending_due, timers

AFTER_PICKUP_TAGS = frozenset({Tag.PENDING, Tag.INFO_RECEIVED})
AT_DELIVERY_TAGS = frozenset({Tag.OUT_FOR_DELIVERY, Tag.AVAILABLE_FOR_PICKUP})
EXCEPTION_TAGS = frozenset({Tag.EXCEPTION, Tag.ATTEMPT_FAIL, Tag.EXPIRED})


class Finding(msgspec.Struct, frozen=True):
    kind: Kind
    rule: str
    reason: str


class Evaluation(msgspec.Struct):
    order: Order
    decisions: list[Decision] = msgspec.field(default_factory=list)
    notices: list[NoticeRequest] = msgspec.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.decisions or self.notices)


def detect(order: Order, policy: DelayPolicy, now: datetime) -> Finding | None:
    """The delay this order is in at ``now``, if any (ignoring whether it was announced)."""
    if order.status == OrderStatus.PAID:
        if now >= consumer_rules.first_notice_at(order, policy):
            return Finding(Kind.SHIPMENT_DELAYED, "ship_by", "not_shipped")
        return None
    shipment = order.shipment
    if order.status != OrderStatus.SHIPPED or shipment is None:
        return None
    if shipment.last_tag in EXCEPTION_TAGS:
        return Finding(Kind.DELIVERY_EXCEPTION, "carrier_exception", shipment.last_sub_status or shipment.last_tag)
    rule = stall_rule(shipment)
    if now - shipment.last_scan_at < stall_after(order, policy):
        return None
    return Finding(Kind.IN_TRANSIT_DELAYED, rule, rule)


def stall_rule(shipment: Shipment) -> str:
    """Which stall the parcel would be in, from its scans (DESIGN.md "Tracking status taxonomy").

    No scan, a label or only the carrier's collection scan (揽收 / picked up, however the vendor
    tagged it: ``Shipment.past_pickup`` is False) is "stalled after pickup"; arrived or out for
    delivery is "stalled at delivery"; anything else is "stalled in transit".
    """
    if shipment.scans == 0 or shipment.last_tag in AFTER_PICKUP_TAGS:
        return "stalled_after_pickup"
    if shipment.last_tag in AT_DELIVERY_TAGS:
        return "stalled_at_delivery"
    if shipment.past_pickup is False:
        return "stalled_after_pickup"
    return "stalled_in_transit"


def stall_after(order: Order, policy: DelayPolicy) -> timedelta:
    """The stall threshold for this order's parcel (merchant overrides per carrier and destination)."""
    shipment = order.shipment
    assert shipment is not None
    return policy.stall_after_for(
        stall_rule(shipment), shipment.carrier, order.destination.country, order.destination.region
    )


def next_due_at(order: Order, policy: DelayPolicy) -> datetime | None:
    """The earliest pending deadline of the order; None takes it out of the due-time index.

    Folds the delay rules' next instant with the policy timers' (timers.py: refund, return,
    auto-confirm, late shipment, cancel-while-late).
    """
    dues = [
        d
        for d in (_delay_due(order, policy), pending_due(order, policy.timers), consumer_rules.pending_due(order))
        if d is not None
    ]
    return min(dues) if dues else None


def evaluated_at_payment(order: Order, policy: DelayPolicy, windows: list[Window], now: datetime) -> Order | None:
    """A new order as the scan's first evaluation would leave it (``scan.process``: the timers with
    the windows in force, then the delay rules), when that evaluation decides and tells nothing:
    ingest writes it so, due at its first real deadline, and the scan has nothing to do at payment.

    None when the evaluation records a decision or queues a notice (a window in force moves a
    deadline and is announced, an experiment holds something out, a rule is already due): the
    order is then written as it came, due at once (``timers.pending_due``), and the scan takes that
    evaluation as before, with its decisions and notices.
    """
    timed = timers.evaluate(order, policy, windows, now)
    result = evaluate(timed.order, policy, now)
    if timed.decisions or timed.notices or result.changed:
        return None
    return result.order


def _delay_due(order: Order, policy: DelayPolicy) -> datetime | None:
    if not order.is_open:
        return None
    if order.delay is not None:
        escalate_at = escalation.due_at(order, policy)
        return min(order.delay.next_update_at, escalate_at) if escalate_at else order.delay.next_update_at
    if order.status == OrderStatus.PAID:
        return consumer_rules.first_notice_at(order, policy)
    shipment = order.shipment
    if shipment is None:
        return None
    if shipment.last_tag in EXCEPTION_TAGS:
        return shipment.last_scan_at
    return shipment.last_scan_at + stall_after(order, policy)


def _eta(order: Order, kind: Kind, policy: DelayPolicy, now: datetime) -> tuple[date, date]:
    return eta.estimate(order, kind, policy, now)


def _notices(
    order: Order, kind: Kind, delay: Delay, policy: DelayPolicy, now: datetime, details: dict[str, str] | None = None
) -> list[NoticeRequest]:
    delay_kind = Kind(delay.kind)
    eta_from, eta_to = _eta(order, delay_kind, policy, now)
    delay.eta_from, delay.eta_to = eta_from, eta_to  # what the customer was told: the page shows it
    return [
        NoticeRequest(
            order_id=order.order_id,
            merchant_id=order.merchant_id,
            kind=kind,
            stage=delay.stage,
            channel=channel,
            requested_at=now,
            rule=delay.rule,
            reason=delay.reason,
            delay_kind=delay_kind,
            delay_started_at=delay.started_at,
            eta_from=eta_from,
            eta_to=eta_to,
            details=details or {},
        )
        for channel in choose_channels(order.customer, kind)
    ]


def evaluate(order: Order, policy: DelayPolicy, now: datetime) -> Evaluation:
    """Decide what is due for ``order`` at ``now``: a new delay, a staged update, or nothing.

    Stages never repeat within an order: a second delay continues the first one's numbering.
    """
    order = order.model_copy(deep=True)
    result = Evaluation(order)
    if not order.is_open:
        return result
    delay = order.delay
    if delay is None:
        finding = detect(order, policy, now)
        if finding is None:
            return result
        delay = order.delay = Delay(
            kind=finding.kind,
            rule=finding.rule,
            reason=finding.reason,
            started_at=now,
            stage=order.stages_used,
            next_update_at=now + policy.update_every,
        )
        # The first delay notice as the buyer's rules word it (a delay option under us_ftc).
        details = consumer_rules.delay_option(order, policy, now) if finding.kind == Kind.SHIPMENT_DELAYED else {}
        result.decisions.append(
            Decision(
                order_id=order.order_id,
                decision_id=f"{Action.DELAY_DETECTED}#{finding.rule}#{delay.stage}",
                action=Action.DELAY_DETECTED,
                rule=finding.rule,
                at=now,
                inputs=_inputs(order, finding.rule) | _law_inputs(details),
            )
        )
        order.stages_used = delay.stage + 1
        result.notices.extend(_notices(order, finding.kind, delay, policy, now, details))
    elif now >= delay.next_update_at:
        delay.stage += 1
        order.stages_used = delay.stage + 1
        while delay.next_update_at <= now:
            delay.next_update_at += policy.update_every
        result.notices.extend(_notices(order, Kind.DELAY_UPDATE, delay, policy, now))
    result.decisions.extend(escalation.decide(order, policy, now))
    # Holdout experiments: a staged update may be held out, compensation withheld; never a delay's
    # first notice (another kind than delay_update) nor what the law requires (the filter's own rule).
    result.notices, held = experiments.hold_out(
        order.order_id, result.notices, order.experiments, policy.experiments, now
    )
    result.decisions.extend(held)
    return result


def _law_inputs(details: dict[str, str]) -> dict[str, str | int | None]:
    keys = ("rules", "clause", "revised_ship_by", "silence_consents", "consent_by")
    return {key: details[key] for key in keys if key in details}


def _inputs(order: Order, rule: str) -> dict[str, str | int | None]:
    """What a rule looked at, kept with the decision so that it can be explained later."""
    inputs: dict[str, str | int | None] = {"status": order.status.value}
    if rule == "ship_by":
        inputs |= {
            "paid_at": iso(order.paid_at),
            "ship_within_hours": order.ship_within_hours,
            "ship_by_at": iso(order.ship_by_at),
        }
    elif order.shipment is not None:
        inputs |= {
            "carrier": order.shipment.carrier,
            "last_scan_at": iso(order.shipment.last_scan_at),
            "last_tag": order.shipment.last_tag.value,
            "last_sub_status": order.shipment.last_sub_status,
            "scans": order.shipment.scans,
        }
        if rule == "stalled_after_pickup" and order.shipment.past_pickup is False:
            inputs["only_collection_scans"] = "yes"
    return inputs
