"""An order's audit trail as its own item holds it (``OrderRecord.trail``): the decisions its
evaluations took, written by the evaluation's own versioned commit, so that a decision is part of
the order exactly when the commit that counts it succeeds (no separate write before it).

The bytes: the format byte, a flags byte, then (when there are decisions) the decisions grouped
by the write that recorded them, as JSON without their order id and default values, raw deflate
with a preset dictionary of the decisions' keys and frequent values (a lifecycle's five decisions
take about 100-230 bytes). A trail that would not fit the order item's one write unit is not
extended: those decisions go to the Decisions table and the flags say so (``IN_TABLE``).
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from delaydesk.core.decisions import Decision

TRAIL_V1 = 0x01
"""The first byte of format 1. Another format is another byte; readers keep reading this one."""

IN_TABLE = 0x01
"""Some of the order's decisions are in the Decisions table: an evaluation whose decisions did not
fit the item, an order written before its trail was held in it, or an outbox of the earlier scan."""
NOTICE_DECISIONS = 0x02
"""A notice queued for the order may have dispatch record a decision in the Decisions table (a
delay notice of a merchant with compensation rules: compensation granted or held out)."""

TRAIL_DICTIONARY_V1 = (
    b'"window_id":"cny2020","deadline_extended","deadline_shortened","late_shipment_exempted",'
    b'"delay_accepted","customer_choice","source":"order_page","us_ftc","eu_crd","uk_cra",'
    b'"refund_auto_approved","refund_confirm_timeout","return_refund_auto_approved",'
    b'"inputs":{"status":"shipped","paid","carrier":"","last_scan_at":"","last_tag":"in_transit",'
    b'"last_sub_status":null,"scans":'
    b'"delay_kind":"shipment_delayed","delay_rule":"ship_by","delay_reason":"not_shipped",'
    b'"delay_started_at":"","limit_days":7}'
    b'"rules":"cn_platform","clause":"","answer":"","applied":false,"requested_at":"'
    b'"refund_recommended#","cn_stagnation_refund","receipt_auto_confirmed","auto_confirm_receipt",'
    b'"order_cancelled","cancel_while_late","escalated#long_delay#","long_delay",'
    b'"escalated#customer_action#","high_value","delay_detected#stalled_in_transit#","stalled_in_transit",'
    b'"delay_detected#carrier_exception#","carrier_exception",'
    b'[{"decision_id":"late_shipment_recorded#ship_by","action":"late_shipment_recorded","rule":"ship_by",'
    b'"at":"2020-01-01T00:00:00Z","inputs":{"paid_at":"2020-01-01T00:00:00Z","ship_within_hours":72,'
    b'"ship_by_at":"2020-01-01T00:00:00Z"}},'
    b'{"decision_id":"delay_detected#ship_by#0","action":"delay_detected","rule":"ship_by",'
    b'"at":"2020-01-01T00:00:00Z","inputs":{"status":"paid","paid_at":"2020-01-01T00:00:00Z",'
    b'"ship_within_hours":72,"ship_by_at":"'
)
"""Format 1's preset dictionary (zlib ``zdict``): the decisions' keys and frequent values, the most
frequent last. Never change it: a new dictionary is a new format byte (a test pins this one)."""


class Trail(msgspec.Struct):
    """The decisions an order item holds, grouped by the write that recorded them, and its flags."""

    groups: list[list[Decision]] = msgspec.field(default_factory=list)
    flags: int = 0

    def decisions(self) -> list[Decision]:
        return [d for group in self.groups for d in group]

    def holds(self, decision_id: str) -> bool:
        return any(d.decision_id == decision_id for group in self.groups for d in group)


def pack_trail(trail: Trail) -> bytes:
    header = bytes((TRAIL_V1, trail.flags))
    if not trail.groups:
        return header
    document = json.dumps(
        [[d.model_dump(mode="json", exclude={"order_id"}, exclude_defaults=True) for d in g] for g in trail.groups],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, TRAIL_DICTIONARY_V1)
    return header + packer.compress(document) + packer.flush()


def unpack_trail(order_id: str, packed: bytes) -> Trail:
    if packed[:1] != bytes((TRAIL_V1,)):
        raise ValueError(f"order {order_id}: unknown trail format {packed[:1]!r}")
    flags = packed[1]
    if len(packed) == 2:
        return Trail([], flags)
    unpacker = zlib.decompressobj(-zlib.MAX_WBITS, zdict=TRAIL_DICTIONARY_V1)
    document = unpacker.decompress(packed[2:]) + unpacker.flush()
    from delaydesk.core.decisions import Decision  # the models only where a trail is read

    groups = [[Decision.model_validate(d | {"order_id": order_id}) for d in g] for g in json.loads(document)]
    return Trail(groups, flags)
