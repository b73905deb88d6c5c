"""EventBridge schedules, fired on demand: simulated time instead of the wall clock.

The template's scheduled rules target functions; the embedded AWS fires every one of them when the
simulator (or a test) says the time has come, with a "Scheduled Event" whose ``time`` is the
simulated now, so that the scans see the moment being replayed rather than today.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
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


class Schedules:
    """The scheduled rules of the stack (rule name -> target function) and their firing."""

    def __init__(self, rules: dict[str, FunctionSpec], invoke: Callable[[str, dict[str, Any]], Any]) -> None:
        self.rules = rules
        self._invoke = invoke

    def fire(self, now: datetime) -> None:
        """Invoke the target of every rule with a "Scheduled Event" at ``now``, in discovery order."""
        for rule_name, function in self.rules.items():
            rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule_name}"
            self._invoke(function.logical_id, scheduled_event(rule_arn, now))
