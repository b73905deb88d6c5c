"""What happened to a parcel: carrier webhooks in, contract events validated and applied.

Decides whether an event is valid and which order it belongs to; owns the vendor adapters
(AfterShip, EasyPost, 17TRACK, Shopify, Easyship, generic), the help-desk adapters (Zendesk,
Freshdesk, generic inquiries), webhook signatures, the
order a scan is about (by parcel, or by tracking number alone) and its local time, ingest and
the rejected-events record.
May call: delays (the next deadline, delivered transit times), store, core.
"""

from delaydesk.tracking import helpdesk as helpdesk
from delaydesk.tracking import ingest as ingest
from delaydesk.tracking import rejections as rejections
from delaydesk.tracking import webhooks as webhooks
from delaydesk.tracking.intake import accept_inquiry as accept_inquiry
from delaydesk.tracking.intake import accept_webhook as accept_webhook
from delaydesk.tracking.intake import refuse_webhook as refuse_webhook
from delaydesk.tracking.rejections import Category as Category
from delaydesk.tracking.webhooks import WebhookError as WebhookError

__all__ = [
    "Category",
    "WebhookError",
    "accept_inquiry",
    "accept_webhook",
    "helpdesk",
    "ingest",
    "refuse_webhook",
    "rejections",
    "webhooks",
]
