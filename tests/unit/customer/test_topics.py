"""The inquiry topic classifier: keywords in the three locales, the sender's topic wins."""

from __future__ import annotations

import pytest

from delaydesk.customer import classify_topic


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("我的快递到哪了？", "where_is_my_order"),
        ("物流一直没有更新", "where_is_my_order"),
        ("請問我的快遞什麼時候到", "where_is_my_order"),
        ("Where is my order #1234?", "where_is_my_order"),
        ("WHERE'S MY ORDER", "where_is_my_order"),
        ("Where\u2019s my order", "where_is_my_order"),
        ("Can I get the tracking number?", "where_is_my_order"),
        ("ｔｒａｃｋｉｎｇ please", "where_is_my_order"),  # full-width Latin
        ("我要取消订单", "cancel"),
        ("please cancel, it has not arrived", "cancel"),  # a cancellation first
        ("我要退款", "refund"),
        ("請退錢", "refund"),
        ("I want my money back", "refund"),
        ("收货地址写错了", "address"),
        ("Please change the address", "address"),
        ("这个茶怎么泡？", "other"),
        ("Do you sell green tea?", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_keywords(text: str | None, topic: str) -> None:
    assert classify_topic(text) == topic


def test_words_are_matched_whole() -> None:
    assert classify_topic("the latest catalogue") == "other"  # not "late"
    assert classify_topic("backtracking") == "other"


def test_the_senders_topic_wins() -> None:
    assert classify_topic("我的快递到哪了", "refund") == "refund"
    assert classify_topic(None, "address") == "address"
