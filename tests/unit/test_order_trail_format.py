"""The order trail's bytes (``store/trail.py``): format 1 pinned, flags kept, groups kept in order."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest

from delaydesk.core.decisions import Action, Decision
from delaydesk.store.trail import IN_TABLE, NOTICE_DECISIONS, TRAIL_DICTIONARY_V1, Trail, pack_trail, unpack_trail

AT = datetime(2020, 1, 21, 2, tzinfo=UTC)
LATE = Decision(
    order_id="A-1",
    decision_id="late_shipment_recorded#ship_by",
    action=Action.LATE_SHIPMENT_RECORDED,
    rule="ship_by",
    at=AT,
    inputs={"paid_at": "2020-01-20T02:00:00Z", "ship_within_hours": 24, "ship_by_at": "2020-01-21T02:00:00Z"},
)
DELAY = Decision(
    order_id="A-1",
    decision_id="delay_detected#ship_by#0",
    action=Action.DELAY_DETECTED,
    rule="ship_by",
    at=AT,
    window_id="cny2020",
)
WRITTEN = bytes.fromhex("01028ba67fcc19015d69445ccc1919a028c5e22123131c3187620b7d620ecd63d86aa4dad85800")
"""A trail of format 1 as it is stored (two decisions of one evaluation, ``NOTICE_DECISIONS``)."""


def test_format_1_and_its_dictionary_are_pinned() -> None:
    # The dictionary is part of format 1: changing it would misread every trail stored with it.
    assert zlib.adler32(TRAIL_DICTIONARY_V1) == 0x2323CAF4
    assert pack_trail(Trail([[LATE, DELAY]], NOTICE_DECISIONS)) == WRITTEN
    trail = unpack_trail("A-1", WRITTEN)
    assert trail.groups == [[LATE, DELAY]] and trail.flags == NOTICE_DECISIONS


def test_groups_flags_and_the_empty_trail_read_back() -> None:
    empty = pack_trail(Trail())
    assert empty == b"\x01\x00" and unpack_trail("A-1", empty) == Trail()
    other = DELAY.model_copy(update={"decision_id": "escalated#long_delay#x", "action": Action.ESCALATED})
    trail = Trail([[LATE], [other, DELAY]], IN_TABLE | NOTICE_DECISIONS)
    back = unpack_trail("A-1", pack_trail(trail))
    assert back == trail and back.decisions() == [LATE, other, DELAY]
    assert back.holds("escalated#long_delay#x") and not back.holds("escalated#long_delay#y")
    with pytest.raises(ValueError, match="unknown trail format"):
        unpack_trail("A-1", b"\x02\x00")


def test_a_decision_costs_the_item_a_few_dozen_bytes() -> None:
    # The reference lifecycle's five decisions: well within the item's kilobyte.
    stalls = [
        DELAY.model_copy(
            update={
                "decision_id": f"delay_detected#stalled_in_transit#{n}",
                "rule": "stalled_in_transit",
                "window_id": None,
                "inputs": {"status": "shipped", "carrier": "SF", "last_scan_at": "2020-01-25T12:00:00Z", "scans": 1},
            }
        )
        for n in range(3)
    ]
    packed = pack_trail(Trail([[LATE, DELAY], *([s] for s in stalls)]))
    assert len(packed) < 200
