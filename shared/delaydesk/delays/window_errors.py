"""What declaring, changing or ending a window can refuse (pure): the admin API answers them 404 and
409 without importing the recompute (``delays.recompute``) on the routes that never recompute."""

from __future__ import annotations


class WindowNotFound(Exception):
    """No such window for this owner."""


class WindowConflict(Exception):
    """The change is not allowed (e.g. ending a window that already ended)."""
