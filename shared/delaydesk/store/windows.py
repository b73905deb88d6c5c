"""The windows table: disruption windows, keyed by their owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from delaydesk.core.windows import PLATFORM, Window
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register


class WindowRecord(Model):
    """A disruption window, keyed by its owner (a merchant, or ``windows.PLATFORM``)."""

    class Meta:
        table_name = "delaydesk-windows"
        region = "us-east-1"

    owner = UnicodeAttribute(hash_key=True)
    window_id = UnicodeAttribute(range_key=True)
    doc = MapAttribute[str, Any]()
    declared_at = UTCDateTimeAttribute()
    changed_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    def window(self) -> Window:
        return Window.model_validate(self.doc.as_dict())


register("windows_table", WindowRecord)


def get_window(owner: str, window_id: str) -> WindowRecord | None:
    try:
        return WindowRecord.get(owner, window_id, consistent_read=True)
    except WindowRecord.DoesNotExist:
        return None


def put_window(window: Window, now: datetime, record: WindowRecord | None = None) -> WindowRecord:
    """Create or change a window, conditional on the version read (``record``)."""
    if record is None:
        record = WindowRecord(window.owner, window.window_id, declared_at=now)
    record.doc = window.model_dump(mode="json")
    record.changed_at = now
    try:
        record.save()
    except PutError as exc:
        if conditional_failure(exc):
            raise ConcurrentUpdate(f"window {window.window_id} changed concurrently") from exc
        raise
    return record


def windows_for(merchant_id: str) -> list[Window]:
    """The platform's windows and the merchant's own (two queries; windows are few)."""
    found: list[Window] = []
    for owner in (PLATFORM, merchant_id):
        found.extend(record.window() for record in WindowRecord.query(owner))
    return found


def all_windows() -> list[WindowRecord]:
    """Every window (the CLI's list; the table holds a handful of items)."""
    return list(WindowRecord.scan())
