"""A merchant's notice policy (``settings.notices``): quiet hours, send rate and its bulk share,
SMS sender id, compensation. Every field is optional; the defaults are the deployment's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field

from delaydesk.compensation import CompensationPolicy
from delaydesk.events import Contract

# Countries where SNS accepts an alphanumeric sender id (others show a number): a conservative
# subset of AWS's "Supported countries and regions" list; the US, Canada and China do not.
SENDER_ID_COUNTRIES = frozenset({"+44", "+49", "+33", "+852", "+65", "+61", "+64", "+34", "+39", "+31"})


class NoticePolicy(Contract):
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    """SMS are not sent between these local times of the customer (held until ``quiet_end``)."""
    quiet_hours_urgent: bool = False
    """Whether urgent notices (delivery exceptions, which ask the customer to act) are held too."""
    max_send_rate: float | None = Field(default=None, gt=0, le=10_000)
    """E-mails per second for this merchant (set it to the SES sending quota); None: no limit."""
    bulk_share: float = Field(default=0.8, gt=0, le=1)
    """The share of ``max_send_rate`` that bulk kinds (disruption announcements) may use; the rest
    is kept for transactional notices while an announcement drains. 1: no share kept."""
    sms_sender_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,11}$")
    compensation: CompensationPolicy = CompensationPolicy()


def in_quiet_hours(local: time, policy: NoticePolicy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, zone: str, policy: NoticePolicy) -> datetime | None:
    """When an SMS due at ``now`` may be sent: None if now, else the next end of quiet hours."""
    local = now.astimezone(ZoneInfo(zone))
    if not in_quiet_hours(local.time(), policy):
        return None
    release = local.replace(hour=policy.quiet_end.hour, minute=policy.quiet_end.minute, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(now.tzinfo)


def sender_id_allowed(phone: str) -> bool:
    return any(phone.startswith(prefix) for prefix in SENDER_ID_COUNTRIES)
