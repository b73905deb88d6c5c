"""The customer's side: the order page and the self-service API behind it, the storefront delay
banner and the robots' WISMO answers.

Decides what a customer may see and do with a signed link, what a shop-wide banner says and what
a robot may be told about an order; owns the order page rendering, the customer API routes, the
banner routes and the WISMO route. May call: policy (choices_for: what the page offers), notices
(inbox, suppression, rendering), delays (the estimate), store, core.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.customer.customer_api import app as customer_app
    from delaydesk.customer.storefront_api import app as storefront_app
    from delaydesk.customer.topics import classify_topic as classify_topic
    from delaydesk.customer.wismo_api import app as wismo_app
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "customer_app": "delaydesk.customer.customer_api:app",
            "storefront_app": "delaydesk.customer.storefront_api:app",
            "classify_topic": "delaydesk.customer.topics:classify_topic",
            "wismo_app": "delaydesk.customer.wismo_api:app",
        },
    )

__all__ = ["classify_topic", "customer_app", "storefront_app", "wismo_app"]
