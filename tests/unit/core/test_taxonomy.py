"""Every status each vendor documents maps onto the taxonomy; unknown ones map to a safe default."""

from __future__ import annotations

import pytest
from conftest import load_event

from delaydesk.core.events import Tag
from delaydesk.core.taxonomy import (
    AFTERSHIP_SUBTAGS,
    AFTERSHIP_TAGS,
    EASYPOST_DETAILS,
    EASYPOST_STATUSES,
    UNMAPPED,
    SubStatus,
    from_aftership,
    from_easypost,
    from_generic,
)

DOCUMENTED = load_event("vendor_statuses")


def test_every_documented_aftership_tag_and_subtag_is_mapped() -> None:
    assert set(DOCUMENTED["aftership"]["tags"]) == set(AFTERSHIP_TAGS)
    assert set(DOCUMENTED["aftership"]["subtags"]) == set(AFTERSHIP_SUBTAGS)
    for subtag in DOCUMENTED["aftership"]["subtags"]:
        tag = subtag.split("_")[0]
        result = from_aftership(tag, subtag)
        assert result.mapped
        assert result.tag == AFTERSHIP_TAGS[tag], subtag  # a subtag never contradicts its tag


def test_every_documented_easypost_status_and_detail_is_mapped() -> None:
    assert set(DOCUMENTED["easypost"]["status"]) == set(EASYPOST_STATUSES)
    assert set(DOCUMENTED["easypost"]["status_detail"]) == set(EASYPOST_DETAILS)
    for status in DOCUMENTED["easypost"]["status"]:
        for detail in DOCUMENTED["easypost"]["status_detail"]:
            assert from_easypost(status, detail).mapped


@pytest.mark.parametrize(
    ("subtag", "tag", "sub"),
    [
        ("Exception_004", Tag.EXCEPTION, SubStatus.CUSTOMS_DELAY),
        ("Exception_007", Tag.EXCEPTION, SubStatus.INCORRECT_ADDRESS),
        ("AttemptFail_002", Tag.ATTEMPT_FAIL, SubStatus.ADDRESSEE_NOT_AVAILABLE),
        ("Exception_003", Tag.EXCEPTION, SubStatus.REFUSED),
        ("Exception_013", Tag.EXCEPTION, SubStatus.LOST),
        ("Exception_012", Tag.EXCEPTION, SubStatus.DAMAGED),
        ("Exception_010", Tag.EXCEPTION, SubStatus.RETURNING_TO_SENDER),
        ("Exception_011", Tag.EXCEPTION, SubStatus.RETURNED_TO_SENDER),
        ("Exception_005", Tag.EXCEPTION, SubStatus.EXTERNAL_FACTORS),
        ("Exception_006", Tag.EXCEPTION, SubStatus.HELD_FOR_PAYMENT),
    ],
)
def test_the_issue_sub_statuses_are_covered_by_aftership(subtag: str, tag: Tag, sub: SubStatus) -> None:
    result = from_aftership(subtag.split("_")[0], subtag)
    assert (result.tag, result.sub_status) == (tag, sub)


def test_extreme_weather_comes_from_easypost() -> None:
    result = from_easypost("in_transit", "weather_delay")
    assert (result.tag, result.sub_status) == (Tag.IN_TRANSIT, SubStatus.WEATHER_DELAY)


def test_easypost_details_that_are_exceptions_override_the_status() -> None:
    assert from_easypost("in_transit", "lost").tag == Tag.EXCEPTION
    assert from_easypost("return_to_sender", None).sub_status == SubStatus.RETURNING_TO_SENDER
    assert from_easypost("error", None).tag == Tag.PENDING  # the tracker failed, not the parcel


def test_unknown_statuses_map_to_the_safe_default_and_are_flagged() -> None:
    assert from_aftership("Teleported", "Teleported_001") == UNMAPPED
    fallback = from_aftership("Exception", "Exception_099")  # a new subtag of a known tag keeps the tag
    assert (fallback.tag, fallback.sub_status, fallback.mapped) == (Tag.EXCEPTION, SubStatus.EXCEPTION, False)
    assert from_easypost("vaporised", None) == UNMAPPED
    assert not from_easypost("in_transit", "new_detail").mapped
    assert from_generic("somewhere", None) == UNMAPPED
    assert UNMAPPED.tag == Tag.IN_TRANSIT and not UNMAPPED.mapped


def test_generic_sub_statuses_accept_aliases_and_keep_unknown_ones() -> None:
    assert from_generic("exception", "address").sub_status == SubStatus.INCORRECT_ADDRESS
    assert from_generic("exception", "incorrect_address").mapped
    odd = from_generic("exception", "eaten_by_goat")
    assert (odd.tag, odd.sub_status, odd.mapped) == (Tag.EXCEPTION, "eaten_by_goat", False)
