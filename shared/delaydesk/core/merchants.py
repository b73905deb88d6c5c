"""Merchants and the thresholds that apply to their orders (pure).

A merchant's stored settings, with the parts other wings read: the notice policy (quiet hours,
send rate, compensation rules; decided on in ``notices``) and the timer defaults (``policy``).
They live here because the store persists them and the store may only call core.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from delaydesk.core.carriers import normalise as normalise_carrier
from delaydesk.core.config import Settings
from delaydesk.core.events import Contract, Money
from delaydesk.core.experiments import MAX_EXPERIMENTS, Experiment, distinct
from delaydesk.core.fields import above_zero, at_least_zero
from delaydesk.core.record import Check, Meta, field
from delaydesk.core.transit import TransitStats
from delaydesk.core.windows import WindowRules

SUPPORTED_LOCALES = ("zh-CN", "zh-TW", "en")
ORIGIN = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}(?::\d{1,5})?|http://(?:localhost|127\.0\.0\.1)(?::\d{1,5})?"
)


DEFAULT_REFUND_CONFIRM_DAYS = 5
DEFAULT_RETURN_RECEIPT_DAYS = 10
DEFAULT_RETURN_WINDOW_DAYS = 7
DEFAULT_CROSS_BORDER_AUTO_CONFIRM_DAYS = 11


class PolicyDefaults(msgspec.Struct, frozen=True):
    """The merchant's defaults (settings override the platform's)."""

    timezone: str = "UTC"
    refund_confirm_days: int = DEFAULT_REFUND_CONFIRM_DAYS
    return_receipt_days: int = DEFAULT_RETURN_RECEIPT_DAYS
    return_window_days: int = DEFAULT_RETURN_WINDOW_DAYS
    cross_border_auto_confirm_days: int = DEFAULT_CROSS_BORDER_AUTO_CONFIRM_DAYS
    domestic_auto_confirm_days: int | None = None
    """Domestic orders are auto-confirmed only when the merchant sets this."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CompensationRule(Contract):
    grant: Literal["coupon", "points"]
    value: Annotated[Decimal, Check(above_zero)]
    """Coupon amount in the order's currency, or the number of points."""
    min_delay_days: Annotated[int, Meta(ge=0)] = 0
    min_order_value: Annotated[Decimal, Check(at_least_zero)] = Decimal(0)
    causes: list[str] = field(default_factory=list)
    """Delay rules or reason codes this rule applies to (``ship_by``, ``customs_delay``…); empty: any."""


class CompensationPolicy(Contract):
    rules: list[CompensationRule] = field(default_factory=list)
    budget: Annotated[Decimal, Check(at_least_zero)] | None = None
    """Total coupon value (order currency) plus points/100 granted per window; None: no cap."""
    budget_window_days: Annotated[int, Meta(ge=1, le=366)] = 30


class NoticePolicy(Contract):
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    """SMS are not sent between these local times of the customer (held until ``quiet_end``)."""
    quiet_hours_urgent: bool = False
    """Whether urgent notices (delivery exceptions, which ask the customer to act) are held too."""
    max_send_rate: Annotated[float, Meta(gt=0, le=10_000)] | None = None
    """E-mails per second for this merchant (set it to the SES sending quota); None: no limit."""
    bulk_share: Annotated[float, Meta(gt=0, le=1)] = 0.8
    """The share of ``max_send_rate`` that bulk kinds (disruption announcements) may use; the rest
    is kept for transactional notices while an announcement drains. 1: no share kept."""
    sms_sender_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9]{1,11}$")] | None = None
    compensation: CompensationPolicy = field(default_factory=CompensationPolicy)


class Support(Contract):
    email: str | None = None
    phone: str | None = None
    url: str | None = None


RobotKind = Literal["wecom", "dingtalk", "feishu", "slack"]


class AlertRobot(Contract):
    """A chat robot that receives the merchant's early-warning alerts (operations/robots.py).

    The webhook URL (it carries the robot's key or token) and the signing secret are names of
    SSM Parameter Store SecureString parameters, never the values themselves.
    """

    kind: RobotKind
    url_parameter: Annotated[str, Meta(pattern=r"^/[A-Za-z0-9_.\-/]{1,1000}$")]
    secret_parameter: Annotated[str, Meta(pattern=r"^/[A-Za-z0-9_.\-/]{1,1000}$")] | None = None
    """DingTalk's "加签" secret (SEC…) or Feishu's signature key; None: the robot is not signed."""


StallRule = Literal["stalled_after_pickup", "stalled_in_transit", "stalled_at_delivery"]


class StallThreshold(Contract):
    """Hours without a scan before a parcel counts as stalled, for some carriers and destinations.

    Empty fields match everything. The most specific threshold wins: carrier before region
    before country, then a rule-specific one before one for every rule.
    """

    hours: Annotated[int, Meta(ge=1, le=720)]
    rule: StallRule | None = None
    carrier: Annotated[str, Meta(min_length=1)] | None = None
    country: Annotated[str, Meta(pattern=r"^[A-Z]{2}$")] | None = None
    region: Annotated[str, Meta(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")] | None = None

    def matches(self, rule: str, carrier: str | None, country: str, region: str) -> bool:
        return (
            (self.rule is None or self.rule == rule)
            and (self.carrier is None or normalise_carrier(carrier or "") == normalise_carrier(self.carrier))
            and (self.country is None or self.country == country)
            and (self.region is None or self.region == region)
        )

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool]:
        return (self.carrier is not None, self.region is not None, self.country is not None, self.rule is not None)


def _origins(value: list[str]) -> list[str]:
    for origin in value:
        if not ORIGIN.fullmatch(origin):
            raise ValueError(f"{origin!r} is not an origin (https://host[:port], no path; http for localhost only)")
    return value


def _distinct_thresholds(value: list[StallThreshold]) -> list[StallThreshold]:
    seen: set[tuple[str | None, ...]] = set()
    for threshold in value:
        carrier = normalise_carrier(threshold.carrier) if threshold.carrier else None
        key = (threshold.rule, carrier, threshold.country, threshold.region)
        if key in seen:
            raise ValueError(f"two stall thresholds for the same scope {key}")
        seen.add(key)
    return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value[:64]!r} is not an IANA time zone") from None
    return value


def _supported_locale(value: str) -> str:
    if value not in SUPPORTED_LOCALES:
        raise ValueError(f"default_locale must be one of {', '.join(SUPPORTED_LOCALES)}")
    return value


class MerchantSettings(Contract):
    """Per-merchant overrides of the deployment's defaults (all optional)."""

    escalate_value: Money | None = None
    """Orders worth at least this (same currency only) are escalated when delayed."""
    escalate_after_days: Annotated[int, Meta(ge=1, le=60)] | None = None
    """A delay longer than this is escalated to a person (default 7 days)."""
    stall_hours: Annotated[int, Meta(ge=1, le=720)] | None = None
    stall_thresholds: Annotated[list[StallThreshold], Meta(max_length=200), Check(_distinct_thresholds)] = field(
        default_factory=list
    )
    """Per carrier / destination / stall rule overrides of ``stall_hours`` (optional)."""
    update_every_days: Annotated[int, Meta(ge=1, le=30)] | None = None
    ship_delay_eta_days: tuple[int, int] = (3, 7)
    transit_delay_eta_days: tuple[int, int] = (2, 5)
    exception_eta_days: tuple[int, int] = (3, 10)
    order_page_url: str | None = None
    """Order page URL with ``{order_id}``; default: the deployment's OrderPageBaseUrl."""
    notices: NoticePolicy = field(default_factory=NoticePolicy)
    """Quiet hours, send rate, SMS sender id and compensation rules (notice_policy.py)."""
    storefront_origins: Annotated[list[str], Meta(max_length=20), Check(_origins)] = field(default_factory=list)
    """The shop's own origins (``https://shop.example``): the only sites whose pages may read the
    storefront banner through CORS (customer/banner.py). Empty: the banner script works on no site."""

    alert_robots: Annotated[list[AlertRobot], Meta(max_length=20)] = field(default_factory=list)
    """Chat robots that receive the early-warning alerts (operations/robots.py)."""
    ops_email: Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    """The operations team's address: the daily digest goes there (None: no digest is mailed)."""
    digest_hour: Annotated[int, Meta(ge=0, le=23)] = 8
    """The local hour (the merchant's timezone) at which the previous day's digest is sent."""
    track_engagement: bool = False
    """Count e-mail opens and clicks (SES events) in the effect report; only with the customers'
    consent to tracking (issue 14). Default: not counted."""
    disruption_rules: WindowRules | None = None
    """The rules of the disruption window an early-warning alert proposes (None: the default,
    ``operations.early_warning.DEFAULT_DISRUPTION_RULES``)."""

    domestic_auto_confirm_days: Annotated[int, Meta(ge=1, le=60)] | None = None
    """Auto-confirm receipt of domestic orders on this natural day after shipping (None: never)."""
    refund_arrival_days: tuple[int, int] = (1, 7)
    """When a refund reaches the customer, in days after it is approved (stated in the notice)."""
    consumer_rules: Literal["us_ftc", "eu_crd", "uk_cra", "cn_platform", "none"] | None = None
    """The rule set for every order (policy/consumer_rules.py); None: the buyer's country decides.
    A choice laxer than the buyer's law is refused for that order (it keeps its law's rules)."""
    revised_ship_days: Annotated[int, Meta(ge=1, le=365)] | None = 7
    """us_ftc: the definite revised shipping date a delay-option notice gives, in days after the
    promised ship-by; None: the merchant has no reasonable basis for a date (435.2(b)(1)(i))."""
    cn_refund_auto: bool = False
    """cn_platform: apply the stagnation refund answer (approve an unshipped order's refund) instead
    of only recommending it to the merchant."""
    experiments: Annotated[list[Experiment], Meta(max_length=MAX_EXPERIMENTS), Check(distinct)] = field(
        default_factory=list
    )
    """Holdout experiments on optional notices (core/experiments.py); ids distinct."""


class Merchant(Contract):
    merchant_id: Annotated[str, Meta(min_length=1)]
    name: Annotated[str, Meta(min_length=1)]
    timezone: Annotated[str, Check(_known_zone)] = "UTC"
    default_locale: Annotated[str, Check(_supported_locale)] = "en"
    from_email: str | None = None
    support: Support = field(default_factory=Support)
    settings: MerchantSettings = field(default_factory=MerchantSettings)


class DelayPolicy(msgspec.Struct, frozen=True):
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

    timers: PolicyDefaults = msgspec.field(default_factory=PolicyDefaults)
    refund_arrival_days: tuple[int, int] = (1, 7)
    consumer_rules: str | None = None
    revised_ship_days: int | None = 7
    cn_refund_auto: bool = False
    experiments: tuple[Experiment, ...] = ()

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
            consumer_rules=own.consumer_rules,
            revised_ship_days=own.revised_ship_days,
            cn_refund_auto=own.cn_refund_auto,
            experiments=tuple(own.experiments),
        )
