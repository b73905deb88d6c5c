"""Whether an order is late, and what to do about it.

Decides delays and stalls, the delivery estimate (eta), escalation to a person; owns the
scheduled scan that evaluates due orders and the recompute that re-runs it after a window change,
and the scheduling of the announcements they queue into send slots (``announcements``).
May call: policy (deadlines and timers), store, core.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.delays import eta as eta
    from delaydesk.delays import recompute as recompute
    from delaydesk.delays import scan as scan
    from delaydesk.delays import scan_plan as scan_plan
    from delaydesk.delays.detect import evaluated_at_payment as evaluated_at_payment
    from delaydesk.delays.detect import next_due_at as next_due_at
    from delaydesk.delays.escalation import close_escalation as close_escalation
    from delaydesk.delays.window_errors import WindowConflict as WindowConflict
    from delaydesk.delays.window_errors import WindowNotFound as WindowNotFound
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "eta": "delaydesk.delays.eta",
            "recompute": "delaydesk.delays.recompute",
            "scan": "delaydesk.delays.scan",
            "scan_plan": "delaydesk.delays.scan_plan",
            "evaluated_at_payment": "delaydesk.delays.detect:evaluated_at_payment",
            "next_due_at": "delaydesk.delays.detect:next_due_at",
            "close_escalation": "delaydesk.delays.escalation:close_escalation",
            "WindowConflict": "delaydesk.delays.window_errors:WindowConflict",
            "WindowNotFound": "delaydesk.delays.window_errors:WindowNotFound",
        },
    )

__all__ = [
    "WindowConflict",
    "WindowNotFound",
    "close_escalation",
    "eta",
    "evaluated_at_payment",
    "next_due_at",
    "recompute",
    "scan",
    "scan_plan",
]
