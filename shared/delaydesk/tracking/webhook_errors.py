"""How a webhook is refused (each error carries its HTTP status), the freshness rule, and the
lenient readers of a vendor payload's optional fields.

Shared by ``webhooks`` and the vendor adapters (one module per vendor), so that neither imports
the other's internals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from delaydesk.core.times import iso, parse_instant


class WebhookError(Exception):
    status = 400


class Unauthorized(WebhookError):
    status = 401


class Malformed(WebhookError):
    status = 400


class UnknownSource(WebhookError):
    status = 404


class TooLarge(WebhookError):
    status = 413


FUTURE_SKEW = timedelta(minutes=15)
"""How far ahead of the request a signed send time may be (the sender's clock)."""


def check_fresh(moment: datetime, now: datetime, tolerance: timedelta) -> None:
    """Refuse a signed send time older than ``tolerance`` (a replay) or more than a clock skew ahead.

    ``tolerance`` (``WebhookToleranceSeconds``, 4 days by default) is wider than the vendors' own
    retry schedules (AfterShip retries for ~68 hours), so an honest retry is accepted; what it
    carries again is absorbed by ingest's idempotency on the event id (the order's last 32).
    """
    if now - moment > tolerance:
        raise Unauthorized(f"timestamp {iso(moment)} is older than the {int(tolerance.total_seconds())} s window")
    if moment - now > FUTURE_SKEW:
        raise Unauthorized(f"timestamp {iso(moment)} is ahead of the receiver's clock by more than {FUTURE_SKEW}")


def as_object(value: Any) -> dict[str, Any]:
    """A payload member that should be a JSON object; anything else reads as empty."""
    return value if isinstance(value, dict) else {}


def optional_instant(value: Any) -> datetime | None:
    """An RFC 3339 instant with its offset, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        return None
