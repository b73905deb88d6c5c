"""17TRACK tracking API v2.2 push (webhook) → one contract ``tracking`` event (pure).

Signature (17TRACK API docs, "Webhook" → "Security"; see tests/events/SOURCES.md): header ``sign``
is the lowercase hex SHA-256 of the raw body, a slash and the account's security key:
``sha256(body + "/" + key)``. It is a keyed hash, not an HMAC, and it covers no timestamp: a
replayed push carries the same scan and the same event id, which ingest applies once, and an
older scan never overwrites a newer one. So there is no freshness window for this source.

Payload: ``{"event": "TRACKING_UPDATED", "data": {"number", "carrier" (numeric key),
"track_info": {"latest_status": {"status", "sub_status"}, "latest_event": {"time_iso",
"time_utc", "description", "location"}, "time_metrics": {"estimated_delivery_date"}, "tracking":
{"providers": [{"provider": {"key", "name"}}]}}}}``. The status and sub-status lists are 17TRACK's
"Status" and "Sub-status" tables; every documented value has an entry below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from delaydesk.core.carriers import SEVENTEEN_TRACK, from_seventeen_track, normalise
from delaydesk.core.events import Tag
from delaydesk.core.taxonomy import UNMAPPED, Normalised, SubStatus
from delaydesk.core.times import iso
from delaydesk.tracking.webhook_errors import Malformed
from delaydesk.tracking.webhook_errors import as_object as _obj
from delaydesk.tracking.webhook_errors import optional_instant as _instant

HEADER = "sign"
EVENTS = ("TRACKING_UPDATED",)

_S = SubStatus
STATUSES: dict[str, Tag] = {
    "NotFound": Tag.PENDING,
    "InfoReceived": Tag.INFO_RECEIVED,
    "InTransit": Tag.IN_TRANSIT,
    "Expired": Tag.EXPIRED,
    "AvailableForPickup": Tag.AVAILABLE_FOR_PICKUP,
    "OutForDelivery": Tag.OUT_FOR_DELIVERY,
    "DeliveryFailure": Tag.ATTEMPT_FAIL,
    "Delivered": Tag.DELIVERED,
    "Exception": Tag.EXCEPTION,
}

SUB_STATUSES: dict[str, Normalised] = {
    "NotFound_Other": Normalised(Tag.PENDING),
    "NotFound_InvalidCode": Normalised(Tag.PENDING, _S.TRACKING_ERROR),
    "InfoReceived": Normalised(Tag.INFO_RECEIVED),
    "InTransit_PickedUp": Normalised(Tag.IN_TRANSIT, _S.PICKED_UP),
    "InTransit_Other": Normalised(Tag.IN_TRANSIT),
    "InTransit_Departure": Normalised(Tag.IN_TRANSIT),
    "InTransit_Arrival": Normalised(Tag.IN_TRANSIT),
    "InTransit_CustomsProcessing": Normalised(Tag.IN_TRANSIT),
    "InTransit_CustomsReleased": Normalised(Tag.IN_TRANSIT),
    # The carrier needs documents to clear customs: the parcel waits for someone to act.
    "InTransit_CustomsRequiringInformation": Normalised(Tag.EXCEPTION, _S.CUSTOMS_DELAY),
    "Expired_Other": Normalised(Tag.EXPIRED),
    "AvailableForPickup_Other": Normalised(Tag.AVAILABLE_FOR_PICKUP),
    "OutForDelivery_Other": Normalised(Tag.OUT_FOR_DELIVERY),
    "DeliveryFailure_Other": Normalised(Tag.ATTEMPT_FAIL, _S.FAILED_ATTEMPT),
    "DeliveryFailure_NoBody": Normalised(Tag.ATTEMPT_FAIL, _S.ADDRESSEE_NOT_AVAILABLE),
    "DeliveryFailure_Security": Normalised(Tag.ATTEMPT_FAIL, _S.HELD_BY_CARRIER),
    "DeliveryFailure_Rejected": Normalised(Tag.ATTEMPT_FAIL, _S.REFUSED),
    "DeliveryFailure_InvalidAddress": Normalised(Tag.ATTEMPT_FAIL, _S.INCORRECT_ADDRESS),
    "Delivered_Other": Normalised(Tag.DELIVERED),
    "Exception_Other": Normalised(Tag.EXCEPTION, _S.EXCEPTION),
    "Exception_Returning": Normalised(Tag.EXCEPTION, _S.RETURNING_TO_SENDER),
    "Exception_Returned": Normalised(Tag.EXCEPTION, _S.RETURNED_TO_SENDER),
    "Exception_NoBody": Normalised(Tag.EXCEPTION, _S.ADDRESSEE_NOT_AVAILABLE),
    "Exception_Security": Normalised(Tag.EXCEPTION, _S.HELD_BY_CARRIER),
    "Exception_Damage": Normalised(Tag.EXCEPTION, _S.DAMAGED),
    "Exception_Rejected": Normalised(Tag.EXCEPTION, _S.REFUSED),
    "Exception_Delayed": Normalised(Tag.EXCEPTION, _S.EXTERNAL_FACTORS),
    "Exception_Lost": Normalised(Tag.EXCEPTION, _S.LOST),
    "Exception_Destroyed": Normalised(Tag.EXCEPTION, _S.DAMAGED),
    "Exception_Cancel": Normalised(Tag.EXCEPTION, _S.CANCELLED),
}


def normalise_status(status: str | None, sub_status: str | None) -> Normalised:
    """17TRACK ``status``/``sub_status``: the sub-status decides; an unknown one falls back to its status."""
    if sub_status and sub_status in SUB_STATUSES:
        return SUB_STATUSES[sub_status]
    if status and status in STATUSES:
        tag = STATUSES[status]
        return Normalised(tag, _S.EXCEPTION if tag == Tag.EXCEPTION else None, mapped=not sub_status)
    return UNMAPPED


def sign(key: str, body: bytes) -> dict[str, str]:
    """The header 17TRACK adds to a push signed with the account's security ``key``."""
    return {HEADER: hashlib.sha256(body + b"/" + key.encode("utf-8")).hexdigest()}


def _carrier(data: Mapping[str, Any], track: Mapping[str, Any]) -> str | None:
    """The carrier tracking the parcel now: the provider 17TRACK read, else the number's carrier key."""
    providers = (track.get("tracking") or {}).get("providers") or []
    first = providers[0].get("provider") if providers and isinstance(providers[0], dict) else None
    if isinstance(first, dict):
        key = first.get("key")
        if isinstance(key, int) and key in SEVENTEEN_TRACK:
            return SEVENTEEN_TRACK[key]
        if isinstance(first.get("name"), str) and first["name"]:
            return normalise(first["name"])
    key = data.get("carrier")
    return from_seventeen_track(key) if isinstance(key, int | str) and str(key) else None


def adapt(payload: Mapping[str, Any], now: datetime) -> tuple[dict[str, Any], Normalised, str]:
    """A verified ``TRACKING_UPDATED`` push → (contract event, normalised status, vendor status)."""
    if payload.get("event") not in EVENTS:
        raise Malformed(f"17track event {payload.get('event')!r} is not a scan ({', '.join(EVENTS)})")
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("number"), str) or not data["number"].strip():
        raise Malformed("17track data needs number")
    track = _obj(data.get("track_info"))
    latest = _obj(track.get("latest_status"))
    last = _obj(track.get("latest_event"))
    status, sub_status = latest.get("status"), latest.get("sub_status")
    # A push without any scan (NotFound) happened when it arrived.
    at = _instant(last.get("time_utc")) or _instant(last.get("time_iso")) or now
    metrics = _obj(track.get("time_metrics"))
    edd = _obj(metrics.get("estimated_delivery_date"))
    estimate = _instant(edd.get("to")) or _instant(edd.get("from"))
    event = {
        "type": "tracking",
        "event_id": f"17track-{data['number'].strip()}-{iso(at)}-{sub_status or status}",
        "at": iso(at),
        "carrier": _carrier(data, track),
        "tracking_number": data["number"].strip(),
        "location": last.get("location") or None,
        "message": last.get("description") or None,
        "estimated_delivery": iso(estimate) if estimate else None,
    }
    return event, normalise_status(status, sub_status), f"{status}/{sub_status}"
