"""Send slots decided up front (``core.pacing``): which announcements are scheduled, where each
waits for its ticket, and which minutes of the slot table a release queues."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import instant, notice_request

from delaydesk.core import pacing
from delaydesk.core.kinds import Kind, NoticeChannel, NoticeRequest
from delaydesk.core.merchants import NoticePolicy

T0 = 1_579_838_400.0  # 2020-01-24T04:00:00Z, a whole minute


def _announcement(order_id: str, **fields: object) -> NoticeRequest:
    return notice_request(
        order_id=order_id,
        kind=Kind.DISRUPTION_ANNOUNCEMENT,
        requested_at=instant("2020-01-24T12:00:00+08:00"),
        rule="window_declared",
        reason="holiday",
        eta_from=date(2020, 2, 10),
        eta_to=date(2020, 2, 14),
        **fields,
    )


def test_only_bulk_emails_and_sms_without_a_slot_are_scheduled() -> None:
    assert pacing.scheduled(_announcement("a"))
    assert pacing.scheduled(_announcement("a", channel=NoticeChannel.SMS)), "paced by the stack's SMS rate"
    assert not pacing.scheduled(_announcement("a", channel=NoticeChannel.SMS, bulk_slot=T0))
    assert not pacing.scheduled(_announcement("a", channel=NoticeChannel.INBOX))
    assert not pacing.scheduled(_announcement("a", bulk_slot=T0)), "scheduled already (a release)"
    assert not pacing.scheduled(_announcement("a", send_slot=T0))
    assert not pacing.scheduled(notice_request(kind=Kind.SHIPMENT_DELAYED)), "transactional: paced at dispatch"


def test_a_block_of_tickets_is_placed_on_the_queue_up_to_15_minutes_and_in_the_slot_table_beyond() -> None:
    requests = [_announcement(f"o{i}") for i in range(5)]
    placed = pacing.place(requests, first=T0 + 450.0, interval=225.0, now=T0)
    assert [p.slot for p in placed] == [T0 + 450, T0 + 675, T0 + 900, T0 + 1125, T0 + 1350]
    assert [p.delay_seconds for p in placed] == [450, 675, 900, None, None]
    assert [p.request.order_id for p in placed] == [f"o{i}" for i in range(5)], "in order, each its own ticket"
    assert all(p.request.bulk_slot == p.slot and p.request.send_slot is None for p in placed)


def test_a_ticket_is_never_reached_early_and_one_that_has_come_is_not_delayed() -> None:
    assert pacing.queue_delay(T0, T0) == 0
    assert pacing.queue_delay(T0 - 30, T0) == 0
    assert pacing.queue_delay(T0 + 0.01, T0) == 1
    assert pacing.queue_delay(T0 + 1.0, T0) == 1
    assert pacing.queue_delay(T0 + 1.2, T0) == 2
    assert pacing.queue_delay(T0 + 5000, T0) == 900


@pytest.mark.parametrize("offset", [0.0, 17.3, 59.9, 299.0])
def test_a_release_queues_whole_minutes_within_reach_and_the_next_one_goes_on_from_there(offset: float) -> None:
    now = T0 + offset
    first = pacing.release_minutes(None, now)
    assert first.start * 60 <= now - 900, "with no cursor: the last quarter of an hour as well"
    last_end = (first.stop) * 60  # the end of the last minute released
    assert last_end <= now + pacing.MAX_SQS_DELAY - pacing.RELEASE_MARGIN < last_end + 60
    later = now + 300
    second = pacing.release_minutes(first.stop, later)
    assert second.start == first.stop and len(second) == 5, "five minutes later: the next five minutes"
    for minute in second:  # every ticket in a released minute is within SQS's reach
        assert minute * 60 + 60 - later <= pacing.MAX_SQS_DELAY


def test_what_a_fan_out_puts_in_the_slot_table_is_never_under_a_minute_already_released() -> None:
    release_at = T0 + 13.0
    released = pacing.release_minutes(None, release_at)
    # A fan-out that read its clock up to RELEASE_MARGIN before that release, and wrote after it.
    for read_at in (release_at - pacing.RELEASE_MARGIN + 0.001, release_at - 60, release_at, release_at + 7):
        placed = pacing.place([_announcement("o")], first=read_at + 900.001, interval=1.0, now=read_at)
        assert placed[0].delay_seconds is None
        assert pacing.minute_of(placed[0].slot) >= released.stop


def test_minutes_are_named_for_people_and_items_expire_after_their_minute() -> None:
    assert pacing.minute_key(pacing.minute_of(T0 + 61.5)) == "2020-01-24T04:01"
    assert pacing.expires_at(T0 + 0.5) == T0 + 1 + pacing.SLOT_TTL_SECONDS


def test_rates_round_the_quota_down_to_whole_emails() -> None:
    assert pacing.rates(14.9, 0.5) == pacing.Rates(send=14.0, bulk=7.0)
    assert pacing.rates(0.5, 1.0) == pacing.Rates(send=0.5, bulk=0.5)


def test_sms_are_paced_by_the_stacks_rate_at_the_merchants_bulk_share_in_the_stacks_buckets() -> None:
    policy = NoticePolicy(bulk_share=0.5)
    assert pacing.notice_rates(NoticeChannel.SMS, policy, 0) is None, "SmsSendRate 0: not paced"
    assert pacing.notice_rates(NoticeChannel.SMS, policy, 10.7) == pacing.Rates(send=10.0, bulk=5.0), "whole SMS/s"
    assert pacing.notice_rates(NoticeChannel.EMAIL, policy, 10.7) is None, "e-mail: the merchant's rate only"
    paced = NoticePolicy(max_send_rate=14.5, bulk_share=0.5)
    assert pacing.notice_rates(NoticeChannel.EMAIL, paced, 0) == pacing.Rates(send=14.0, bulk=7.0)
    assert pacing.notice_rates(NoticeChannel.INBOX, paced, 10) is None
    assert pacing.owner(NoticeChannel.SMS, "m-teahouse") is pacing.SMS_OWNER is None
    assert pacing.owner(NoticeChannel.EMAIL, "m-teahouse") == "m-teahouse"
