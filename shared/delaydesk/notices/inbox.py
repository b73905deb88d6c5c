"""The in-app inbox: every notice sent is kept with its record in the notice log (the copy is
written by the update that records the send) and listed once per (order, kind, stage), whatever
its channels, by the order page, the API and ``delaydesk notices inbox ORDER_ID``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from delaydesk import store
from delaydesk.core.times import iso


class InboxEntry(msgspec.Struct, frozen=True):
    key: str
    """``kind#stage``: one entry per notice, whatever its channels."""
    title: str
    body: str
    locale: str
    at: datetime | None


def entries(order_id: str) -> list[InboxEntry]:
    """The order's inbox, oldest first: one entry per notice (its first channel sent), with the
    copies stored before the notice log held them."""
    copies: dict[str, InboxEntry] = {}
    for n in sorted(store.inbox_copies(order_id), key=lambda n: (n.sent_at is None, n.sent_at)):
        key = f"{n.kind}#{n.stage}"
        copies.setdefault(key, InboxEntry(key, n.subject or "", n.inbox or "", n.locale or "", n.sent_at))
    for item in store.inbox_of(order_id):
        copies.setdefault(item.sk, InboxEntry(item.sk, item.title or "", item.text or "", item.label or "", item.at))
    return sorted(copies.values(), key=lambda e: (e.at is None, e.at))


def list_inbox(order_id: str) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "notice": entry.key,
            "title": entry.title,
            "body": entry.body,
            "locale": entry.locale,
            "at": iso(entry.at) if entry.at else None,
        }
        for entry in entries(order_id)
    ]
