"""Stalled after pickup: the collection scan alone, then silence, whatever tag the vendor used (pure)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import instant, merchant, order_from, paid, scan, shipped

from delaydesk.core.config import Settings
from delaydesk.core.merchants import DelayPolicy
from delaydesk.delays.detect import detect, evaluate, next_due_at

POLICY = DelayPolicy.for_merchant(
    merchant(
        settings={
            "stall_thresholds": [
                {"rule": "stalled_after_pickup", "hours": 30},
                {"rule": "stalled_in_transit", "hours": 60},
            ]
        }
    ),
    Settings(),
)
BASE = [paid("P-1", "2020-01-20T10:00:00+08:00"), shipped("P-1", "2020-01-20T12:00:00+08:00")]
PICKED = "2020-01-20T14:00:00+08:00"


@pytest.mark.parametrize(
    "collection",
    [
        {"status": "in_transit", "message": "顺丰速运已揽收"},  # the generic form, tagged in transit
        {"status": "in_transit", "sub_status": "picked_up"},  # AfterShip InTransit_002, 17TRACK InTransit_PickedUp
        {"status": "info_received", "message": "中通快递已揽收"},
        {"status": "in_transit", "message": "Picked up by the carrier"},
        {"status": "in_transit", "message": "中国邮政已收寄"},
    ],
)
def test_the_collection_scan_then_silence_is_stalled_after_pickup(collection: dict[str, str]) -> None:
    order = order_from(*BASE, scan("P-1", PICKED, **collection))
    assert order.shipment is not None and order.shipment.past_pickup is False
    # Its own threshold (30 h here), not the in-transit one (60 h).
    assert next_due_at(order, POLICY) == instant(PICKED) + timedelta(hours=30)
    assert detect(order, POLICY, instant(PICKED) + timedelta(hours=30) - timedelta(seconds=1)) is None
    finding = detect(order, POLICY, instant(PICKED) + timedelta(hours=30))
    assert finding is not None and (finding.rule, finding.reason) == ("stalled_after_pickup", "stalled_after_pickup")
    result = evaluate(order, POLICY, instant(PICKED) + timedelta(hours=31))
    (decision,) = result.decisions
    assert decision.rule == "stalled_after_pickup" and decision.inputs["only_collection_scans"] == "yes"


def test_a_scan_after_the_collection_makes_it_in_transit() -> None:
    order = order_from(
        *BASE,
        scan("P-1", PICKED, status="in_transit", message="顺丰速运已揽收"),
        scan("P-1", "2020-01-20T20:00:00+08:00", status="in_transit", message="快件已到达【武汉转运中心】"),
    )
    assert order.shipment is not None and order.shipment.past_pickup is True
    assert detect(order, POLICY, instant("2020-01-22T20:00:00+08:00")) is None  # 48 h < 60 h
    finding = detect(order, POLICY, instant("2020-01-23T08:00:00+08:00"))
    assert finding is not None and finding.rule == "stalled_in_transit"
    # A repeated collection scan later does not undo the transit scans.
    again = order_from(
        *BASE,
        scan("P-1", PICKED, status="in_transit", message="顺丰速运已揽收"),
        scan("P-1", "2020-01-20T20:00:00+08:00", status="in_transit", message="Departed facility"),
        scan("P-1", "2020-01-21T08:00:00+08:00", status="in_transit", sub_status="picked_up"),
    )
    assert again.shipment is not None and again.shipment.past_pickup is True


def test_an_ordinary_in_transit_scan_is_past_pickup() -> None:
    order = order_from(*BASE, scan("P-1", PICKED, status="in_transit", message="Departed facility"))
    finding = detect(order, POLICY, instant(PICKED) + timedelta(hours=61))
    assert finding is not None and finding.rule == "stalled_in_transit"
