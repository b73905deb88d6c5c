"""EventBridge schedules, fired on demand: simulated time instead of the wall clock.

The template's scheduled rules target functions; the embedded AWS fires every one of them when the
simulator (or a test) says the time has come, with a "Scheduled Event" whose ``time`` is the
simulated now, so that the scans see the moment being replayed rather than today.

Paced (``fire(now, paced=True)``, as ``simulate`` fires them), a rule with a ``rate(...)``
expression fires only when its rate has passed since its last firing: a replay whose tick is
shorter than an hour, or whose last step is, does not run the hourly functions more often than
EventBridge would. A replay's tick longer than a rule's rate fires it once per tick, as before.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from delaydesk_local.stack import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from delaydesk_local.invocation import FunctionSpec


def scheduled_event(rule_arn: str, now: datetime) -> dict[str, Any]:
    """An EventBridge "Scheduled Event" (tests/events/eventbridge_scheduled_event.json)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [rule_arn],
        "detail": {},
    }


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")


def rate_of(expression: str) -> timedelta | None:
    """The period of a ``rate(N unit)`` schedule expression; None for ``cron(...)`` and the rest."""
    match = _RATE.match(expression.strip())
    if match is None:
        return None
    unit = match.group(2).rstrip("s") + "s"
    return timedelta(**{unit: int(match.group(1))})


class Schedules:
    """The scheduled rules of the stack (rule name -> target function) and their firing."""

    def __init__(
        self,
        rules: dict[str, FunctionSpec],
        invoke: Callable[[str, dict[str, Any]], Any],
        expressions: dict[str, str] | None = None,
    ) -> None:
        self.rules = rules
        self.expressions: dict[str, str] = expressions if expressions is not None else {}
        """Rule name -> its ``ScheduleExpression`` (filled in by discovery)."""
        self._invoke = invoke
        self._fired: dict[str, datetime] = {}

    def due(self, rule_name: str, now: datetime) -> bool:
        """Whether a paced rule fires at ``now``: never fired, or its rate has passed since."""
        last = self._fired.get(rule_name)
        period = rate_of(self.expressions.get(rule_name, ""))
        return last is None or period is None or now - last >= period

    def fire(self, now: datetime, *, paced: bool = False) -> None:
        """Invoke the target of every rule with a "Scheduled Event" at ``now``, in discovery order
        (``paced``: only the rules whose rate has passed since they last fired)."""
        for rule_name, function in self.rules.items():
            if paced and not self.due(rule_name, now):
                continue
            self._fired[rule_name] = now
            rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"
            self._invoke(function.logical_id, scheduled_event(rule_arn, now))
