"""The in-app inbox: every notice is stored once per (order, kind, stage), whatever its channels,
and listed by the order page, the API and ``delaydesk notices inbox ORDER_ID``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from delaydesk import store
from delaydesk.notices import NoticeRequest
from delaydesk.rendering import Rendered
from delaydesk.times import iso


def deliver(request: NoticeRequest, rendered: Rendered, now: datetime) -> bool:
    """Store the inbox copy; False if an earlier channel (or a redelivery) stored it already."""
    key = f"{request.kind}#{request.stage}"
    return store.put_inbox(request.order_id, key, rendered.subject, rendered.inbox, rendered.locale, now)


def list_inbox(order_id: str) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "notice": item.sk,
            "title": item.title,
            "body": item.text,
            "locale": item.label,
            "at": iso(item.at) if item.at else None,
        }
        for item in sorted(store.inbox_of(order_id), key=lambda i: (i.at is None, i.at))
    ]
