"""``delaydesk simulate``: replay a scenario through the real template in the embedded AWS.

Contract: ../shared/contracts/scenario.md. Events enter through the same queues and handlers as
in production; the scheduled functions fire every ``tick_minutes`` with the simulated time as
the event's ``time``; every queue is drained after each step.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from delaydesk.core.events import EVENT_TYPES, Instant, parse_event
from delaydesk.core.merchants import Merchant
from delaydesk.core.times import iso, parse_instant
from delaydesk.core.windows import parse_window
from delaydesk.tracking.webhooks import SOURCES as WEBHOOK_SOURCES
from delaydesk.tracking.webhooks import sign
from delaydesk_local.runtime import LocalAws

WINDOW_EVENT_TYPES = ("window.declared", "window.ended")
TRACKING_TYPES = ("tracking",)
WEBHOOK_EVENT_TYPES = ("webhook",)
"""A scenario extension: ``{"type": "webhook", "at", "source", "payload"}`` is a vendor webhook,
signed with the embedded AWS's secret for ``source`` and posted to the template's HTTP API route."""


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    at: Instant
    source: str
    payload: Any
    event_id: str | None = None


def _webhook_body(raw: dict[str, Any]) -> tuple[WebhookEvent, bytes]:
    """The body to post. A missing vendor timestamp (AfterShip ``ts``, EasyPost ``updated_at``) is
    filled in with the event's ``at``, so that hand-written scenarios pass the replay window."""
    hook = WebhookEvent.model_validate(raw)
    payload = hook.payload
    if isinstance(payload, dict):
        if hook.source == "aftership" and "ts" not in payload:
            payload = {**payload, "ts": int(hook.at.timestamp())}
        if hook.source == "easypost" and "updated_at" not in payload:
            payload = {**payload, "updated_at": iso(hook.at)}
    body = payload.encode() if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False).encode()
    return hook, body


class ScenarioError(Exception):
    """The scenario file is malformed; the message is one line, fit for a terminal."""


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Instant
    end: Instant
    tick_minutes: int = Field(default=60, ge=1, le=24 * 60)
    merchants: list[Merchant] = Field(default_factory=list)
    windows: list[dict[str, Any]] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        for index, window in enumerate(self.windows):
            _check_window(f"windows[{index}]", window)
        ids: set[str] = set()
        for index, raw in enumerate(self.events):
            kind = raw.get("type")
            if kind in WINDOW_EVENT_TYPES:
                _check_window_event(index, raw)
                continue
            if kind in WEBHOOK_EVENT_TYPES:
                try:
                    hook = WebhookEvent.model_validate(raw)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first["loc"])
                    raise ValueError(f"events[{index}] (webhook): {where}: {first['msg']}") from None
                if hook.source not in WEBHOOK_SOURCES:
                    raise ValueError(f"events[{index}] (webhook): unknown source {hook.source!r}")
                continue
            if kind not in EVENT_TYPES:
                raise ValueError(f"events[{index}]: unknown type {kind!r}")
            try:
                event = parse_event(raw)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"events[{index}] ({raw.get('event_id', '?')}): {where}: {first['msg']}") from None
            if event.event_id in ids:
                raise ValueError(f"events[{index}]: duplicate event_id {event.event_id!r}")
            ids.add(event.event_id)
        return self


def _check_window(where: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a window must be an object")
    try:
        parse_window(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_path = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValueError(f"{where} ({data.get('window_id', '?')}): {field_path or 'window'}: {message}") from None


def _check_window_event(index: int, raw: dict[str, Any]) -> None:
    try:
        parse_instant(str(raw.get("at")))
    except ValueError:
        raise ValueError(f"events[{index}] ({raw.get('type')}): 'at' must be an RFC 3339 instant") from None
    if raw["type"] == "window.declared":
        _check_window(f"events[{index}].window", raw.get("window"))
    elif not isinstance(raw.get("window_id"), str):
        raise ValueError(f"events[{index}] (window.ended): window_id is required")


def _admin_event(method: str, path: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) request, IAM-authorised, as the admin routes receive it."""
    route = "/admin/windows/{window_id}/end" if path.endswith("/end") else path
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "authorizer": {"iam": {"accountId": "123456789012", "userArn": "arn:aws:iam::123456789012:user/ops"}},
            "domainName": "local.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "sim",
            },
            "requestId": f"sim-{now.timestamp():.0f}",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def _admin(local: LocalAws, method: str, path: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Call the merchant admin API the way production does (its Lambda, an HTTP API event)."""
    response: dict[str, Any] = local.invoke("AdminApiFunction", _admin_event(method, path, body, now))
    if response.get("statusCode", 500) >= 300:
        raise ScenarioError(f"admin API {method} {path}: {response.get('statusCode')} {response.get('body')}")
    return response


def _window_event(local: LocalAws, raw: dict[str, Any], now: datetime, declared: set[tuple[str | None, str]]) -> None:
    if raw["type"] == "window.declared":
        window = raw["window"]
        key = (window.get("merchant_id"), window["window_id"])
        if key in declared:
            _admin(local, "PUT", f"/admin/windows/{window['window_id']}", window, now)
        else:
            _admin(local, "POST", "/admin/windows", window, now)
            declared.add(key)
    else:
        body = {"merchant_id": raw.get("merchant_id"), "at": raw.get("ended_at", raw["at"])}
        _admin(local, "POST", f"/admin/windows/{raw['window_id']}/end", body, now)


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{path}: {where}: {message}") from None


@dataclass
class Progress:
    now: datetime
    done: float
    events: int
    runs: int


@dataclass
class SimulationResult:
    notices: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """The JSON object ``simulate --json`` prints (scenario.md)."""
        return {
            "notices": self.notices,
            "decisions": self.decisions,
            "escalations": self.escalations,
            "summary": self.summary,
        }


def _event_time(raw: dict[str, Any]) -> datetime:
    if raw.get("type") in WEBHOOK_EVENT_TYPES:
        return WebhookEvent.model_validate(raw).at
    if raw.get("type") in WINDOW_EVENT_TYPES:
        return parse_instant(str(raw["at"]))
    moment: datetime = parse_event(raw).at
    return moment


def run(
    scenario: Scenario,
    *,
    log_stream: IO[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_finish: Callable[[LocalAws], None] | None = None,
    parameters: dict[str, str] | None = None,
) -> SimulationResult:
    """Replay ``scenario``; ``on_finish`` sees the embedded AWS before it is torn down.
    ``parameters`` are template parameters for the deployment (``serve`` sets ``OrderPageBaseUrl``)."""
    from delaydesk import store

    with LocalAws(parameters=parameters, log_stream=log_stream) as local:
        notes = list(local.notes)
        for merchant in scenario.merchants:
            store.put_merchant(merchant)
            if merchant.from_email:
                local.verify_sender(merchant.from_email)
        from delaydesk.core.config import get_settings

        local.verify_sender(get_settings().sender_email)
        declared: set[tuple[str | None, str]] = set()
        local.clock = scenario.start  # SES events carry the simulated time of their send
        for window in scenario.windows:
            _window_event(local, {"type": "window.declared", "window": window}, scenario.start, declared)
        timed = sorted(
            ((_event_time(e), i, e) for i, e in enumerate(scenario.events)),
            key=lambda item: (item[0], item[1]),
        )
        step = timedelta(minutes=scenario.tick_minutes)
        total = (scenario.end - scenario.start) / step
        cursor = 0
        webhooks: Counter[str] = Counter()  # answers of the HTTP API, by status code
        now = scenario.start
        steps = 0
        while now <= scenario.end:
            local.clock = now
            while cursor < len(timed) and timed[cursor][0] <= now:
                raw = timed[cursor][2]
                if raw["type"] in WEBHOOK_EVENT_TYPES:
                    hook, body = _webhook_body(raw)
                    secret = local.webhook_secrets[hook.source]
                    stamp = int(hook.at.timestamp()) if hook.source == "generic" else None
                    answer = local.http_request(
                        "POST", f"/webhooks/{hook.source}", sign(hook.source, secret, body, stamp), body, now=hook.at
                    )
                    webhooks[str(answer["statusCode"])] += 1
                    cursor += 1
                    continue
                at, _, raw = timed[cursor]
                cursor += 1
                if raw["type"] in WINDOW_EVENT_TYPES:
                    local.drain()  # what happened before the declaration applies first
                    _window_event(local, raw, at, declared)
                    continue
                queue = "TrackingEventsQueue" if raw["type"] in TRACKING_TYPES else "OrderEventsQueue"
                local.send(queue, json.dumps(raw, ensure_ascii=False))
            # Order events first: a scan for a parcel must find the order that ships it.
            local.drain()
            local.tick(now)
            steps += 1
            if progress is not None:
                progress(Progress(now, min(1.0, steps / max(total, 1)), cursor, len(local.invocations)))
            now += step
        result = collect(scenario, local, notes, webhooks)
        if on_finish is not None:
            on_finish(local)
        return result


def collect(
    scenario: Scenario, local: LocalAws, notes: list[str], webhooks: Counter[str] | None = None
) -> SimulationResult:
    from delaydesk import store
    from delaydesk.tracking import rejections

    notices = sorted(
        (
            {
                "order_id": n.order_id,
                "kind": n.kind,
                "stage": int(n.stage),
                "channel": n.channel,
                "locale": n.locale,
                "to": n.to,
                "subject": n.subject,
                "sent_at": iso(n.sent_at) if n.sent_at else None,
            }
            for n in store.all_notices()
            if n.status == "sent"
        ),
        key=lambda n: (n["sent_at"] or "", n["order_id"], n["kind"], n["stage"], n["channel"]),
    )
    decisions = sorted(
        (
            {"order_id": d.order_id, "action": d.action, "at": iso(d.at), "rule": d.rule, "window_id": d.window_id}
            for d in store.all_decisions()
        ),
        key=lambda d: (d["at"], d["order_id"], d["action"], d["rule"]),
    )
    escalations = [
        {"order_id": e.order_id, "reason": e.reason, "at": iso(e.opened_at)} for e in store.list_escalations()
    ]
    escalations.sort(key=lambda e: (e["at"], e["order_id"], e["reason"]))
    orders = list(store.all_orders())
    rejected = Counter(r.category for r in rejections.list_rejected())
    failed_notices = sum(1 for n in store.all_notices() if n.status == "failed")
    suppressed_notices = sum(1 for n in store.all_notices() if n.status == "suppressed")
    suppressions = Counter(r.label or "suppressed" for r in store.all_suppressions())
    summary: dict[str, Any] = {
        "orders": len(orders),
        "events": sum(1 for e in scenario.events if e.get("type") not in WINDOW_EVENT_TYPES),
        "notices": len(notices),
        "decisions": len(decisions),
        "escalations": len(escalations),
        "escalations_by_reason": dict(sorted(Counter(e["reason"] for e in escalations).items())),
        "webhooks_by_status": dict(sorted((webhooks or Counter()).items())),
        "delays_by_rule": dict(
            sorted(Counter(d["rule"] for d in decisions if d["action"] == "delay_detected").items())
        ),
        "decisions_by_action": dict(sorted(Counter(d["action"] for d in decisions).items())),
        "notices_by_kind": dict(sorted(Counter(n["kind"] for n in notices).items())),
        "notices_by_channel": dict(sorted(Counter(n["channel"] for n in notices).items())),
        "notices_by_locale": dict(sorted(Counter(n["locale"] for n in notices).items())),
        "orders_by_status": dict(sorted(Counter(o.status for o in orders).items())),
        "notices_failed": failed_notices,
        # E-mail feedback: what the configuration set published, whom it suppressed, and the
        # notices that were not sent to a suppressed address (each fell back to another channel).
        "ses_events_by_type": dict(sorted(Counter(e["eventType"] for e in local.ses_events).items())),
        "suppressions_by_reason": dict(sorted(suppressions.items())),
        "notices_suppressed": suppressed_notices,
        "events_rejected": dict(sorted(rejected.items())),
        "dead_lettered": {
            queue: local.queue_depth(queue) for queue in ("OrderEventsDLQ", "TrackingEventsDLQ", "NoticesDLQ")
        },
    }
    return SimulationResult(notices, decisions, escalations, summary, notes)
