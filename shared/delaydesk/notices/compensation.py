"""Compensation policy: a merchant's rules that grant a coupon or points for a delay.

Rules are matched on the delay's length (days since it started), the order value and the cause
(the delay's rule or reason code). The first matching rule wins. A grant is made at most once per
order and within a total budget per window (both enforced by conditional writes in ``store``,
section "notice state"); it appears in the notice (``details['compensation_*']``) and as an
audited decision with the action ``compensation_granted`` (an extension of the contract's
action list).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.merchants import CompensationPolicy

COMPENSATION_GRANTED = "compensation_granted"
"""The decision action recorded for a grant (scenario.md lists actions; this one is added)."""


class Grant(msgspec.Struct, frozen=True):
    grant: str
    value: Decimal
    rule_index: int

    @property
    def cost(self) -> Decimal:
        """What the grant takes from the budget (100 points count as one unit of money)."""
        return self.value if self.grant == "coupon" else self.value / 100

    def details(self) -> dict[str, str]:
        return {"compensation_type": self.grant, "compensation_value": str(self.value)}


def decide(request: NoticeRequest, order_value: Decimal, policy: CompensationPolicy, now: datetime) -> Grant | None:
    """The grant this notice earns under ``policy`` (before the once-per-order and budget checks)."""
    late_days = (now - request.delay_started_at).total_seconds() / 86400
    for index, rule in enumerate(policy.rules):
        if late_days < rule.min_delay_days or order_value < rule.min_order_value:
            continue
        if rule.causes and request.rule not in rule.causes and request.reason not in rule.causes:
            continue
        return Grant(rule.grant, rule.value, index)
    return None


def budget_window(now: datetime, policy: CompensationPolicy) -> str:
    """The budget window ``now`` falls in: consecutive periods of ``budget_window_days``."""
    return str(int(now.timestamp() // (policy.budget_window_days * 86400)))
