"""Property (issue 14 item 4): an experiment never holds out an order's first delay notice nor any
notice the law or the order's state requires, whatever the order id, its law or its life.

Each order is driven twice through the scan's pure steps (``timers.evaluate`` then
``detect.evaluate`` at every due instant): without experiments, and with one experiment for each thing that
may be held out (staged updates, the announcement, compensation) at a holdout share near 1. The
second run must send exactly the first run's notices less the holdable kinds of a holdout arm
(compensation withheld from the delay notices of its holdout arm, the notices still sent), and
leave one ``held_out`` decision per notice it held.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from conftest import instant, merchant, order_from, paid, scan, shipped
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pure_runs import drive

from delaydesk.core import experiments
from delaydesk.core.config import Settings
from delaydesk.core.decisions import Action
from delaydesk.core.experiments import Experiment
from delaydesk.core.kinds import DELAY_KINDS, Kind, NoticeRequest
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.orders import Order
from delaydesk.core.windows import Window, preset

POLICY = DelayPolicy.for_merchant(merchant(timezone="Asia/Shanghai", settings={"update_every_days": 2}), Settings())
DECLARED = tuple(
    Experiment(experiment_id=f"x-{name}", holds_out=name, holdout_share=0.97)  # type: ignore[arg-type]
    for name in ("staged_updates", "announcement", "compensation")
)
WITH_EXPERIMENTS = msgspec.structs.replace(POLICY, experiments=DECLARED)
CNY = preset("spring_festival_2020")
US = {"destination": {"country": "US", "region": "US-CA"}, "value": {"amount": "89.00", "currency": "USD"}}
DE = {"destination": {"country": "DE", "region": "DE-BE"}, "value": {"amount": "89.00", "currency": "EUR"}}
LAW_KINDS = {Kind.DELAY_CONSENT_REQUEST, Kind.ORDER_CANCELLED, Kind.REFUND_APPROVED, Kind.CANCEL_REFUSED}


def _event(order_id: str, kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "event_id": f"{kind}-{at}", "at": at, "order_id": order_id, **fields}


def _life(name: str, order_id: str) -> tuple[Order, list[Window], datetime, list[dict[str, Any]]]:
    """An order, the windows in force, how long to drive it, and the events of its life."""
    if name == "cn_in_the_spring_festival":  # announced, exempted, delayed after the window, staged updates
        return order_from(paid(order_id, "2020-01-25T10:00:00+08:00")), CNY, instant("2020-02-20T00:00:00+08:00"), []
    if name == "us_never_ships":  # delay option, updates, renewed option (consent), cancelled and refunded
        return (
            order_from(paid(order_id, "2020-03-02T09:00:00-08:00", hours=48, **US)),
            [],
            instant("2020-04-20T00:00:00Z"),
            [],
        )
    if name == "de_late":
        return order_from(paid(order_id, "2020-03-02T09:00:00+01:00", **DE)), [], instant("2020-03-20T00:00:00Z"), []
    if name == "cn_stalled":  # in transit, then no scan: stalled, updates
        order = order_from(
            paid(order_id, "2020-03-02T10:00:00+08:00"),
            shipped(order_id, "2020-03-02T18:00:00+08:00"),
            scan(order_id, "2020-03-03T08:00:00+08:00"),
        )
        return order, [], instant("2020-03-15T00:00:00+08:00"), []
    if name == "cn_cancelled_while_late":
        events = [_event(order_id, "cancel.requested", "2020-03-06T08:00:00+08:00")]
        return order_from(paid(order_id, "2020-03-02T10:00:00+08:00")), [], instant("2020-03-10T00:00:00+08:00"), events
    assert name == "cn_cancel_refused"
    order = order_from(paid(order_id, "2020-03-02T10:00:00+08:00"), shipped(order_id, "2020-03-02T18:00:00+08:00"))
    events = [_event(order_id, "cancel.requested", "2020-03-03T08:00:00+08:00")]
    return order, [], instant("2020-03-08T00:00:00+08:00"), events


def _strip(request: NoticeRequest) -> NoticeRequest:
    details = {k: v for k, v in request.details.items() if k != experiments.COMPENSATION_DETAIL}
    return request.model_copy(update={"details": details})


LIVES = (
    "cn_in_the_spring_festival",
    "us_never_ships",
    "de_late",
    "cn_stalled",
    "cn_cancelled_while_late",
    "cn_cancel_refused",
)
ORDER_IDS = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=24)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_id=ORDER_IDS, life=st.sampled_from(LIVES))
def test_first_and_law_required_notices_are_never_held_out(order_id: str, life: str) -> None:
    order, windows, until, events = _life(life, order_id)
    _, plain_decisions, plain = drive(order, POLICY, windows, until, events)
    final, decisions, sent = drive(order, WITH_EXPERIMENTS, windows, until, events)

    arms = {e: a.arm for e, a in final.experiments.items()}
    assert set(arms) == {e.experiment_id for e in DECLARED}  # met at its first evaluation, recorded once
    holding = {
        experiments.HOLDABLE[e.holds_out]
        for e in DECLARED
        if arms[e.experiment_id] == "holdout" and e.holds_out in experiments.HOLDABLE
    }
    # Compensation is withheld from every delay notice of its holdout arm, and only there.
    withheld = {n.kind for n in sent if experiments.COMPENSATION_DETAIL in n.details}
    assert withheld == ({n.kind for n in sent} & DELAY_KINDS if arms["x-compensation"] == "holdout" else set())
    sent = [_strip(n) for n in sent]

    # Exactly the plain run's notices, less the holdable kinds of a holdout arm.
    assert sent == [n for n in plain if n.kind not in holding]
    # Never held out: every notice of another kind, in particular what the law requires, and each
    # delay's first notice (the order's first delay notice among them).
    assert [n for n in plain if n.kind in experiments.NEVER_HELD_OUT] == [
        n for n in sent if n.kind in experiments.NEVER_HELD_OUT
    ]
    assert {n.kind for n in sent} >= {n.kind for n in plain} & (LAW_KINDS | (DELAY_KINDS - {Kind.DELAY_UPDATE}))
    first_delay = [n for n in plain if n.kind in DELAY_KINDS][:1]
    assert [n for n in sent if n.kind in DELAY_KINDS][:1] == first_delay
    # One held_out decision per (kind, stage) held, and no other decision changed.
    held = [d for d in decisions if d.action == Action.HELD_OUT]
    assert sorted((d.inputs["kind"], d.inputs["stage"]) for d in held) == sorted(
        {(n.kind.value, n.stage) for n in plain if n.kind in holding}
    )
    assert [d for d in decisions if d.action != Action.HELD_OUT] == plain_decisions


def test_the_lives_do_exercise_the_law_and_the_holdable_kinds() -> None:
    """The property above would be empty if the lives sent none of these: they send them all."""
    kinds: set[Kind] = set()
    for life in LIVES:
        order, windows, until, events = _life(life, "O-1")
        kinds |= {n.kind for n in drive(order, POLICY, windows, until, events)[2]}
    assert kinds >= LAW_KINDS - {Kind.REFUND_APPROVED} | experiments.HOLDABLE_KINDS | {
        Kind.SHIPMENT_DELAYED,
        Kind.IN_TRANSIT_DELAYED,
    }


def test_a_holdout_order_gets_its_first_notice_and_no_staged_update() -> None:
    """A concrete order in the holdout arm of both experiments (share near 1 for this id)."""
    order, windows, until, events = _life("cn_in_the_spring_festival", "TS-HOLD")
    final, decisions, sent = drive(order, WITH_EXPERIMENTS, windows, until, events)
    assert {a.arm for a in final.experiments.values()} == {"holdout"}
    assert [(n.kind.value, n.stage, n.details.get("compensation_held_out")) for n in sent] == [
        ("shipment_delayed", 0, "x-compensation")
    ]
    assert [d.decision_id for d in decisions if d.action == Action.HELD_OUT][:2] == [
        "held_out#x-announcement#disruption_announcement#0",
        "held_out#x-staged_updates#delay_update#1",
    ]
