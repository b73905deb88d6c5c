"""Notice kinds and channels, the vocabulary of notices without the request record.

``core.kinds`` defines ``NoticeRequest`` (a contract model) and exports these names too; a path that
only needs a kind, a channel or a customer's address for one (the release of held and scheduled
notices, ``core.pacing``, the batch reads) imports them from here without loading the records
(README, "Scale": cold start).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from delaydesk.core.events import Customer


class Kind(StrEnum):
    SHIPMENT_DELAYED = "shipment_delayed"
    IN_TRANSIT_DELAYED = "in_transit_delayed"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELAY_UPDATE = "delay_update"
    DISRUPTION_ANNOUNCEMENT = "disruption_announcement"
    REFUND_APPROVED = "refund_approved"
    ORDER_CANCELLED = "order_cancelled"
    CANCEL_REFUSED = "cancel_refused"
    DELAY_CONSENT_REQUEST = "delay_consent_request"
    """A renewed delay notice that needs the buyer's express consent (16 CFR 435.2(b)(2))."""


class NoticeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    INBOX = "inbox"


URGENT_KINDS = frozenset({Kind.DELIVERY_EXCEPTION})
BULK_KINDS = frozenset({Kind.DISRUPTION_ANNOUNCEMENT})
"""Kinds sent to every order a window covers at once: paced on their own share of the send rate
(``ratelimit.py``) so that they never hold up the transactional kinds."""
DELAY_KINDS = frozenset(
    {
        Kind.SHIPMENT_DELAYED,
        Kind.IN_TRANSIT_DELAYED,
        Kind.DELIVERY_EXCEPTION,
        Kind.DELAY_UPDATE,
        Kind.DELAY_CONSENT_REQUEST,
    }
)
"""Kinds that announce (or update) a delay: they must carry an estimate and the order page link."""

DETAIL_KEYS: dict[str, str] = {
    # refund_approved / order_cancelled
    "refund_amount": "decimal string; default: the order value",
    "refund_currency": "ISO 4217; default: the order currency",
    "refund_method": "original_payment (default) | balance | bank_transfer",
    "refund_days": "business days until the money arrives, e.g. '1-5' (default) ",
    "cancel_reason": "customer_request (default) | not_shipped_in_time | out_of_stock | address_unreachable "
    "| parcel_lost | merchant_policy",
    # disruption_announcement
    "window_id": "the disruption window",
    "window_reason": "public_health | natural_disaster | extreme_weather | holiday | logistics_halt | customs "
    "| social_event | technical_failure",
    "window_starts": "RFC 3339 instant the window starts",
    "window_ends": "RFC 3339 instant the window ends",
    "changes": "comma-separated: ship_by_suspended, ship_by_extended, refund_confirm_extended, "
    "return_window_extended, auto_confirm_extended",
    # delay notices under the buyer's consumer rules (policy/consumer_rules.py)
    "rules": "us_ftc | eu_crd | uk_cra | cn_platform | none: the rule set the notice's wording follows",
    "revised_ship_by": "RFC 3339: the definite revised shipping date (absent: none can be given)",
    "silence_consents": "'true' when the buyer's silence is consent to the revised date (435.2(b)(1)(ii))",
    "consent_by": "RFC 3339: without express consent by then the order is cancelled and refunded",
    "clause": "the clause that requires the notice, e.g. 16 CFR 435.2(b)(1)",
    # any kind: a grant of the merchant's compensation policy (compensation.py)
    "compensation_type": "coupon | points",
    "compensation_value": "coupon amount (decimal string, order currency) or number of points",
    "compensation_code": "optional coupon code",
    "compensation_held_out": "the holdout experiment that withholds compensation from this notice "
    "(core/experiments.py): dispatch grants none",
}
"""The documented keys of ``NoticeRequest.details``; every one is optional."""


def address_for(customer: Customer, channel: NoticeChannel) -> str | None:
    """Where a notice on ``channel`` goes: the customer's e-mail or phone (None for the inbox, or
    when the customer gave none)."""
    if channel == NoticeChannel.EMAIL:
        return customer.email
    if channel == NoticeChannel.SMS:
        return customer.phone
    return None
