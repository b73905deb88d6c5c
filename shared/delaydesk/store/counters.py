"""The request counters table: fixed-window rate limits of the public routes (TTL-expired).

One item per (subject, window): ``hits`` counts the requests seen in the window. A request takes
its place with one conditional ``ADD`` (``hits < limit``), so concurrent callers can never push a
counter past its limit, and each item expires by itself (``expires_at``, the table's TTL).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from delaydesk.store.base import conditional_failure, register


class RequestCounterRecord(Model):
    class Meta:
        table_name = "delaydesk-request-counters"
        region = "us-east-1"

    key = UnicodeAttribute(hash_key=True)
    """``{subject}#{window start, epoch seconds}``, e.g. ``wismo-ip#203.0.113.9#1580000400``."""
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)
    """Epoch seconds; the table's TTL attribute."""


register("request_counters_table", RequestCounterRecord)


def take_request_slot(subject: str, window_start: int, window_seconds: int, limit: int) -> bool:
    """Count one request of ``subject`` in the window starting at ``window_start`` (epoch
    seconds); False, without counting, when the window already holds ``limit`` requests."""
    item = RequestCounterRecord(f"{subject}#{window_start}")
    try:
        item.update(
            actions=[
                RequestCounterRecord.hits.add(1),
                # Kept a window longer than needed: DynamoDB deletes expired items within days, and
                # reads never trust an old window anyway (its start is in the key).
                RequestCounterRecord.expires_at.set(window_start + 2 * window_seconds),
            ],
            condition=RequestCounterRecord.hits.does_not_exist() | (RequestCounterRecord.hits < limit),
        )
    except UpdateError as exc:
        if conditional_failure(exc):
            return False
        raise
    return True
