"""The buyer's consumer rules (pure), driven the way the scan drives them: at each next_due_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped
from pure_runs import drive as replay

from delaydesk.core.config import Settings
from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import parse_event
from delaydesk.core.kinds import Kind, NoticeRequest
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order, OrderStatus, apply_event
from delaydesk.operations.explain import timeline
from delaydesk.policy import consumer_rules
from delaydesk.policy.consumer_rules import RuleSet, add_working_days, buyer_options, choose

US_POLICY = DelayPolicy.for_merchant(merchant(timezone="America/Los_Angeles"), Settings())
CN_POLICY = DelayPolicy.for_merchant(merchant(timezone="Asia/Shanghai"), Settings())
PAID_AT = "2020-03-02T09:00:00-08:00"  # a Monday; promised ship-by Wednesday 09:00
PROMISED = instant("2020-03-04T09:00:00-08:00")
US = {"destination": {"country": "US", "region": "US-CA"}, "value": {"amount": "89.00", "currency": "USD"}}
DE = {"destination": {"country": "DE", "region": "DE-BE"}, "value": {"amount": "89.00", "currency": "EUR"}}


def _event(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-{at}", "at": at, "order_id": "o1", **fields}


def _order(country: dict[str, Any] | None = None, hours: int = 48) -> Order:
    return order_from(paid("o1", PAID_AT, hours=hours, **(country if country is not None else US)))


def drive(
    order: Order, policy: DelayPolicy, until: datetime, events: list[dict[str, Any]] | None = None
) -> tuple[Order, list[Decision], list[NoticeRequest]]:
    """Evaluate at every due instant (each event applied at its time) up to ``until``, as the scan does."""
    return replay(order, policy, [], until, events or [])


def _kinds(notices: list[NoticeRequest]) -> list[tuple[str, datetime]]:
    seen: list[tuple[str, datetime]] = []
    for n in notices:
        if (n.kind.value, n.requested_at) not in seen:
            seen.append((n.kind.value, n.requested_at))
    return seen


def _by(decisions: list[Decision], action: Action) -> list[Decision]:
    return [d for d in decisions if d.action == action]


# ------------------------------------------------------------------ which rules


@pytest.mark.parametrize(
    ("country", "setting", "rules", "source", "refused"),
    [
        ("US", None, RuleSet.US_FTC, "destination", False),
        ("DE", None, RuleSet.EU_CRD, "destination", False),
        ("GR", None, RuleSet.EU_CRD, "destination", False),
        ("GB", None, RuleSet.UK_CRA, "destination", False),
        ("CN", None, RuleSet.CN_PLATFORM, "destination", False),
        ("JP", None, RuleSet.NONE, "destination", False),
        ("CN", "us_ftc", RuleSet.US_FTC, "merchant", False),  # stricter: taken
        ("JP", "eu_crd", RuleSet.EU_CRD, "merchant", False),
        ("US", "cn_platform", RuleSet.US_FTC, "destination", True),  # laxer: refused
        ("US", "none", RuleSet.US_FTC, "destination", True),
        ("DE", "uk_cra", RuleSet.EU_CRD, "destination", True),  # as strict, not stricter: refused
        ("GB", "uk_cra", RuleSet.UK_CRA, "destination", False),
    ],
)
def test_the_rule_set_comes_from_the_destination_and_a_merchant_may_only_be_stricter(
    country: str, setting: str | None, rules: RuleSet, source: str, refused: bool
) -> None:
    choice = choose(country, setting)
    assert (choice.rules, choice.source) == (rules, source)
    assert (choice.note is not None) == refused
    if refused:
        assert choice.note is not None and "not stricter" in choice.note and country in choice.note


def test_the_choice_is_recorded_on_the_order_and_explained() -> None:
    policy = DelayPolicy.for_merchant(
        merchant(timezone="America/Los_Angeles", settings={"consumer_rules": "cn_platform"}), Settings()
    )
    final, _, _ = drive(_order(), policy, PROMISED - timedelta(days=1))
    assert final.law is not None and (final.law.rules, final.law.source) == ("us_ftc", "destination")
    assert final.law.note and "cn_platform refused" in final.law.note
    text = "\n".join(timeline(final, [], []))
    assert "US FTC Mail Order Rule (16 CFR 435), by the buyer's country US" in text and "refused" in text


# ------------------------------------------------------------------ working days


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        ("2020-04-03T10:00:00-07:00", "2020-04-15T00:00:00-07:00"),  # Friday: Mon..Fri, Mon, Tue
        ("2020-04-06T10:00:00-07:00", "2020-04-16T00:00:00-07:00"),  # Monday: Tue..Fri, Mon..Wed
        ("2020-04-04T23:30:00-07:00", "2020-04-15T00:00:00-07:00"),  # Saturday counts from Monday
        # 06:30 UTC on Saturday is still Friday in Los Angeles: the merchant's calendar counts.
        ("2020-04-04T06:30:00+00:00", "2020-04-15T00:00:00-07:00"),
    ],
)
def test_the_refund_deadline_counts_working_days_on_the_merchants_calendar(start: str, deadline: str) -> None:
    assert add_working_days(instant(start), 7, "America/Los_Angeles") == instant(deadline)


# ------------------------------------------------------------------ US FTC


def test_an_order_shipped_before_the_delay_option_is_due_gets_nothing() -> None:
    events = [
        shipped("o1", "2020-03-03T20:00:00-08:00") | {"order_id": "o1"},
        scan("o1", "2020-03-05T10:00:00-08:00", "delivered"),
    ]
    final, decisions, notices = drive(_order(), US_POLICY, PROMISED + timedelta(days=60), events)
    assert notices == [] and _by(decisions, Action.ORDER_CANCELLED) == []
    assert final.law is not None and final.law.option_sent_at is None


def test_a_us_order_that_never_ships_gets_an_option_a_renewal_then_is_cancelled_once_and_told_nothing_after() -> None:
    final, decisions, notices = drive(_order(), US_POLICY, PROMISED + timedelta(days=60))
    kinds = _kinds(notices)
    # The delay option before the promise (3 h before a 48 h window's end), with its terms.
    first_kind, first_at = kinds[0]
    assert first_kind == "shipment_delayed" and first_at == PROMISED - timedelta(hours=3) < PROMISED
    option = notices[0].details
    assert option["rules"] == "us_ftc" and option["silence_consents"] == "true"
    assert option["clause"] == "16 CFR 435.2(b)(1)(ii)"
    assert instant(option["revised_ship_by"]) == PROMISED + timedelta(days=7)
    # The renewed option before the revised date is missed; it asks for express consent.
    renewed = [(k, at) for k, at in kinds if k == "delay_consent_request"]
    assert renewed == [("delay_consent_request", PROMISED + timedelta(days=7) - timedelta(hours=3))]
    consent = next(n for n in notices if n.kind == Kind.DELAY_CONSENT_REQUEST)
    assert consent.details["silence_consents"] == "false" and consent.details["clause"] == "16 CFR 435.2(b)(2)"
    # Cancelled once, within 30 days of the promise, and nothing after its notice.
    cancelled = _by(decisions, Action.ORDER_CANCELLED)
    assert len(cancelled) == 1 and cancelled[0].rule == "us_ftc_no_consent"
    assert PROMISED < cancelled[0].at <= PROMISED + timedelta(days=30)
    assert cancelled[0].inputs["clause"] == "16 CFR 435.2(b)(2)"
    assert cancelled[0].inputs["deemed_cancelled"] == "16 CFR 435.2(c)(5)"
    last_kind, last_at = kinds[-1]
    assert (last_kind, last_at) == ("order_cancelled", cancelled[0].at)
    assert final.status == OrderStatus.CANCELLED and final.refund_status == "refunded"
    # The refund is not confirmed: escalated at the end of the 7th working day.
    escalated = [d for d in _by(decisions, Action.ESCALATED) if d.rule == "refund_overdue"]
    assert len(escalated) == 1 and escalated[0].inputs["clause"] == "16 CFR 435.1(d)"
    assert escalated[0].at == add_working_days(cancelled[0].at, 7, "America/Los_Angeles")


def test_a_confirmed_refund_is_not_escalated() -> None:
    cancel_at = PROMISED + timedelta(days=29)
    confirmed = _event("refund.issued", (cancel_at + timedelta(days=2)).isoformat())
    _, decisions, _ = drive(_order(), US_POLICY, PROMISED + timedelta(days=60), [confirmed])
    assert [d for d in decisions if d.rule == "refund_overdue"] == []


@pytest.mark.parametrize("late_days", [1, 6, 20, 28])
def test_a_us_order_shipped_late_within_the_period_with_a_silent_buyer_is_told_and_never_cancelled(
    late_days: int,
) -> None:
    ships = (PROMISED + timedelta(days=late_days, hours=23)).isoformat()
    final, decisions, notices = drive(
        _order(), US_POLICY, PROMISED + timedelta(days=60), [shipped("o1", ships) | {"order_id": "o1"}]
    )
    assert _kinds(notices)[0][0] == "shipment_delayed"
    assert _by(decisions, Action.ORDER_CANCELLED) == [] and final.status == OrderStatus.SHIPPED


@pytest.mark.parametrize("accepted_after_days", [-0.25, -0.1, 3, 10, 28])
def test_a_us_buyer_who_accepts_is_never_cancelled_and_gets_no_renewal_after(accepted_after_days: float) -> None:
    accepted = (PROMISED + timedelta(days=accepted_after_days)).isoformat()
    final, decisions, notices = drive(
        _order(), US_POLICY, PROMISED + timedelta(days=90), [_event("delay.accepted", accepted)]
    )
    assert _by(decisions, Action.ORDER_CANCELLED) == [] and final.status == OrderStatus.PAID
    assert [n for n in notices if n.kind == Kind.DELAY_CONSENT_REQUEST and n.requested_at > instant(accepted)] == []
    consent = _by(decisions, Action.DELAY_ACCEPTED)
    assert len(consent) == 1 and consent[0].inputs["clause"] == "16 CFR 435.2(b)(1)(i)"


def test_without_a_revised_date_silence_is_never_consent() -> None:
    policy = DelayPolicy.for_merchant(
        merchant(timezone="America/Los_Angeles", settings={"revised_ship_days": None}), Settings()
    )
    _, decisions, notices = drive(_order(), policy, PROMISED + timedelta(days=40))
    option = notices[0].details
    assert option["silence_consents"] == "false" and "revised_ship_by" not in option
    assert option["clause"] == "16 CFR 435.2(b)(1)(iii)"
    assert [n for n in notices if n.kind == Kind.DELAY_CONSENT_REQUEST] == []  # nothing to renew
    cancelled = _by(decisions, Action.ORDER_CANCELLED)
    assert len(cancelled) == 1 and cancelled[0].inputs["clause"] == "16 CFR 435.2(b)(1)(iii)"


def test_a_revised_date_beyond_30_days_needs_express_consent() -> None:
    policy = DelayPolicy.for_merchant(
        merchant(timezone="America/Los_Angeles", settings={"revised_ship_days": 31}), Settings()
    )
    _, _, notices = drive(_order(), policy, PROMISED)
    assert notices[0].details["silence_consents"] == "false"
    policy30 = DelayPolicy.for_merchant(
        merchant(timezone="America/Los_Angeles", settings={"revised_ship_days": 30}), Settings()
    )
    _, _, notices = drive(_order(), policy30, PROMISED)
    assert notices[0].details["silence_consents"] == "true"  # exactly 30 days: silence still counts


def test_a_short_window_gets_its_option_an_eighth_of_the_window_before_the_promise() -> None:
    _, _, notices = drive(_order(hours=24), US_POLICY, PROMISED)
    assert notices[0].requested_at == instant(PAID_AT) + timedelta(hours=21)
    _, _, notices = drive(_order(hours=8), US_POLICY, PROMISED)
    assert notices[0].requested_at == instant(PAID_AT) + timedelta(hours=7)


def test_an_order_shipped_late_in_its_window_but_on_time_is_not_told() -> None:
    ships = shipped("o1", (PROMISED - timedelta(hours=3, minutes=1)).isoformat()) | {"order_id": "o1"}
    delivered = scan("o1", (PROMISED + timedelta(days=1)).isoformat(), "delivered")
    _, _, notices = drive(_order(), US_POLICY, PROMISED + timedelta(days=60), [ships, delivered])
    assert notices == []


def test_a_buyer_who_cancels_gets_the_refund_deadline_too() -> None:
    cancel = _event("cancel.requested", (PROMISED + timedelta(days=2)).isoformat())
    _, decisions, _ = drive(_order(), US_POLICY, PROMISED + timedelta(days=30), [cancel])
    cancelled = _by(decisions, Action.ORDER_CANCELLED)
    assert [d.rule for d in cancelled] == ["cancel_while_late"]
    assert [d.rule for d in _by(decisions, Action.ESCALATED) if d.rule == "refund_overdue"] == ["refund_overdue"]


# ------------------------------------------------------------------ China


def test_a_chinese_buyer_with_the_same_timeline_is_told_and_never_cancelled() -> None:
    order = order_from(paid("o1", PAID_AT, hours=48))
    final, decisions, notices = drive(order, CN_POLICY, PROMISED + timedelta(days=60))
    assert final.law is not None and final.law.rules == "cn_platform"
    assert _kinds(notices)[0] == ("shipment_delayed", PROMISED)
    assert _by(decisions, Action.ORDER_CANCELLED) == [] and final.status == OrderStatus.PAID
    assert [n for n in notices if n.kind == Kind.DELAY_CONSENT_REQUEST] == []


@pytest.mark.parametrize("auto", [False, True])
def test_a_refund_request_during_stagnation_is_answered_by_scenario(auto: bool) -> None:
    policy = DelayPolicy.for_merchant(merchant(timezone="Asia/Shanghai", settings={"cn_refund_auto": auto}), Settings())
    asked = _event("refund.requested", (PROMISED + timedelta(days=2)).isoformat(), reason="too slow")
    final, decisions, notices = drive(
        order_from(paid("o1", PAID_AT, hours=48)), policy, PROMISED + timedelta(days=3), [asked]
    )
    recommended = _by(decisions, Action.REFUND_RECOMMENDED)
    assert len(recommended) == 1 and recommended[0].inputs["answer"] == "approve"
    assert recommended[0].inputs["applied"] is auto
    approved = [d for d in _by(decisions, Action.REFUND_AUTO_APPROVED) if d.rule == "cn_stagnation_refund"]
    assert len(approved) == (1 if auto else 0)
    assert (final.status == OrderStatus.CANCELLED) is auto
    assert any(n.kind == Kind.REFUND_APPROVED for n in notices) is auto


def test_a_stalled_parcel_is_intercepted_and_a_delivered_one_is_after_sales() -> None:
    order = order_from(paid("o1", PAID_AT, hours=48), shipped("o1", "2020-03-03T09:00:00-08:00") | {"order_id": "o1"})
    asked = _event("refund.requested", "2020-03-07T09:00:00-08:00", reason="stalled")
    policy = DelayPolicy.for_merchant(merchant(timezone="Asia/Shanghai", settings={"cn_refund_auto": True}), Settings())
    final, decisions, _ = drive(order, policy, instant("2020-03-08T09:00:00-08:00"), [asked])
    recommended = _by(decisions, Action.REFUND_RECOMMENDED)
    assert [d.inputs["answer"] for d in recommended] == ["intercept"]
    assert recommended[0].inputs["applied"] is False and final.status == OrderStatus.SHIPPED
    delivered = order.model_copy(update={"status": OrderStatus.DELIVERED})
    assert consumer_rules.stagnation_answer(delivered) == consumer_rules.RefundAnswer.AFTER_SALES


# ------------------------------------------------------------------ EU / UK and the buyer's options


def test_eu_buyer_sets_an_additional_period_then_terminates_a_shipped_order() -> None:
    order = _order(DE)
    events = [
        shipped("o1", "2020-03-05T09:00:00-08:00") | {"order_id": "o1"},
        _event("cancel.requested", "2020-04-20T09:00:00-07:00"),
    ]
    before, _, _ = drive(order, US_POLICY, instant("2020-04-02T12:00:00-07:00"), events[:1])
    now = instant("2020-04-02T12:00:00-07:00")  # 31 days after the order: late for delivery
    assert [o.choice for o in buyer_options(before, now)] == ["additional_period"]
    assert consumer_rules.additional_period_refusal(before, now + timedelta(hours=12), now)
    assert consumer_rules.additional_period_refusal(before, now + timedelta(days=91), now)
    until = now + timedelta(days=14)
    assert consumer_rules.additional_period_refusal(before, until, now) is None
    events.insert(1, _event("additional_period.set", now.isoformat(), until=until.isoformat()))
    final, decisions, notices = drive(order, US_POLICY, instant("2020-04-25T00:00:00-07:00"), events)
    assert [o.choice for o in buyer_options(final, instant("2020-04-17T00:00:00-07:00"))] == []  # closed
    cancelled = _by(decisions, Action.ORDER_CANCELLED)
    assert [(d.rule, d.inputs["clause"]) for d in cancelled] == [
        ("eu_crd_termination", "Directive 2011/83/EU art. 18(2)")
    ]
    assert final.status == OrderStatus.CANCELLED
    assert [n.details["cancel_reason"] for n in notices if n.kind == Kind.ORDER_CANCELLED] == ["not_delivered_in_time"]


def test_a_cancel_before_the_additional_period_ends_is_refused_once_shipped() -> None:
    order = _order(DE)
    until = instant("2020-04-20T00:00:00-07:00")
    events = [
        shipped("o1", "2020-03-05T09:00:00-08:00") | {"order_id": "o1"},
        _event("additional_period.set", "2020-04-03T09:00:00-07:00", until=until.isoformat()),
        _event("cancel.requested", "2020-04-10T09:00:00-07:00"),
    ]
    _, decisions, _ = drive(order, US_POLICY, instant("2020-04-25T00:00:00-07:00"), events)
    assert _by(decisions, Action.ORDER_CANCELLED) == [] and len(_by(decisions, Action.CANCEL_REFUSED)) == 1


def test_us_options_are_wait_and_cancel_once_the_option_is_sent_and_wait_goes_after_consent() -> None:
    final, _, _ = drive(_order(), US_POLICY, PROMISED - timedelta(hours=1))
    options = buyer_options(final, PROMISED - timedelta(hours=1))
    assert [(o.choice, o.clause) for o in options] == [
        ("wait", "16 CFR 435.2(b)(1)(i)"),
        ("cancel", "16 CFR 435.2(b)(1)"),
    ]
    accepted = apply_event(final, parse_event(_event("delay.accepted", PROMISED.isoformat())))
    assert [o.choice for o in buyer_options(accepted, PROMISED)] == ["cancel"]
    assert buyer_options(_order(), datetime(2020, 3, 2, 20, tzinfo=UTC)) == []  # nothing before


def test_the_clause_is_explained_in_words() -> None:
    final, decisions, _ = drive(_order(), US_POLICY, PROMISED + timedelta(days=60))
    text = "\n".join(timeline(final, decisions, [], "America/Los_Angeles"))
    assert "cancelled and refunded automatically: no express consent to a longer delay" in text
    assert "under FTC Mail Order Rule 435.2(b)(2)" in text
    assert "delay option: revised ship date 2020-03-11 10:00:00 (silence is consent until then)" in text
    assert "escalated to a person: the refund was not confirmed in time, under FTC Mail Order Rule 435.1(d)" in text
    assert "at the customer's request" not in text


def test_a_us_buyer_who_cancels_after_the_option_and_before_the_promise_is_refunded_at_once() -> None:
    cancel = _event("cancel.requested", (PROMISED - timedelta(hours=2)).isoformat())
    final, decisions, _ = drive(_order(), US_POLICY, PROMISED - timedelta(hours=1), [cancel])
    (cancelled,) = _by(decisions, Action.ORDER_CANCELLED)
    assert cancelled.at == PROMISED - timedelta(hours=2) and final.status == OrderStatus.CANCELLED
