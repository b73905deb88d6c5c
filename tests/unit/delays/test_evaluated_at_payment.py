"""A new order evaluated at payment (ingest) exactly as the scan's first evaluation would leave
it, and only when that evaluation decides and tells nothing."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from conftest import merchant, order_from, paid, shipped

from delaydesk.core.config import Settings
from delaydesk.core.merchants import DelayPolicy
from delaydesk.core.windows import preset
from delaydesk.delays import evaluated_at_payment, next_due_at
from delaydesk.delays.detect import evaluate
from delaydesk.policy import timers
from delaydesk.store.orders import ORDER_DICTIONARY_V1, pack_order, unpack_order

PAID = datetime(2020, 1, 20, 2, tzinfo=UTC)


def _policy() -> DelayPolicy:
    return DelayPolicy.for_merchant(merchant(), Settings())


def test_without_a_window_the_order_is_what_the_scans_first_evaluation_writes() -> None:
    order = order_from(paid("EP-1", "2020-01-20T10:00:00+08:00"))
    policy = _policy()
    assert next_due_at(order, policy) == PAID  # unevaluated: due at once
    evaluated = evaluated_at_payment(order, policy, [], PAID)
    assert evaluated is not None
    scanned = evaluate(timers.evaluate(order, policy, [], PAID).order, policy, PAID).order
    assert evaluated == scanned
    assert next_due_at(evaluated, policy) == datetime(2020, 1, 21, 2, tzinfo=UTC)  # its ship-by


def test_under_a_window_in_force_the_scan_still_evaluates_and_announces_it() -> None:
    order = order_from(paid("EP-2", "2020-01-20T10:00:00+08:00"))
    assert evaluated_at_payment(order, _policy(), preset("spring_festival_2020"), PAID) is None


def test_an_order_packs_small_and_reads_back_the_same_in_both_formats() -> None:
    order = order_from(paid("EP-3", "2020-01-20T10:00:00+08:00"), shipped("EP-3", "2020-01-22T10:00:00+08:00"))
    order = evaluated_at_payment(order, _policy(), [], PAID) or order
    packed = pack_order(order)
    assert packed[:1] == b"\x01" and unpack_order(packed) == order
    plain = zlib.compress(order.model_dump_json().encode("utf-8"), 9)  # items written before
    assert unpack_order(plain) == order
    assert len(packed) * 2 < len(plain)
    assert (
        b"order_id" in ORDER_DICTIONARY_V1 and zlib.adler32(ORDER_DICTIONARY_V1) == 0x4EAB860F
    )  # frozen: stored items name it
