"""The carrier-name table and the zones local times are read in (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delaydesk.core.carriers import CARRIERS, from_seventeen_track, is_known, normalise
from delaydesk.core.zones import naive_local, read_local, zone_for


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (["顺丰", "顺丰速运", "SF", "sf-express", "SF Express", " sf  express ", "ＳＦ"], "sf-express"),
        (["中通", "中通快递", "ZTO", "ZTO Express"], "zto"),
        (["圆通", "圆通速递", "YTO"], "yto"),
        (["韵达", "韵达快递", "Yunda"], "yunda"),
        (["申通", "STO Express"], "sto"),
        (["极兔", "J&T Express", "jt-express"], "jtexpress"),
        (["京东", "京东物流", "JD", "JD Logistics"], "jd"),
        (["EMS", "中国邮政", "中国邮政EMS", "China Post", "china-ems"], "china-post"),
        (["UPS", "ups"], "ups"),
        (["USPS", "United States Postal Service"], "usps"),
        (["FedEx", "Federal Express", "fedex"], "fedex"),
        (["DHL", "DHL Express"], "dhl"),
        (["Royal Mail"], "royal-mail"),
    ],
)
def test_every_name_of_a_carrier_is_one_code(names: list[str], code: str) -> None:
    assert {normalise(name) for name in names} == {code}
    assert all(is_known(name) for name in names)


def test_an_unknown_carrier_keeps_its_name_in_one_form() -> None:
    assert normalise(" Speedy Parcels ") == normalise("speedy parcels") == "speedy parcels"
    assert not is_known("Speedy Parcels")


def test_17track_numeric_keys() -> None:
    assert [from_seventeen_track(k) for k in (100002, "100003", 21051, 3011, 100001)] == [
        "ups",
        "fedex",
        "usps",
        "china-post",
        "dhl",
    ]
    assert from_seventeen_track(999999) == "17track-999999"


def test_zones_of_places() -> None:
    assert str(zone_for("CN")) == "Asia/Shanghai"
    assert str(zone_for("CHN")) == "Asia/Shanghai"
    assert str(zone_for("TW", "TW-TPE")) == "Asia/Taipei"
    assert str(zone_for("US", "US-CA")) == "America/Los_Angeles"
    assert str(zone_for("USA", "NY")) == "America/New_York"
    assert zone_for("US") is None  # several zones and no region: unknown, never guessed
    assert zone_for(None) is None and zone_for("XX") is None


def test_a_local_time_is_read_on_the_wall_clock_of_its_zone() -> None:
    moment = naive_local("2020-01-25T09:30:00")
    assert moment is not None and naive_local("2020-01-25T09:30:00+08:00") is None
    zone = zone_for("CN")
    assert zone is not None
    assert read_local(moment, zone).astimezone(UTC) == datetime(2020, 1, 25, 1, 30, tzinfo=UTC)
    # Daylight saving: the same wall-clock time is a different UTC instant in winter and summer.
    ny = zone_for("US", "US-NY")
    assert ny is not None
    winter, summer = naive_local("2024-01-10T12:00:00"), naive_local("2024-07-10T12:00:00")
    assert winter is not None and summer is not None
    assert read_local(winter, ny).astimezone(UTC).hour == 17 and read_local(summer, ny).astimezone(UTC).hour == 16


@given(st.text(max_size=40))
def test_normalising_is_idempotent_and_never_fails(name: str) -> None:
    code = normalise(name)
    assert normalise(code) == code


@given(st.sampled_from(sorted({n for names in CARRIERS.values() for n in names})), st.sampled_from(["", " ", "  "]))
def test_every_listed_name_in_any_case_and_padding_is_its_code(name: str, pad: str) -> None:
    (code,) = [c for c, names in CARRIERS.items() if name in names]
    assert normalise(pad + name.upper() + pad) == code
    assert normalise(name.title()) == code
