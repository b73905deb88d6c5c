"""Deadlines: ship-by, auto-confirm, refund and return timers, moved by disruption windows.

Decides every deadline of an order given the windows in force (the engine, pure), which
timers fire and what they decide (timers, timeouts), and what the buyer's consumer rules decide
(consumer_rules: delay options, consent, cancellation, refunds, the buyer's choices): all pure.
Owns no table: the scan (delays) reads the windows and the order and passes them in.
May call: core only.
"""

from delaydesk.policy import consumer_rules as consumer_rules
from delaydesk.policy import engine as engine
from delaydesk.policy import timers as timers
from delaydesk.policy.timers import pending_due as pending_due

__all__ = ["consumer_rules", "engine", "pending_due", "timers"]
