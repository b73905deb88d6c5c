"""WISMO answers (customer/wismo.py): contacts normalised, pairs matched, the answer and the
neutral answer alike in shape."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import instant, merchant, order_from, paid, shipped
from hypothesis import given
from hypothesis import strategies as st

from delaydesk.core.record import ValidationError
from delaydesk.customer import wismo

PAID = "2020-01-20T10:00:00+08:00"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def question(**fields: Any) -> wismo.WismoQuestion:
    return wismo.WismoQuestion.model_validate({"merchant_id": "m-teahouse", "order_number": "W-1"} | fields)


ORDER = order_from(paid("W-1", PAID))  # wang.fang@mail.example, +8613800138000, CN


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+86 138-0013-8000", None, "+8613800138000"),
        ("0086 13800138000", None, "+8613800138000"),
        ("138 0013 8000", "CN", "+8613800138000"),
        ("0912 345 678", "TW", "+886912345678"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("13800138000", None, None),  # national, and no country to read it in
        ("+0 123", None, None),
        ("call me", "CN", None),
    ],
)
def test_phones_are_read_as_e164(raw: str, country: str | None, expected: str | None) -> None:
    assert wismo.normalise_phone(raw, country) == expected


def test_emails_are_compared_without_case_or_spaces() -> None:
    assert wismo.normalise_email("  Wang.Fang@MAIL.example ") == "wang.fang@mail.example"
    assert wismo.normalise_email("not-an-address") is None


@pytest.mark.parametrize(
    "proof",
    [{"email": "WANG.FANG@mail.example"}, {"phone": "138 0013 8000"}, {"phone": "+8613800138000"}],
)
def test_the_orders_own_contact_matches(proof: dict[str, str]) -> None:
    assert wismo.matches(question(**proof), ORDER, "m-teahouse", token_ok=False)


def test_a_wrong_pair_another_shop_or_no_order_does_not_match() -> None:
    assert not wismo.matches(question(email="li.lei@mail.example"), ORDER, "m-teahouse", token_ok=False)
    assert not wismo.matches(question(phone="+8613900139000"), ORDER, "m-teahouse", token_ok=False)
    assert not wismo.matches(question(email="wang.fang@mail.example"), ORDER, "m-other", token_ok=False)
    assert not wismo.matches(question(email="wang.fang@mail.example"), None, "m-teahouse", token_ok=True)
    assert wismo.matches(question(token="x"), ORDER, "m-teahouse", token_ok=True)


def test_a_question_must_carry_a_proof_and_stay_in_bounds() -> None:
    with pytest.raises(ValidationError, match="email or phone"):
        question()
    with pytest.raises(ValidationError):
        question(email="a@b.co", unknown="field")
    with pytest.raises(ValidationError):
        question(email="a@b.co\r\nBcc: x@y.z")
    with pytest.raises(ValidationError):
        question(order_number="W" * 65, email="a@b.co")
    with pytest.raises(ValidationError):
        question(email="\ud800@b.co")


def test_the_answer_says_the_status_the_estimate_and_the_link() -> None:
    late = instant("2020-01-21T10:30:00+08:00")
    answer = wismo.answer(ORDER, "zh-CN", SHANGHAI, None, "https://x/orders/W-1?t=T", late)
    assert answer["text"] == "订单 W-1：发货延迟，我们正在尽快安排。查看订单：https://x/orders/W-1?t=T"
    on_time = wismo.answer(ORDER, "en", SHANGHAI, None, "L", instant("2020-01-20T12:00:00+08:00"))
    assert on_time["status"] == "paid" and on_time["ships_by"] == "2020-01-21"
    assert on_time["text"] == "Order W-1: paid, waiting to ship. It should ship by Jan 21. Details: L"
    moving = order_from(paid("W-1", PAID), shipped("W-1", "2020-01-21T09:00:00+08:00"))
    eta = (instant("2020-01-24T00:00:00Z").date(), instant("2020-01-26T00:00:00Z").date())
    answer = wismo.answer(moving, "zh-TW", SHANGHAI, eta, "L", late)
    assert answer["text"] == "訂單 W-1：已出貨，運送中。預計送達：1月24日至1月26日。查看訂單：L"
    assert answer["estimate"] == {"from": "2020-01-24", "to": "2020-01-26"}


def test_the_neutral_answer_has_the_same_shape_and_names_no_order_fact() -> None:
    answer = wismo.answer(ORDER, "en", SHANGHAI, None, "L", instant("2020-01-20T12:00:00+08:00"))
    neutral = wismo.neutral("W-1", merchant(), "en")
    assert set(neutral) == set(answer) and neutral["matched"] is False
    assert neutral["text"] == (
        "Sorry, we could not match order W-1 with these contact details. Please check them and try again, "
        "or contact support (help@teahouse.example)."
    )
    assert wismo.neutral("W-1", None, "zh-CN", retry_after=61)["text"] == "查询过于频繁，请 2 分钟后再试，或联系客服。"


@given(raw=st.text(max_size=40), country=st.sampled_from([None, "CN", "TW", "US", "ZZ"]))
def test_a_normalised_phone_is_e164_or_nothing(raw: str, country: str | None) -> None:
    phone = wismo.normalise_phone(raw, country)
    assert phone is None or wismo.E164.match(phone)


@given(
    body=st.dictionaries(
        st.sampled_from(["merchant_id", "order_number", "email", "phone", "token", "locale", "x"]),
        st.one_of(st.text(max_size=80), st.integers(), st.none()),
    )
)
def test_any_question_is_a_question_or_a_validation_error(body: dict[str, object]) -> None:
    try:
        question = wismo.WismoQuestion.model_validate(body)
    except ValidationError:
        return  # refused with its reasons, never another error
    assert question.email or question.phone or question.token
    assert 1 <= len(question.order_number) <= 64 and question.order_number == question.order_number.strip()
