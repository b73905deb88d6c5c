"""Telling customers: what to send, in which words, on which channel, and when.

Decides rendering and template lint, quiet hours, send rate, suppression and compensation;
owns dispatch, the e-mail/SMS senders, the in-app inbox, held notices and SES feedback.
May call: policy (the customer's choices, so a notice mentions only those), store, core.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.notices import dispatch as dispatch
    from delaydesk.notices import feedback as feedback
    from delaydesk.notices import inbox as inbox
    from delaydesk.notices import notice_jobs as notice_jobs
    from delaydesk.notices import senders as senders
    from delaydesk.notices import suppression as suppression
    from delaydesk.notices import templates_admin as templates_admin
    from delaydesk.notices.consumer import consume as consume
    from delaydesk.notices.consumer import prefetched as prefetched
    from delaydesk.notices.inbox import InboxEntry as InboxEntry
    from delaydesk.notices.ratelimit import rates as rates
    from delaydesk.notices.reader import customer_zone as customer_zone
    from delaydesk.notices.reader import instant_formatter as instant_formatter
    from delaydesk.notices.reader import pick_locale as pick_locale
    from delaydesk.notices.reader import tracking_url as tracking_url
    from delaydesk.notices.sms import measure as measure
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "dispatch": "delaydesk.notices.dispatch",
            "feedback": "delaydesk.notices.feedback",
            "inbox": "delaydesk.notices.inbox",
            "notice_jobs": "delaydesk.notices.notice_jobs",
            "senders": "delaydesk.notices.senders",
            "suppression": "delaydesk.notices.suppression",
            "templates_admin": "delaydesk.notices.templates_admin",
            "consume": "delaydesk.notices.consumer:consume",
            "prefetched": "delaydesk.notices.consumer:prefetched",
            "InboxEntry": "delaydesk.notices.inbox:InboxEntry",
            "rates": "delaydesk.notices.ratelimit:rates",
            "customer_zone": "delaydesk.notices.reader:customer_zone",
            "instant_formatter": "delaydesk.notices.reader:instant_formatter",
            "pick_locale": "delaydesk.notices.reader:pick_locale",
            "tracking_url": "delaydesk.notices.reader:tracking_url",
            "measure": "delaydesk.notices.sms:measure",
        },
    )

__all__ = [
    "InboxEntry",
    "consume",
    "customer_zone",
    "dispatch",
    "feedback",
    "inbox",
    "instant_formatter",
    "measure",
    "notice_jobs",
    "pick_locale",
    "prefetched",
    "rates",
    "senders",
    "suppression",
    "templates_admin",
    "tracking_url",
]
