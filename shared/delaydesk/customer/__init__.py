"""The customer's side: the order page and the self-service API behind it.

Decides what a customer may see and do with a signed link; owns the order page rendering
and the customer API routes. May call: policy (choices_for: what the page offers), notices
(inbox, suppression, rendering), store, core.
"""

from delaydesk.customer.customer_api import app as customer_app

__all__ = ["customer_app"]
