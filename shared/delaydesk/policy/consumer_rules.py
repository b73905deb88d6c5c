"""The buyer's consumer rules (pure): which rule set governs an order, and what it decides.

Rule sets, from the buyer's point of view, laxest first (``STRICTNESS``):

- ``none``: no rule set is known for the destination; the merchant's own promise and the platform
  timers apply.
- ``cn_platform``: the Chinese platforms' rules (seeds 001, 002): no automatic cancellation; the
  platform windows and timers (``timers.py``); during logistics stagnation a refund request is
  answered by scenario (``stagnation_refund``).
- ``eu_crd`` / ``uk_cra``: Consumer Rights Directive 2011/83/EU art. 18, Consumer Rights Act 2015
  s. 28: delivery within the agreed time, else 30 days; when late, the buyer may set an additional
  period and, when it passes, terminate for a refund without undue delay.
- ``us_ftc``: the FTC Mail, Internet, or Telephone Order Merchandise Rule (16 CFR 435): a
  delay-option notice before the promised time, silence is consent only to a definite revised date
  at most 30 days later, a renewed option asks for express consent, and without it the order is
  cancelled and refunded automatically; refunds within 7 working days.

The FTC rule is the strictest because it alone cancels and refunds without the buyer acting; EU
and UK law give the buyer a right to terminate; the platforms give answers to refund requests. A
merchant may choose a stricter rule set than the buyer's law, never a laxer one (``choose``).

Everything here takes ``now`` as an argument and reads only the order and the merchant's policy.
Every decision records its rule set and clause in its inputs, for ``delaydesk explain``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.kinds import Kind, NoticeRequest, choose_channels
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import LawState, Order, OrderStatus
from delaydesk.core.times import iso


class RuleSet(StrEnum):
    NONE = "none"
    CN_PLATFORM = "cn_platform"
    EU_CRD = "eu_crd"
    UK_CRA = "uk_cra"
    US_FTC = "us_ftc"


STRICTNESS = {RuleSet.NONE: 0, RuleSet.CN_PLATFORM: 1, RuleSet.EU_CRD: 2, RuleSet.UK_CRA: 2, RuleSet.US_FTC: 3}
"""How much a rule set does for the buyer without being asked: 0 nothing beyond the merchant's
promise; 1 scenario answers to refund requests; 2 a right to terminate after an additional period;
3 automatic cancellation and refund. EU and UK law are equally strict."""

EU_MEMBERS = frozenset(
    {
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
    }
)
"""The 27 member states (ISO 3166-1 alpha-2; Greece is GR, not the EU's own code EL)."""

CLAUSES = {
    "16 CFR 435.1(a)": "FTC Mail Order Rule 435.1(a): the promised time, or 30 days when none is promised",
    "16 CFR 435.2(b)(1)": "FTC Mail Order Rule 435.2(b)(1): a delay-option notice before the promised time",
    "16 CFR 435.2(b)(1)(ii)": "FTC Mail Order Rule 435.2(b)(1)(ii): silence is consent to a revised date "
    "at most 30 days after the promised time",
    "16 CFR 435.2(b)(1)(iii)": "FTC Mail Order Rule 435.2(b)(1)(iii): a longer or indefinite delay needs the "
    "buyer's express consent, else the order is cancelled",
    "16 CFR 435.2(b)(2)": "FTC Mail Order Rule 435.2(b)(2): a renewed option when the revised date is missed; "
    "silence is not consent",
    "16 CFR 435.2(c)(5)": "FTC Mail Order Rule 435.2(c)(5): the order is deemed cancelled and refunded "
    "without express consent",
    "16 CFR 435.1(d)": "FTC Mail Order Rule 435.1(d): a prompt refund, within 7 working days",
    "16 CFR 435.2(b)(1)(i)": "FTC Mail Order Rule 435.2(b)(1)(i): express consent to the delay",
    "Directive 2011/83/EU art. 18(1)": "Consumer Rights Directive art. 18(1): delivery within the agreed time, "
    "else 30 days",
    "Directive 2011/83/EU art. 18(2)": "Consumer Rights Directive art. 18(2): an additional period, then termination",
    "Directive 2011/83/EU art. 18(3)": "Consumer Rights Directive art. 18(3): reimbursement without undue delay",
    "Consumer Rights Act 2015 s. 28(6)": "Consumer Rights Act 2015 s. 28(6)-(7): an additional period, then "
    "termination",
    "cn_platform stagnation": "the platforms' guidance on logistics stagnation (seed 002): answer a refund "
    "request by scenario",
    "cn_platform": "the platforms' timers and windows (seed 001): no automatic cancellation",
    "merchant choice": "the merchant chose a stricter rule set than the buyer's law",
}
"""Every clause a decision may name, in words (``delaydesk explain``; README "Fair by law")."""

FTC_PERIOD = timedelta(days=30)
"""435.2(b)(1)(ii)/(iii): silence is consent up to 30 days after the promised time, no further."""
CANCEL_MARGIN = timedelta(days=1)
"""The automatic cancellation is taken one day before the 30-day period ends, so that a scan's
delay (five minutes in AWS, a tick in a simulation) never carries it past the period."""
RENEW_BEFORE_CANCEL = timedelta(days=3)
"""The renewed option goes out at least this long before the cancellation, so the buyer can answer."""
NOTICE_LEAD = timedelta(hours=3)
"""The delay-option notice goes out this long before the promised time (at most an eighth of the
order's shipping window), while the order is still unshipped: 435.2(b)(1) requires it "in no event
later than" the promised time. A short lead keeps an order that ships on time, late in its window,
from being told of a delay; three hours hold at least one scan (every five minutes in AWS, every
tick of up to three hours in a simulation)."""
REFUND_WORKING_DAYS = 7
"""435.1(d): a prompt refund is sent within 7 working days (one billing cycle for credit cards)."""
EU_DEFAULT_DELIVERY = timedelta(days=30)
"""CRD art. 18(1), CRA s. 28(3): without an agreed time, delivery within 30 days of the contract."""
MAX_ADDITIONAL_PERIOD = timedelta(days=90)
"""The longest additional period the order page accepts (the law leaves it to the buyer)."""


class Choice(msgspec.Struct, frozen=True):
    rules: RuleSet
    source: str
    note: str | None = None


def law_of(country: str) -> RuleSet:
    """The rule set of the buyer's country."""
    if country == "US":
        return RuleSet.US_FTC
    if country in EU_MEMBERS:
        return RuleSet.EU_CRD
    if country == "GB":
        return RuleSet.UK_CRA
    if country == "CN":
        return RuleSet.CN_PLATFORM
    return RuleSet.NONE


def choose(country: str, merchant_setting: str | None) -> Choice:
    """The merchant's setting when it is at least as strict as the buyer's law and more strict, or
    the law itself; a laxer (or different but not stricter) setting is refused with the reason."""
    law = law_of(country)
    if merchant_setting is None or merchant_setting == law:
        return Choice(law, "destination")
    wanted = RuleSet(merchant_setting)
    if STRICTNESS[wanted] > STRICTNESS[law]:
        return Choice(wanted, "merchant")
    return Choice(
        law,
        "destination",
        f"merchant setting {wanted.value} refused: not stricter than the buyer's law ({law.value}, {country})",
    )


def promised_at(order: Order) -> datetime:
    """435.1(a): the time the order promised to ship in (the contract requires ``ship_within_hours``,
    so the 30-day default of an order without a promise never applies here)."""
    return order.default_ship_by_at


def notice_lead(order: Order) -> timedelta:
    return min(NOTICE_LEAD, timedelta(hours=order.ship_within_hours) / 8)


def rules_of(order: Order, policy: DelayPolicy) -> RuleSet:
    if order.law is not None:
        return RuleSet(order.law.rules)
    return choose(order.destination.country, policy.consumer_rules).rules


def first_notice_at(order: Order, policy: DelayPolicy) -> datetime:
    """When an unshipped order's first delay notice is due: before the promise under us_ftc (the
    delay option), at the ship-by otherwise."""
    if rules_of(order, policy) == RuleSet.US_FTC and order.delay_accepted_at is None:
        return min(order.ship_by_at, promised_at(order) - notice_lead(order))
    return order.ship_by_at


def record(order: Order, policy: DelayPolicy) -> None:
    """Choose the order's rule set once and keep it on the order (shown by ``explain``)."""
    if order.law is None:
        choice = choose(order.destination.country, policy.consumer_rules)
        order.law = LawState(
            rules=choice.rules.value, source=choice.source, note=choice.note, promised_at=promised_at(order)
        )


def delay_option(order: Order, policy: DelayPolicy, now: datetime) -> dict[str, str]:
    """The first delay notice of an unshipped order, as its rules word it (``details`` of the
    notice request); under us_ftc it also sets the revised date and the cancellation instant."""
    record(order, policy)
    law = order.law
    assert law is not None
    details = {"rules": law.rules}
    if law.rules in (RuleSet.EU_CRD, RuleSet.UK_CRA):
        details["clause"] = _termination_clause(law.rules)
        return details
    if law.rules != RuleSet.US_FTC:
        return details
    law.option_sent_at = now
    law.cancel_at = law.promised_at + FTC_PERIOD - CANCEL_MARGIN
    if policy.revised_ship_days is not None:
        law.revised_ship_by = law.promised_at + timedelta(days=policy.revised_ship_days)
        law.silence_consents = law.revised_ship_by - law.promised_at <= FTC_PERIOD
        details["revised_ship_by"] = iso(law.revised_ship_by)
    details["silence_consents"] = "true" if law.silence_consents else "false"
    details["consent_by"] = iso(law.cancel_at)
    details["clause"] = "16 CFR 435.2(b)(1)(ii)" if law.silence_consents else "16 CFR 435.2(b)(1)(iii)"
    return details


def _termination_clause(rules: str) -> str:
    return "Consumer Rights Act 2015 s. 28(6)" if rules == RuleSet.UK_CRA else "Directive 2011/83/EU art. 18(2)"


class LawResult(msgspec.Struct):
    decisions: list[Decision]
    notices: list[NoticeRequest]


def _decision(order: Order, action: Action, rule: str, now: datetime, key: str, **inputs: object) -> Decision:
    return Decision(
        order_id=order.order_id,
        decision_id=f"{action.value}#{key}",
        action=action,
        rule=rule,
        at=now,
        inputs={k: v for k, v in inputs.items() if v is not None},
    )


def notice_requests(
    order: Order,
    kind: Kind,
    stage: int,
    rule: str,
    reason: str,
    now: datetime,
    span: tuple[int, int],
    *,
    delay_kind: Kind | None = None,
    delay_started_at: datetime | None = None,
    window_id: str | None = None,
    details: dict[str, str] | None = None,
) -> list[NoticeRequest]:
    """One policy notice on each channel the customer is reached on for ``kind``, estimating
    delivery ``span`` days (from, to) after ``now``; the timers' notices are built here too."""
    return [
        NoticeRequest(
            order_id=order.order_id,
            merchant_id=order.merchant_id,
            kind=kind,
            stage=stage,
            channel=channel,
            requested_at=now,
            rule=rule,
            reason=reason,
            delay_kind=delay_kind or kind,
            delay_started_at=delay_started_at or now,
            eta_from=(now + timedelta(days=span[0])).date(),
            eta_to=(now + timedelta(days=span[1])).date(),
            window_id=window_id,
            details=details or {},
        )
        for channel in choose_channels(order.customer, kind)
    ]


def _notices(
    order: Order, kind: Kind, stage: int, reason: str, now: datetime, details: dict[str, str], span: tuple[int, int]
) -> list[NoticeRequest]:
    """The consumer-law notices: named by the order's rule set, dated from its delay if it has one."""
    return notice_requests(
        order,
        kind,
        stage,
        order.law.rules if order.law else RuleSet.NONE.value,
        reason,
        now,
        span,
        delay_kind=Kind.SHIPMENT_DELAYED if kind == Kind.DELAY_CONSENT_REQUEST else kind,
        delay_started_at=order.delay.started_at if order.delay else None,
        details=details,
    )


def add_working_days(start: datetime, days: int, timezone: str) -> datetime:
    """The end of the ``days``-th working day (Monday to Friday, on ``timezone``'s calendar) after
    ``start``'s day; public holidays are not counted out (the deadline is never later than due)."""
    zone = ZoneInfo(timezone)
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _consented(order: Order) -> bool:
    return order.delay_accepted_at is not None


def evaluate(order: Order, policy: DelayPolicy, now: datetime) -> LawResult:
    """What the order's rules decide at ``now`` (mutates ``order``, a copy the caller owns): the
    rule set is recorded; an express consent is audited; under us_ftc the renewed option, the
    automatic cancellation and the refund deadline; under cn_platform the stagnation refund answer."""
    record(order, policy)
    law = order.law
    assert law is not None
    out = LawResult([], [])
    if order.delay_accepted_at is not None and "delay_accepted" not in order.timers_decided:
        order.timers_decided.append("delay_accepted")
        ftc = law.rules == RuleSet.US_FTC
        out.decisions.append(
            _decision(
                order,
                Action.DELAY_ACCEPTED,
                law.rules if ftc else "customer_choice",
                now,
                str(order.delays_resolved),
                rules=law.rules,
                clause="16 CFR 435.2(b)(1)(i)" if ftc else None,
                accepted_at=iso(order.delay_accepted_at),
                source="delay.accepted",
            )
        )
    if law.rules == RuleSet.US_FTC:
        _ftc(order, law, policy, now, out)
    elif law.rules == RuleSet.CN_PLATFORM:
        _stagnation_refund(order, policy, now, out)
    _refund_deadline(order, law, now, out)
    return out


def _ftc(order: Order, law: LawState, policy: DelayPolicy, now: datetime, out: LawResult) -> None:
    if order.status != OrderStatus.PAID or law.option_sent_at is None or _consented(order):
        return
    assert law.cancel_at is not None
    renew_at = renewal_due(order)
    if renew_at is not None and now >= renew_at:
        law.renewed_at = now
        stage = order.stages_used
        order.stages_used += 1
        new_date = law.cancel_at
        details = {
            "rules": law.rules,
            "consent_by": iso(law.cancel_at),
            "revised_ship_by": iso(new_date),
            "silence_consents": "false",
            "clause": "16 CFR 435.2(b)(2)",
        }
        if law.revised_ship_by is not None:
            details["missed_revised_ship_by"] = iso(law.revised_ship_by)
        # The delivery estimate from the new shipping date: shipped by then, delivered in transit time.
        to_ship = max((new_date - now).days, 0)
        span = (to_ship, to_ship + policy.transit_delay_eta_days[1])
        out.notices.extend(_notices(order, Kind.DELAY_CONSENT_REQUEST, stage, "not_shipped", now, details, span))
    if now < law.cancel_at:
        return
    order.status = OrderStatus.CANCELLED
    order.cancel_status = "granted"
    order.refund_status = "refunded"
    if order.delay is not None:
        order.delay = None
        order.delays_resolved += 1
    law.refund_due_at = add_working_days(now, REFUND_WORKING_DAYS, policy.timers.timezone)
    clause = "16 CFR 435.2(b)(2)" if law.renewed_at else "16 CFR 435.2(b)(1)(iii)"
    out.decisions.append(
        _decision(
            order,
            Action.ORDER_CANCELLED,
            "us_ftc_no_consent",
            now,
            "us_ftc",
            rules=law.rules,
            clause=clause,
            deemed_cancelled="16 CFR 435.2(c)(5)",
            promised_at=iso(law.promised_at),
            revised_ship_by=iso(law.revised_ship_by) if law.revised_ship_by else None,
            option_sent_at=iso(law.option_sent_at) if law.option_sent_at else None,
            renewed_at=iso(law.renewed_at) if law.renewed_at else None,
            refund=f"{order.value.amount} {order.value.currency}",
            refund_due_at=iso(law.refund_due_at),
        )
    )
    out.notices.extend(
        _notices(
            order,
            Kind.ORDER_CANCELLED,
            0,
            "not_shipped",
            now,
            {
                "refund_amount": str(order.value.amount),
                "refund_currency": order.value.currency,
                "refund_days": str(REFUND_WORKING_DAYS),
                "cancel_reason": "not_shipped_in_time",
                "promised_by": iso(law.promised_at),
                "rules": law.rules,
                "clause": clause,
            },
            (0, REFUND_WORKING_DAYS),
        )
    )


def renewal_due(order: Order) -> datetime | None:
    """When the renewed option (``delay_consent_request``) is due: before the revised date is
    missed, and at the latest ``RENEW_BEFORE_CANCEL`` before the cancellation; None when it is sent
    or not needed (express consent, no revised date given, shipped)."""
    law = order.law
    if (
        law is None
        or law.rules != RuleSet.US_FTC
        or order.status != OrderStatus.PAID
        or _consented(order)
        or law.renewed_at is not None
        or law.revised_ship_by is None
        or law.cancel_at is None
    ):
        return None
    return min(law.revised_ship_by - notice_lead(order), law.cancel_at - RENEW_BEFORE_CANCEL)


def _refund_deadline(order: Order, law: LawState, now: datetime, out: LawResult) -> None:
    if law.refund_due_at is None or order.refund_issued_at is not None or now < law.refund_due_at:
        return
    key = "refund_overdue"
    if key in order.timers_decided:
        return
    order.timers_decided.append(key)
    out.decisions.append(
        _decision(
            order,
            Action.ESCALATED,
            key,
            now,
            key,
            rules=law.rules,
            clause="16 CFR 435.1(d)",
            refund_due_at=iso(law.refund_due_at),
            refund=f"{order.value.amount} {order.value.currency}",
        )
    )


def pending_due(order: Order) -> datetime | None:
    """The law's share of the due-time index: the renewed option, the cancellation, the refund deadline."""
    law = order.law
    if law is None:
        return None
    dues = [renewal_due(order)]
    if order.delay_accepted_at is not None and "delay_accepted" not in order.timers_decided:
        dues.append(order.delay_accepted_at)  # audited (with its clause) at the next scan
    if law.rules == RuleSet.US_FTC and order.status == OrderStatus.PAID and not _consented(order):
        dues.append(law.cancel_at if law.option_sent_at else None)
    if (
        law.refund_due_at is not None
        and order.refund_issued_at is None
        and "refund_overdue" not in order.timers_decided
    ):
        dues.append(law.refund_due_at)
    if (
        order.refund_status == "requested"
        and law.rules == RuleSet.CN_PLATFORM
        and "refund_recommended" not in order.timers_decided
        and order.refund_requested_at is not None
        and stagnating(order)
    ):
        dues.append(order.refund_requested_at)
    found = [d for d in dues if d is not None]
    return min(found) if found else None


# China: refund requests during logistics stagnation (seed 002, section 3).


class RefundAnswer(StrEnum):
    APPROVE = "approve"
    """Not shipped: agree to the refund."""
    INTERCEPT = "intercept"
    """Shipped and stalled: intercept the parcel; refund when it comes back or is refused."""
    AFTER_SALES = "after_sales"
    """Delivered: ordinary after-sales (return and refund under the platform's rules)."""


def stagnating(order: Order) -> bool:
    """The order is caught in logistics stagnation: a delay is in progress, or a window covers it."""
    covered = any(t.window_id is not None for t in order.timers.values())
    return order.delay is not None or covered


def stagnation_answer(order: Order) -> RefundAnswer:
    if order.status == OrderStatus.PAID:
        return RefundAnswer.APPROVE
    if order.status == OrderStatus.SHIPPED:
        return RefundAnswer.INTERCEPT
    return RefundAnswer.AFTER_SALES


def _stagnation_refund(order: Order, policy: DelayPolicy, now: datetime, out: LawResult) -> None:
    if order.refund_status != "requested" or "refund_recommended" in order.timers_decided:
        return
    if not stagnating(order) or order.refund_requested_at is None:
        return
    order.timers_decided.append("refund_recommended")
    answer = stagnation_answer(order)
    applied = policy.cn_refund_auto and answer == RefundAnswer.APPROVE
    out.decisions.append(
        _decision(
            order,
            Action.REFUND_RECOMMENDED,
            "cn_stagnation_refund",
            now,
            iso(order.refund_requested_at),
            rules=RuleSet.CN_PLATFORM.value,
            clause="cn_platform stagnation",
            answer=answer.value,
            applied=applied,
            status=order.status.value,
            requested_at=iso(order.refund_requested_at),
        )
    )
    if not applied:
        return
    order.refund_status = "approved"
    order.status = OrderStatus.CANCELLED
    if order.delay is not None:
        order.delay = None
        order.delays_resolved += 1
    out.decisions.append(
        _decision(
            order,
            Action.REFUND_AUTO_APPROVED,
            "cn_stagnation_refund",
            now,
            f"stagnation#{iso(order.refund_requested_at)}",
            rules=RuleSet.CN_PLATFORM.value,
            clause="cn_platform stagnation",
            answer=answer.value,
            refund=f"{order.value.amount} {order.value.currency}",
        )
    )
    out.notices.extend(
        _notices(
            order,
            Kind.REFUND_APPROVED,
            2,
            "stagnation_not_shipped",
            now,
            {"refund_amount": str(order.value.amount), "refund_currency": order.value.currency},
            policy.refund_arrival_days,
        )
    )


# EU / UK: the additional period and termination; the buyer's choices on the order page.


def delivery_due(order: Order) -> datetime:
    """CRD art. 18(1), CRA s. 28(3): the agreed time is the merchant's ship-by promise plus delivery;
    with no agreed delivery time, 30 days after the order."""
    return order.paid_at + EU_DEFAULT_DELIVERY


def may_terminate(order: Order, now: datetime) -> bool:
    """EU/UK: the additional period the buyer set has passed and the order is still not delivered."""
    law = order.law
    return (
        law is not None
        and law.rules in (RuleSet.EU_CRD, RuleSet.UK_CRA)
        and order.status in (OrderStatus.PAID, OrderStatus.SHIPPED)
        and order.additional_period_until is not None
        and now >= order.additional_period_until
    )


def additional_period_refusal(order: Order, until: datetime, now: datetime) -> str | None:
    """Why the buyer cannot set this additional period now (None: it can)."""
    law = order.law
    if law is None or law.rules not in (RuleSet.EU_CRD, RuleSet.UK_CRA):
        return "the buyer's rules give no additional period for this order"
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
        return f"the order is {order.status.value}"
    if not late_for_delivery(order, now):
        return "the order is not late yet"
    if until <= now + timedelta(days=1):
        return "the additional period must end at least a day from now"
    if until > now + MAX_ADDITIONAL_PERIOD:
        return "the additional period may be at most 90 days"
    return None


def late_for_delivery(order: Order, now: datetime) -> bool:
    """Late in the EU/UK sense: undelivered past the delivery due, or unshipped past the promised
    ship-by (a stalled parcel inside the delivery time is not late yet)."""
    if order.status == OrderStatus.PAID:
        return now >= order.ship_by_at or now >= delivery_due(order)
    return order.status == OrderStatus.SHIPPED and now >= delivery_due(order)


class Option(msgspec.Struct, frozen=True):
    """One choice the buyer's rules give on the order page."""

    choice: str
    """wait | cancel | additional_period | terminate | refund_request"""
    route: str | None
    """The order page route that takes it (POST), or None for information only."""
    clause: str
    until: datetime | None = None
    """wait (us_ftc): the date the buyer consents to, or the deadline of the choice."""


def buyer_options(order: Order, now: datetime) -> list[Option]:
    """The buyer's choices under the order's rules at ``now`` (the order page shows them)."""
    law = order.law
    rules = RuleSet(law.rules) if law else law_of(order.destination.country)
    options: list[Option] = []
    late_unshipped = order.status == OrderStatus.PAID and order.cancel_status in (None, "waiting")
    late_unshipped = late_unshipped and (order.delay is not None or now >= order.default_ship_by_at)
    if rules == RuleSet.US_FTC:
        if late_unshipped or (order.status == OrderStatus.PAID and law is not None and law.option_sent_at is not None):
            if order.delay_accepted_at is None:
                cancel_at = law.cancel_at if law else None
                options.append(Option("wait", "wait", "16 CFR 435.2(b)(1)(i)", cancel_at))
            options.append(Option("cancel", "cancel", "16 CFR 435.2(b)(1)"))
        return options
    if rules in (RuleSet.EU_CRD, RuleSet.UK_CRA):
        clause = _termination_clause(rules)
        if may_terminate(order, now) and order.cancel_status in (None, "waiting"):
            options.append(Option("terminate", "cancel", clause))
        elif order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and late_for_delivery(order, now):
            options.append(Option("additional_period", "additional-period", clause, order.additional_period_until))
        if late_unshipped:
            options.extend([Option("wait", "wait", clause), Option("cancel", "cancel", clause)])
        return options
    if late_unshipped:
        options.extend([Option("wait", "wait", rules.value), Option("cancel", "cancel", rules.value)])
    return options
