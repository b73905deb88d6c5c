"""The slot release of ``release_notices`` (``notice_jobs.release_slots``) on an in-memory slot
table: which minutes it reads, the delays it queues with, the cursor, and an idle run's cost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import instant, notice_request

from delaydesk import store
from delaydesk.core import aws, pacing
from delaydesk.core.kinds import Kind
from delaydesk.notices import notice_jobs

T0 = 1_579_838_400.0  # a whole minute
SETTINGS: Any = SimpleNamespace(notices_queue_url="https://sqs/notices")


@dataclass
class Table:
    minutes: dict[str, list[str]] = field(default_factory=dict)
    cursor: int | None = None
    horizon: int | None = None
    reads: list[str] = field(default_factory=list)
    sent: list[tuple[str, int]] = field(default_factory=list)
    cursor_writes: int = 0

    def put(self, ticket: float) -> None:
        request = notice_request(
            order_id=f"o{ticket}",
            kind=Kind.DISRUPTION_ANNOUNCEMENT,
            requested_at=instant("2020-01-24T12:00:00+08:00"),
            eta_from=date(2020, 2, 10),
            eta_to=date(2020, 2, 14),
            bulk_slot=ticket,
        )
        minute = pacing.minute_of(ticket)
        self.minutes.setdefault(pacing.minute_key(minute), []).append(request.model_dump_json())
        self.horizon = max(self.horizon or minute, minute)

    def slotted_in(self, minute: str) -> Iterator[Any]:
        self.reads.append(minute)
        return iter([SimpleNamespace(text=text) for text in self.minutes.get(minute, [])])

    def advance(self, seen: int | None, to: int) -> bool:
        assert seen == self.cursor
        self.cursor, self.cursor_writes = to, self.cursor_writes + 1
        return True

    def send(self, url: str, bodies: list[str], what: str, delays: list[int] | None = None) -> None:
        assert delays is not None and len(delays) == len(bodies)
        self.sent.extend(zip(bodies, delays, strict=True))


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Table:
    fake = Table()
    monkeypatch.setattr(store, "slot_cursor", lambda: (fake.cursor, fake.horizon))
    monkeypatch.setattr(store, "slotted_in", fake.slotted_in)
    monkeypatch.setattr(store, "advance_slot_cursor", fake.advance)
    monkeypatch.setattr(aws, "send_batches", fake.send)
    return fake


def test_an_idle_release_reads_nothing_and_moves_the_cursor_at_most_hourly(table: Table) -> None:
    assert notice_jobs.release_slots(T0, SETTINGS) == 0
    assert table.reads == [] and table.cursor_writes == 1, "the first run places the cursor"
    for run in range(1, 12):
        assert notice_jobs.release_slots(T0 + 300 * run, SETTINGS) == 0
    assert table.reads == [] and table.cursor_writes == 1, "an hour of idle runs: no Query, no write"
    assert notice_jobs.release_slots(T0 + 300 * 13, SETTINGS) == 0
    assert table.cursor_writes == 2


def test_each_minute_is_queued_once_when_it_comes_within_reach_each_notice_delayed_to_its_ticket(
    table: Table,
) -> None:
    notice_jobs.release_slots(T0, SETTINGS)  # the cursor is placed
    tickets = [T0 + 1_000.5, T0 + 1_030.25, T0 + 1_100.0, T0 + 1_500.0]
    for ticket in tickets:
        table.put(ticket)
    released: list[tuple[float, int]] = []
    for run in range(1, 6):
        now = T0 + 300 * run
        count = notice_jobs.release_slots(now, SETTINGS)
        new, table.sent = table.sent, []
        assert count == len(new)
        released.extend((now, delay) for _, delay in new)
        for _, delay in new:
            assert 0 <= delay <= pacing.MAX_SQS_DELAY
    assert len(released) == len(tickets), "each queued once"
    arrivals = sorted(now + delay for now, delay in released)
    assert [a >= t for a, t in zip(arrivals, tickets, strict=True)] == [True] * 4, "never before its ticket"
    assert [a - t < 1 for a, t in zip(arrivals, tickets, strict=True)] == [True] * 4, "within the second"
    assert len(table.reads) == len(set(table.reads)), "no minute read twice"
    assert max(table.reads) == pacing.minute_key(pacing.minute_of(T0 + 1_500.0)), "nothing read past the horizon"
