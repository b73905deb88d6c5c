"""The notice-state table.

One table (NoticeStateTable, pk/sk) holds what notices need besides the notice log:
  template#<merchant>     <kind>#<locale>#<channel>       a merchant's template override
  suppress#<address>      -                                an address never sent to again
  inbox#<order>           <kind>#<stage>                   the in-app inbox copy of a notice, as stored
                                                           before the notice log held it (read only)
  held                    <release at>#<order>#<notice>    an SMS held for quiet hours
  rate#<merchant>         - | bulk                         the send-rate reservation (GCRA): e-mail slots, bulk tickets
  sms-rate                - | bulk                         the stack's SMS send rate (SNS's quota is the account's)
  slot#<minute>           <ticket>#<order>#<notice>        a bulk e-mail or SMS scheduled beyond SQS's 15 minutes (TTL)
  slot-cursor             -                                the first minute of the slot table not released yet
  slot-cursor             horizon                          the last minute any fan-out wrote to
  grant#<order>           -                                the order's compensation grant
  budget#<merchant>       <window>                         compensation spent in a window
  feedback#<order>        <notice>#<event>                 SES delivery/bounce/complaint/open/click
  digest#<merchant>       <local day>                      the daily digest's claim and send (store/digests.py)
  engage#<order>          visit#<UTC day> | choice#<name>  order-page visits (once a day) and choices (once)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from delaydesk.store.base import ConcurrentUpdate, conditional_failure, register, save_if

if TYPE_CHECKING:
    from delaydesk.core.kinds import NoticeRequest


class NoticeStateRecord(Model):
    class Meta:
        table_name = "delaydesk-notice-state"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute(null=True)
    number = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


register("notice_state_table", NoticeStateRecord)
_NONE = "-"


# ---- template overrides


def put_template_override(merchant_id: str, key: str, source: str, now: datetime) -> None:
    NoticeStateRecord(f"template#{merchant_id}", key, text=source, at=now).save()


def template_overrides(merchant_id: str, prefix: str = "") -> dict[str, str]:
    """A merchant's overrides by key (``kind#locale#channel``), optionally under ``prefix``."""
    condition = NoticeStateRecord.sk.startswith(prefix) if prefix else None
    return {
        item.sk: item.text or ""
        for item in NoticeStateRecord.query(f"template#{merchant_id}", condition, consistent_read=True)
    }


def all_template_overrides() -> Iterator[tuple[str, str, str]]:
    """(merchant, key, source) of every stored override (the lint; not on a hot path)."""
    for item in NoticeStateRecord.scan(NoticeStateRecord.pk.startswith("template#")):
        yield item.pk.split("#", 1)[1], item.sk, item.text or ""


def delete_template_override(merchant_id: str, key: str) -> None:
    NoticeStateRecord(f"template#{merchant_id}", key).delete()


# ---- suppression list


def suppress_address(address: str, reason: str, source: str, now: datetime) -> None:
    NoticeStateRecord(suppression_key(address), _NONE, label=reason, text=source, at=now).save()


def suppression_key(address: str) -> str:
    """An address's item on the suppression list (case and surrounding spaces do not matter)."""
    return f"suppress#{address.strip().lower()}"


def suppression_of(address: str) -> str | None:
    """The reason ``address`` is suppressed, or None."""
    try:
        item = NoticeStateRecord.get(suppression_key(address), _NONE)
    except NoticeStateRecord.DoesNotExist:
        return None
    return item.label or "suppressed"


def suppressions_of(addresses: Iterable[str]) -> dict[str, str]:
    """The suppressed among ``addresses``, by address as given, with their reasons: one
    ``BatchGetItem`` per hundred keys, eventually consistent (as ``suppression_of``)."""
    by_key: dict[str, list[str]] = {}
    for address in dict.fromkeys(addresses):
        by_key.setdefault(suppression_key(address), []).append(address)
    if not by_key:
        return {}
    found: dict[str, str] = {}
    for item in NoticeStateRecord.batch_get([(key, _NONE) for key in by_key]):
        for address in by_key.get(item.pk, []):
            found[address] = item.label or "suppressed"
    return found


def lift_suppression(address: str) -> None:
    NoticeStateRecord(suppression_key(address), _NONE).delete()


def all_suppressions() -> Iterator[NoticeStateRecord]:
    return NoticeStateRecord.scan(NoticeStateRecord.pk.startswith("suppress#"))


# ---- in-app inbox


def inbox_of(order_id: str) -> list[NoticeStateRecord]:
    """Inbox copies stored here before the notice log held them (``notice_log.inbox_copies``)."""
    return list(NoticeStateRecord.query(f"inbox#{order_id}"))


# ---- held notices (SMS quiet hours)


def hold_notice(request: NoticeRequest, release_at: datetime) -> bool:
    """Keep ``request`` until ``release_at``; False if it is held already (a redelivery).

    One partition: held notices are few (SMS at night) and read by one Query per run.
    """
    key = f"{release_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}#{request.order_id}#{request.notice_id}"
    item = NoticeStateRecord("held", key, text=request.model_dump_json(), at=release_at)
    return save_if(item, NoticeStateRecord.sk.does_not_exist())


def held_due(until: datetime) -> Iterator[NoticeStateRecord]:
    bound = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "~"
    return NoticeStateRecord.query("held", NoticeStateRecord.sk < bound)


def release_held(item: NoticeStateRecord) -> None:
    item.delete()


# ---- send rate (GCRA: a "theoretical arrival time" per merchant)


_RESERVE_ATTEMPTS = 5


def reserve_send_slot(
    merchant_id: str | None,
    wall_epoch: float,
    interval: float,
    bucket: str = _NONE,
    *,
    likely_busy: bool = False,
    count: int = 1,
) -> float:
    """Reserve the next slot of one of the merchant's send-rate buckets (``merchant_id`` None: the
    stack's SMS buckets, ``core.pacing.SMS_OWNER``); returns its epoch
    (``wall_epoch`` if the bucket is idle). ``count`` reserves that many consecutive slots in the
    same call (a block of an announcement): the first is returned, the others follow ``interval``
    apart.

    The bucket's number is the next free slot. An idle bucket (number in the past) is restarted
    at now with a conditional put; a busy one is advanced with an atomic ADD, which never
    conflicts. ``likely_busy`` (a bucket in the middle of a drain) tries the ADD first, so that
    a busy bucket costs one call instead of two; the ADD of an idle bucket is then corrected.
    """
    item = NoticeStateRecord("sms-rate" if merchant_id is None else f"rate#{merchant_id}", bucket)
    idle = NoticeStateRecord.number.does_not_exist() | (NoticeStateRecord.number < wall_epoch)
    span = interval * count
    for _ in range(_RESERVE_ATTEMPTS):
        if likely_busy:
            item.update(actions=[NoticeStateRecord.number.add(span)])
            slot = float(item.number) - span
            if slot >= wall_epoch:
                return slot
        try:
            item.update(actions=[NoticeStateRecord.number.set(wall_epoch + span)], condition=idle)
        except UpdateError as exc:
            if not conditional_failure(exc):
                raise
            if likely_busy:
                continue  # another sender restarted the bucket between our two calls: add again
            item.update(actions=[NoticeStateRecord.number.add(span)])
            return float(item.number) - span
        return wall_epoch
    raise ConcurrentUpdate(f"send-rate bucket {bucket} of {merchant_id or 'the SMS'} kept changing")


# ---- the slot table: bulk notices scheduled beyond SQS's 15-minute delay


def put_slotted(items: list[tuple[str, str, NoticeRequest, int]]) -> None:
    """Write scheduled requests: (minute key, ticket key, request, TTL epoch) each, 25 per call.

    A plain put: a fan-out that is retried schedules its notices again under new tickets, and
    dispatch's claim sends each notice once.
    """
    with NoticeStateRecord.batch_write() as batch:
        for minute, ticket, request, expires in items:
            key = f"{ticket}#{request.order_id}#{request.notice_id}"
            batch.save(
                NoticeStateRecord(
                    f"slot#{minute}",
                    key,
                    text=request.model_dump_json(),
                    expires_at=datetime.fromtimestamp(expires, UTC),
                )
            )


def slotted_in(minute: str) -> Iterator[NoticeStateRecord]:
    """The scheduled requests of one minute of the slot table, in ticket order."""
    return NoticeStateRecord.query(f"slot#{minute}")


def slot_cursor() -> tuple[int | None, int | None]:
    """(cursor, horizon): the first minute of the slot table no release has queued yet, and the
    last minute a fan-out wrote to (None: never). One Query, so an idle release costs one call."""
    found = {item.sk: item.number for item in NoticeStateRecord.query("slot-cursor", consistent_read=True)}
    cursor, horizon = found.get(_NONE), found.get("horizon")
    return (int(cursor) if cursor is not None else None, int(horizon) if horizon is not None else None)


def raise_slot_horizon(minute: int) -> None:
    """Note that the slot table holds notices up to ``minute`` (kept at the largest)."""
    item = NoticeStateRecord("slot-cursor", "horizon")
    try:
        item.update(
            actions=[NoticeStateRecord.number.set(minute)],
            condition=NoticeStateRecord.number.does_not_exist() | (NoticeStateRecord.number < minute),
        )
    except UpdateError as exc:
        if not conditional_failure(exc):
            raise


def advance_slot_cursor(seen: int | None, to: int) -> bool:
    """Move the cursor from ``seen`` to ``to``; False if another release moved it meanwhile."""
    item = NoticeStateRecord("slot-cursor", _NONE, number=to)
    expected = NoticeStateRecord.pk.does_not_exist() if seen is None else (NoticeStateRecord.number == seen)
    return save_if(item, expected)


# ---- compensation grants


def grant_of(order_id: str) -> NoticeStateRecord | None:
    try:
        return NoticeStateRecord.get(f"grant#{order_id}", _NONE, consistent_read=True)
    except NoticeStateRecord.DoesNotExist:
        return None


def record_grant(
    order_id: str,
    merchant_id: str,
    notice_key: str,
    grant: str,
    value: str,
    cost: float,
    budget: float | None,
    window: str,
    now: datetime,
) -> bool:
    """Grant once per order within the window's budget; False if either check refuses."""
    spent = NoticeStateRecord(f"budget#{merchant_id}", window)
    if budget is not None:
        if cost > budget:
            return False
        try:
            spent.update(
                actions=[NoticeStateRecord.number.add(cost)],
                condition=NoticeStateRecord.number.does_not_exist() | (NoticeStateRecord.number <= budget - cost),
            )
        except UpdateError as exc:
            if conditional_failure(exc):
                return False
            raise
    item = NoticeStateRecord(f"grant#{order_id}", _NONE, label=grant, text=value, title=notice_key, at=now)
    if save_if(item, NoticeStateRecord.pk.does_not_exist()):
        return True
    if budget is not None:
        spent.update(actions=[NoticeStateRecord.number.add(-cost)])  # give the budget back
    return False


# ---- SES feedback


_feedback_batch: ContextVar[dict[tuple[str, str], NoticeStateRecord] | None] = ContextVar(
    "delaydesk_feedback_batch", default=None
)


@contextlib.contextmanager
def batched_feedback() -> Iterator[None]:
    """Keep the SES events recorded inside the block with ``once=False`` and write them when it
    ends, 25 per ``BatchWriteItem``. A failed write raises (the caller's whole batch is then
    retried: every write of it is idempotent); a block that raises writes nothing."""
    items: dict[tuple[str, str], NoticeStateRecord] = {}
    token = _feedback_batch.set(items)
    try:
        yield
    finally:
        _feedback_batch.reset(token)
    if items:
        with NoticeStateRecord.batch_write() as batch:
            for item in items.values():
                batch.save(item)


def record_feedback(order_id: str, notice_id: str, event: str, detail: str, at: datetime, *, once: bool = True) -> bool:
    """Record an SES event against its notice. ``once``: a conditional put, False if it was
    recorded before (a redelivery), for the events that are counted. Otherwise the event is
    written as it is (the same item again on a redelivery), batched inside ``batched_feedback``."""
    record = NoticeStateRecord(f"feedback#{order_id}", f"{notice_id}#{event}", label=event, text=detail, at=at)
    batch = _feedback_batch.get()
    if not once and batch is not None:
        batch[record.pk, record.sk] = record
        return True
    return save_if(record, NoticeStateRecord.sk.does_not_exist())


def feedback_of(order_id: str) -> list[NoticeStateRecord]:
    return list(NoticeStateRecord.query(f"feedback#{order_id}"))


# ---- engagement with the order page (issue 14: the effect report)


def record_page_visit(order_id: str, at: datetime) -> bool:
    """The order page was opened on ``at``'s UTC day; False if that day was recorded before (once
    per order and day)."""
    day = at.astimezone(UTC).strftime("%Y-%m-%d")
    record = NoticeStateRecord(f"engage#{order_id}", f"visit#{day}", label="visit", at=at)
    return save_if(record, NoticeStateRecord.sk.does_not_exist())


def record_choice(order_id: str, choice: str, at: datetime) -> bool:
    """A choice made on the order page; False if the order made it before (once per order and choice)."""
    record = NoticeStateRecord(f"engage#{order_id}", f"choice#{choice}", label=choice, at=at)
    return save_if(record, NoticeStateRecord.sk.does_not_exist())


def engagement_of(order_id: str) -> list[NoticeStateRecord]:
    """The order's page visits (``visit#<day>``) and choices (``choice#<name>``)."""
    return list(NoticeStateRecord.query(f"engage#{order_id}"))
