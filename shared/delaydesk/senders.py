"""Sending rendered notices: SES v2 for e-mail, SNS for SMS. Errors are sorted into
permanent (recorded, never retried) and transient (raised, retried through the queue)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from delaydesk import aws
from delaydesk.config import Settings
from delaydesk.merchants import Merchant
from delaydesk.notices import NoticeChannel, NoticeRequest
from delaydesk.rendering import Rendered

PERMANENT_SES = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "NotFoundException",
        "BadRequestException",
        "AccountSuspendedException",
    }
)
PERMANENT_SNS = frozenset({"InvalidParameter", "InvalidParameterValue", "OptedOut", "AuthorizationError"})


class PermanentSendError(Exception):
    """The provider refused this notice for good (bad address, unverified sender, …)."""


def _tag(value: str) -> str:
    # SES tag values allow only ASCII letters, digits, underscore and dash.
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in value)[:256] or "none"


def send_email(
    to: str, rendered: Rendered, request: NoticeRequest, merchant: Merchant | None, settings: Settings
) -> str:
    sender = (merchant.from_email if merchant and merchant.from_email else None) or settings.sender_email
    kwargs: dict[str, object] = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [to]},
        "Content": {
            "Simple": {
                "Subject": {"Data": rendered.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": rendered.text, "Charset": "UTF-8"},
                    "Html": {"Data": rendered.html, "Charset": "UTF-8"},
                },
            }
        },
        "EmailTags": [
            {"Name": "kind", "Value": _tag(request.kind.value)},
            {"Name": "merchant", "Value": _tag(request.merchant_id)},
        ],
    }
    if settings.ses_configuration_set:
        kwargs["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        response = aws.sesv2().send_email(**kwargs)  # type: ignore[arg-type]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in PERMANENT_SES:
            raise PermanentSendError(f"SES refused {to}: {exc.response['Error'].get('Message', '')}") from exc
        raise
    return response["MessageId"]


def send_sms(to: str, rendered: Rendered, merchant: Merchant | None) -> str:
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    try:
        response = aws.sns().publish(PhoneNumber=to, Message=rendered.sms, MessageAttributes=attributes)  # type: ignore[arg-type]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in PERMANENT_SNS:
            raise PermanentSendError(f"SNS refused {to}: {exc.response['Error'].get('Message', '')}") from exc
        raise
    return response["MessageId"]


def send(
    channel: NoticeChannel,
    to: str,
    rendered: Rendered,
    request: NoticeRequest,
    merchant: Merchant | None,
    settings: Settings,
) -> str:
    if channel == NoticeChannel.EMAIL:
        return send_email(to, rendered, request, merchant, settings)
    return send_sms(to, rendered, merchant)
