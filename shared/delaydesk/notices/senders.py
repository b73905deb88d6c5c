"""Sending rendered notices: SES v2 for e-mail, SNS for SMS. Errors are sorted into
permanent (recorded, never retried) and transient (raised, retried through the queue)."""

from __future__ import annotations

from urllib.parse import quote

from botocore.exceptions import ClientError

from delaydesk.core import aws
from delaydesk.core.config import Settings
from delaydesk.core.kinds import NoticeChannel, NoticeRequest
from delaydesk.core.merchants import Merchant
from delaydesk.core.observability import MetricUnit, logger, metrics
from delaydesk.notices.notice_policy import sender_id_allowed
from delaydesk.notices.rendering import Rendered
from delaydesk.notices.sms import MAX_SEGMENTS

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
THROTTLING = frozenset(
    {
        "TooManyRequestsException",  # SES v2 (SendEmail over the maximum send rate)
        "Throttling",
        "ThrottlingException",  # SNS Publish "Rate exceeded" (AWS re:Post, sns-throttling-exception-errors)
        "Throttled",  # SNS ThrottledException, HTTP 429 (botocore's SNS model)
        "ThrottledException",
        "LimitExceededException",
    }
)
"""Retried through the queue with a longer visibility timeout (backoff)."""


class PermanentSendError(Exception):
    """The provider refused this notice for good (bad address, unverified sender, …)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def error_code(exc: BaseException) -> str:
    return str(exc.response["Error"].get("Code", "")) if isinstance(exc, ClientError) else ""


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLING


def _tag(value: str) -> str:
    # SES tag values allow only ASCII letters, digits, underscore and dash.
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in value)[:256] or "none"


def unsubscribe_headers(request: NoticeRequest, sender: str, rendered: Rendered) -> list[dict[str, str]]:
    """RFC 2369 List-Unsubscribe with the RFC 8058 one-click variant (Gmail and Yahoo require it).

    The HTTPS link is signed (``links.py``): only the recipient of this notice can use it.
    """
    link = rendered.unsubscribe_url
    mailto = f"mailto:{sender}?subject=unsubscribe%20{quote(request.order_id)}"
    return [
        {"Name": "List-Unsubscribe", "Value": f"<{link}>, <{mailto}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]


def email_tags(request: NoticeRequest) -> list[dict[str, str]]:
    """Message tags: SES event publishing carries them back in feedback (``feedback.py``)."""
    return [
        {"Name": "kind", "Value": _tag(request.kind.value)},
        {"Name": "merchant", "Value": _tag(request.merchant_id)},
        {"Name": "order_id", "Value": _tag(request.order_id)},
        {"Name": "stage", "Value": str(request.stage)},
    ]


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
                "Headers": unsubscribe_headers(request, sender, rendered),
            }
        },
        "EmailTags": email_tags(request),
    }
    if settings.ses_configuration_set:
        kwargs["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        response = aws.sesv2().send_email(**kwargs)  # type: ignore[arg-type]
    except ClientError as exc:
        code = error_code(exc)
        if code in PERMANENT_SES:
            raise PermanentSendError(f"SES refused {to}: {exc.response['Error'].get('Message', '')}", code) from exc
        raise
    return response["MessageId"]


def sms_attributes(to: str, merchant: Merchant | None, origination_number: str = "") -> dict[str, dict[str, str]]:
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if origination_number:
        # The registered number (or short code) to send from: required in the US, Canada and other
        # countries that demand registered senders (the SmsOriginationNumber parameter).
        attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination_number}
    sender_id = merchant.settings.notices.sms_sender_id if merchant else None
    if sender_id and sender_id_allowed(to):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
    return attributes


def send_sms(to: str, rendered: Rendered, merchant: Merchant | None, origination_number: str = "") -> str:
    length = rendered.sms_length
    if length.segments > MAX_SEGMENTS[length.encoding]:
        # Sent all the same (the customer must be told); the usual cause is the long execute-api
        # host of the short link: the templates are checked with a 36-character one (templates_admin.py).
        logger.warning(
            "SMS longer than its segment budget; set ShortLinkDomain to a short host",
            segments=length.segments,
            encoding=length.encoding,
        )
        metrics.add_metric(name="SmsOverLength", unit=MetricUnit.Count, value=1)
    try:
        response = aws.sns().publish(
            PhoneNumber=to,
            Message=rendered.sms,
            MessageAttributes=sms_attributes(to, merchant, origination_number),  # type: ignore[arg-type]
        )
    except ClientError as exc:
        code = error_code(exc)
        if code in PERMANENT_SNS:
            raise PermanentSendError(f"SNS refused {to}: {exc.response['Error'].get('Message', '')}", code) from exc
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
    return send_sms(to, rendered, merchant, settings.sms_origination_number)
