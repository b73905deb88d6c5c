"""The in-app inbox: every notice is stored once per (order, kind, stage), whatever its channels,
and listed by the order page, the API and ``delaydesk notices inbox ORDER_ID``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from delaydesk import store
from delaydesk.core.kinds import NoticeRequest
from delaydesk.core.times import iso
from delaydesk.notices.rendering import Rendered


@dataclass(frozen=True)
class InboxEntry:
    key: str
    """``kind#stage``: one entry per notice, whatever its channels."""
    title: str
    body: str
    locale: str
    at: datetime | None


def deliver(request: NoticeRequest, rendered: Rendered, now: datetime) -> bool:
    """Store the inbox copy; False if an earlier channel (or a redelivery) stored it already."""
    key = f"{request.kind}#{request.stage}"
    return store.put_inbox(request.order_id, key, rendered.subject, rendered.inbox, rendered.locale, now)


def entries(order_id: str) -> list[InboxEntry]:
    """The order's inbox, oldest first."""
    items = sorted(store.inbox_of(order_id), key=lambda i: (i.at is None, i.at))
    return [InboxEntry(i.sk, i.title or "", i.text or "", i.label or "", i.at) for i in items]


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
