"""Per-merchant send rate (e-mail), so that a mass announcement drains at the SES quota.

The choice: a generic cell-rate algorithm (GCRA, a token bucket written as one number) kept in
DynamoDB, ``rate#<merchant>`` in the notice-state table. Each send reserves the next slot
(``max(slot, now) + 1/rate``) with one conditional UpdateItem (two when the merchant is busy).
A slot within ``BURST_SECONDS`` is sent at once; a later slot is re-queued on the Notices queue
with ``DelaySeconds`` (at most SQS's 900) and ``not_before`` set to the slot, so that the
redelivered message uses the slot it already holds instead of taking a new one. SES is therefore
never asked faster than the quota, and nothing waits inside a Lambda invocation.

Pacing is physical, so it reads the wall clock (``Clock``), unlike the domain's decisions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from delaydesk import store

BURST_SECONDS = 1.0
MAX_SQS_DELAY = 900

Clock = Callable[[], float]
wall_clock: Clock = time.time


@dataclass(frozen=True)
class Slot:
    at: float
    wait: float

    @property
    def now(self) -> bool:
        return self.wait <= BURST_SECONDS

    @property
    def delay_seconds(self) -> int:
        return max(1, min(MAX_SQS_DELAY, int(self.wait + 0.999)))


def reserve(merchant_id: str, rate: float, clock: Clock | None = None) -> Slot:
    now = (clock or wall_clock)()
    at = store.reserve_send_slot(merchant_id, now, 1.0 / rate)
    return Slot(at, max(0.0, at - now))
