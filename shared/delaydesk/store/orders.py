"""The orders table: an order's state, its audit trail, its outbox, the sparse due index and the
parcel index."""

from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, PynamoDBException, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from delaydesk.core.carriers import normalise as normalise_carrier
from delaydesk.store.base import ConcurrentUpdate, conditional_failure, recent_digests, register, remember_digest
from delaydesk.store.trail import IN_TABLE, NOTICE_DECISIONS, Trail, pack_trail, unpack_trail

if TYPE_CHECKING:
    from delaydesk.core.decisions import Decision
    from delaydesk.core.kinds import NoticeRequest
    from delaydesk.core.orders import Order

# The domain's records are imported where an order, decision or notice is decoded: the table's
# index reads (the scan's plan: ``oldest_due``) need none, and the handlers that decode orders have
# imported ``core.orders`` with their own modules already; only SesFeedback pays it here, on a
# bounce or complaint of an order the table holds (README, "Scale": cold start).


class DueIndex(GlobalSecondaryIndex["OrderRecord"]):
    """Sparse, write-sharded: only orders with a pending deadline carry both keys.

    Keys only: an index write costs one unit instead of the whole order's size again (twice when
    the due time moves), and the scan reads the orders themselves by key, consistently, a
    hundred per call (``due_orders``).
    """

    class Meta:
        index_name = "due-keys-index"
        projection = KeysOnlyProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    next_due_at = UTCDateTimeAttribute(range_key=True)


class ParcelIndex(GlobalSecondaryIndex["OrderRecord"]):
    """Orders by tracking number, with the carrier key (``carrier#number``) projected: a scan that
    names its carrier is matched on it (``order_id_for_parcel``), one that does not, or names
    another, by the number alone (``orders_with_number``). One index written at shipment, not two
    (an index entry's put is a write unit of its own:
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes)."""

    class Meta:
        index_name = "parcel-index"
        projection = IncludeProjection(["tracking_key"])

    parcel_number = UnicodeAttribute(hash_key=True)


class OrderRecord(Model):
    class Meta:
        table_name = "delaydesk-orders"
        region = "us-east-1"

    order_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    status = UnicodeAttribute()
    due_shard = UnicodeAttribute(null=True)
    next_due_at = UTCDateTimeAttribute(null=True)
    tracking_key = UnicodeAttribute(null=True)
    parcel_number = UnicodeAttribute(null=True)
    state = MapAttribute[str, Any](null=True)  # items written before the state was packed
    packed = BinaryAttribute(null=True, legacy_encoding=False)
    """The order's state as compressed JSON (``pack_order``): a format byte, then the JSON without
    its default values, deflated with a preset dictionary of the order's keys and common values
    (a lifecycle's order packs to 120-290 bytes, from 500-850 with plain zlib), so that the whole
    item stays under 1 KB and each of its writes costs one write unit. Items written before hold
    plain zlib (``unpack_order`` reads both)."""
    applied = BinaryAttribute(null=True, legacy_encoding=False)
    """The last ``APPLIED_KEPT`` input events applied to the order, newest last, 12 bytes each
    (``event_digest``): ingest's idempotency, checked and extended by the order's own versioned
    write (no separate idempotency record)."""
    pending_decisions = ListAttribute[str](null=True)  # items written before the outbox was packed
    outbox = ListAttribute[str](null=True)  # items written before the outbox was packed
    unflushed = BinaryAttribute(null=True, legacy_encoding=False)
    """The outbox of items written before the scan queued first: decisions not yet recorded and
    notice requests not yet queued, as one zlib-compressed JSON document. The scan no longer
    writes one (it queues and records before its commit); it empties one it finds."""
    trail = BinaryAttribute(null=True, legacy_encoding=False)
    """The order's audit trail (``store/trail.py``): the decisions its evaluations took, written by
    the same versioned commit as the state they changed, and the customer's consent to wait.
    Absent on items written before: their decisions are all in the Decisions table."""
    version = VersionAttribute()

    due_index = DueIndex()
    parcel_index = ParcelIndex()

    def order(self) -> Order:
        from delaydesk.core.orders import Order

        if self.packed is not None:
            return unpack_order(self.packed)
        return Order.model_validate(self.state.as_dict())

    def has_outbox(self) -> bool:
        return bool(self.unflushed or self.outbox or self.pending_decisions)

    def pack_state(self, order: Order) -> None:
        self.packed = pack_order(order)
        self.state = None

    def held_trail(self) -> Trail | None:
        """The trail this item holds; None on an item written before it held one."""
        return unpack_trail(self.order_id, self.trail) if self.trail is not None else None

    def trail_complete(self) -> bool:
        """Whether this item holds every decision of the order (none can be in the Decisions table)."""
        return self.trail is not None and not self.trail[1] & (IN_TABLE | NOTICE_DECISIONS)

    def trail_spilled(self) -> bool:
        """Whether some of the order's own decisions are in the Decisions table (``IN_TABLE``)."""
        return self.trail is None or bool(self.trail[1] & IN_TABLE)


register("orders_table", OrderRecord)


PACKED_V1 = b"\x01"
"""The first byte of ``pack_order``'s format 1. Plain zlib (items written before) starts with 0x78,
the deflate method byte of a 32 KB window, so the two never collide."""

ORDER_DICTIONARY_V1 = (
    b'{"refund_requested_at":"return_status":"cancel_status":"refund_status":"inquiries":[{"disputes":[{'
    b'"experiments":{"rating":"announced_windows":["window_id":"'
    b'"law":{"rules":"cn_platform","source":"destination","promised_at":"'
    b'"revised_ship_by":"option_sent_at":"cancel_at":"refund_due_at":"'
    b'"delay":{"kind":"in_transit_delayed","rule":"stalled_in_transit","reason":"late_shipment",'
    b'"started_at":"","stage":1,"next_update_at":"","eta_from":"2020-01-01","eta_to":"'
    b'"shipment":{"carrier":"","tracking_number":"","shipped_at":"","last_scan_at":"",'
    b'"last_tag":"in_transit","last_location":"","last_message":"","scans":1,"past_pickup":true},'
    b'"delays_resolved":1,"stages_used":1,"delivered_at":"","updated_at":"",'
    b'"timers":{"ship_by":{"at":"","default_at":""},"late_shipment":{"at":"","default_at":""}},'
    b'"timers_decided":["late_shipment"],'
    b'{"order_id":"","merchant_id":"","status":"paid","paid_at":"2020-01-01T00:00:00Z","ship_within_hours":48,'
    b'"channel":"domestic","value":{"amount":"","currency":"CNY"},'
    b'"customer":{"name":"","email":"","phone":"","locale":"zh-CN","timezone":"Asia/Shanghai"},'
    b'"destination":{"country":"CN","region":"CN-"},"items":[{"sku":"","name":"","quantity":1}],'
)
"""Format 1's preset dictionary (zlib ``zdict``): the order JSON's keys and frequent values, the
most frequent last (deflate reaches the end of the dictionary most cheaply). Never change it: a
new dictionary is a new format byte, and ``unpack_order`` keeps reading this one. The zlib header
names the dictionary by its Adler-32, so a stream is never inflated with the wrong one."""


def pack_order(order: Order) -> bytes:
    """The order as format 1: the JSON without the fields left at their defaults (they read back
    as the same defaults), deflated with ``ORDER_DICTIONARY_V1``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, ORDER_DICTIONARY_V1)
    document = order.model_dump_json(exclude_defaults=True).encode("utf-8")
    return PACKED_V1 + packer.compress(document) + packer.flush()


def unpack_order(packed: bytes) -> Order:
    """An order packed by ``pack_order`` (format 1) or, written before, as plain zlib JSON."""
    from delaydesk.core.orders import Order

    if packed[:1] == PACKED_V1:
        unpacker = zlib.decompressobj(zlib.MAX_WBITS, zdict=ORDER_DICTIONARY_V1)
        document = unpacker.decompress(packed[1:]) + unpacker.flush()
    else:
        document = zlib.decompress(packed)
    return Order.model_validate_json(document)


APPLIED_KEPT = 32
"""Input events remembered per order (``OrderRecord.applied``): a redelivery of any of the
order's last 32 events is recognised (384 bytes at most)."""

_KEY_BYTES, _CONTENT_BYTES = 8, 4


def event_digest(key: str, content: str) -> bytes:
    """12 bytes for an input event: 8 of its namespaced id, 4 of its content (to tell a reused id
    with other content from a redelivery)."""
    return (
        hashlib.blake2b(key.encode("utf-8"), digest_size=_KEY_BYTES).digest()
        + hashlib.blake2b(content.encode("utf-8"), digest_size=_CONTENT_BYTES).digest()
    )


def applied_before(record: OrderRecord | None, digest: bytes) -> bool | None:
    """Whether the order applied this event already: True (the same content: a redelivery),
    False (its id with other content: a conflict), None (not among its last ``APPLIED_KEPT``)."""
    for entry in recent_digests(record.applied if record is not None else None, _KEY_BYTES + _CONTENT_BYTES):
        if entry[:_KEY_BYTES] == digest[:_KEY_BYTES]:
            return entry == digest
    return None


def _remember(record: OrderRecord, digest: bytes) -> None:
    record.applied = remember_digest(record.applied, digest, APPLIED_KEPT)


def shard_for(order_id: str, shards: int) -> str:
    return str(zlib.crc32(order_id.encode("utf-8")) % shards)


def _set_due(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    record.status = order.status.value
    if due is None:
        record.due_shard = None
        record.next_due_at = None
    else:
        record.due_shard = shard_for(order.order_id, shards)
        record.next_due_at = due


def get_order(order_id: str) -> OrderRecord | None:
    try:
        return OrderRecord.get(order_id, consistent_read=True)
    except OrderRecord.DoesNotExist:
        return None


_PREFETCHED: list[dict[str, OrderRecord | None]] = []
"""The orders read by the batch in progress (``prefetched_orders``), each taken once."""


@contextlib.contextmanager
def prefetched_orders(order_ids: Iterable[str]) -> Iterator[None]:
    """Read the orders of a batch of events together (``BatchGetItem``, consistent, a hundred per
    call) when there are two or more; inside the block, ``read_order`` takes each from there once,
    and ``save_order`` puts back what it wrote, so the batch's next event for that order reads
    nothing. A read taken and not written back (the event failed) is read again if needed."""
    wanted = list(dict.fromkeys(order_ids))
    read: dict[str, OrderRecord | None] = {}
    if len(wanted) >= 2:
        try:
            found = orders_by_id(wanted)
            read = {order_id: found.get(order_id) for order_id in wanted}
        except PynamoDBException:
            read = {}  # each event reads its order on its own (and fails on its own if it must)
    _PREFETCHED.append(read)
    try:
        yield
    finally:
        _PREFETCHED.remove(read)


def read_order(order_id: str) -> OrderRecord | None:
    """The order as its batch read it (``prefetched_orders``; taken once), else one consistent read."""
    if _PREFETCHED and order_id in _PREFETCHED[-1]:
        return _PREFETCHED[-1].pop(order_id)
    return get_order(order_id)


def order_id_for_parcel(carrier: str, tracking_number: str) -> str | None:
    """The order shipped as ``tracking_number`` by ``carrier`` (one parcel-index query: the
    number's orders, filtered on the projected carrier key; no ``Limit``, which DynamoDB applies
    before the filter)."""
    key = _tracking_key(carrier, tracking_number)
    hits = OrderRecord.parcel_index.query(
        parcel_number(tracking_number), filter_condition=OrderRecord.tracking_key == key
    )
    for hit in hits:
        return hit.order_id
    return None


def orders_with_number(tracking_number: str, limit: int = 5) -> list[tuple[str, str]]:
    """(order id, carrier code) of up to ``limit`` orders shipped with ``tracking_number``, any carrier."""
    hits = OrderRecord.parcel_index.query(parcel_number(tracking_number), limit=limit)
    return [(hit.order_id, (hit.tracking_key or "#").split("#", 1)[0]) for hit in hits]


def parcel_number(tracking_number: str) -> str:
    """A tracking number as the indexes hold it: without spaces, upper case (carriers ignore case)."""
    return "".join(tracking_number.split()).upper()


def _tracking_key(carrier: str, tracking_number: str) -> str:
    return f"{normalise_carrier(carrier)}#{parcel_number(tracking_number)}"


def save_order(
    order: Order, record: OrderRecord | None, due: datetime | None, shards: int, event: bytes | None = None
) -> OrderRecord:
    """Create (if ``record`` is None) or update the order, conditional on its version; ``event``
    (an ``event_digest``) is remembered as applied in the same write."""
    if record is None:
        record = OrderRecord(order.order_id, merchant_id=order.merchant_id)
        record.trail = pack_trail(Trail())  # a new order: its whole trail will be held here
    if event is not None:
        _remember(record, event)
    record.pack_state(order)
    if order.shipment is not None:
        record.tracking_key = _tracking_key(order.shipment.carrier, order.shipment.tracking_number)
        record.parcel_number = parcel_number(order.shipment.tracking_number)
    _set_due(record, order, due, shards)
    _save(record, order.order_id)
    if _PREFETCHED:
        _PREFETCHED[-1][order.order_id] = record  # as written (its new version): the batch's next event reads nothing
    return record


ITEM_BYTES = 960
"""The size up to which an evaluation's decisions are held in the order item: under the 1,024
bytes of one write unit, with room for the events that may still come (12 bytes each in
``applied``) before the next evaluation."""


def item_bytes(record: OrderRecord) -> int:
    """The item's size as DynamoDB bills it: each attribute's name and value in bytes (binaries by
    their length, numbers as their digits; https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)."""
    size = 0
    for name, value in record.serialize().items():
        ((kind, data),) = value.items()
        if kind == "N" and name == OrderRecord.version.attr_name:
            data = str(int(data) + 1)  # as the commit writes it
        size += len(name.encode("utf-8")) + _value_bytes(kind, data)
    return size


def _value_bytes(kind: str, data: Any) -> int:
    if kind == "B":
        return len(data)
    if kind in ("S", "N"):
        return len(str(data).encode("utf-8"))
    if kind == "L":
        return 3 + sum(_value_bytes(k, v) + 1 for item in data for k, v in item.items())
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + _value_bytes(*next(iter(v.items()))) for k, v in data.items())
    return 1  # BOOL, NULL


def place_decisions(
    record: OrderRecord, order: Order, due: datetime | None, shards: int, decisions: list[Decision], flags: int = 0
) -> list[Decision]:
    """Prepare ``record`` for ``commit_evaluation``: the evaluated order packed, its next due time,
    and its decisions added to the trail the item holds, as one group, when the item stays within
    ``ITEM_BYTES``. Returns the decisions that did not fit: they are to be recorded in the Decisions
    table before the commit (``record_decisions``), and the trail says some are there.

    ``flags`` are added to the trail's (``NOTICE_DECISIONS`` when the evaluation queues a notice
    dispatch may record a decision for; ``IN_TABLE`` when decisions of an earlier outbox are put
    there). An item written before the trail was held in it starts one marked ``IN_TABLE``.
    """
    _prepare(record, order, due, shards)
    trail = record.held_trail() or Trail(flags=IN_TABLE)
    trail.flags |= flags
    new = [d for d in decisions if not trail.holds(d.decision_id)]
    if new:
        extended = Trail([*trail.groups, new], trail.flags)
        record.trail = pack_trail(extended)
        if item_bytes(record) <= ITEM_BYTES:
            return []
    spilled = new
    if spilled:
        trail.flags |= IN_TABLE
    record.trail = pack_trail(trail)
    return spilled


def commit_evaluation(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    """Write the evaluated order, conditional on its version: the evaluation's one write.

    The scan has queued its notices before, and placed its decisions (``place_decisions``): in
    the trail this write carries, or (those that did not fit) recorded in the Decisions table.
    The order is written once with its outbox empty and its next due time (an outbox left by an
    earlier version of the scan is emptied here: its contents went with this evaluation's).
    """
    _prepare(record, order, due, shards)
    _save(record, order.order_id)


def _prepare(record: OrderRecord, order: Order, due: datetime | None, shards: int) -> None:
    """The evaluated order packed in ``record``, its earlier outbox emptied, its next due time set."""
    record.pack_state(order)
    record.pending_decisions = None
    record.outbox = None
    record.unflushed = None
    _set_due(record, order, due, shards)


WAIT_ATTEMPTS = 3
"""Versioned writes ``add_decision`` tries (an event applied meanwhile makes it read again)."""


def add_decision(record: OrderRecord, decision: Decision) -> bool:
    """Record a decision taken outside an evaluation (the customer's consent to wait) in the order's
    trail, once: one conditional ``UpdateItem`` of the trail and the version only (the order's state
    is not rewritten); when it does not fit, in the Decisions table, the trail marked. False: it
    was recorded before (in the trail, or in the table when the trail says it holds some). A lost
    race reads the order again; ``ConcurrentUpdate`` after ``WAIT_ATTEMPTS``."""
    # Only the order page's wait reaches the Decisions table from here: the table's module is not
    # loaded by the paths that read orders only (tests/unit/test_handler_imports.py).
    from delaydesk.store.decisions import in_table, put_decision

    for _ in range(WAIT_ATTEMPTS):
        trail = record.held_trail() or Trail(flags=IN_TABLE)
        if trail.holds(decision.decision_id):
            return False
        if trail.flags & IN_TABLE and in_table(record.order_id, decision.decision_id):
            return False  # put there before (an order written before its trail, or one without room)
        packed = record.trail
        record.trail = pack_trail(Trail([*trail.groups, [decision]], trail.flags))
        recorded = item_bytes(record) <= ITEM_BYTES
        if not recorded:  # no room: in the Decisions table, the trail marked (once)
            recorded = put_decision(decision)
            if trail.flags & IN_TABLE:
                record.trail = packed
                return recorded
            trail.flags |= IN_TABLE
            record.trail = pack_trail(trail)
        version = record.version or 0
        try:
            # The table connection, not ``Model.update``, which asks for ALL_NEW: the order page's
            # role may update these attributes only, with nothing returned (template.yaml).
            OrderRecord._get_connection().update_item(
                record.order_id,
                actions=[OrderRecord.trail.set(record.trail), OrderRecord.version.set(version + 1)],
                condition=OrderRecord.version == version,
                return_values="NONE",
            )
            return recorded
        except UpdateError as exc:
            if not conditional_failure(exc):
                raise
        fresh = get_order(record.order_id)
        if fresh is None:
            raise ConcurrentUpdate(f"order {record.order_id} is gone")
        record = fresh
    raise ConcurrentUpdate(f"order {record.order_id} changed concurrently {WAIT_ATTEMPTS} times")


def pending(record: OrderRecord) -> tuple[list[Decision], list[NoticeRequest]]:
    """Decisions and notices an earlier version of the scan committed in the order's outbox but
    may not have recorded or queued (items written before the scan queued first)."""
    from delaydesk.core.decisions import Decision
    from delaydesk.core.kinds import NoticeRequest

    decisions = [Decision.model_validate_json(raw) for raw in record.pending_decisions or []]
    notices = [NoticeRequest.model_validate_json(raw) for raw in record.outbox or []]
    if record.unflushed:
        document = json.loads(zlib.decompress(record.unflushed))
        decisions += [Decision.model_validate(d) for d in document["decisions"]]
        notices += [NoticeRequest.model_validate(n) for n in document["notices"]]
    return decisions, notices


def _save(record: OrderRecord, order_id: str) -> None:
    try:
        record.save()
    except PutError as exc:
        if conditional_failure(exc):
            raise ConcurrentUpdate(f"order {order_id} changed concurrently") from exc
        raise


def due_orders(until: datetime, shards: int, page_size: int = 100) -> Iterator[OrderRecord]:
    """Orders whose next deadline is at or before ``until``: keys from the sparse index, then the
    orders themselves, a hundred per ``BatchGetItem`` (consistent reads: an order the index still
    lists but that is no longer due is skipped)."""
    keys: list[str] = []
    for shard in range(shards):
        for hit in OrderRecord.due_index.query(str(shard), OrderRecord.next_due_at <= until, page_size=page_size):
            keys.append(hit.order_id)
            if len(keys) == BATCH_GET:
                yield from _still_due(keys, until)
                keys = []
    yield from _still_due(keys, until)


BATCH_GET = 100
"""Keys per ``BatchGetItem`` (DynamoDB's limit)."""


def _by_keys(order_ids: list[str]) -> list[OrderRecord]:
    """The orders of ``order_ids`` that exist, in that order (consistent reads)."""
    found = orders_by_id(order_ids)
    return [found[i] for i in order_ids if i in found]


def orders_by_id(order_ids: Iterable[str]) -> dict[str, OrderRecord]:
    """The orders of ``order_ids`` that exist, by id: one ``BatchGetItem`` per hundred keys,
    consistent reads (as ``get_order``). Dispatch reads a queue batch's orders with it, ingest a
    batch of events' (``prefetched_orders``), the scan a page's due orders (``_by_keys``)."""
    unique = list(dict.fromkeys(order_ids))
    if not unique:
        return {}
    return {r.order_id: r for r in OrderRecord.batch_get(unique, consistent_read=True)}


def _still_due(order_ids: list[str], until: datetime) -> Iterator[OrderRecord]:
    for record in _by_keys(order_ids):
        if record.next_due_at is not None and record.next_due_at <= until:
            yield record


def due_page(
    shard: int, until: datetime, start_key: dict[str, Any] | None, limit: int
) -> tuple[list[OrderRecord], dict[str, Any] | None]:
    """One page (at most ``limit`` keys) of a shard's orders due at ``until``, read by key, and
    the key to continue from (None when the shard has no more due orders)."""
    result = OrderRecord.due_index.query(
        str(shard), OrderRecord.next_due_at <= until, limit=limit, last_evaluated_key=start_key, page_size=limit
    )
    order_ids = [hit.order_id for hit in result]
    records = [
        r
        for start in range(0, len(order_ids), BATCH_GET)
        for r in _still_due(order_ids[start : start + BATCH_GET], until)
    ]
    return records, result.last_evaluated_key


def oldest_due(until: datetime, shards: Iterable[int]) -> datetime | None:
    """The earliest ``next_due_at`` at or before ``until`` in ``shards`` (one item read per shard)."""
    firsts = (
        record.next_due_at
        for shard in shards
        for record in OrderRecord.due_index.query(str(shard), OrderRecord.next_due_at <= until, limit=1)
    )
    return min(firsts, default=None)


def all_orders() -> Iterator[OrderRecord]:
    return OrderRecord.scan()


def order_page(shard: str, start_key: dict[str, Any] | None, limit: int) -> tuple[list[OrderRecord], Any]:
    """One page of a due-index shard (recompute batches) and the key to continue from."""
    result = OrderRecord.due_index.query(shard, limit=limit, last_evaluated_key=start_key)
    order_ids = [hit.order_id for hit in result]
    records = [
        r for start in range(0, len(order_ids), BATCH_GET) for r in _by_keys(order_ids[start : start + BATCH_GET])
    ]
    return records, result.last_evaluated_key
