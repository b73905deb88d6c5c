"""What an inquiry is about, from its free text (pure): keywords in zh-CN, zh-TW and English.

The contract's topics are ``where_is_my_order``, ``cancel``, ``refund``, ``address`` and ``other``.
Keywords are enough to start (issue 14): the first topic, in the order below, with a keyword in the
text wins, so "cancel, it has not arrived" is a cancellation, not a WISMO. A topic the sender gives
(its help desk's own tag) always wins over the text.
"""

from __future__ import annotations

import re
import unicodedata

_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cancel", ("取消", "不要了", "撤销订单", "撤銷訂單", "cancel")),
    ("refund", ("退款", "退钱", "退錢", "退货", "退貨", "refund", "money back", "chargeback", "return")),
    ("address", ("地址", "改地址", "收货人", "收貨人", "address", "wrong street", "deliver to")),
    (
        "where_is_my_order",
        (
            "物流",
            "快递",
            "快遞",
            "到哪",
            "还没到",
            "還沒到",
            "没收到",
            "沒收到",
            "什么时候到",
            "什麼時候到",
            "发货",
            "發貨",
            "出貨",
            "单号",
            "單號",
            "where is my order",
            "where's my order",
            "wismo",
            "tracking",
            "track my",
            "not arrived",
            "hasn't arrived",
            "has not arrived",
            "not received",
            "when will",
            "late",
            "delayed",
            "shipped yet",
        ),
    ),
)

_WORD = re.compile(r"[a-z]")


def _found(keyword: str, text: str) -> bool:
    if not _WORD.match(keyword):
        return keyword in text  # Chinese: no word boundaries
    return re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text) is not None


def classify_topic(text: str | None, given: str | None = None) -> str:
    """The inquiry's topic: ``given`` when the sender gave one, else the first topic whose keyword
    is in ``text`` (case and width insensitive), else ``other``."""
    if given:
        return given
    if not text:
        return "other"
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    for topic, keywords in _KEYWORDS:
        if any(_found(keyword, folded) for keyword in keywords):
            return topic
    return "other"
