"""An early-warning alert in words, in the merchant's locale (zh-CN, zh-TW, en): pure.

SNS requires an ASCII subject of fewer than 100 characters, so the subject is always English and
short; the message, which e-mail and SMS subscribers read, is in the merchant's locale.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from delaydesk.core.stats import Alert

_TEXT = {
    "zh-CN": {
        "all_carriers": "所有承运商",
        "all_regions": "所有地区",
        "open": "【DelayDesk 延误预警】{scope}：过去 {span} 小时新增延误 {delays} 单"
        "（已发货 {orders} 单的范围内，平时约 {usual} 单）。\n开始时间：{at}",
        "window": "建议声明异常时段 {window_id}：{starts} 至 {ends}，范围：{scope}。\n"
        "一键声明：delaydesk windows declare --from-alert {alert_id}",
        "resolved": "【DelayDesk 预警解除】{scope}：延误已恢复正常。\n预警时间：{opened} 至 {at}",
    },
    "zh-TW": {
        "all_carriers": "所有物流商",
        "all_regions": "所有地區",
        "open": "【DelayDesk 延誤預警】{scope}：過去 {span} 小時新增延誤 {delays} 筆"
        "（已出貨 {orders} 筆的範圍內，平時約 {usual} 筆）。\n開始時間：{at}",
        "window": "建議宣告異常時段 {window_id}：{starts} 至 {ends}，範圍：{scope}。\n"
        "一鍵宣告：delaydesk windows declare --from-alert {alert_id}",
        "resolved": "【DelayDesk 預警解除】{scope}：延誤已恢復正常。\n預警時間：{opened} 至 {at}",
    },
    "en": {
        "all_carriers": "all carriers",
        "all_regions": "all regions",
        "open": "[DelayDesk early warning] {scope}: {delays} new delays in the last {span} hours"
        " (usually about {usual}; {orders} parcels shipped in the scope). Since {at}",
        "window": "Proposed disruption window {window_id}: {starts} to {ends}, scope {scope}.\n"
        "Declare it: delaydesk windows declare --from-alert {alert_id}",
        "resolved": "[DelayDesk early warning resolved] {scope}: delays are back to normal.\n"
        "Alert from {opened} to {at}",
    },
}


def scope_words(alert: Alert, locale: str) -> str:
    text = _TEXT.get(locale, _TEXT["en"])
    carriers = ", ".join(alert.carriers) or text["all_carriers"]
    regions = ", ".join(alert.regions) or text["all_regions"]
    return f"{carriers} → {regions}"


def subject(alert: Alert, state: str) -> str:
    """ASCII, under 100 characters (SNS's rule for a subject)."""
    carriers = "+".join(alert.carriers) or "all carriers"
    regions = "+".join(alert.regions) or "all regions"
    words = "delay spike" if state == "open" else "resolved"
    line = f"DelayDesk alert: {carriers} to {regions} {words}"
    return line.encode("ascii", "replace").decode("ascii")[:99]


def _local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def message(alert: Alert, state: str, zone: str, span_hours: int, at: datetime) -> str:
    """The alert (``state`` open) or its resolution, in the alert's locale and the merchant's time zone."""
    text = _TEXT.get(alert.locale, _TEXT["en"])
    scope = scope_words(alert, alert.locale)
    if state != "open":
        return text["resolved"].format(scope=scope, opened=_local(alert.opened_at, zone), at=_local(at, zone))
    usual = round(alert.baseline * alert.orders / 7, 1) if alert.orders else 0
    lines = [
        text["open"].format(
            scope=scope,
            span=span_hours,
            delays=alert.delays,
            orders=alert.orders,
            usual=usual,
            at=_local(alert.opened_at, zone),
        )
    ]
    window = alert.proposed_window
    if window:
        lines.append(
            text["window"].format(
                window_id=window["window_id"],
                starts=_local(datetime.fromisoformat(window["starts_at"]), zone),
                ends=_local(datetime.fromisoformat(window["ends_at"]), zone),
                scope=scope,
                alert_id=alert.alert_id,
            )
        )
    return "\n".join(lines)
