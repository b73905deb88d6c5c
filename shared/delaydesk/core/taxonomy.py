"""The tracking status taxonomy (DESIGN.md) and each vendor's mapping onto it (pure tables).

A normalised scan is a ``Tag`` (events.Tag: pending … expired) plus an optional sub-status from
``SubStatus``. Every status a vendor documents has an entry here (tests/unit/core/test_taxonomy.py
checks the tables against the documented lists in tests/events/vendor_statuses.json). A status
that is not in a table maps to ``UNMAPPED``: an in-transit scan with sub-status ``unmapped``. That
is the safe default: the scan is kept (it proves the parcel is tracked), it does not alarm the
customer, and the stall rules still apply. The caller logs it and counts it.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from delaydesk.core.events import Tag


class SubStatus(StrEnum):
    """Sub-statuses DelayDesk reasons about (the delay notices' ``reason`` and escalation)."""

    CUSTOMS_DELAY = "customs_delay"
    INCORRECT_ADDRESS = "incorrect_address"
    CUSTOMER_MOVED = "customer_moved"
    ADDRESSEE_NOT_AVAILABLE = "addressee_not_available"
    BUSINESS_CLOSED = "business_closed"
    REFUSED = "refused"
    LOST = "lost"
    DAMAGED = "damaged"
    RETURNING_TO_SENDER = "returning_to_sender"
    RETURNED_TO_SENDER = "returned_to_sender"
    EXTERNAL_FACTORS = "delayed_external_factors"
    WEATHER_DELAY = "weather_delay"
    HELD_FOR_PAYMENT = "held_for_payment"
    PICKUP_MISSED = "pickup_missed"
    REJECTED_BY_CARRIER = "rejected_by_carrier"
    CANCELLED = "cancelled"
    MISSORTED = "missorted"
    HELD_BY_CARRIER = "held_by_carrier"
    FAILED_ATTEMPT = "failed_attempt"
    EXCEPTION = "exception"
    TRACKING_ERROR = "tracking_error"
    PICKED_UP = "picked_up"
    """The carrier's collection or acceptance scan (揽收): the parcel is with the carrier, not yet moving."""
    UNMAPPED = "unmapped"


CUSTOMER_ACTION = frozenset({SubStatus.INCORRECT_ADDRESS, SubStatus.CUSTOMER_MOVED, SubStatus.HELD_FOR_PAYMENT})
"""Exceptions only the customer can resolve (a correct address, a payment): escalated at once."""


class Normalised(msgspec.Struct, frozen=True):
    tag: Tag
    sub_status: str | None = None
    mapped: bool = True


UNMAPPED = Normalised(Tag.IN_TRANSIT, SubStatus.UNMAPPED, mapped=False)

# ------------------------------------------------------------------ AfterShip
# https://www.aftership.com/docs/tracking/enum/delivery-statuses (the 9 tags) and
# https://www.aftership.com/docs/tracking/enum/delivery-sub-statuses (the subtags).

AFTERSHIP_TAGS: dict[str, Tag] = {
    "Pending": Tag.PENDING,
    "InfoReceived": Tag.INFO_RECEIVED,
    "InTransit": Tag.IN_TRANSIT,
    "OutForDelivery": Tag.OUT_FOR_DELIVERY,
    "AttemptFail": Tag.ATTEMPT_FAIL,
    "Delivered": Tag.DELIVERED,
    "AvailableForPickup": Tag.AVAILABLE_FOR_PICKUP,
    "Exception": Tag.EXCEPTION,
    "Expired": Tag.EXPIRED,
}

_S = SubStatus
AFTERSHIP_SUBTAGS: dict[str, Normalised] = {
    "Pending_001": Normalised(Tag.PENDING),
    "Pending_002": Normalised(Tag.PENDING),
    "Pending_003": Normalised(Tag.PENDING),
    "Pending_004": Normalised(Tag.PENDING),
    "Pending_005": Normalised(Tag.PENDING),
    "Pending_006": Normalised(Tag.PENDING),
    "InfoReceived_001": Normalised(Tag.INFO_RECEIVED),
    "InTransit_001": Normalised(Tag.IN_TRANSIT),
    "InTransit_002": Normalised(Tag.IN_TRANSIT, _S.PICKED_UP),  # acceptance scan
    "InTransit_003": Normalised(Tag.IN_TRANSIT),  # arrival scan
    "InTransit_004": Normalised(Tag.IN_TRANSIT),  # arrived at destination country
    "InTransit_005": Normalised(Tag.IN_TRANSIT),  # customs clearance completed
    "InTransit_006": Normalised(Tag.IN_TRANSIT),  # handed over to customs
    "InTransit_007": Normalised(Tag.IN_TRANSIT),  # departure scan
    "InTransit_008": Normalised(Tag.IN_TRANSIT),  # problem resolved
    "InTransit_009": Normalised(Tag.IN_TRANSIT),  # forwarded to a different address
    "OutForDelivery_001": Normalised(Tag.OUT_FOR_DELIVERY),
    "OutForDelivery_003": Normalised(Tag.OUT_FOR_DELIVERY),  # customer contacted
    "OutForDelivery_004": Normalised(Tag.OUT_FOR_DELIVERY),  # appointment scheduled
    "AttemptFail_001": Normalised(Tag.ATTEMPT_FAIL, _S.FAILED_ATTEMPT),
    "AttemptFail_002": Normalised(Tag.ATTEMPT_FAIL, _S.ADDRESSEE_NOT_AVAILABLE),
    "AttemptFail_003": Normalised(Tag.ATTEMPT_FAIL, _S.BUSINESS_CLOSED),
    "Delivered_001": Normalised(Tag.DELIVERED),
    "Delivered_002": Normalised(Tag.DELIVERED),  # picked up by the customer
    "Delivered_003": Normalised(Tag.DELIVERED),  # signed by the customer
    "Delivered_004": Normalised(Tag.DELIVERED),  # cash on delivery collected
    "Delivered_005": Normalised(Tag.DELIVERED),  # delivered to a neighbour (2026-07 API)
    "AvailableForPickup_001": Normalised(Tag.AVAILABLE_FOR_PICKUP),
    "Exception_001": Normalised(Tag.EXCEPTION, _S.EXCEPTION),
    "Exception_002": Normalised(Tag.EXCEPTION, _S.CUSTOMER_MOVED),
    "Exception_003": Normalised(Tag.EXCEPTION, _S.REFUSED),
    "Exception_004": Normalised(Tag.EXCEPTION, _S.CUSTOMS_DELAY),
    "Exception_005": Normalised(Tag.EXCEPTION, _S.EXTERNAL_FACTORS),
    "Exception_006": Normalised(Tag.EXCEPTION, _S.HELD_FOR_PAYMENT),
    "Exception_007": Normalised(Tag.EXCEPTION, _S.INCORRECT_ADDRESS),
    "Exception_008": Normalised(Tag.EXCEPTION, _S.PICKUP_MISSED),
    "Exception_009": Normalised(Tag.EXCEPTION, _S.REJECTED_BY_CARRIER),
    "Exception_010": Normalised(Tag.EXCEPTION, _S.RETURNING_TO_SENDER),
    "Exception_011": Normalised(Tag.EXCEPTION, _S.RETURNED_TO_SENDER),
    "Exception_012": Normalised(Tag.EXCEPTION, _S.DAMAGED),
    "Exception_013": Normalised(Tag.EXCEPTION, _S.LOST),
    "Expired_001": Normalised(Tag.EXPIRED),
}


def from_aftership(tag: str | None, subtag: str | None) -> Normalised:
    """AfterShip ``tag``/``subtag``: the subtag decides; an unknown subtag falls back to its tag."""
    if subtag and subtag in AFTERSHIP_SUBTAGS:
        return AFTERSHIP_SUBTAGS[subtag]
    if tag and tag in AFTERSHIP_TAGS:
        known = AFTERSHIP_TAGS[tag]
        generic = _S.EXCEPTION if known == Tag.EXCEPTION else None
        return Normalised(known, generic, mapped=not subtag)
    return UNMAPPED


# ------------------------------------------------------------------ EasyPost
# https://docs.easypost.com/docs/trackers: Tracker.status and Tracker.status_detail.

EASYPOST_STATUSES: dict[str, Normalised] = {
    "unknown": Normalised(Tag.PENDING),
    "pre_transit": Normalised(Tag.INFO_RECEIVED),
    "in_transit": Normalised(Tag.IN_TRANSIT),
    "out_for_delivery": Normalised(Tag.OUT_FOR_DELIVERY),
    "delivered": Normalised(Tag.DELIVERED),
    "available_for_pickup": Normalised(Tag.AVAILABLE_FOR_PICKUP),
    "return_to_sender": Normalised(Tag.EXCEPTION, _S.RETURNING_TO_SENDER),
    "failure": Normalised(Tag.EXCEPTION, _S.EXCEPTION),
    "cancelled": Normalised(Tag.EXCEPTION, _S.CANCELLED),
    # The tracker itself failed (carrier unreachable, bad code): no news about the parcel.
    "error": Normalised(Tag.PENDING, _S.TRACKING_ERROR),
}

EASYPOST_DETAILS: dict[str, SubStatus | None] = {
    "address_correction": _S.INCORRECT_ADDRESS,
    "arrived_at_destination": None,
    "arrived_at_facility": None,
    "arrived_at_pickup_location": None,
    "awaiting_information": None,
    "cancelled": _S.CANCELLED,
    "damaged": _S.DAMAGED,
    "delayed": _S.EXTERNAL_FACTORS,
    "delivery_exception": _S.EXCEPTION,
    "departed_facility": None,
    "departed_origin_facility": None,
    "expired": None,
    "failure": _S.EXCEPTION,
    "held": _S.HELD_BY_CARRIER,
    "in_transit": None,
    "label_created": None,
    "lost": _S.LOST,
    "missorted": _S.MISSORTED,
    "out_for_delivery": None,
    "received_at_destination_facility": None,
    "received_at_origin_facility": _S.PICKED_UP,
    "refused": _S.REFUSED,
    "return": _S.RETURNING_TO_SENDER,
    "status_update": None,
    "transferred_to_destination_carrier": None,
    "transit_exception": _S.EXCEPTION,
    "unknown": None,
    "weather_delay": _S.WEATHER_DELAY,
}

EASYPOST_EXCEPTION_DETAILS = frozenset({"lost", "damaged", "refused", "return"})
"""Details that are exceptions whatever the tracker's status says (a lost parcel is not in transit)."""


def from_easypost(status: str | None, status_detail: str | None) -> Normalised:
    """EasyPost ``status`` decides the tag; ``status_detail`` adds the sub-status."""
    base = EASYPOST_STATUSES.get(status or "")
    if base is None:
        return UNMAPPED
    detail_known = status_detail is None or status_detail in EASYPOST_DETAILS
    sub = EASYPOST_DETAILS.get(status_detail or "")
    tag = base.tag
    if status_detail in EASYPOST_EXCEPTION_DETAILS:
        tag = Tag.EXCEPTION
    return Normalised(tag, sub or base.sub_status, mapped=detail_known)


# ------------------------------------------------------------------ DelayDesk generic form

_SUB_ALIASES: dict[str, SubStatus] = {
    "customs": _S.CUSTOMS_DELAY,
    "address": _S.INCORRECT_ADDRESS,
    "address_error": _S.INCORRECT_ADDRESS,
    "not_home": _S.ADDRESSEE_NOT_AVAILABLE,
    "returning": _S.RETURNING_TO_SENDER,
    "returned": _S.RETURNED_TO_SENDER,
    "weather": _S.WEATHER_DELAY,
    "collected": _S.PICKED_UP,
    "揽收": _S.PICKED_UP,
    "extreme_weather": _S.WEATHER_DELAY,
    "external_factors": _S.EXTERNAL_FACTORS,
}


_SUB_VALUES = frozenset(s.value for s in SubStatus)


def from_generic(status: str | None, sub_status: str | None) -> Normalised:
    """The contract's own ``tracking`` form: ``status`` is already a tag; sub-statuses are checked."""
    try:
        tag = Tag(status or "")
    except ValueError:
        return UNMAPPED
    if sub_status is None:
        return Normalised(tag)
    if sub_status in _SUB_VALUES:
        return Normalised(tag, SubStatus(sub_status))
    if sub_status in _SUB_ALIASES:
        return Normalised(tag, _SUB_ALIASES[sub_status])
    # An unknown sub-status keeps the (valid) tag and is reported, never dropped.
    return Normalised(tag, sub_status, mapped=False)


# ------------------------------------------------------------------ the collection scan

COLLECTION_WORDS = ("揽收", "揽件", "收寄", "已收取", "picked up", "pickup scan", "accepted at", "acceptance scan")
"""Words of a collection scan in the carriers' own messages (顺丰速运已揽收, 中国邮政已收寄, "Picked up",
"Accepted at USPS Origin Facility"), for the sources that tag it as in transit without a sub-status."""

_BEFORE_TRANSIT = frozenset({Tag.PENDING, Tag.INFO_RECEIVED, Tag.IN_TRANSIT})


def is_collection_scan(tag: Tag, sub_status: str | None, message: str | None) -> bool:
    """Whether a scan is the carrier's collection (揽收 / picked up / acceptance), whatever its tag.

    A vendor's own pickup sub-status decides (AfterShip ``InTransit_002``, 17TRACK
    ``InTransit_PickedUp``, Shopify ``carrier_picked_up``, all ``picked_up`` here); a scan without a
    sub-status is a collection when its tag is not past transit and its message says so.
    """
    if tag not in _BEFORE_TRANSIT:
        return False
    if sub_status is not None:
        return sub_status == SubStatus.PICKED_UP
    text = (message or "").lower()
    return any(word in text for word in COLLECTION_WORDS)
