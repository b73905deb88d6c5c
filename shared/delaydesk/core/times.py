"""Time helpers. The domain never reads the wall clock: callers pass ``now``."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused (they hide a time-zone bug)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} has no offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError(f"{moment.isoformat()} is outside the representable range") from None


def parse_instant(text: str) -> datetime:
    """Parse an RFC 3339 instant (``Z`` or an offset) into an aware UTC datetime."""
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with seconds, sortable as text (used as index keys and in output)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
