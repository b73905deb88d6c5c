"""SES feedback: delivery, bounce, complaint, open and click events published by the
configuration set to SNS, delivered to the SesFeedback queue (SNS envelope in the SQS body, or
the raw event with raw message delivery) and applied by ``ses_feedback``.

A permanent (hard) bounce and a complaint put the address on the suppression list; the events
something reads are recorded against their notice when the e-mail carried our tags
(``senders.email_tags``: ``order_id``, ``kind``, ``stage``). Both writes are idempotent, so a
redelivered event changes nothing: a bounce or complaint record is a conditional put (it is
counted once), the other recorded events are written as they are, in one ``BatchWriteItem`` per
batch of messages. ``Delivery`` and ``Send`` (one or two per e-mail sent, read by nothing: the
effect report reads opens and clicks, the statistics count bounces and complaints) are not
written; like every event they are logged and counted in the ``SesFeedback`` metric. Also accepts
the older identity-notification shape (``notificationType``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import msgspec

from delaydesk import store
from delaydesk.core import stats
from delaydesk.core.observability import count_by, logger
from delaydesk.core.stats import NoticeOutcome
from delaydesk.core.times import parse_instant
from delaydesk.notices import suppression

EVENT_TYPES = (
    "Delivery",
    "Bounce",
    "Complaint",
    "Open",
    "Click",
    "Reject",
    "DeliveryDelay",
    "Send",
    "Rendering Failure",
)


class FeedbackError(ValueError):
    """The message is not an SES event (poison: sent to the DLQ with this reason)."""


class Applied(msgspec.Struct):
    event: str
    suppressed: list[str] = msgspec.field(default_factory=list)
    notice: str | None = None


def unwrap(body: str) -> dict[str, Any]:
    """The SES event in an SQS body: inside an SNS envelope, or raw."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and data.get("Type") == "Notification" and "Message" in data:
            data = json.loads(data["Message"])
    except (json.JSONDecodeError, TypeError) as exc:
        raise FeedbackError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or not (data.get("eventType") or data.get("notificationType")):
        raise FeedbackError("not an SES event (no eventType)")
    return data


def _tag(mail: dict[str, Any], name: str) -> str | None:
    values = (mail.get("tags") or {}).get(name) or []
    return str(values[0]) if values else None


def _when(event: dict[str, Any], section: dict[str, Any]) -> datetime:
    stamp = section.get("timestamp") or event.get("mail", {}).get("timestamp")
    if not stamp:
        raise FeedbackError("event has no timestamp")
    return parse_instant(str(stamp))


_COUNTED: dict[str, NoticeOutcome] = {"Bounce": "bounced", "Complaint": "complained"}
NOT_RECORDED = frozenset({"Delivery", "Send"})
"""Events not written against their notice: every e-mail has them, and nothing reads them."""


def _count(order_id: str, merchant_tag: str | None, notice_kind: str, outcome: NoticeOutcome, at: datetime) -> None:
    """Count a bounce or complaint against its notice's kind (once: after its record was first written)."""
    record = store.get_order(order_id)
    order = record.order() if record is not None else None
    merchant_id = order.merchant_id if order is not None else merchant_tag
    if merchant_id:
        store.add_counts(merchant_id, at, *stats.scope_of(order), {stats.notices(notice_kind, "email", outcome): 1})


def apply(event: dict[str, Any]) -> Applied:
    kind = str(event.get("eventType") or event.get("notificationType"))
    if kind not in EVENT_TYPES:
        raise FeedbackError(f"unknown SES event type {kind!r}")
    section_name = kind[0].lower() + kind[1:].replace(" ", "")
    section: dict[str, Any] = event.get(section_name) or {}
    mail: dict[str, Any] = event.get("mail") or {}
    at = _when(event, section)
    result = Applied(event=kind)
    if kind == "Bounce" and section.get("bounceType") == "Permanent":
        for recipient in section.get("bouncedRecipients", []):
            address = recipient.get("emailAddress")
            if address:
                suppression.suppress(address, suppression.Reason.HARD_BOUNCE, f"ses:{mail.get('messageId')}", at)
                result.suppressed.append(address)
    elif kind == "Complaint":
        for recipient in section.get("complainedRecipients", []):
            address = recipient.get("emailAddress")
            if address:
                suppression.suppress(address, suppression.Reason.COMPLAINT, f"ses:{mail.get('messageId')}", at)
                result.suppressed.append(address)
    order_id, notice_kind, stage = _tag(mail, "order_id"), _tag(mail, "kind"), _tag(mail, "stage")
    if order_id and notice_kind and stage is not None:
        result.notice = f"{notice_kind}#{stage}#email"
    if result.notice is not None and order_id and notice_kind and kind not in NOT_RECORDED:
        detail = json.dumps(
            {"message_id": mail.get("messageId"), **{k: v for k, v in section.items() if isinstance(v, str)}},
            ensure_ascii=False,
        )
        counted = kind in _COUNTED  # recorded once (a conditional put); the others batched by the handler
        if store.record_feedback(order_id, result.notice, kind.lower(), detail, at, once=counted) and counted:
            _count(order_id, _tag(mail, "merchant"), notice_kind, _COUNTED[kind], at)
    count_by("SesFeedback", "event", kind)
    logger.info("SES feedback applied", event=kind, suppressed=len(result.suppressed), notice=result.notice)
    return result
