"""Disruption windows: the model, its validation and the presets (DESIGN.md, "Disruption windows").

A window covers the closed interval ``[starts_at, ends_at]``: the seed's rules are written as
"from 00:00:00 to 23:59:59", both instants included. ``merchant_id`` None means platform-wide.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from delaydesk.core.events import Channel, Instant
from delaydesk.core.record import FrozenRecord, Meta, field

MAX_WINDOW = timedelta(days=366)
PLATFORM = "*platform*"
"""The owner key of platform-wide windows in the Windows table."""


class Reason(StrEnum):
    PUBLIC_HEALTH = "public_health"
    NATURAL_DISASTER = "natural_disaster"
    EXTREME_WEATHER = "extreme_weather"
    HOLIDAY = "holiday"
    LOGISTICS_HALT = "logistics_halt"
    CUSTOMS = "customs"
    SOCIAL_EVENT = "social_event"
    TECHNICAL_FAILURE = "technical_failure"


class TimerKind(StrEnum):
    """Every deadline the policy engine computes."""

    SHIP_BY = "ship_by"
    REFUND_CONFIRM = "refund_confirm"
    RETURN_RECEIPT = "return_receipt"
    RETURN_WINDOW = "return_window"
    AUTO_CONFIRM = "auto_confirm"


class Strict(FrozenRecord, forbid_unknown_fields=True):
    """Unknown rule names are an error, not silently ignored: a typo must not disable a rule."""


class ExtendShipBy(Strict):
    extend_hours: Annotated[int, Meta(ge=1, le=24 * 90)]


class WindowRules(Strict):
    ship_by: Literal["suspend"] | ExtendShipBy | None = None
    refund_confirm_days: Annotated[int, Meta(ge=1, le=90)] | None = None
    return_receipt_days: Annotated[int, Meta(ge=1, le=90)] | None = None
    return_window_days: Annotated[int, Meta(ge=1, le=90)] | None = None
    auto_confirm_days: Annotated[int, Meta(ge=1, le=120)] | None = None
    exempt_service_metrics: bool = False
    defer_deadlines_into_window_end: list[TimerKind] = field(default_factory=list)


class WindowScope(Strict):
    """Empty lists mean "all"."""

    regions: list[str] = field(default_factory=list)
    carriers: list[str] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)

    def _valid(self) -> None:
        for region in self.regions:
            if not (2 <= len(region) <= 6 and region[:2].isalpha() and region[:2].isupper()):
                raise ValueError(f"regions: {region!r} is not an ISO 3166-2 code (e.g. CN-HB) or country (CN)")


class Window(Strict):
    window_id: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    merchant_id: str | None = None
    reason: Reason
    starts_at: Instant
    ends_at: Instant
    title: str | None = None
    scope: WindowScope = field(default_factory=WindowScope)
    rules: WindowRules = field(default_factory=WindowRules)
    ended_early_at: Instant | None = None
    """Set when the window was ended before its planned ``ends_at`` (which then moves there)."""

    def _valid(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > MAX_WINDOW:
            raise ValueError("a window may last at most 366 days")

    @property
    def owner(self) -> str:
        return self.merchant_id or PLATFORM

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment <= self.ends_at

    def ended(self, at: datetime) -> Window:
        """This window ended at ``at`` (never later than planned, never before it started)."""
        if at >= self.ends_at:
            raise ValueError(f"window {self.window_id} already ends at {self.ends_at.isoformat()}")
        if at <= self.starts_at:
            raise ValueError(f"window {self.window_id} has not started yet at {at.isoformat()}; delete it instead")
        return self.model_copy(update={"ends_at": at, "ended_early_at": at})


def parse_window(data: dict[str, Any]) -> Window:
    return Window.model_validate(data)


# ------------------------------------------------------------------ presets

SPRING_FESTIVAL_2020: list[dict[str, Any]] = [
    {
        # 1688: 2020年1月19日00:00:00至2020年2月9日23:59:59期间内支付的订单，不强制执行24/48/72小时发货服务；
        # 退款协议等待卖家确认的超时 5→15 天，等待卖家确认收货 10→15 天，买家退货时间 7→15 天。
        "window_id": "cny2020",
        "merchant_id": None,
        "reason": "holiday",
        "title": "2020 Spring Festival and epidemic: N-hour shipping suspended, longer timeouts",
        "starts_at": "2020-01-19T00:00:00+08:00",
        "ends_at": "2020-02-09T23:59:59+08:00",
        "scope": {"regions": [], "carriers": [], "channels": []},
        "rules": {
            "ship_by": "suspend",
            "refund_confirm_days": 15,
            "return_receipt_days": 15,
            "return_window_days": 15,
            "exempt_service_metrics": True,
        },
    },
    {
        # 1688 跨境专供: 2020年1月14日00:00:00至2月6日23:59:59付款的订单，自动确认收货从发货后第11个自然日调整至第34个。
        "window_id": "cny2020-cross-border",
        "merchant_id": None,
        "reason": "holiday",
        "title": "2020 Spring Festival: cross-border auto-confirm receipt on day 34 instead of 11",
        "starts_at": "2020-01-14T00:00:00+08:00",
        "ends_at": "2020-02-06T23:59:59+08:00",
        "scope": {"regions": [], "carriers": [], "channels": ["cross_border"]},
        "rules": {"auto_confirm_days": 34},
    },
]

PRESETS: dict[str, list[dict[str, Any]]] = {"spring_festival_2020": SPRING_FESTIVAL_2020}


def preset(name: str, merchant_id: str | None = None) -> list[Window]:
    """The windows of a named preset, owned by ``merchant_id`` (None: platform-wide)."""
    try:
        raw = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; known: {', '.join(sorted(PRESETS))}") from None
    return [parse_window({**w, "merchant_id": merchant_id}) for w in raw]
