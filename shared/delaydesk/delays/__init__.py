"""Whether an order is late, and what to do about it.

Decides delays and stalls, the delivery estimate (eta), escalation to a person; owns the
scheduled scan that evaluates due orders and the recompute that re-runs it after a window change,
and the scheduling of the announcements they queue into send slots (``announcements``).
May call: policy (deadlines and timers), store, core.
"""

from delaydesk.delays import eta as eta
from delaydesk.delays import recompute as recompute
from delaydesk.delays import scan as scan
from delaydesk.delays.detect import next_due_at as next_due_at
from delaydesk.delays.escalation import close_escalation as close_escalation

__all__ = ["close_escalation", "eta", "next_due_at", "recompute", "scan"]
