"""The delay notices as the buyer's consumer rules word them (README "Fair by law", the clause
table): the FTC delay option in both of its forms, the renewed option, and the EU/UK wording, in
every locale. The default wording is pinned by the golden files."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import instant, merchant, notice_request, order_from, paid

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices.rendering import render
from delaydesk.notices.sms import measure
from delaydesk.notices.templates_admin import SAMPLE_LINK_KEY

SILENCE = {
    "rules": "us_ftc",
    "revised_ship_by": "2020-01-28T10:00:00+08:00",
    "silence_consents": "true",
    "consent_by": "2020-02-19T10:00:00+08:00",
}
EXPRESS = {"rules": "us_ftc", "silence_consents": "false", "consent_by": "2020-02-19T10:00:00+08:00"}
RENEWED = {
    "rules": "us_ftc",
    "missed_revised_ship_by": "2020-01-28T10:00:00+08:00",
    "revised_ship_by": "2020-02-19T10:00:00+08:00",
    "silence_consents": "false",
    "consent_by": "2020-02-19T10:00:00+08:00",
}
# (details, kind) -> what each locale must say: the revised date or that none is known, the free
# cancellation for a full and prompt refund, and what silence means.
MUST: dict[str, dict[str, list[str]]] = {
    "silence": {
        "en": [
            "cannot ship your order",
            "ship it by Jan 28, 2020",
            "free of charge",
            "full and prompt refund",
            "we will take it that you agree to wait",
        ],
        "zh-CN": ["无法按承诺", "2020年1月28日", "免费取消", "及时全额退款", "即视为您同意等待"],
        "zh-TW": ["無法依承諾", "2020年1月28日", "免費取消", "及時全額退款", "即視為您同意等待"],
    },
    "express": {
        "en": [
            "unable to tell you when",
            "free of charge",
            "Unless we hear that you agree to wait by Feb 19, 2020",
            "cancelled automatically",
            "you may still cancel at any time until we ship",
        ],
        "zh-CN": ["无法确定具体的发货日期", "免费取消", "2020年2月19日", "订单将自动取消", "仍可随时取消"],
        "zh-TW": ["無法確定具體的出貨日期", "免費取消", "2020年2月19日", "訂單將自動取消", "仍可隨時取消"],
    },
    "renewed": {
        "en": [
            "by Jan 28, 2020",
            "new shipping date is Feb 19, 2020",
            "agree to wait",
            "cancelled automatically",
            "free of charge",
        ],
        "zh-CN": ["2020年1月28日", "新的发货日期：2020年2月19日", "是否同意继续等待", "自动取消", "免费取消"],
        "zh-TW": ["2020年1月28日", "新的出貨日期：2020年2月19日", "是否同意繼續等待", "自動取消", "免費取消"],
    },
    "eu": {
        "en": ["additional period", "end the contract", "without undue delay"],
        "zh-CN": ["额外的送达期限", "解除合同", "及时全额退款"],
        "zh-TW": ["額外的送達期限", "解除契約", "及時全額退款"],
    },
}
CASES = {
    "silence": (Kind.SHIPMENT_DELAYED, SILENCE),
    "express": (Kind.SHIPMENT_DELAYED, EXPRESS),
    "renewed": (Kind.DELAY_CONSENT_REQUEST, RENEWED),
    "eu": (Kind.SHIPMENT_DELAYED, {"rules": "eu_crd"}),
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_set_words_the_delay_notice_as_its_clause_requires(case: str, locale: str) -> None:
    kind, details = CASES[case]
    # An EU buyer's options open once the order is late (the page offers them from then on, and a
    # notice mentions only what the page offers): the EU case is decided after the promised ship-by.
    eu = case == "eu"
    where = {"destination": {"country": "DE"}} if eu else {}
    order = order_from(paid("TS-1", "2020-01-20T10:00:00+08:00", customer={"locale": locale, "name": "Wang"}, **where))
    request = notice_request(
        order_id="TS-1",
        kind=kind,
        details=details,
        requested_at=instant("2020-01-21T12:00:00+08:00" if eu else "2020-01-20T22:00:00+08:00"),
        eta_from=date(2020, 1, 30),
        eta_to=date(2020, 2, 3),
    )
    shop = merchant(name="Bay Gadgets") if locale == "en" else merchant()  # a Latin name keeps en SMS in GSM-7
    out = render(request, order, shop, Settings(), SAMPLE_LINK_KEY)
    for needle in MUST[case][locale]:
        assert needle in out.text, (needle, out.text)
    assert "/orders/TS-1?t=" in out.text and "/orders/TS-1?t=" in out.sms  # the free way to answer
    assert "TS-1" in out.subject and "{{" not in out.text
    assert measure(out.sms).segments <= 2
