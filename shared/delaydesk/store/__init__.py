"""Data access: one module per table (a pynamodb model and functions named for each access pattern).

This package is the only place that knows keys and indexes. Every state change is a conditional write;
a lost race surfaces as ``ConcurrentUpdate``. It may call ``delaydesk.core`` only.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.store.alerts import ALERT_STATES as ALERT_STATES
    from delaydesk.store.alerts import AlertRecord as AlertRecord
    from delaydesk.store.alerts import alerts_of as alerts_of
    from delaydesk.store.alerts import all_alerts as all_alerts
    from delaydesk.store.alerts import get_alert as get_alert
    from delaydesk.store.alerts import mark_alert_delivered as mark_alert_delivered
    from delaydesk.store.alerts import open_alert as open_alert
    from delaydesk.store.alerts import resolve_alert as resolve_alert
    from delaydesk.store.alerts import set_alert_window as set_alert_window
    from delaydesk.store.audit import all_decisions as all_decisions
    from delaydesk.store.audit import decisions_for as decisions_for
    from delaydesk.store.base import ConcurrentUpdate as ConcurrentUpdate
    from delaydesk.store.base import bind as bind
    from delaydesk.store.counters import RequestCounterRecord as RequestCounterRecord
    from delaydesk.store.counters import take_request_slot as take_request_slot
    from delaydesk.store.decisions import DecisionRecord as DecisionRecord
    from delaydesk.store.decisions import put_decision as put_decision
    from delaydesk.store.decisions import record_decisions as record_decisions
    from delaydesk.store.digests import claim_digest as claim_digest
    from delaydesk.store.digests import digest_status as digest_status
    from delaydesk.store.digests import mark_digest_sent as mark_digest_sent
    from delaydesk.store.digests import release_digest as release_digest
    from delaydesk.store.escalations import EscalationRecord as EscalationRecord
    from delaydesk.store.escalations import close_escalation as close_escalation
    from delaydesk.store.escalations import list_escalations as list_escalations
    from delaydesk.store.escalations import mark_escalation_published as mark_escalation_published
    from delaydesk.store.escalations import open_escalation as open_escalation
    from delaydesk.store.event_keys import EventKeyRecord as EventKeyRecord
    from delaydesk.store.event_keys import claim_event_key as claim_event_key
    from delaydesk.store.event_keys import noted_together as noted_together
    from delaydesk.store.merchants import MerchantRecord as MerchantRecord
    from delaydesk.store.merchants import all_merchants as all_merchants
    from delaydesk.store.merchants import cached_merchant as cached_merchant
    from delaydesk.store.merchants import forget_cached_merchants as forget_cached_merchants
    from delaydesk.store.merchants import get_merchant as get_merchant
    from delaydesk.store.merchants import put_merchant as put_merchant
    from delaydesk.store.merchants import some_merchants as some_merchants
    from delaydesk.store.notice_log import InFlight as InFlight
    from delaydesk.store.notice_log import NoticeClaim as NoticeClaim
    from delaydesk.store.notice_log import NoticeRecord as NoticeRecord
    from delaydesk.store.notice_log import all_notices as all_notices
    from delaydesk.store.notice_log import claim_notice_key as claim_notice_key
    from delaydesk.store.notice_log import inbox_copies as inbox_copies
    from delaydesk.store.notice_log import notice_status as notice_status
    from delaydesk.store.notice_log import notices_for as notices_for
    from delaydesk.store.notice_log import record_outcome as record_outcome
    from delaydesk.store.notice_log import release_claim as release_claim
    from delaydesk.store.notice_state import NoticeStateRecord as NoticeStateRecord
    from delaydesk.store.notice_state import advance_slot_cursor as advance_slot_cursor
    from delaydesk.store.notice_state import all_suppressions as all_suppressions
    from delaydesk.store.notice_state import all_template_overrides as all_template_overrides
    from delaydesk.store.notice_state import batched_feedback as batched_feedback
    from delaydesk.store.notice_state import delete_template_override as delete_template_override
    from delaydesk.store.notice_state import engagement_of as engagement_of
    from delaydesk.store.notice_state import feedback_of as feedback_of
    from delaydesk.store.notice_state import grant_of as grant_of
    from delaydesk.store.notice_state import held_due as held_due
    from delaydesk.store.notice_state import hold_notice as hold_notice
    from delaydesk.store.notice_state import inbox_of as inbox_of
    from delaydesk.store.notice_state import lift_suppression as lift_suppression
    from delaydesk.store.notice_state import put_slotted as put_slotted
    from delaydesk.store.notice_state import put_template_override as put_template_override
    from delaydesk.store.notice_state import raise_slot_horizon as raise_slot_horizon
    from delaydesk.store.notice_state import record_choice as record_choice
    from delaydesk.store.notice_state import record_feedback as record_feedback
    from delaydesk.store.notice_state import record_grant as record_grant
    from delaydesk.store.notice_state import record_page_visit as record_page_visit
    from delaydesk.store.notice_state import release_held as release_held
    from delaydesk.store.notice_state import reserve_send_slot as reserve_send_slot
    from delaydesk.store.notice_state import slot_cursor as slot_cursor
    from delaydesk.store.notice_state import slotted_in as slotted_in
    from delaydesk.store.notice_state import suppress_address as suppress_address
    from delaydesk.store.notice_state import suppression_key as suppression_key
    from delaydesk.store.notice_state import suppression_of as suppression_of
    from delaydesk.store.notice_state import suppressions_of as suppressions_of
    from delaydesk.store.notice_state import template_overrides as template_overrides
    from delaydesk.store.orders import DueIndex as DueIndex
    from delaydesk.store.orders import OrderRecord as OrderRecord
    from delaydesk.store.orders import _set_due as _set_due
    from delaydesk.store.orders import add_decision as add_decision
    from delaydesk.store.orders import all_orders as all_orders
    from delaydesk.store.orders import applied_before as applied_before
    from delaydesk.store.orders import commit_evaluation as commit_evaluation
    from delaydesk.store.orders import due_orders as due_orders
    from delaydesk.store.orders import due_page as due_page
    from delaydesk.store.orders import event_digest as event_digest
    from delaydesk.store.orders import get_order as get_order
    from delaydesk.store.orders import oldest_due as oldest_due
    from delaydesk.store.orders import order_id_for_parcel as order_id_for_parcel
    from delaydesk.store.orders import order_page as order_page
    from delaydesk.store.orders import orders_by_id as orders_by_id
    from delaydesk.store.orders import orders_with_number as orders_with_number
    from delaydesk.store.orders import pending as pending
    from delaydesk.store.orders import place_decisions as place_decisions
    from delaydesk.store.orders import prefetched_orders as prefetched_orders
    from delaydesk.store.orders import read_order as read_order
    from delaydesk.store.orders import save_order as save_order
    from delaydesk.store.orders import shard_for as shard_for
    from delaydesk.store.rejected import RejectedRecord as RejectedRecord
    from delaydesk.store.short_links import ShortLink as ShortLink
    from delaydesk.store.short_links import ShortLinkRecord as ShortLinkRecord
    from delaydesk.store.short_links import put_short_link as put_short_link
    from delaydesk.store.short_links import short_link as short_link
    from delaydesk.store.stats import StatsRecord as StatsRecord
    from delaydesk.store.stats import add_counts as add_counts
    from delaydesk.store.stats import all_counter_rows as all_counter_rows
    from delaydesk.store.stats import batched_counts as batched_counts
    from delaydesk.store.stats import counter_rows as counter_rows
    from delaydesk.store.trail import IN_TABLE as IN_TABLE
    from delaydesk.store.trail import NOTICE_DECISIONS as NOTICE_DECISIONS
    from delaydesk.store.transit import TransitStatsRecord as TransitStatsRecord
    from delaydesk.store.transit import add_transit_sample as add_transit_sample
    from delaydesk.store.transit import get_transit_stats as get_transit_stats
    from delaydesk.store.windows import WindowRecord as WindowRecord
    from delaydesk.store.windows import all_windows as all_windows
    from delaydesk.store.windows import get_window as get_window
    from delaydesk.store.windows import put_window as put_window
    from delaydesk.store.windows import windows_for as windows_for
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "ALERT_STATES": "delaydesk.store.alerts:ALERT_STATES",
            "AlertRecord": "delaydesk.store.alerts:AlertRecord",
            "alerts_of": "delaydesk.store.alerts:alerts_of",
            "all_alerts": "delaydesk.store.alerts:all_alerts",
            "get_alert": "delaydesk.store.alerts:get_alert",
            "mark_alert_delivered": "delaydesk.store.alerts:mark_alert_delivered",
            "open_alert": "delaydesk.store.alerts:open_alert",
            "resolve_alert": "delaydesk.store.alerts:resolve_alert",
            "set_alert_window": "delaydesk.store.alerts:set_alert_window",
            "ConcurrentUpdate": "delaydesk.store.base:ConcurrentUpdate",
            "bind": "delaydesk.store.base:bind",
            "RequestCounterRecord": "delaydesk.store.counters:RequestCounterRecord",
            "take_request_slot": "delaydesk.store.counters:take_request_slot",
            "DecisionRecord": "delaydesk.store.decisions:DecisionRecord",
            "all_decisions": "delaydesk.store.audit:all_decisions",
            "decisions_for": "delaydesk.store.audit:decisions_for",
            "put_decision": "delaydesk.store.decisions:put_decision",
            "record_decisions": "delaydesk.store.decisions:record_decisions",
            "claim_digest": "delaydesk.store.digests:claim_digest",
            "digest_status": "delaydesk.store.digests:digest_status",
            "mark_digest_sent": "delaydesk.store.digests:mark_digest_sent",
            "release_digest": "delaydesk.store.digests:release_digest",
            "EscalationRecord": "delaydesk.store.escalations:EscalationRecord",
            "close_escalation": "delaydesk.store.escalations:close_escalation",
            "list_escalations": "delaydesk.store.escalations:list_escalations",
            "mark_escalation_published": "delaydesk.store.escalations:mark_escalation_published",
            "open_escalation": "delaydesk.store.escalations:open_escalation",
            "MerchantRecord": "delaydesk.store.merchants:MerchantRecord",
            "all_merchants": "delaydesk.store.merchants:all_merchants",
            "cached_merchant": "delaydesk.store.merchants:cached_merchant",
            "forget_cached_merchants": "delaydesk.store.merchants:forget_cached_merchants",
            "get_merchant": "delaydesk.store.merchants:get_merchant",
            "put_merchant": "delaydesk.store.merchants:put_merchant",
            "some_merchants": "delaydesk.store.merchants:some_merchants",
            "InFlight": "delaydesk.store.notice_log:InFlight",
            "NoticeClaim": "delaydesk.store.notice_log:NoticeClaim",
            "NoticeRecord": "delaydesk.store.notice_log:NoticeRecord",
            "all_notices": "delaydesk.store.notice_log:all_notices",
            "claim_notice_key": "delaydesk.store.notice_log:claim_notice_key",
            "notice_status": "delaydesk.store.notice_log:notice_status",
            "notices_for": "delaydesk.store.notice_log:notices_for",
            "record_outcome": "delaydesk.store.notice_log:record_outcome",
            "release_claim": "delaydesk.store.notice_log:release_claim",
            "NoticeStateRecord": "delaydesk.store.notice_state:NoticeStateRecord",
            "all_suppressions": "delaydesk.store.notice_state:all_suppressions",
            "all_template_overrides": "delaydesk.store.notice_state:all_template_overrides",
            "delete_template_override": "delaydesk.store.notice_state:delete_template_override",
            "feedback_of": "delaydesk.store.notice_state:feedback_of",
            "grant_of": "delaydesk.store.notice_state:grant_of",
            "held_due": "delaydesk.store.notice_state:held_due",
            "hold_notice": "delaydesk.store.notice_state:hold_notice",
            "inbox_of": "delaydesk.store.notice_state:inbox_of",
            "lift_suppression": "delaydesk.store.notice_state:lift_suppression",
            "put_template_override": "delaydesk.store.notice_state:put_template_override",
            "record_feedback": "delaydesk.store.notice_state:record_feedback",
            "record_grant": "delaydesk.store.notice_state:record_grant",
            "release_held": "delaydesk.store.notice_state:release_held",
            "reserve_send_slot": "delaydesk.store.notice_state:reserve_send_slot",
            "suppress_address": "delaydesk.store.notice_state:suppress_address",
            "suppression_key": "delaydesk.store.notice_state:suppression_key",
            "suppression_of": "delaydesk.store.notice_state:suppression_of",
            "suppressions_of": "delaydesk.store.notice_state:suppressions_of",
            "template_overrides": "delaydesk.store.notice_state:template_overrides",
            "DueIndex": "delaydesk.store.orders:DueIndex",
            "IN_TABLE": "delaydesk.store.trail:IN_TABLE",
            "NOTICE_DECISIONS": "delaydesk.store.trail:NOTICE_DECISIONS",
            "OrderRecord": "delaydesk.store.orders:OrderRecord",
            "_set_due": "delaydesk.store.orders:_set_due",
            "all_orders": "delaydesk.store.orders:all_orders",
            "add_decision": "delaydesk.store.orders:add_decision",
            "commit_evaluation": "delaydesk.store.orders:commit_evaluation",
            "due_orders": "delaydesk.store.orders:due_orders",
            "due_page": "delaydesk.store.orders:due_page",
            "get_order": "delaydesk.store.orders:get_order",
            "prefetched_orders": "delaydesk.store.orders:prefetched_orders",
            "read_order": "delaydesk.store.orders:read_order",
            "orders_by_id": "delaydesk.store.orders:orders_by_id",
            "oldest_due": "delaydesk.store.orders:oldest_due",
            "order_id_for_parcel": "delaydesk.store.orders:order_id_for_parcel",
            "order_page": "delaydesk.store.orders:order_page",
            "orders_with_number": "delaydesk.store.orders:orders_with_number",
            "pending": "delaydesk.store.orders:pending",
            "place_decisions": "delaydesk.store.orders:place_decisions",
            "save_order": "delaydesk.store.orders:save_order",
            "shard_for": "delaydesk.store.orders:shard_for",
            "RejectedRecord": "delaydesk.store.rejected:RejectedRecord",
            "ShortLink": "delaydesk.store.short_links:ShortLink",
            "ShortLinkRecord": "delaydesk.store.short_links:ShortLinkRecord",
            "put_short_link": "delaydesk.store.short_links:put_short_link",
            "short_link": "delaydesk.store.short_links:short_link",
            "StatsRecord": "delaydesk.store.stats:StatsRecord",
            "add_counts": "delaydesk.store.stats:add_counts",
            "all_counter_rows": "delaydesk.store.stats:all_counter_rows",
            "counter_rows": "delaydesk.store.stats:counter_rows",
            "TransitStatsRecord": "delaydesk.store.transit:TransitStatsRecord",
            "add_transit_sample": "delaydesk.store.transit:add_transit_sample",
            "get_transit_stats": "delaydesk.store.transit:get_transit_stats",
            "WindowRecord": "delaydesk.store.windows:WindowRecord",
            "all_windows": "delaydesk.store.windows:all_windows",
            "get_window": "delaydesk.store.windows:get_window",
            "put_window": "delaydesk.store.windows:put_window",
            "windows_for": "delaydesk.store.windows:windows_for",
            "engagement_of": "delaydesk.store.notice_state:engagement_of",
            "record_choice": "delaydesk.store.notice_state:record_choice",
            "record_page_visit": "delaydesk.store.notice_state:record_page_visit",
            "advance_slot_cursor": "delaydesk.store.notice_state:advance_slot_cursor",
            "put_slotted": "delaydesk.store.notice_state:put_slotted",
            "raise_slot_horizon": "delaydesk.store.notice_state:raise_slot_horizon",
            "slot_cursor": "delaydesk.store.notice_state:slot_cursor",
            "slotted_in": "delaydesk.store.notice_state:slotted_in",
            "EventKeyRecord": "delaydesk.store.event_keys:EventKeyRecord",
            "claim_event_key": "delaydesk.store.event_keys:claim_event_key",
            "noted_together": "delaydesk.store.event_keys:noted_together",
            "inbox_copies": "delaydesk.store.notice_log:inbox_copies",
            "batched_feedback": "delaydesk.store.notice_state:batched_feedback",
            "applied_before": "delaydesk.store.orders:applied_before",
            "event_digest": "delaydesk.store.orders:event_digest",
            "batched_counts": "delaydesk.store.stats:batched_counts",
        },
    )
