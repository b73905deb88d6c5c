"""Rendering the policy notices (announcement, refund, cancellation) in every locale."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import instant, merchant, order_from, paid, shipped

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices.rendering import render
from delaydesk.notices.templates_admin import SAMPLE_LINK_KEY

DETAILS = {
    Kind.DISRUPTION_ANNOUNCEMENT: {"ship_by": "2020-02-10T15:59:59Z", "auto_confirm": "2020-02-28T16:00:00Z"},
    Kind.REFUND_APPROVED: {"refund_amount": "168.00", "refund_currency": "CNY"},
    Kind.ORDER_CANCELLED: {"refund_amount": "168.00", "refund_currency": "CNY", "promised_by": "2020-01-21T02:00:00Z"},
    Kind.CANCEL_REFUSED: {"shipped_at": "2020-01-20T10:00:00Z", "return_until": "2020-02-10T10:00:00Z"},
}
# What the customer must be told, per locale: the money and when it arrives, or the new dates.
MUST = {
    "en": {
        Kind.DISRUPTION_ANNOUNCEMENT: ["we ship your order by", "receipt is confirmed automatically"],
        Kind.REFUND_APPROVED: ["¥168.00", "business days"],
        Kind.ORDER_CANCELLED: ["¥168.00", "business days"],
        Kind.CANCEL_REFUSED: ["already left", "return it"],
    },
    "zh-CN": {
        Kind.DISRUPTION_ANNOUNCEMENT: ["最晚发货时间", "系统自动确认收货时间"],
        Kind.REFUND_APPROVED: ["168.00", "到账"],
        Kind.ORDER_CANCELLED: ["168.00", "到账"],
        Kind.CANCEL_REFUSED: ["已于", "退货退款"],
    },
    "zh-TW": {
        Kind.DISRUPTION_ANNOUNCEMENT: ["最晚出貨時間", "系統自動確認收貨時間"],
        Kind.REFUND_APPROVED: ["168.00", "入帳"],
        Kind.ORDER_CANCELLED: ["168.00", "入帳"],
        Kind.CANCEL_REFUSED: ["已於", "退貨退款"],
    },
}


def _request(kind: Kind) -> NoticeRequest:
    return NoticeRequest(
        order_id="TS-9",
        merchant_id="m-teahouse",
        kind=kind,
        stage=0,
        channel=NoticeChannel.EMAIL,
        requested_at=instant("2020-01-24T10:00:00+08:00"),
        rule="refund_confirm_timeout",
        reason="public_health",
        delay_kind=kind,
        delay_started_at=instant("2020-01-24T10:00:00+08:00"),
        eta_from=date(2020, 1, 25),
        eta_to=date(2020, 1, 31),
        window_id="cny2020" if kind == Kind.DISRUPTION_ANNOUNCEMENT else None,
        details=DETAILS[kind],
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(DETAILS))
def test_policy_notices_say_what_changed_and_when_the_money_arrives(kind: Kind, locale: str) -> None:
    order = order_from(
        paid(
            "TS-9", "2020-01-20T10:00:00+08:00", customer={"locale": locale, "name": "Wang"}, value={"amount": "168.00"}
        ),
        shipped("TS-9", "2020-01-20T18:00:00+08:00"),
    )
    out = render(_request(kind), order, merchant(), Settings(), SAMPLE_LINK_KEY)
    assert "TS-9" in out.subject and "TS-9" in out.sms
    for needle in MUST[locale][kind]:
        assert needle in out.text, (needle, out.text)
    assert "{{" not in out.text and out.html.startswith("<!DOCTYPE html>")
