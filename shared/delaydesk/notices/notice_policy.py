"""A merchant's notice policy (``settings.notices``): quiet hours, send rate and its bulk share,
SMS sender id, compensation. Every field is optional; the defaults are the deployment's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from delaydesk.core.merchants import NoticePolicy

# Countries where SNS accepts an alphanumeric sender id (others show a number): a conservative
# subset of AWS's "Supported countries and regions" list; the US, Canada and China do not.
SENDER_ID_COUNTRIES = frozenset({"+44", "+49", "+33", "+852", "+65", "+61", "+64", "+34", "+39", "+31"})


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
