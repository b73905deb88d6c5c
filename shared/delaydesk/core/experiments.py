"""Holdout experiments on optional communication (pure): declaration, assignment, holding out.

A merchant declares an experiment in its settings (``MerchantSettings.experiments``): what it holds
out and the share of orders held out. Each order is assigned to an arm deterministically:
``sha256(experiment_id + ":" + order_id)`` read as a number uniform in [0, 1) is ``holdout`` below
the share, else ``treatment``. The arm is recorded on the order once, at the order's first
evaluation by the scan (part of its versioned write) and never rewritten.

What an experiment may hold out is a closed list of *optional* notices (``HOLDABLE``):

- ``staged_updates``: the ``delay_update`` notices (never a delay's first notice, which has its own
  kind: an order's first delay notice is never held out);
- ``announcement``: the ``disruption_announcement`` of a window;
- ``compensation``: the coupon or points the merchant's compensation rules would grant in a delay
  notice. The notice itself is sent; only the grant is withheld: the request carries the detail
  ``compensation_held_out`` (the experiment), and dispatch, which grants compensation (with its
  once-per-order and budget checks), grants none then and records the ``held_out`` decision when
  a grant would have been made.

Every other kind (the first delay notices, ``delay_consent_request``, ``order_cancelled``,
``refund_approved``, ``cancel_refused``: what the buyer's consumer rules or the order's state
require) can never be held out, whatever is declared, and neither can a notice whose details name
the legal clause that requires it. The filter is applied by the pure rules that build the notice
requests (``delays.detect``, ``policy.timers``); each notice held out leaves a ``held_out``
decision naming the experiment.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from delaydesk.core.decisions import Action, Decision
from delaydesk.core.events import Contract, Instant
from delaydesk.core.fields import one_line
from delaydesk.core.kinds import DELAY_KINDS, Kind, NoticeRequest
from delaydesk.core.record import Check, Meta

Arm = Literal["holdout", "treatment"]
HoldsOut = Literal["staged_updates", "announcement", "compensation"]
COMPENSATION = "compensation"
COMPENSATION_DETAIL = "compensation_held_out"
"""The request detail that withholds compensation from a notice (the experiment's id)."""
HOLDABLE: dict[str, Kind] = {
    "staged_updates": Kind.DELAY_UPDATE,
    "announcement": Kind.DISRUPTION_ANNOUNCEMENT,
}
"""What an experiment may hold out, and the one notice kind each name stands for."""
HOLDABLE_KINDS = frozenset(HOLDABLE.values())
NEVER_HELD_OUT = frozenset(Kind) - HOLDABLE_KINDS
"""Every kind outside ``HOLDABLE``: first delay notices and what the law or the order requires."""
LEGAL_DETAILS = ("clause", "consent_by")
"""Details that mark a notice the buyer's consumer rules require (consumer_rules.py)."""
MAX_EXPERIMENTS = 20

ExperimentId = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"), Check(one_line)]
"""Letters, digits and ``_.:-``, at most 64: it is part of decision ids (``#`` separates them)."""


class Experiment(Contract):
    """A holdout experiment on one kind of optional communication (merchant settings)."""

    experiment_id: ExperimentId
    holds_out: HoldsOut
    holdout_share: Annotated[float, Meta(gt=0, lt=1)]
    """The share of orders assigned to the holdout arm (strictly between 0 and 1)."""
    starts_at: Instant | None = None
    """Orders paid from then on take part (None: from the first one evaluated)."""
    ends_at: Instant | None = None
    """Orders paid before then take part, and nothing is held out from then on (None: open)."""

    def _valid(self) -> None:
        if self.starts_at is not None and self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError(f"experiment {self.experiment_id}: ends_at must be after starts_at")

    def admits(self, paid_at: datetime) -> bool:
        """Whether an order paid at ``paid_at`` takes part."""
        return (self.starts_at is None or paid_at >= self.starts_at) and (
            self.ends_at is None or paid_at < self.ends_at
        )

    def running(self, now: datetime) -> bool:
        return (self.starts_at is None or now >= self.starts_at) and (self.ends_at is None or now < self.ends_at)


def distinct(experiments: list[Experiment]) -> list[Experiment]:
    """Refuse two experiments with one id (a settings validator)."""
    seen: set[str] = set()
    for experiment in experiments:
        if experiment.experiment_id in seen:
            raise ValueError(f"two experiments with the id {experiment.experiment_id!r}")
        seen.add(experiment.experiment_id)
    return experiments


def position(experiment_id: str, order_id: str) -> float:
    """``sha256(experiment_id + ":" + order_id)``: its first 8 bytes as a number uniform in [0, 1)."""
    digest = hashlib.sha256(f"{experiment_id}:{order_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: Experiment, order_id: str) -> Arm:
    """The order's arm: ``holdout`` when its position is below the holdout share."""
    return "holdout" if position(experiment.experiment_id, order_id) < experiment.holdout_share else "treatment"


class Assignment(Contract):
    """An order's arm in one experiment, as recorded on the order (never rewritten)."""

    arm: Arm
    assigned_at: Instant
    holds_out: HoldsOut
    holdout_share: float


def enrol(
    order_id: str,
    paid_at: datetime,
    recorded: dict[str, Assignment],
    experiments: tuple[Experiment, ...],
    now: datetime,
) -> dict[str, Assignment]:
    """``recorded`` with the assignments of the experiments this order meets for the first time.

    An order meets an experiment when it is evaluated while the experiment is declared, and it was
    paid within the experiment's span. An assignment already recorded is kept as it is.
    """
    out = dict(recorded)
    for experiment in experiments:
        if experiment.experiment_id in out or not experiment.admits(paid_at):
            continue
        out[experiment.experiment_id] = Assignment(
            arm=assign(experiment, order_id),
            assigned_at=now,
            holds_out=experiment.holds_out,
            holdout_share=experiment.holdout_share,
        )
    return out


def may_hold_out(request: NoticeRequest) -> bool:
    """Whether a notice is optional at all: a holdable kind that no legal clause requires."""
    return request.kind in HOLDABLE_KINDS and not any(key in request.details for key in LEGAL_DETAILS)


def holding_out(
    request: NoticeRequest, recorded: dict[str, Assignment], experiments: tuple[Experiment, ...], now: datetime
) -> Experiment | None:
    """The running experiment that holds this notice out from this order, if any."""
    if not may_hold_out(request):
        return None
    for experiment in experiments:
        if (
            _in_holdout(experiment, recorded, now)
            and experiment.holds_out in HOLDABLE
            and HOLDABLE[experiment.holds_out] == request.kind
        ):
            return experiment
    return None


def _in_holdout(experiment: Experiment, recorded: dict[str, Assignment], now: datetime) -> bool:
    assignment = recorded.get(experiment.experiment_id)
    return assignment is not None and assignment.arm == "holdout" and experiment.running(now)


def without_compensation(
    request: NoticeRequest, recorded: dict[str, Assignment], experiments: tuple[Experiment, ...], now: datetime
) -> NoticeRequest:
    """A delay notice of an order in a compensation experiment's holdout arm, marked so that no
    compensation is granted in it (the notice is sent all the same)."""
    if request.kind not in DELAY_KINDS or COMPENSATION_DETAIL in request.details:
        return request
    for experiment in experiments:
        if experiment.holds_out == COMPENSATION and _in_holdout(experiment, recorded, now):
            details = {**request.details, COMPENSATION_DETAIL: experiment.experiment_id}
            return request.model_copy(update={"details": details})
    return request


def hold_out(
    order_id: str,
    requests: list[NoticeRequest],
    recorded: dict[str, Assignment],
    experiments: tuple[Experiment, ...],
    now: datetime,
) -> tuple[list[NoticeRequest], list[Decision]]:
    """The requests still to send (compensation withheld where an experiment says so), and one
    ``held_out`` decision per notice (kind, stage) held out."""
    kept: list[NoticeRequest] = []
    decisions: dict[str, Decision] = {}
    for request in requests:
        experiment = holding_out(request, recorded, experiments, now)
        if experiment is None:
            kept.append(without_compensation(request, recorded, experiments, now))
            continue
        decision_id = f"{Action.HELD_OUT}#{experiment.experiment_id}#{request.kind}#{request.stage}"
        decisions.setdefault(
            decision_id,
            Decision(
                order_id=order_id,
                decision_id=decision_id,
                action=Action.HELD_OUT,
                rule=f"experiment_{experiment.holds_out}",
                at=now,
                window_id=request.window_id,
                inputs={
                    "experiment_id": experiment.experiment_id,
                    "kind": request.kind.value,
                    "stage": request.stage,
                    "arm": "holdout",
                },
            ),
        )
    return kept, list(decisions.values())
