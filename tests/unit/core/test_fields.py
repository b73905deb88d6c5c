"""The edge limits (core.fields) as the contract models apply them: each bad field named."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import paid

from delaydesk.core.events import parse_event
from delaydesk.core.fields import MAX_BODY_BYTES, body_problem
from delaydesk.core.record import ValidationError, problems


def _customer(**fields: Any) -> dict[str, Any]:
    return paid("F-1", "2020-01-20T10:00:00+08:00", customer=fields)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (_customer(timezone="Mars/Olympus"), "timezone"),
        (_customer(timezone="../../etc/passwd"), "timezone"),
        (_customer(phone="13812345678"), "phone"),
        (_customer(email="a@b"), "email"),
        (_customer(email="a\r\nBcc: x@y.example"), "email"),
        (_customer(name="x\ud800"), "name"),
        (_customer(name="Bob\r\nX-Injected: 1"), "name"),
        (_customer(locale="en_US; drop"), "locale"),
        (paid("F-1", "2020-01-20T10:00:00+08:00", value={"amount": "1e20", "currency": "CNY"}), "amount"),
        (paid("F-1", "2020-01-20T10:00:00+08:00", value={"amount": "NaN", "currency": "CNY"}), "amount"),
        (paid("F-1", "2020-01-20T10:00:00+08:00", value={"amount": "1.00001", "currency": "CNY"}), "amount"),
        (paid("F-1", "0001-01-01T00:00:00+14:00"), "at"),
        (paid("F-1", "9000-01-01T00:00:00+08:00"), "at"),
        (paid("F-1", "2020-01-20T10:00:00+08:00") | {"event_id": "x" * 129}, "event_id"),
        (paid("F-1", "2020-01-20T10:00:00+08:00", items=[{"sku": "s", "name": "n", "quantity": 1}] * 201), "items"),
    ],
)
def test_a_bad_field_is_refused_and_named(event: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(event)
    assert any(field in where for where, _reason in problems(caught.value))


def test_good_values_pass() -> None:
    event = parse_event(
        _customer(timezone="Asia/Shanghai", phone="+8613812345678", email="wang.fang+1@mail.example", locale="zh-CN")
    )
    assert event.type == "order.paid"


def test_a_body_too_large_or_too_deep_is_refused_before_parsing() -> None:
    assert body_problem("[" * 17 + "]" * 17) is not None
    assert body_problem('["[[[[[[[[[[[[[[[[[[[["]') is None  # brackets in a string do not count
    assert body_problem(" " * (MAX_BODY_BYTES + 1)) is not None
