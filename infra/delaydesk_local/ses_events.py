"""SES event publishing, emulated for the embedded AWS.

moto accepts SES v2 ``SendEmail`` but publishes no events, and it forgets the configuration set,
the message tags and the custom headers of a send. Real SES publishes, for every e-mail sent
through a configuration set, the events that each of the set's event destinations matches
(Send, Delivery, Bounce, Complaint, …), in the event-publishing JSON shape documented in "Contents
of event data that Amazon SES publishes to Amazon SNS" (tests/events/ses_event_*.json are the
documented examples). This module does the two halves the embedded AWS needs:

- ``recording_sends`` wraps moto's SES v2 ``SendEmail`` so that each accepted send is recorded
  with what SES would keep: source, recipients, subject, headers, tags and configuration set.
  A configuration set that does not exist is refused, as SES refuses it (``NotFoundException``).
- ``events_for`` builds the events SES would publish for a recorded send. The outcome of each
  recipient follows the SES mailbox simulator (``simulator_outcome``); every other address is
  delivered, since there is no mailbox behind the embedded SES to refuse it.

``LocalAws`` publishes the events to the SNS topics of the matching event destinations.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from typing import Any

SIMULATOR_DOMAIN = "simulator.amazonses.com"


class Outcome(StrEnum):
    """What happens to one recipient of an e-mail, as the SES mailbox simulator defines it."""

    DELIVERED = "success"  # and every address that is not a simulator address
    BOUNCED = "bounce"  # 550 5.1.1 user unknown: a hard (Permanent/General) bounce
    AUTO_REPLIED = "ooto"  # delivered; the auto-reply goes to the Return-Path, not to an event
    COMPLAINED = "complaint"  # delivered, then marked as spam
    SUPPRESSED = "suppressionlist"  # a hard bounce as if the address were on the suppression list


def simulator_outcome(address: str) -> Outcome:
    """The simulator scenario of ``address`` (``bounce+order42@…`` is ``bounce``: SES ignores the label)."""
    _, bare = parseaddr(address)
    local, _, domain = bare.rpartition("@")
    if domain.lower() != SIMULATOR_DOMAIN:
        return Outcome.DELIVERED
    scenario = local.split("+", 1)[0].lower()
    try:
        return Outcome(scenario)
    except ValueError:
        return Outcome.DELIVERED  # an unknown simulator mailbox; SES answers it like success@


MATCHING_EVENT_TYPE = {
    "Send": "send",
    "Reject": "reject",
    "Bounce": "bounce",
    "Complaint": "complaint",
    "Delivery": "delivery",
    "Open": "open",
    "Click": "click",
    "Rendering Failure": "renderingFailure",
    "DeliveryDelay": "deliveryDelay",
}
"""``eventType`` → the name an event destination's ``MatchingEventTypes`` uses for it."""


def matches(destination: dict[str, Any], event_type: str) -> bool:
    """Whether an enabled event destination publishes ``event_type``.

    Accepts both spellings of the types: CloudFormation / SES v1 (``renderingFailure``) and
    SES v2 (``RENDERING_FAILURE``).
    """
    if not destination.get("Enabled", False):
        return False
    wanted = MATCHING_EVENT_TYPE[event_type].lower()
    return any(str(t).replace("_", "").lower() == wanted for t in destination.get("MatchingEventTypes", []))


# Fixed delays after the send, so that a replay gives the same events with the same times.
DELIVERY_AFTER = timedelta(milliseconds=1200)
BOUNCE_AFTER = timedelta(milliseconds=800)
SUPPRESSION_BOUNCE_AFTER = timedelta(milliseconds=100)
COMPLAINT_AFTER = timedelta(seconds=5)

SENDING_MTA = "smtp-out.embedded-ses.local"
"""The host name the embedded SES reports as its sending MTA (real SES names its own hosts)."""
SOURCE_IP = "127.0.0.1"
"""``ses:source-ip``: the functions call the embedded SES in-process."""
OUTGOING_IP = "192.0.2.0"
"""``ses:outgoing-ip``: the documentation address (RFC 5737) SES's own examples use."""
SUPPRESSION_DIAGNOSTIC = (
    "Amazon SES did not send the message to this address because it is on the suppression list "
    "for your account. For more information about removing addresses from the suppression list, "
    "see the Amazon SES Developer Guide at "
    "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)


@dataclass
class SentEmail:
    """One e-mail that the embedded SES accepted, with what SES keeps for event publishing."""

    message_id: str
    source: str
    source_arn: str
    account_id: str
    to: list[str]
    destination: list[str]  # To, Cc and Bcc: every envelope recipient
    subject: str
    headers: list[dict[str, str]]
    tags: dict[str, str]
    configuration_set: str | None
    sent_at: datetime
    caller_identity: str

    def mail(self, *, delivered: bool) -> dict[str, Any]:
        """The ``mail`` object of every event about this e-mail (tag values are lists, as in SES)."""
        tags: dict[str, list[str]] = {}
        if self.configuration_set:
            tags["ses:configuration-set"] = [self.configuration_set]
        tags["ses:source-ip"] = [SOURCE_IP]
        tags["ses:from-domain"] = [parseaddr(self.source)[1].rpartition("@")[2]]
        tags["ses:caller-identity"] = [self.caller_identity]
        if delivered:
            tags["ses:outgoing-ip"] = [OUTGOING_IP]
        tags |= {name: [value] for name, value in self.tags.items()}
        return {
            "timestamp": stamp(self.sent_at),
            "source": self.source,
            "sourceArn": self.source_arn,
            "sendingAccountId": self.account_id,
            "messageId": self.message_id,
            "destination": list(self.destination),
            "headersTruncated": False,
            "headers": [dict(h) for h in self.headers],
            "commonHeaders": {
                "from": [self.source],
                "to": list(self.to),
                "messageId": self.message_id,
                "subject": self.subject,
            },
            "tags": tags,
        }


def stamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``, as SES writes its timestamps."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _feedback_id(sent: SentEmail, event_type: str, moment: datetime) -> str:
    """A unique, reproducible id in SES's shape (16 hex digits, a UUID, ``-000000``)."""
    millis = int(moment.timestamp() * 1000)
    name = f"{sent.message_id}/{event_type}"
    return f"{millis:016x}-{uuid.uuid5(uuid.NAMESPACE_URL, name)}-000000"


def events_for(sent: SentEmail) -> list[dict[str, Any]]:
    """The events SES publishes for ``sent``, in the order it publishes them.

    Send first; then one Delivery for the recipients whose server accepted the message, one
    Bounce per kind of bounce (the simulator combines the bounces of one send), and a Complaint
    for those who complained (after their Delivery).
    """
    outcomes = {address: simulator_outcome(address) for address in sent.destination}
    delivered = [a for a, o in outcomes.items() if o in (Outcome.DELIVERED, Outcome.AUTO_REPLIED, Outcome.COMPLAINED)]
    bounced = [a for a, o in outcomes.items() if o == Outcome.BOUNCED]
    suppressed = [a for a, o in outcomes.items() if o == Outcome.SUPPRESSED]
    complained = [a for a, o in outcomes.items() if o == Outcome.COMPLAINED]
    events: list[dict[str, Any]] = [{"eventType": "Send", "mail": sent.mail(delivered=False), "send": {}}]
    if suppressed:
        at = sent.sent_at + SUPPRESSION_BOUNCE_AFTER
        recipients = [
            {"emailAddress": a, "action": "failed", "status": "5.1.1", "diagnosticCode": SUPPRESSION_DIAGNOSTIC}
            for a in suppressed
        ]
        events.append(_bounce(sent, "OnAccountSuppressionList", recipients, at, "dns; amazonses.com"))
    if bounced:
        at = sent.sent_at + BOUNCE_AFTER
        recipients = [
            {"emailAddress": a, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
            for a in bounced
        ]
        events.append(_bounce(sent, "General", recipients, at, f"dsn; {SENDING_MTA}"))
    if delivered:
        at = sent.sent_at + DELIVERY_AFTER
        delivery = {
            "timestamp": stamp(at),
            "processingTimeMillis": int(DELIVERY_AFTER / timedelta(milliseconds=1)),
            "recipients": delivered,
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": SENDING_MTA,
        }
        events.append({"eventType": "Delivery", "mail": sent.mail(delivered=True), "delivery": delivery})
    if complained:
        at = sent.sent_at + DELIVERY_AFTER + COMPLAINT_AFTER
        complaint = {
            "complainedRecipients": [{"emailAddress": a} for a in complained],
            "timestamp": stamp(at),
            "feedbackId": _feedback_id(sent, "Complaint", at),
            "userAgent": "Amazon SES Mailbox Simulator",
            "complaintFeedbackType": "abuse",
            "arrivalDate": stamp(at),
        }
        events.append({"eventType": "Complaint", "complaint": complaint, "mail": sent.mail(delivered=False)})
    return events


def _bounce(sent: SentEmail, sub_type: str, recipients: list[dict[str, str]], at: datetime, mta: str) -> dict[str, Any]:
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": sub_type,
        "bouncedRecipients": recipients,
        "timestamp": stamp(at),
        "feedbackId": _feedback_id(sent, f"Bounce/{sub_type}", at),
        "reportingMTA": mta,
    }
    return {"eventType": "Bounce", "bounce": bounce, "mail": sent.mail(delivered=False)}


# ------------------------------------------------------------------ recording moto's sends


@dataclass
class SendContext:
    """What the send cannot tell: the simulated time and the IAM identity of the caller."""

    clock: Callable[[], datetime]
    caller: Callable[[], str]
    sent: list[SentEmail] = field(default_factory=list)


def _content(params: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """Subject and headers of the message, as SES reports them in ``mail.headers``."""
    content = params.get("Content") or {}
    if "Raw" in content:
        raw = content["Raw"]["Data"]
        message = email.message_from_bytes(base64.b64decode(raw), policy=email.policy.compat32)
        return str(message.get("Subject", "")), [{"name": k, "value": str(v)} for k, v in message.items()]
    simple = content.get("Simple") or {}
    subject = str((simple.get("Subject") or {}).get("Data", ""))
    body = simple.get("Body") or {}
    parts = [p for p in ("Text", "Html") if p in body]
    if len(parts) == 2:
        content_type = 'multipart/alternative; boundary="----=_Part_0_delaydesk.local"'
    else:
        content_type = "text/html; charset=UTF-8" if parts == ["Html"] else "text/plain; charset=UTF-8"
    destination = params.get("Destination") or {}
    headers = [
        {"name": "From", "value": str(params.get("FromEmailAddress", ""))},
        {"name": "To", "value": ", ".join(destination.get("ToAddresses", []))},
        {"name": "Subject", "value": subject},
    ]
    headers += [{"name": str(h["Name"]), "value": str(h["Value"])} for h in simple.get("Headers") or []]
    headers += [{"name": "MIME-Version", "value": "1.0"}, {"name": "Content-Type", "value": content_type}]
    return subject, headers


@contextlib.contextmanager
def recording_sends(context: SendContext) -> Iterator[SendContext]:
    """Record every SES v2 ``SendEmail`` that moto accepts, for as long as the block runs.

    Wraps moto's SES v2 response handler: it sees the request as SES received it, whichever
    client sent it, and only what SES accepted is recorded (a refused send raises before).
    """
    from moto.ses.exceptions import NotFoundException
    from moto.sesv2.responses import SESV2Response

    original = SESV2Response.send_email

    def send_email(self: SESV2Response) -> str:
        params = json.loads(self.body)
        configuration_set = params.get("ConfigurationSetName") or None
        core = self.sesv2_backend.core_backend
        if configuration_set and configuration_set not in core.config_sets:
            raise NotFoundException(f"Configuration set <{configuration_set}> does not exist.")
        answer: str = original(self)
        destination = params.get("Destination") or {}
        to = list(destination.get("ToAddresses", []))
        recipients = to + list(destination.get("CcAddresses", [])) + list(destination.get("BccAddresses", []))
        source = str(params.get("FromEmailAddress", ""))
        address = parseaddr(source)[1]
        identity = address if address in core.email_identities else address.rpartition("@")[2]
        subject, headers = _content(params)
        if not recipients:  # a raw message names its recipients in its own headers
            fields = [h["value"] for h in headers if h["name"].lower() in ("to", "cc", "bcc")]
            recipients = to = [a for _, a in getaddresses(fields) if a]
        context.sent.append(
            SentEmail(
                message_id=json.loads(answer)["MessageId"],
                source=source,
                source_arn=f"arn:aws:ses:{self.region}:{self.current_account}:identity/{identity}",
                account_id=self.current_account,
                to=to,
                destination=recipients,
                subject=subject,
                headers=headers,
                tags={str(t["Name"]): str(t["Value"]) for t in params.get("EmailTags") or []},
                configuration_set=configuration_set,
                sent_at=context.clock(),
                caller_identity=context.caller(),
            )
        )
        return answer

    SESV2Response.send_email = send_email  # type: ignore[method-assign]
    try:
        yield context
    finally:
        SESV2Response.send_email = original  # type: ignore[method-assign]
