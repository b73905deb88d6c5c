"""The SMS segment budget of every bundled template (issue 12): with the short link on a
``ShortLinkDomain``, a long-ish merchant name and a 20-character order number, an English SMS is
one GSM-7 segment and a Chinese one at most two UCS-2 segments. And the short link itself."""

from __future__ import annotations

from typing import Any

import pytest

from delaydesk.core import links
from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices import rendering, templates_admin
from delaydesk.notices.sms import BUNDLED_SEGMENTS, measure

LONGISH_MERCHANTS = {"en": "West Lake Tea Garden", "zh-CN": "杭州西湖龙井茶庄", "zh-TW": "杭州西湖龍井茶莊"}
SETTINGS = Settings()


def _variants(kind: Kind, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Every branch of a template's SMS that the sample alone does not take."""
    if kind == Kind.SHIPMENT_DELAYED:
        return [{}, {"rules": "us_ftc"}, {"choices": []}]
    if kind == Kind.CANCEL_REFUSED:
        return [{}, {"shipped_on": context["paid_at"]}]
    return [{}]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_sms_keeps_its_segment_budget(kind: Kind, locale: str) -> None:
    sample = templates_admin.sample(kind, locale, SETTINGS)
    short = sample.context[rendering.SMS_ORDER_URL]
    assert short.startswith(templates_admin.SAMPLE_SHORT_LINK_BASE + "/o/") and len(short) == 36
    assert len(sample.order.order_id) == 20
    for variant in _variants(kind, sample.context):
        context = {**sample.context, "merchant_name": LONGISH_MERCHANTS[locale], **variant}
        rendered = rendering.render_context(kind.value, locale, context, SETTINGS.resolved_templates_dir)
        length = measure(rendered.sms)
        assert length.encoding == ("gsm7" if locale == "en" else "ucs2"), rendered.sms
        assert length.segments <= BUNDLED_SEGMENTS[length.encoding], (variant, length, rendered.sms)
        assert short in rendered.sms and "?t=" not in rendered.sms  # the SMS carries the short link only
        assert sample.context["order_url"] in rendered.text  # the e-mail keeps the signed page link


def test_the_same_budget_fails_with_the_full_link() -> None:
    """The budget is not met by accident: the full execute-api link breaks it."""
    sample = templates_admin.sample(Kind.SHIPMENT_DELAYED, "zh-CN", SETTINGS)
    full = links.order_url(
        "https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com/prod/orders",
        None,
        sample.order.order_id,
        templates_admin.SAMPLE_LINK_KEY,
    )
    context = {**sample.context, "merchant_name": LONGISH_MERCHANTS["zh-CN"], rendering.SMS_ORDER_URL: full}
    rendered = rendering.render_context("shipment_delayed", "zh-CN", context, SETTINGS.resolved_templates_dir)
    assert measure(rendered.sms).segments == 3


def test_a_merchant_sms_override_gets_the_short_link_as_its_order_url() -> None:
    sample = templates_admin.sample(Kind.SHIPMENT_DELAYED, "en", SETTINGS)
    overrides = {NoticeChannel.SMS.value: "{{ order_id }} is late: {{ order_url }}"}
    rendered = rendering.render_context(
        "shipment_delayed", "en", sample.context, SETTINGS.resolved_templates_dir, overrides
    )
    assert rendered.sms == f"{sample.order.order_id} is late: {sample.context[rendering.SMS_ORDER_URL]}"
    assert sample.context["order_url"] in rendered.text


def test_without_a_short_link_the_sms_keeps_the_full_link() -> None:
    sample = templates_admin.sample(Kind.IN_TRANSIT_DELAYED, "en", SETTINGS)
    context = {**sample.context, rendering.SMS_ORDER_URL: sample.context["order_url"]}
    rendered = rendering.render_context("in_transit_delayed", "en", context, SETTINGS.resolved_templates_dir)
    assert sample.context["order_url"] in rendered.sms


def test_short_codes_are_stable_long_enough_and_checked_for_form() -> None:
    key = b"k" * 32
    code = links.short_code(key, "O-1")
    assert code == links.short_code(key, "O-1") and len(code) == 11 and links.is_short_code(code)
    assert len(links.BASE62) ** links.SHORT_CODE_CHARS > 2**64
    assert links.short_code(key, "O-2") != code and links.short_code(b"other", "O-1") != code
    assert code != links.token(key, links.Purpose.ORDER_PAGE, "O-1")[:11]  # its own purpose
    codes = {links.short_code(key, f"O-{i}") for i in range(5000)}
    assert len(codes) == 5000 and all(links.is_short_code(c) for c in codes)
    # all 62 digits are used in every position (the base62 reading of the digest is not skewed to a few)
    assert all(len({c[i] for c in codes}) == 62 for i in range(11))
    for bad in (None, "", code[:-1], code + "0", code[:-1] + "-", code[:-1] + "é", "../../orders"):
        assert not links.is_short_code(bad)
    assert links.short_url("https://s.shop.example/", code) == f"https://s.shop.example/o/{code}"
