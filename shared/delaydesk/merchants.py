"""Merchants and the thresholds that apply to their orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from delaydesk.config import Settings
from delaydesk.eta import TransitStats
from delaydesk.events import Contract, Money
from delaydesk.notice_policy import NoticePolicy
from delaydesk.policy import PolicyDefaults

SUPPORTED_LOCALES = ("zh-CN", "zh-TW", "en")


class Support(Contract):
    email: str | None = None
    phone: str | None = None
    url: str | None = None


StallRule = Literal["stalled_after_pickup", "stalled_in_transit", "stalled_at_delivery"]


class StallThreshold(Contract):
    """Hours without a scan before a parcel counts as stalled, for some carriers and destinations.

    Empty fields match everything. The most specific threshold wins: carrier before region
    before country, then a rule-specific one before one for every rule.
    """

    hours: int = Field(ge=1, le=720)
    rule: StallRule | None = None
    carrier: str | None = Field(default=None, min_length=1)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")

    def matches(self, rule: str, carrier: str | None, country: str, region: str) -> bool:
        return (
            (self.rule is None or self.rule == rule)
            and (self.carrier is None or (carrier or "").strip().lower() == self.carrier.strip().lower())
            and (self.country is None or self.country == country)
            and (self.region is None or self.region == region)
        )

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool]:
        return (self.carrier is not None, self.region is not None, self.country is not None, self.rule is not None)


class MerchantSettings(Contract):
    """Per-merchant overrides of the deployment's defaults (all optional)."""

    escalate_value: Money | None = None
    """Orders worth at least this (same currency only) are escalated when delayed."""
    escalate_after_days: int | None = Field(default=None, ge=1, le=60)
    """A delay longer than this is escalated to a person (default 7 days)."""
    stall_hours: int | None = Field(default=None, ge=1, le=720)
    stall_thresholds: list[StallThreshold] = Field(default_factory=list, max_length=200)
    """Per carrier / destination / stall rule overrides of ``stall_hours`` (optional)."""
    update_every_days: int | None = Field(default=None, ge=1, le=30)
    ship_delay_eta_days: tuple[int, int] = (3, 7)
    transit_delay_eta_days: tuple[int, int] = (2, 5)
    exception_eta_days: tuple[int, int] = (3, 10)
    order_page_url: str | None = None
    """Order page URL with ``{order_id}``; default: the deployment's OrderPageBaseUrl."""
    notices: NoticePolicy = NoticePolicy()
    """Quiet hours, send rate, SMS sender id and compensation rules (notice_policy.py)."""

    @field_validator("stall_thresholds")
    @classmethod
    def _distinct_thresholds(cls, value: list[StallThreshold]) -> list[StallThreshold]:
        seen: set[tuple[str | None, ...]] = set()
        for threshold in value:
            key = (threshold.rule, (threshold.carrier or "").lower() or None, threshold.country, threshold.region)
            if key in seen:
                raise ValueError(f"two stall thresholds for the same scope {key}")
            seen.add(key)
        return value

    domestic_auto_confirm_days: int | None = Field(default=None, ge=1, le=60)
    """Auto-confirm receipt of domestic orders on this natural day after shipping (None: never)."""
    refund_arrival_days: tuple[int, int] = (1, 7)
    """When a refund reaches the customer, in days after it is approved (stated in the notice)."""


class Merchant(Contract):
    merchant_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    timezone: str = "UTC"
    default_locale: str = "en"
    from_email: str | None = None
    support: Support = Support()
    settings: MerchantSettings = MerchantSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"default_locale must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value


@dataclass(frozen=True)
class DelayPolicy:
    """The effective thresholds for one merchant's orders."""

    stall_after: timedelta
    update_every: timedelta
    ship_delay_eta_days: tuple[int, int]
    transit_delay_eta_days: tuple[int, int]
    exception_eta_days: tuple[int, int]
    escalate_value: Money | None = None
    escalate_after: timedelta = timedelta(days=7)
    stall_thresholds: tuple[StallThreshold, ...] = ()
    transit: TransitStats | None = None
    """Delivered transit times for the order at hand (set per order by the scan; eta.py)."""

    def stall_after_for(self, rule: str, carrier: str | None, country: str, region: str) -> timedelta:
        """The stall threshold for one parcel: the most specific matching override, else the default."""
        matching = [t for t in self.stall_thresholds if t.matches(rule, carrier, country, region)]
        if not matching:
            return self.stall_after
        return timedelta(hours=max(matching, key=lambda t: t.specificity).hours)

    timers: PolicyDefaults = field(default_factory=PolicyDefaults)
    refund_arrival_days: tuple[int, int] = (1, 7)

    @classmethod
    def for_merchant(cls, merchant: Merchant | None, settings: Settings) -> DelayPolicy:
        own = merchant.settings if merchant else MerchantSettings()
        return cls(
            stall_after=timedelta(hours=own.stall_hours or settings.stall_hours),
            update_every=timedelta(days=own.update_every_days or settings.update_every_days),
            ship_delay_eta_days=own.ship_delay_eta_days,
            transit_delay_eta_days=own.transit_delay_eta_days,
            exception_eta_days=own.exception_eta_days,
            escalate_value=own.escalate_value,
            escalate_after=timedelta(days=own.escalate_after_days or 7),
            stall_thresholds=tuple(own.stall_thresholds),
            timers=PolicyDefaults(
                timezone=merchant.timezone if merchant else "UTC",
                domestic_auto_confirm_days=own.domestic_auto_confirm_days,
            ),
            refund_arrival_days=own.refund_arrival_days,
        )
