"""Rendering every bundled kind × locale (pure: templates from the repository)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices.reader import pick_locale
from delaydesk.notices.rendering import render
from delaydesk.notices.templates_admin import SAMPLE_LINK_KEY

DELAY_KINDS = [Kind.SHIPMENT_DELAYED, Kind.IN_TRANSIT_DELAYED, Kind.DELIVERY_EXCEPTION, Kind.DELAY_UPDATE]
BLAME = {
    "en": ["fault of", "carrier's fault", "blame"],
    "zh-CN": ["快递公司的问题", "都怪"],
    "zh-TW": ["物流公司的問題", "都怪"],
}


def _request(kind: Kind, reason: str = "stalled_in_transit") -> NoticeRequest:
    return NoticeRequest(
        order_id="TS20200120-0001",
        merchant_id="m-teahouse",
        kind=kind,
        stage=1 if kind == Kind.DELAY_UPDATE else 0,
        channel=NoticeChannel.EMAIL,
        requested_at=instant("2020-01-24T10:00:00+08:00"),
        rule="stalled_in_transit",
        reason=reason,
        delay_kind=Kind.IN_TRANSIT_DELAYED if kind == Kind.DELAY_UPDATE else kind,
        delay_started_at=instant("2020-01-23T10:00:00+08:00"),
        eta_from=date(2020, 1, 26),
        eta_to=date(2020, 1, 29),
    )


def _order(locale: str, name: str = "王芳"):  # type: ignore[no-untyped-def]
    return order_from(
        paid("TS20200120-0001", "2020-01-20T10:00:00+08:00", customer={"locale": locale, "name": name}),
        shipped("TS20200120-0001", "2020-01-20T18:00:00+08:00"),
        scan("TS20200120-0001", "2020-01-21T08:00:00+08:00"),
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", DELAY_KINDS)
def test_every_delay_notice_carries_what_the_guides_ask(kind: Kind, locale: str) -> None:
    out = render(_request(kind), _order(locale), merchant(), Settings(), SAMPLE_LINK_KEY)
    assert out.locale == locale
    assert "TS20200120-0001" in out.subject  # subject with the order number
    signed_link = links.order_url("https://shop.example/orders", None, "TS20200120-0001", SAMPLE_LINK_KEY)
    assert signed_link.startswith("https://shop.example/orders/TS20200120-0001?t=")
    for needed in ("TS20200120-0001", "help@teahouse.example", signed_link):
        assert needed in out.text
    assert signed_link in out.sms and signed_link in out.html  # the customer opens the page from any channel
    assert ("2020" in out.text) and ("26" in out.text) and ("29" in out.text)  # the estimate range
    assert "SF1234567890123" in out.text or kind == Kind.SHIPMENT_DELAYED
    assert any(word in out.text for word in ("sorry", "抱歉")), "an apology"
    assert not any(phrase in out.text for phrase in BLAME[locale])
    assert out.sms and "TS20200120-0001" in out.sms
    assert "<html" in out.html and "TS20200120-0001" in out.html


def test_estimate_and_dates_are_formatted_for_the_locale() -> None:
    en = render(_request(Kind.IN_TRANSIT_DELAYED), _order("en", "Alice"), merchant(), Settings(), SAMPLE_LINK_KEY)
    zh = render(_request(Kind.IN_TRANSIT_DELAYED), _order("zh-CN"), merchant(), Settings(), SAMPLE_LINK_KEY)
    assert "Jan 26" in en.text and "29, 2020" in en.text
    assert "2020年1月26日" in zh.text


def test_customer_text_is_escaped_in_html_but_not_in_plain_text() -> None:
    out = render(
        _request(Kind.SHIPMENT_DELAYED),
        _order("en", "<script>alert(1)</script>"),
        merchant(),
        Settings(),
        SAMPLE_LINK_KEY,
    )
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert "<script>alert(1)</script>" in out.text


@pytest.mark.parametrize(
    ("requested", "default", "expected"),
    [
        ("zh-CN", "en", "zh-CN"),
        ("zh_TW", "en", "zh-TW"),
        ("zh-HK", "en", "zh-TW"),
        ("en-GB", "zh-CN", "en"),
        ("fr-FR", "zh-CN", "zh-CN"),
        (None, "zh-TW", "zh-TW"),
    ],
)
def test_locale_fallback(requested: str | None, default: str, expected: str) -> None:
    assert pick_locale(requested, merchant(default_locale=default)) == expected


def test_every_exception_reason_has_wording_in_every_locale() -> None:
    reasons = [
        "customs_delay",
        "incorrect_address",
        "addressee_not_available",
        "refused",
        "lost",
        "damaged",
        "returning_to_sender",
        "weather_delay",
        "held_for_payment",
    ]
    for locale in SUPPORTED_LOCALES:
        generic = render(
            _request(Kind.DELIVERY_EXCEPTION, "something_new"), _order(locale), merchant(), Settings(), SAMPLE_LINK_KEY
        ).text
        for reason in reasons:
            text = render(
                _request(Kind.DELIVERY_EXCEPTION, reason), _order(locale), merchant(), Settings(), SAMPLE_LINK_KEY
            ).text
            assert text != generic, f"{locale}: no wording for {reason}"
