"""Merchants and the thresholds that apply to their orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from delaydesk.config import Settings
from delaydesk.events import Contract, Money
from delaydesk.policy import PolicyDefaults

SUPPORTED_LOCALES = ("zh-CN", "zh-TW", "en")


class Support(Contract):
    email: str | None = None
    phone: str | None = None
    url: str | None = None


class MerchantSettings(Contract):
    """Per-merchant overrides of the deployment's defaults (all optional)."""

    escalate_value: Money | None = None
    stall_hours: int | None = Field(default=None, ge=1, le=720)
    update_every_days: int | None = Field(default=None, ge=1, le=30)
    ship_delay_eta_days: tuple[int, int] = (3, 7)
    transit_delay_eta_days: tuple[int, int] = (2, 5)
    exception_eta_days: tuple[int, int] = (3, 10)
    order_page_url: str | None = None
    """Order page URL with ``{order_id}``; default: the deployment's OrderPageBaseUrl."""
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
            timers=PolicyDefaults(
                timezone=merchant.timezone if merchant else "UTC",
                domestic_auto_confirm_days=own.domestic_auto_confirm_days,
            ),
            refund_arrival_days=own.refund_arrival_days,
        )
