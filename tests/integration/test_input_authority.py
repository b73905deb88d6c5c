"""Authority, redelivery and conflicts, and privacy of the rejected record, through the template's
queues, HTTP API and functions in the embedded AWS (issue 11, items 1, 2 and 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from conftest import contract_event, paid, scan, shipped

from delaydesk import store
from delaydesk.core.origins import ORIGIN_ATTRIBUTE
from delaydesk.tracking import rejections
from delaydesk.tracking.webhooks import sign
from delaydesk_local.runtime import LocalAws

NOW = datetime(2020, 1, 22, 2, 0, tzinfo=UTC)


def _generic(local: LocalAws, event: dict[str, object], merchant: str, secret_of: str | None = None) -> int:
    body = json.dumps(event).encode()
    secret = local.webhook_secrets[f"generic/{secret_of or merchant}"]
    headers = {"x-delaydesk-merchant": merchant, **sign("generic", secret, body, int(NOW.timestamp()))}
    return int(local.http_request("POST", "/webhooks/generic", headers, body, now=NOW)["statusCode"])


def _scans(order_id: str) -> int:
    record = store.get_order(order_id)
    assert record is not None
    shipment = record.order().shipment
    return shipment.scans if shipment else 0


def test_each_source_speaks_only_for_what_it_may(local_aws: LocalAws) -> None:
    local_aws.set_webhook_secret("generic/m-other", "other-secret")
    for event in (
        paid("A-1", "2020-01-20T10:00:00+08:00"),
        shipped("A-1", "2020-01-20T18:00:00+08:00"),
        paid("B-1", "2020-01-20T10:00:00+08:00", merchant_id="m-other"),
        shipped("B-1", "2020-01-20T18:00:00+08:00", tracking_number="SF999"),
    ):
        local_aws.send("OrderEventsQueue", json.dumps(event))
    local_aws.drain()
    b_before = store.get_order("B-1")
    assert b_before is not None

    # m-teahouse's sender names m-other's order: queued (the order is not read at the edge), refused at ingest.
    assert _generic(local_aws, scan("B-1", "2020-01-21T08:00:00+08:00") | {"event_id": "g-1"}, "m-teahouse") == 202
    # Claiming to be m-other with m-teahouse's secret, or with no merchant at all: 401.
    assert _generic(local_aws, scan("B-1", "2020-01-21T08:00:00+08:00"), "m-other", secret_of="m-teahouse") == 401
    body = json.dumps(contract_event("tracking")).encode()
    no_merchant = sign("generic", local_aws.webhook_secrets["generic/m-teahouse"], body, int(NOW.timestamp()))
    assert local_aws.http_request("POST", "/webhooks/generic", no_merchant, body, now=NOW)["statusCode"] == 401
    # A body that says another merchant than its header: 400.
    other = scan("A-1", "2020-01-21T08:00:00+08:00") | {"merchant_id": "m-other"}
    assert _generic(local_aws, other, "m-teahouse") == 400
    # The generic source squats the id the order page will use for A-1's cancel: its own namespace.
    squat = scan("A-1", "2020-01-21T08:00:00+08:00") | {"event_id": "order-page-cancel-A-1"}
    assert _generic(local_aws, squat, "m-teahouse") == 202
    local_aws.drain()
    cancel = {"type": "cancel.requested", "event_id": "order-page-cancel-A-1", "at": "2020-01-21T09:00:00+08:00"}
    local_aws.send("OrderEventsQueue", json.dumps(cancel | {"order_id": "A-1"}), {ORIGIN_ATTRIBUTE: "order-page"})
    # The order page may only cancel; a vendor may only send scans.
    local_aws.send(
        "OrderEventsQueue",
        json.dumps(cancel | {"order_id": "B-1", "event_id": "p-2"}),
        {ORIGIN_ATTRIBUTE: "webhook:aftership"},
    )
    page_scan = scan("B-1", "2020-01-21T10:00:00+08:00") | {"event_id": "p-3"}
    local_aws.send("TrackingEventsQueue", json.dumps(page_scan), {ORIGIN_ATTRIBUTE: "order-page"})
    local_aws.send("TrackingEventsQueue", json.dumps(page_scan | {"event_id": "p-4"}), {ORIGIN_ATTRIBUTE: "nobody"})
    local_aws.drain()

    a1 = store.get_order("A-1")
    assert a1 is not None and a1.order().cancel_status == "requested" and _scans("A-1") == 1
    b_after = store.get_order("B-1")
    assert b_after is not None and b_after.version == b_before.version  # nobody moved m-other's order
    listed = {r.event_id: (r.category, r.errors[0]) for r in rejections.list_rejected()}
    assert listed == {
        "g-1": ("refused", "webhook:generic:m-teahouse speaks only for merchant m-teahouse's orders"),
        "p-2": ("refused", "webhook:aftership may send only tracking, not cancel.requested"),
        "p-3": (
            "refused",
            "order-page may send only additional_period.set, cancel.requested, delay.accepted, refund.requested,"
            " not tracking",
        ),
        "p-4": ("invalid", "origin: unknown origin 'nobody'"),
    }


def test_redelivery_changes_nothing_and_a_reused_id_is_a_listed_conflict(local_aws: LocalAws) -> None:
    order = paid("C-1", "2020-01-20T10:00:00+08:00", customer={"name": "王小明", "email": "xiaoming@example.cn"})
    local_aws.send("OrderEventsQueue", json.dumps(order))
    local_aws.send("OrderEventsQueue", json.dumps(shipped("C-1", "2020-01-20T18:00:00+08:00")))
    local_aws.drain()
    first = scan("C-1", "2020-01-21T08:00:00+08:00")
    for body in (first, first, first | {"status": "delivered"}, first | {"status": "delivered"}):
        local_aws.send("TrackingEventsQueue", json.dumps(body))
    # The same order again with another e-mail under the same id: a conflict, its record masked.
    changed = order | {"order": order["order"] | {"customer": {"name": "王小明", "email": "someone@else.cn"}}}
    local_aws.send("OrderEventsQueue", json.dumps(changed))
    local_aws.drain()

    record = store.get_order("C-1")
    assert record is not None
    c1 = record.order()
    assert c1.shipment is not None and c1.shipment.scans == 1 and c1.shipment.last_tag == "in_transit"
    assert c1.customer.email == "xiaoming@example.cn"
    conflicts = {r.event_id: r for r in rejections.list_rejected(rejections.Category.CONFLICT)}
    assert set(conflicts) == {first["event_id"], order["event_id"]}
    masked = conflicts[order["event_id"]]
    assert "someone@else.cn" not in masked.body and "王小明" not in masked.body and "s***@else.cn" in masked.body
    assert "with other content" in masked.errors[0]
    assert masked.expires_at is not None
    expires = datetime.fromtimestamp(masked.expires_at, tz=UTC)
    assert masked.last_seen_at + timedelta(days=29) < expires <= masked.last_seen_at + timedelta(days=30, seconds=1)


def test_an_id_reused_for_another_order_is_a_conflict_and_changes_neither(local_aws: LocalAws) -> None:
    """The contract: an ``event_id`` reused with other content is refused and listed, whichever order
    it names (the order's own record of its events could not see a reuse on another order)."""
    for event in (
        paid("D-1", "2020-01-20T10:00:00+08:00"),
        shipped("D-1", "2020-01-20T18:00:00+08:00"),
        paid("D-2", "2020-01-20T10:00:00+08:00"),
        shipped("D-2", "2020-01-20T18:00:00+08:00", tracking_number="SF222"),
    ):
        local_aws.send("OrderEventsQueue", json.dumps(event))
    local_aws.drain()
    first = scan("D-1", "2020-01-21T08:00:00+08:00") | {"event_id": "feed-7"}
    local_aws.send("TrackingEventsQueue", json.dumps(first))
    local_aws.drain()
    d2_before = store.get_order("D-2")
    assert d2_before is not None
    reused = scan("D-2", "2020-01-21T09:00:00+08:00", tracking_number="SF222") | {"event_id": "feed-7"}
    local_aws.send("TrackingEventsQueue", json.dumps(reused))
    local_aws.send("TrackingEventsQueue", json.dumps(first))  # and the first once more: a redelivery
    local_aws.drain()

    assert _scans("D-1") == 1
    d2_after = store.get_order("D-2")
    assert d2_after is not None and d2_after.version == d2_before.version and _scans("D-2") == 0
    conflicts = {r.event_id: r for r in rejections.list_rejected(rejections.Category.CONFLICT)}
    assert set(conflicts) == {"feed-7"}
