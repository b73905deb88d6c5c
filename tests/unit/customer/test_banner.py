"""The storefront banner's content (customer/banner.py): what is in force, in which words, for
which visitors; the ETag and CORS decisions."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import instant, merchant
from hypothesis import given
from hypothesis import strategies as st

from delaydesk.core.windows import parse_window, preset
from delaydesk.customer import banner

NOW = instant("2020-01-25T10:00:00+08:00")


def window(**fields: Any) -> banner.Announcement:
    base: dict[str, Any] = {
        "window_id": "hubei",
        "merchant_id": "m-teahouse",
        "reason": "public_health",
        "starts_at": "2020-01-23T10:00:00+08:00",
        "ends_at": "2020-02-13T23:59:59+08:00",
        "scope": {"regions": ["CN-HB"], "carriers": ["SF Express"]},
        "rules": {"ship_by": {"extend_hours": 72}},
    }
    return banner.from_window(parse_window(base | fields))


@pytest.mark.parametrize(
    ("param", "accept", "expected"),
    [
        ("zh-TW", "en", "zh-TW"),
        (None, "zh-HK,zh;q=0.9,en;q=0.8", "zh-TW"),
        (None, "fr-FR, en-GB;q=0.7, zh;q=0.8", "zh-CN"),
        (None, "de, fr;q=0.5", "zh-CN"),  # nothing we speak: the merchant's default
        ("xx", "en-US", "en"),  # an unknown parameter falls through to the header
        (None, "en;q=0, zh-Hant;q=0.1", "zh-TW"),  # q=0 means "not this one"
        (None, ";;;,=,\ud800," * 100, "zh-CN"),  # garbage is skipped, never an error
    ],
)
def test_the_visitors_locale(param: str | None, accept: str, expected: str) -> None:
    assert banner.negotiate(param, accept, "zh-CN") == expected


def test_a_window_in_force_says_what_is_hit_and_the_new_shipping_time_in_each_locale() -> None:
    shop = merchant()
    texts = {
        locale: banner.content(shop, [window()], NOW, locale)["messages"][0]["text"]
        for locale in ("zh-CN", "zh-TW", "en")
    }
    assert texts["zh-CN"] == "受疫情防控影响，2月13日前发往湖北经SF Express配送的订单发货时间延长72小时。"
    assert texts["zh-TW"] == "受疫情防控影響，2月13日前發往湖北經SF Express配送的訂單出貨時間延長72小時。"
    assert texts["en"] == (
        "Shipping to Hubei with SF Express is affected by public health measures until Feb 13. "
        "Orders ship up to 72 hours later than usual."
    )
    answer = banner.content(shop, [window()], NOW, "en")
    (message,) = answer["messages"]
    assert message["id"] == "window:hubei" and message["ship_by"] == {"extend_hours": 72}
    assert message["scope"] == {"regions": ["CN-HB"], "carriers": ["SF Express"]}
    assert answer["labels"] == {"label": "Shipping notice", "dismiss": "Dismiss notice"}


def test_suspended_shipping_names_the_day_orders_ship_on_the_merchants_clock() -> None:
    (cny, _) = preset("spring_festival_2020")
    answer = banner.content(merchant(), [banner.from_window(cny)], NOW, "zh-CN")
    assert answer["messages"][0]["text"] == "受节假日影响，2月9日前的订单将于2月9日后发货。"
    assert answer["messages"][0]["ship_by"] == {"suspended": True}


def test_nothing_in_force_is_an_empty_banner() -> None:
    shop = merchant()
    assert banner.content(shop, [], NOW, "en")["messages"] == []
    before = instant("2020-01-23T09:59:59+08:00")
    after = instant("2020-02-14T00:00:00+08:00")
    assert banner.content(shop, [window()], before, "en")["messages"] == []
    assert banner.content(shop, [window()], after, "en") == {
        "merchant_id": "m-teahouse",
        "merchant_name": shop.name,
        "locale": "en",
        "labels": {},
        "messages": [],
    }


def test_only_windows_that_touch_shipping_are_news_for_visitors() -> None:
    cny, cross_border = preset("spring_festival_2020")
    assert banner.affects_shipping(cny)  # ship-by suspended
    assert not banner.affects_shipping(cross_border)  # only the receipt auto-confirm moves
    plain = parse_window(
        {"window_id": "w", "reason": "extreme_weather", "starts_at": NOW, "ends_at": "2020-02-01T00:00:00Z"}
    )
    assert banner.affects_shipping(plain)  # no rule: a plain announcement
    scoped = plain.model_copy(update={"scope": plain.scope.model_copy(update={"regions": ["CN-ZJ"]})})
    assert banner.affects_shipping(scoped)


def test_newest_first_and_at_most_three() -> None:
    items = [window(window_id=f"w{i}", starts_at=f"2020-01-2{i}T00:00:00+08:00") for i in range(5)]
    ids = [m["id"] for m in banner.content(merchant(), items, NOW, "en")["messages"]]
    assert ids == ["window:w4", "window:w3", "window:w2"]


def test_regions_and_countries_in_words() -> None:
    assert banner.region_name("CN-ZJ", "zh-TW") == "浙江"
    assert banner.region_name("TW", "zh-CN") == "台湾"
    assert banner.region_name("US", "zh-CN") == "美国"
    assert banner.region_name("FR", "en") == "France"
    assert banner.region_name("US-CA", "en") == "US-CA"  # no table for it: the code itself


def test_the_etag_is_strong_and_follows_the_bytes() -> None:
    body = banner.encode(banner.content(merchant(), [window()], NOW, "en"))
    tag = banner.etag(body)
    assert tag.startswith('"') and not tag.startswith("W/")
    assert banner.etag(banner.encode(banner.content(merchant(), [window()], NOW, "en"))) == tag
    assert banner.etag(banner.encode(banner.content(merchant(), [window()], NOW, "zh-CN"))) != tag
    assert banner.etag(body, "gzip") != tag
    assert banner.not_modified(tag, tag) and banner.not_modified(f'"x", W/{tag}', tag) and banner.not_modified("*", tag)
    assert not banner.not_modified(None, tag) and not banner.not_modified('"other"', tag)


def test_cors_only_for_the_shops_origins() -> None:
    allowed = ["https://shop.example"]
    assert banner.cors("https://shop.example", allowed)["Access-Control-Allow-Origin"] == "https://shop.example"
    assert banner.cors("https://evil.example", allowed) == {}
    assert banner.cors(None, allowed) == {}
    assert banner.cors("null", allowed) == {}


@given(param=st.one_of(st.none(), st.text(max_size=40)), accept=st.one_of(st.none(), st.text(max_size=600)))
def test_any_locale_input_gives_a_supported_locale(param: str | None, accept: str | None) -> None:
    assert banner.negotiate(param, accept, "zh-CN") in ("zh-CN", "zh-TW", "en")
