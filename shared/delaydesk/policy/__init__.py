"""Deadlines: ship-by, auto-confirm, refund and return timers, moved by disruption windows; and
what a customer may choose for an order (``choices``: wait, cancel, return).

Decides every deadline of an order given the windows in force (the engine, pure), which
timers fire and what they decide (timers, timeouts), what the buyer's consumer rules decide
(consumer_rules: delay options, consent, cancellation, refunds, the buyer's legal options) and the
customer's choices on the page (choices: the one list, law options included): all pure.
Owns no table: the scan (delays) reads the windows and the order and passes them in.
May call: core only.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.policy import consumer_rules as consumer_rules
    from delaydesk.policy import engine as engine
    from delaydesk.policy import timers as timers
    from delaydesk.policy.choices import Choice as Choice
    from delaydesk.policy.choices import ChoiceKind as ChoiceKind
    from delaydesk.policy.choices import choice_names as choice_names
    from delaydesk.policy.choices import choices_for as choices_for
    from delaydesk.policy.choices import return_until as return_until
    from delaydesk.policy.timers import pending_due as pending_due
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "consumer_rules": "delaydesk.policy.consumer_rules",
            "engine": "delaydesk.policy.engine",
            "timers": "delaydesk.policy.timers",
            "Choice": "delaydesk.policy.choices:Choice",
            "ChoiceKind": "delaydesk.policy.choices:ChoiceKind",
            "choice_names": "delaydesk.policy.choices:choice_names",
            "choices_for": "delaydesk.policy.choices:choices_for",
            "return_until": "delaydesk.policy.choices:return_until",
            "pending_due": "delaydesk.policy.timers:pending_due",
        },
    )

__all__ = [
    "Choice",
    "ChoiceKind",
    "choice_names",
    "choices_for",
    "consumer_rules",
    "engine",
    "pending_due",
    "return_until",
    "timers",
]
