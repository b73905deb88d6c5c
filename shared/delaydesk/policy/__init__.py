"""Deadlines: ship-by, auto-confirm, refund and return timers, moved by disruption windows.

Decides every deadline of an order given the windows in force (the engine, pure) and which
timers fire (timers). Owns no table of its own: windows are stored by store.windows.
May call: store, core.
"""

from delaydesk.policy import engine as engine
from delaydesk.policy import timers as timers
from delaydesk.policy.timers import pending_due as pending_due

__all__ = ["engine", "pending_due", "timers"]
