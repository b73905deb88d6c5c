"""The suppression list: addresses that hard-bounced, complained or unsubscribed and phone numbers
that opted out are never sent to again. Checked by dispatch before every send; fed by ``feedback.py`` (SES
events) and ``sync_sms_opt_outs`` (SNS ListPhoneNumbersOptedOut)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from delaydesk import store
from delaydesk.core import aws
from delaydesk.core.observability import logger
from delaydesk.notices import reads


class Reason(StrEnum):
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"
    SMS_OPT_OUT = "sms_opt_out"
    REFUSED = "refused"  # the provider refused the address permanently (e.g. invalid number)
    MANUAL = "manual"
    UNSUBSCRIBED = "unsubscribed"  # the customer used the List-Unsubscribe link (e-mail only)


def suppressed(address: str) -> str | None:
    """Why ``address`` is suppressed, or None (from the queue batch's prefetch in dispatch, ``reads.py``)."""
    return reads.suppressed(address)


def suppress(address: str, reason: Reason, source: str, now: datetime) -> None:
    store.suppress_address(address, reason.value, source, now)
    reads.noted_suppression(address, reason.value)
    logger.info("address suppressed", reason=reason.value, source=source)


def sync_sms_opt_outs(now: datetime) -> int:
    """Copy SNS's opted-out phone numbers into the suppression list; returns how many were read."""
    client = aws.sns()
    count = 0
    token: str | None = None
    while True:
        page = client.list_phone_numbers_opted_out(**({"nextToken": token} if token else {}))
        for number in page.get("phoneNumbers", []):
            if store.suppression_of(number) is None:
                suppress(number, Reason.SMS_OPT_OUT, "sns:ListPhoneNumbersOptedOut", now)
            count += 1
        token = page.get("nextToken")
        if not token:
            return count
