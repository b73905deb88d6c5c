"""Holdout experiments (issue 14 item 4): declaration at the edge, deterministic assignment recorded
once, and the filter that holds out optional notices only (pure)."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import Any

import pytest
from conftest import instant, merchant, notice_request

from delaydesk.core import experiments
from delaydesk.core.experiments import Assignment, Experiment, assign, enrol, hold_out, position
from delaydesk.core.kinds import DELAY_KINDS, Kind, NoticeRequest
from delaydesk.core.merchants import Merchant
from delaydesk.core.record import ValidationError

NOW = instant("2020-01-25T10:00:00+08:00")


def _experiment(**fields: Any) -> Experiment:
    return Experiment.model_validate(
        {"experiment_id": "x1", "holds_out": "staged_updates", "holdout_share": 0.5} | fields
    )


def test_the_position_is_sha256_of_id_colon_order_read_as_a_fraction() -> None:
    # Computed here from the definition, independently of the module: the first 8 bytes, big-endian, / 2^64.
    digest = hashlib.sha256(b"updates-2020:TS20200120-0001").hexdigest()
    expected = int(digest[:16], 16) / 2**64
    assert position("updates-2020", "TS20200120-0001") == expected
    assert 0 <= expected < 1
    assert assign(_experiment(experiment_id="updates-2020", holdout_share=expected + 1e-9), "TS20200120-0001") == (
        "holdout"
    )
    assert assign(_experiment(experiment_id="updates-2020", holdout_share=expected), "TS20200120-0001") == "treatment"


def test_assignment_is_deterministic_and_depends_on_the_experiment() -> None:
    ids = [f"O-{i}" for i in range(200)]
    first = [assign(_experiment(), o) for o in ids]
    assert first == [assign(_experiment(), o) for o in ids]
    other = [assign(_experiment(experiment_id="x2"), o) for o in ids]
    assert first != other  # another experiment splits the same orders another way


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5, 0.9])
def test_the_holdout_share_is_respected_over_many_orders(share: float) -> None:
    n = 20_000
    held = sum(assign(_experiment(holdout_share=share), f"order-{i}") == "holdout" for i in range(n))
    # Binomial(n, share): within 4.5 standard deviations (a false alarm about once in 300,000 runs).
    assert abs(held - n * share) < 4.5 * math.sqrt(n * share * (1 - share))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"holdout_share": 0}, r"> 0\.0"),
        ({"holdout_share": 1}, r"< 1\.0"),
        ({"holdout_share": 1.5}, r"< 1\.0"),
        ({"holds_out": "order_cancelled"}, "holds_out"),
        ({"holds_out": "template_variant"}, "holds_out"),
        ({"holds_out": "delay_consent_request"}, "holds_out"),
        ({"experiment_id": "a#b"}, "experiment_id"),
        ({"experiment_id": ""}, "experiment_id"),
        ({"starts_at": "2020-02-01T00:00:00Z", "ends_at": "2020-01-01T00:00:00Z"}, "ends_at must be after"),
        ({"starts_at": "2020-02-01T00:00:00"}, "starts_at"),  # no offset
    ],
)
def test_a_declaration_outside_the_rules_is_refused_with_the_reason(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        merchant(
            settings={
                "experiments": [{"experiment_id": "x1", "holds_out": "staged_updates", "holdout_share": 0.5} | fields]
            }
        )


def test_merchant_settings_take_experiments_with_distinct_ids() -> None:
    declared = merchant(
        settings={
            "experiments": [
                {"experiment_id": "u", "holds_out": "staged_updates", "holdout_share": 0.5},
                {
                    "experiment_id": "a",
                    "holds_out": "announcement",
                    "holdout_share": 0.2,
                    "ends_at": "2020-03-01T00:00:00Z",
                },
            ]
        }
    )
    assert isinstance(declared, Merchant)
    assert [e.holds_out for e in declared.settings.experiments] == ["staged_updates", "announcement"]
    with pytest.raises(ValidationError, match="two experiments with the id 'u'"):
        merchant(
            settings={
                "experiments": [
                    {"experiment_id": "u", "holds_out": "staged_updates", "holdout_share": 0.5},
                    {"experiment_id": "u", "holds_out": "announcement", "holdout_share": 0.5},
                ]
            }
        )


def test_an_order_is_enrolled_once_and_never_reassigned() -> None:
    experiment = _experiment(holdout_share=0.5)
    first = enrol("O-1", NOW, {}, (experiment,), NOW)
    assert first == {
        "x1": Assignment(arm=assign(experiment, "O-1"), assigned_at=NOW, holds_out="staged_updates", holdout_share=0.5)
    }
    # The merchant changes the share (or the order is evaluated again later): the record stands.
    changed = _experiment(holdout_share=0.01 if first["x1"].arm == "holdout" else 0.99)
    again = enrol("O-1", NOW, first, (changed,), NOW + timedelta(days=3))
    assert again == first


def test_only_orders_paid_within_the_span_are_enrolled() -> None:
    span = _experiment(starts_at="2020-01-25T00:00:00Z", ends_at="2020-02-01T00:00:00Z")
    assert enrol("O-1", instant("2020-01-24T23:59:59Z"), {}, (span,), NOW) == {}
    assert set(enrol("O-1", instant("2020-01-25T00:00:00Z"), {}, (span,), NOW)) == {"x1"}
    assert enrol("O-1", instant("2020-02-01T00:00:00Z"), {}, (span,), NOW) == {}


def _held(share: float = 0.5) -> tuple[Experiment, dict[str, Assignment]]:
    experiment = _experiment(holdout_share=share)
    return experiment, {
        "x1": Assignment(arm="holdout", assigned_at=NOW, holds_out="staged_updates", holdout_share=share)
    }


def test_a_holdout_order_loses_its_staged_update_with_a_decision_per_notice() -> None:
    experiment, recorded = _held()
    requests = [notice_request(kind=Kind.DELAY_UPDATE, stage=2, channel=channel) for channel in ("email", "sms")]
    kept, decisions = hold_out("TS20200120-0001", requests, recorded, (experiment,), NOW)
    assert kept == []
    (decision,) = decisions
    assert decision.decision_id == "held_out#x1#delay_update#2"
    assert (decision.action.value, decision.rule) == ("held_out", "experiment_staged_updates")
    assert decision.inputs == {"experiment_id": "x1", "kind": "delay_update", "stage": 2, "arm": "holdout"}
    # The treatment arm keeps it; so does the holdout arm once the experiment has ended.
    treated = {"x1": recorded["x1"].model_copy(update={"arm": "treatment"})}
    assert hold_out("TS20200120-0001", requests, treated, (experiment,), NOW)[0] == requests
    ended = _experiment(ends_at=NOW)
    assert hold_out("TS20200120-0001", requests, recorded, (ended,), NOW)[0] == requests
    # An experiment the merchant removed holds nothing out (the assignment stays on the order).
    assert hold_out("TS20200120-0001", requests, recorded, (), NOW)[0] == requests


def _strip(request: NoticeRequest) -> NoticeRequest:
    details = {k: v for k, v in request.details.items() if k != experiments.COMPENSATION_DETAIL}
    return request.model_copy(update={"details": details})


@pytest.mark.parametrize("kind", sorted(experiments.NEVER_HELD_OUT))
def test_no_other_kind_is_ever_held_out_whatever_is_declared(kind: Kind) -> None:
    declared = tuple(
        _experiment(experiment_id=f"x-{name}", holds_out=name, holdout_share=0.999)
        for name in ("staged_updates", "announcement", "compensation")
    )
    recorded = {
        e.experiment_id: Assignment(arm="holdout", assigned_at=NOW, holds_out=e.holds_out, holdout_share=0.999)
        for e in declared
    }
    requests = [notice_request(kind=kind, stage=stage) for stage in (0, 1, 5)]
    kept, decisions = hold_out("TS20200120-0001", requests, recorded, declared, NOW)
    # Every notice is sent; a delay notice only loses the compensation it might have carried.
    assert ([_strip(r) for r in kept], decisions) == (requests, [])
    marked = {r.kind for r in kept if experiments.COMPENSATION_DETAIL in r.details}
    assert marked == ({kind} & DELAY_KINDS)


def test_a_compensation_holdout_marks_the_delay_notices_and_the_treatment_keeps_them() -> None:
    experiment = _experiment(experiment_id="coupons", holds_out="compensation")
    held = {"coupons": Assignment(arm="holdout", assigned_at=NOW, holds_out="compensation", holdout_share=0.5)}
    first = notice_request(kind=Kind.SHIPMENT_DELAYED, stage=0)
    announcement = notice_request(kind=Kind.DISRUPTION_ANNOUNCEMENT, stage=0)
    kept, decisions = hold_out("O-1", [first, announcement], held, (experiment,), NOW)
    assert decisions == []  # dispatch records it, where the grant would have been made
    assert kept[0].details == {"compensation_held_out": "coupons"} and kept[1] == announcement
    treated = {"coupons": held["coupons"].model_copy(update={"arm": "treatment"})}
    assert hold_out("O-1", [first], treated, (experiment,), NOW) == ([first], [])


def test_a_notice_that_names_its_legal_clause_is_never_held_out() -> None:
    experiment, recorded = _held()
    required = notice_request(kind=Kind.DELAY_UPDATE, stage=1, details={"clause": "16 CFR 435.2(b)(1)"})
    assert hold_out("TS20200120-0001", [required], recorded, (experiment,), NOW) == ([required], [])
