"""Chat robots: the alert text in the merchant's locale and each vendor's documented request (pure).

Every request below follows the vendor's own documentation (sources also in tests/events/SOURCES.md):

- **WeCom (企业微信) group robot**, "群机器人配置说明",
  https://developer.work.weixin.qq.com/document/path/91770 : ``POST`` the webhook URL
  (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY``) with a JSON body
  ``{"msgtype": "markdown", "markdown": {"content": ...}}`` (content at most 4096 UTF-8 bytes);
  the answer is ``{"errcode": 0, "errmsg": "ok"}``, any other ``errcode`` is a refusal (93000: the
  URL is invalid). WeCom does not sign: the key in the URL is the secret.
- **DingTalk (钉钉) custom robot**, "自定义机器人安全设置 / 加签",
  https://open.dingtalk.com/document/robots/customize-robot-security-settings : ``timestamp`` is
  the current time in milliseconds, ``string_to_sign = timestamp + "\\n" + secret``, the signature is
  HmacSHA256 keyed with the secret over that string, Base64, then URL-encoded, and both are
  appended to the webhook URL: ``...robot/send?access_token=T&timestamp=TS&sign=SIGN``. The
  timestamp must be within one hour of DingTalk's clock. Body ``{"msgtype": "markdown",
  "markdown": {"title", "text"}}`` ("自定义机器人发送群消息",
  https://open.dingtalk.com/document/robots/custom-robot-access); answer ``{"errcode": 0, "errmsg":
  "ok"}``, ``310000`` ("sign not match", keywords, IP list) and others are refusals.
- **Feishu / Lark custom bot**, "自定义机器人使用指南",
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot : ``timestamp`` in seconds,
  the *key* of HmacSHA256 is ``timestamp + "\\n" + secret`` and the message is empty, Base64; the
  body carries them: ``{"timestamp": "TS", "sign": "SIGN", "msg_type": "text", "content": {"text":
  ...}}``. The answer is ``{"code": 0, "msg": "success", ...}``; ``19021`` is a signature refused
  (or a timestamp more than an hour away), ``9499`` a malformed body.
- **Slack incoming webhook**, https://api.slack.com/messaging/webhooks : ``POST`` JSON ``{"text":
  ...}`` (mrkdwn) to ``https://hooks.slack.com/services/...``; the answer is HTTP 200 with body
  ``ok``. Errors are HTTP 400 ``invalid_payload``, 403 ``action_prohibited``, 404
  ``channel_not_found``, 410 ``channel_is_archived``, 500 ``rollup_error``
  (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks). Slack
  does not sign incoming webhooks: the URL is the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import msgspec

from delaydesk.core.merchants import SUPPORTED_LOCALES, RobotKind
from delaydesk.core.stats import Alert

WECOM_MARKDOWN_MAX_BYTES = 4096


class RobotRequest(msgspec.Struct, frozen=True):
    url: str
    body: bytes
    headers: Mapping[str, str]


class RobotVerdict(msgspec.Struct, frozen=True):
    ok: bool
    error: str | None = None


TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "opened": "延误激增",
        "resolved": "延误激增已恢复",
        "all_carriers": "全部承运商",
        "all_regions": "全部地区",
        "scope": "范围",
        "rate": "新增延误 {delays} 单 / {orders} 单（{rate}），平时 {baseline}",
        "since": "开始于 {at}",
        "resolved_at": "恢复于 {at}",
        "window": "建议声明异常时段：{starts} 至 {ends}（{reason}）",
        "rules": "规则：{rules}",
        "declare": "一步声明：{command}",
        "no_window": "未建议异常时段。",
        "ship_by_suspend": "暂停发货时限",
        "exempt": "期间超时发货不计入服务指标",
    },
    "zh-TW": {
        "opened": "延誤激增",
        "resolved": "延誤激增已恢復",
        "all_carriers": "全部物流商",
        "all_regions": "全部地區",
        "scope": "範圍",
        "rate": "新增延誤 {delays} 筆 / {orders} 筆（{rate}），平時 {baseline}",
        "since": "開始於 {at}",
        "resolved_at": "恢復於 {at}",
        "window": "建議宣告異常時段：{starts} 至 {ends}（{reason}）",
        "rules": "規則：{rules}",
        "declare": "一步宣告：{command}",
        "no_window": "未建議異常時段。",
        "ship_by_suspend": "暫停出貨時限",
        "exempt": "期間逾時出貨不計入服務指標",
    },
    "en": {
        "opened": "Delay spike",
        "resolved": "Delay spike resolved",
        "all_carriers": "all carriers",
        "all_regions": "all regions",
        "scope": "Scope",
        "rate": "{delays} new delays among {orders} orders ({rate}), usually {baseline}",
        "since": "Since {at}",
        "resolved_at": "Resolved at {at}",
        "window": "Proposed disruption window: {starts} to {ends} ({reason})",
        "rules": "Rules: {rules}",
        "declare": "Declare it in one step: {command}",
        "no_window": "No window proposed.",
        "ship_by_suspend": "ship-by suspended",
        "exempt": "late shipments exempted from service metrics",
    },
}


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _local(value: Any, zone: ZoneInfo) -> str:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(at, datetime):
        return str(value)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def declare_command(alert: Alert) -> str:
    return f"delaydesk windows declare --from-alert {alert.alert_id}"


def alert_lines(alert: Alert, *, timezone: str = "UTC") -> tuple[str, list[str]]:
    """The alert's title and lines in its locale (an unknown locale reads English)."""
    t = TEXTS.get(alert.locale if alert.locale in SUPPORTED_LOCALES else "en", TEXTS["en"])
    zone = ZoneInfo(timezone)
    carriers = ", ".join(alert.carriers) or t["all_carriers"]
    regions = ", ".join(alert.regions) or t["all_regions"]
    title = f"[DelayDesk] {t['resolved' if alert.resolved_at else 'opened']}: {carriers} / {regions}"
    lines = [
        f"{t['scope']}: {carriers} / {regions} ({alert.merchant_id})",
        t["rate"].format(
            delays=alert.delays, orders=alert.orders, rate=_percent(alert.rate), baseline=_percent(alert.baseline)
        ),
        t["since"].format(at=_local(alert.opened_at, zone)),
    ]
    if alert.resolved_at:
        lines.append(t["resolved_at"].format(at=_local(alert.resolved_at, zone)))
        return title, lines
    window = alert.proposed_window
    if not window:
        lines.append(t["no_window"])
        return title, lines
    lines.append(
        t["window"].format(
            starts=_local(window.get("starts_at", "?"), zone),
            ends=_local(window.get("ends_at", "?"), zone),
            reason=window.get("reason", "?"),
        )
    )
    rules = window.get("rules") or {}
    named = [t["ship_by_suspend"]] if rules.get("ship_by") == "suspend" else []
    named += [t["exempt"]] if rules.get("exempt_service_metrics") else []
    named += [f"{k}={v}" for k, v in sorted(rules.items()) if k.endswith("_days") and v]
    if named:
        lines.append(t["rules"].format(rules="; ".join(named)))
    lines.append(t["declare"].format(command=declare_command(alert)))
    return title, lines


def _truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[: limit - 3].decode("utf-8", "ignore") + "..."


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's 加签: Base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """Feishu's signature: Base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_request(
    kind: RobotKind, url: str, secret: str | None, title: str, lines: list[str], *, now: datetime
) -> RobotRequest:
    """The documented request for one robot (signed when a secret is given)."""
    json_headers = {"Content-Type": "application/json; charset=utf-8"}
    payload: dict[str, Any]
    if kind == "wecom":
        content = _truncate_utf8(
            "\n".join([f"**{title}**", *(f"> {line}" for line in lines)]), WECOM_MARKDOWN_MAX_BYTES
        )
        payload = {"msgtype": "markdown", "markdown": {"content": content}}
    elif kind == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": "\n\n".join([f"#### {title}", *lines])}}
        if secret:
            timestamp_ms = int(now.timestamp() * 1000)
            url = (
                f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={dingtalk_sign(timestamp_ms, secret)}"
            )
    elif kind == "feishu":
        payload = {"msg_type": "text", "content": {"text": "\n".join([title, *lines])}}
        if secret:
            timestamp_s = int(now.timestamp())
            payload = {"timestamp": str(timestamp_s), "sign": feishu_sign(timestamp_s, secret), **payload}
    else:  # slack
        payload = {"text": "\n".join([f"*{title}*", *lines])}
    return RobotRequest(url, json.dumps(payload, ensure_ascii=False).encode("utf-8"), json_headers)


def robot_verdict(kind: RobotKind, status: int, body: bytes) -> RobotVerdict:
    """Whether the vendor took the message: a 200 may still carry an error code in its body."""
    text = body.decode("utf-8", "replace").strip()
    if status != 200:
        return RobotVerdict(False, f"HTTP {status}: {text[:200]}")
    if kind == "slack":
        return RobotVerdict(True) if text == "ok" else RobotVerdict(False, f"Slack answered {text[:200]!r}")
    try:
        answer = json.loads(text)
    except ValueError:
        return RobotVerdict(False, f"not JSON: {text[:200]!r}")
    if not isinstance(answer, dict):
        return RobotVerdict(False, f"unexpected answer: {text[:200]!r}")
    if kind == "feishu":
        code = answer.get("code", answer.get("StatusCode"))
        message = answer.get("msg", answer.get("StatusMessage"))
    else:
        code, message = answer.get("errcode"), answer.get("errmsg")
    return RobotVerdict(True) if code == 0 else RobotVerdict(False, f"{kind} error {code}: {message}")
