"""Deadlines: ship-by, auto-confirm, refund and return timers, moved by disruption windows.

Decides every deadline of an order given the windows in force (the engine, pure) and which
timers fire and what they decide (timers, timeouts): all pure. Owns no table: the scan (delays)
reads the windows and the order and passes them in.
May call: core only.
"""

from delaydesk.policy import engine as engine
from delaydesk.policy import timers as timers
from delaydesk.policy.timers import pending_due as pending_due

__all__ = ["engine", "pending_due", "timers"]
