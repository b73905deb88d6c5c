"""Pure notice policy: quiet hours, channel choice, compensation rules, what SES and SNS are asked."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from conftest import instant, merchant, notice_request

from delaydesk.core import aws, links
from delaydesk.core.config import Settings
from delaydesk.core.events import Customer
from delaydesk.core.kinds import Kind, NoticeRequest, choose_channels
from delaydesk.core.merchants import CompensationPolicy, CompensationRule, NoticePolicy
from delaydesk.notices import senders
from delaydesk.notices.compensation import decide
from delaydesk.notices.notice_policy import quiet_until
from delaydesk.notices.rendering import Rendered


@pytest.mark.parametrize(
    ("local", "release"),
    [
        ("2020-01-24T20:59:00+08:00", None),
        ("2020-01-24T21:00:00+08:00", "2020-01-25T09:00:00+08:00"),
        ("2020-01-25T03:00:00+08:00", "2020-01-25T09:00:00+08:00"),
        ("2020-01-25T09:00:00+08:00", None),
    ],
)
def test_quiet_hours_in_the_customers_zone(local: str, release: str | None) -> None:
    got = quiet_until(instant(local).astimezone(UTC), "Asia/Shanghai", NoticePolicy())
    assert got == (instant(release) if release else None)


def test_quiet_hours_within_a_day_and_disabled() -> None:
    policy = NoticePolicy(quiet_start=time(12, 0), quiet_end=time(14, 0))
    assert quiet_until(instant("2020-01-24T13:00:00+00:00"), "UTC", policy) == instant("2020-01-24T14:00:00+00:00")
    assert quiet_until(instant("2020-01-24T23:00:00+00:00"), "UTC", NoticePolicy(quiet_end=time(21, 0))) is None


@pytest.mark.parametrize(
    ("email", "phone", "kind", "channels"),
    [
        ("a@b.example", None, Kind.SHIPMENT_DELAYED, ["email"]),
        ("a@b.example", "+8613800138000", Kind.SHIPMENT_DELAYED, ["email"]),
        ("a@b.example", "+8613800138000", Kind.DELIVERY_EXCEPTION, ["email", "sms"]),
        (None, "+8613800138000", Kind.SHIPMENT_DELAYED, ["sms"]),
        (None, None, Kind.SHIPMENT_DELAYED, ["inbox"]),
    ],
)
def test_channel_choice(email: str | None, phone: str | None, kind: Kind, channels: list[str]) -> None:
    assert choose_channels(Customer(name="x", email=email, phone=phone), kind) == channels


def _request(**fields: Any) -> NoticeRequest:
    return notice_request(**({"kind": Kind.DELAY_UPDATE, "stage": 1} | fields))


def test_compensation_rules_match_delay_value_and_cause() -> None:
    policy = CompensationPolicy(
        rules=[
            CompensationRule(grant="coupon", value=Decimal(50), min_delay_days=3, min_order_value=Decimal(1000)),
            CompensationRule(grant="points", value=Decimal(200), min_delay_days=3, causes=["customs_delay"]),
            CompensationRule(grant="coupon", value=Decimal(10), min_delay_days=3),
        ]
    )
    now = instant("2020-01-24T10:00:00+08:00")  # 4 days late
    assert decide(_request(), Decimal(2000), policy, now).value == 50  # type: ignore[union-attr]
    assert decide(_request(reason="customs_delay"), Decimal(100), policy, now).grant == "points"  # type: ignore[union-attr]
    assert decide(_request(), Decimal(100), policy, now).value == 10  # type: ignore[union-attr]
    assert decide(_request(), Decimal(100), policy, instant("2020-01-21T10:00:00+08:00")) is None


def test_ses_is_asked_with_configuration_set_unsubscribe_headers_and_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("sesv2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(aws, "sesv2", lambda: client)
    key = b"k"
    link = links.unsubscribe_url("https://shop.example/notices/unsubscribe", "TS-1", "m-teahouse", key)
    rendered = Rendered(locale="en", subject="Order #TS-1", text="t", html="<p>t</p>", sms="s", unsubscribe_url=link)
    settings = Settings(ses_configuration_set="delaydesk")
    signed = links.token(key, links.Purpose.UNSUBSCRIBE, "TS-1")
    expected = {
        "FromEmailAddress": "service@teahouse.example",
        "Destination": {"ToAddresses": ["a@b.example"]},
        "Content": {
            "Simple": {
                "Subject": ANY,
                "Body": ANY,
                "Headers": [
                    {
                        "Name": "List-Unsubscribe",
                        "Value": "<https://shop.example/notices/unsubscribe?order=TS-1&merchant=m-teahouse"
                        f"&t={signed}>, "
                        "<mailto:service@teahouse.example?subject=unsubscribe%20TS-1>",
                    },
                    {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                ],
            }
        },
        "EmailTags": [
            {"Name": "kind", "Value": "delay_update"},
            {"Name": "merchant", "Value": "m-teahouse"},
            {"Name": "order_id", "Value": "TS-1"},
            {"Name": "stage", "Value": "1"},
        ],
        "ConfigurationSetName": "delaydesk",
    }
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, expected)
        assert senders.send_email("a@b.example", rendered, _request(), merchant(), settings) == "m-1"
        stub.add_client_error("send_email", "TooManyRequestsException", http_status_code=429)
        with pytest.raises(Exception) as throttled:
            senders.send_email("a@b.example", rendered, _request(), merchant(), settings)
        assert senders.is_throttling(throttled.value)
        stub.add_client_error("send_email", "MessageRejected", http_status_code=400)
        with pytest.raises(senders.PermanentSendError):
            senders.send_email("a@b.example", rendered, _request(), merchant(), settings)


def test_sms_is_transactional_with_a_sender_id_only_where_allowed() -> None:
    shop = merchant(settings={"notices": {"sms_sender_id": "TeaHouse"}})
    uk = senders.sms_attributes("+447700900123", shop)
    cn = senders.sms_attributes("+8613800138000", shop)
    assert uk["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
    assert uk["AWS.SNS.SMS.SenderID"]["StringValue"] == "TeaHouse" and "AWS.SNS.SMS.SenderID" not in cn
    assert "AWS.MM.SMS.OriginationNumber" not in uk


def test_sms_goes_out_from_the_registered_origination_number_when_one_is_set() -> None:
    us = senders.sms_attributes("+12065550100", None, "+18445550123")
    assert us["AWS.MM.SMS.OriginationNumber"] == {"DataType": "String", "StringValue": "+18445550123"}


def test_effective_now_of_a_held_request() -> None:
    held = _request(not_before=datetime(2020, 1, 25, 1, tzinfo=UTC))
    assert held.effective_now(instant("2020-01-24T10:00:00+08:00")) == datetime(2020, 1, 25, 1, tzinfo=UTC)
