"""Declaring the disruption window an early-warning alert proposes (the windows admin API, the CLI).

Apart from ``alerts``, which DetectSpikes and DeliverAlerts import: declaring recomputes the
deadlines of the window's orders (``delays.recompute``, and with it the scan and the policy), which
neither function's path ever does (README, "Scale": cold start).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from delaydesk import store
from delaydesk.core.observability import logger
from delaydesk.core.windows import Window, parse_window
from delaydesk.delays import recompute


def window_from_alert(alert_id: str, merchant_id: str | None = None) -> tuple[dict[str, Any], str]:
    """The proposed window of an alert (and its merchant), to declare. Raises LookupError."""
    record = store.get_alert(alert_id, merchant_id)
    if record is None:
        raise LookupError(f"no alert {alert_id!r}")
    window = record.alert().proposed_window
    if window is None:
        raise LookupError(f"alert {alert_id} proposes no window")
    return window, record.merchant_id


def declare_from_alert(alert_id: str, merchant_id: str | None, now: datetime) -> tuple[Window, bool]:
    """Declare the window an alert proposes (one step). False: it was declared before (unchanged).

    Raises LookupError (no such alert, or no proposal) and the window's ValidationError (core/record.py).
    """
    raw, owner = window_from_alert(alert_id, merchant_id)
    window = parse_window(raw)
    existing = store.get_window(window.owner, window.window_id)
    if existing is not None:
        return existing.window(), False
    declared, _ = recompute.declare(window, now)
    store.set_alert_window(owner, alert_id, declared.window_id)
    logger.info("window declared from an alert", alert_id=alert_id, window_id=declared.window_id)
    return declared, True
