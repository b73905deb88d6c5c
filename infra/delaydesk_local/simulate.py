"""``delaydesk simulate``: replay a scenario through the real template in the embedded AWS.

Contract: ../shared/contracts/scenario.md. Events enter through the same queues and handlers as
in production; the scheduled functions fire every ``tick_minutes`` with the simulated time as
the event's ``time``; every queue is drained after each step.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Annotated, Any
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError

from delaydesk.core.events import Instant
from delaydesk.core.fields import depth
from delaydesk.core.merchants import Merchant
from delaydesk.core.origins import MERCHANT_ID
from delaydesk.core.record import FrozenRecord, Meta, ValidationError, problems
from delaydesk.core.record import field as record_field
from delaydesk.core.times import iso, parse_instant
from delaydesk.core.windows import parse_window
from delaydesk.tracking import helpdesk
from delaydesk.tracking.webhooks import MERCHANT_HEADER, PER_MERCHANT, sign
from delaydesk_local.alerts_out import collect_alerts
from delaydesk_local.runtime import LocalAws

MAX_FILE_DEPTH = 64
"""A scenario nested deeper than this is malformed ("nested beyond reason"); an event nested
deeper than ``core.fields.MAX_DEPTH`` is fed and refused by ingest."""
MAX_STEPS = 500_000
"""More ticks than this (e.g. a one-minute tick over centuries) is not a run but a mistake."""
_SECRET_KEY = re.compile(r"^[a-z0-9_-]{1,32}(:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$")

WINDOW_EVENT_TYPES = ("window.declared", "window.ended")
TRACKING_TYPES = ("tracking",)
WEBHOOK_EVENT_TYPES = ("webhook",)
"""A scenario extension: ``{"type": "webhook", "at", "source", "payload"}`` is a vendor webhook,
signed with the embedded AWS's secret for ``source`` and posted to the template's HTTP API route."""
HELPDESK_SOURCES = {"zendesk": "zendesk", "freshdesk": "freshdesk", "helpdesk-generic": "generic"}
"""Scenario ``source`` → help-desk source: posted to ``/helpdesk/{source}/{merchant_id}`` (per merchant),
signed as that help desk does with the secret ``helpdesk/{source}/{merchant_id}``."""


class WebhookEvent(FrozenRecord):
    type: str
    at: Instant
    source: Annotated[str, Meta(min_length=1, max_length=200)]
    payload: Any
    event_id: str | None = None
    merchant_id: str | None = None
    """The merchant a per-merchant source (``generic``) speaks for; default: the only merchant."""
    headers: dict[str, str] | None = None
    """Posted exactly as given (nothing signed for this entry)."""


def _webhook_body(hook: WebhookEvent) -> bytes:
    """The body to post. A missing vendor timestamp (AfterShip ``ts``, EasyPost ``updated_at``) is
    filled in with the event's ``at``, so that hand-written scenarios pass the replay window (not
    when the entry brings its own ``headers``: then the payload is posted as given)."""
    payload = hook.payload
    if isinstance(payload, dict) and hook.headers is None:
        if hook.source == "aftership" and "ts" not in payload:
            payload = {**payload, "ts": int(hook.at.timestamp())}
        if hook.source == "easypost" and "updated_at" not in payload:
            payload = {**payload, "updated_at": iso(hook.at)}
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogatepass")
    return _json_bytes(payload)


def _json_bytes(value: Any) -> bytes:
    """JSON as a producer's library writes it: UTF-8, or \\u-escaped when that cannot be encoded."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only its escaped form can be sent
        return json.dumps(value).encode("ascii")


class ScenarioError(Exception):
    """The scenario file is malformed; the message is one line, fit for a terminal."""


class Scenario(FrozenRecord, forbid_unknown_fields=True):
    """The frame of a scenario (contract: "A scenario is malformed only when its frame cannot be
    read"). Each event needs only to be an object with a valid ``at``; the rest is fed as it is."""

    start: Instant
    end: Instant
    tick_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 60
    merchants: list[Merchant] = record_field(default_factory=list)
    windows: list[dict[str, Any]] = record_field(default_factory=list)
    events: list[dict[str, Any]] = record_field(default_factory=list)
    webhook_secrets: dict[str, str] = record_field(default_factory=dict)
    """``{"aftership": "…", "generic:m1": "…"}``: the secrets the embedded stack then uses."""

    def _valid(self) -> None:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if (self.end - self.start) / timedelta(minutes=self.tick_minutes) > MAX_STEPS:
            raise ValueError(f"more than {MAX_STEPS} ticks from start to end: raise tick_minutes")
        for index, window in enumerate(self.windows):
            _check_window(f"windows[{index}]", window)
        for index, raw in enumerate(self.events):
            _frame_time(index, raw)
        for key in self.webhook_secrets:
            if not _SECRET_KEY.match(key):
                raise ValueError(f"webhook_secrets: {key[:40]!r} is not 'source' or 'source:merchant_id'")


def _frame_time(index: int, raw: dict[str, Any]) -> datetime:
    """An event's ``at``: the only field of an event that the frame needs (else exit 2)."""
    value = raw.get("at")
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = parse_instant(value)
    except (ValueError, OverflowError):
        raise ValueError(f"events[{index}]: 'at' must be an RFC 3339 instant with an offset") from None
    return moment  # a representable instant; whether the stack takes it is the event's problem


def _check_window(where: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a window must be an object")
    try:
        parse_window(data)
    except ValidationError as exc:
        field_path, message = problems(exc)[0]
        raise ValueError(f"{where} ({data.get('window_id', '?')}): {field_path or 'window'}: {message}") from None


def _admin_event(method: str, path: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An API Gateway HTTP API (v2) request, IAM-authorised, as the admin routes receive it: the
    route of template.yaml that ``path`` matches, in ``routeKey``, and its decoded path parameters."""
    segments = path.split("/")  # "", "admin", "windows"[, window_id[, "end"]]
    route = "/admin/windows" + ("/{window_id}" if len(segments) > 3 else "") + ("/end" if len(segments) > 4 else "")
    parameters = {"pathParameters": {"window_id": unquote(segments[3])}} if len(segments) > 3 else {}
    return {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        **parameters,
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
            _admin(local, "PUT", f"/admin/windows/{quote(window['window_id'], safe='')}", window, now)
        else:
            _admin(local, "POST", "/admin/windows", window, now)
            declared.add(key)
    else:
        body = {"merchant_id": raw.get("merchant_id"), "at": raw.get("ended_at", raw["at"])}
        _admin(local, "POST", f"/admin/windows/{quote(str(raw['window_id']), safe='')}/end", body, now)


def _window_problem(raw: dict[str, Any]) -> str | None:
    """Why a window event cannot be sent to the admin API at all (it is listed, not sent)."""
    if raw["type"] == "window.declared":
        try:
            _check_window("window", raw.get("window"))
        except ValueError as exc:
            return str(exc)
        return None
    if not isinstance(raw.get("window_id"), str) or not raw["window_id"]:
        return "window.ended: window_id is required"
    return None


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: nested beyond reason (more than {MAX_FILE_DEPTH} levels)") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a JSON object")
    if depth(data, MAX_FILE_DEPTH) > MAX_FILE_DEPTH:
        raise ScenarioError(f"{path}: nested beyond reason (more than {MAX_FILE_DEPTH} levels)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        where, message = problems(exc)[0]
        raise ScenarioError(f"{path}: {where or '(top level)'}: {message}") from None


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
    alerts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """The JSON object ``simulate --json`` prints (scenario.md)."""
        return {
            "notices": self.notices,
            "decisions": self.decisions,
            "escalations": self.escalations,
            "alerts": self.alerts,
            "rejected": self.rejected,
            "orders": self.orders,
            "summary": self.summary,
        }


@dataclass
class Feed:
    """What the simulator could not hand to the stack at all, as a producer would have been told
    (an HTTP answer other than 202, SQS refusing a message, the admin API refusing a window)."""

    refused: list[dict[str, Any]] = field(default_factory=list)
    webhooks: Counter[str] = field(default_factory=Counter)

    def refuse(self, event_id: Any, category: str, reason: str) -> None:
        self.refused.append(
            {"event_id": event_id if isinstance(event_id, str) else None, "category": category, "reason": reason}
        )


_WEBHOOK_CATEGORY = {401: "refused", 403: "refused"}
"""An HTTP refusal by status: authority and signature problems are ``refused``, the rest ``invalid``."""


def _post_webhook(local: LocalAws, raw: dict[str, Any], scenario: Scenario, feed: Feed) -> None:
    """Post one webhook entry as its sender would: signed with the stack's secret, or with exactly
    the entry's ``headers``."""
    try:
        hook = WebhookEvent.model_validate(raw)
    except ValidationError as exc:
        where, message = problems(exc)[0]
        feed.refuse(raw.get("event_id"), "invalid", f"webhook entry: {where}: {message}")
        return
    body = _webhook_body(hook)
    if hook.source in HELPDESK_SOURCES:
        _post_helpdesk(local, hook, body, scenario, feed)
        return
    if hook.headers is not None:
        headers = dict(hook.headers)
    else:
        merchant = hook.merchant_id
        if merchant is None and hook.source in PER_MERCHANT and len(scenario.merchants) == 1:
            merchant = scenario.merchants[0].merchant_id
        name = f"{hook.source}/{merchant}" if hook.source in PER_MERCHANT and merchant else hook.source
        secret = local.webhook_secrets.get(name)
        stamp = int(hook.at.timestamp()) if hook.source == "generic" else None
        headers = sign(hook.source, secret, body, stamp) if secret else {}
        if hook.source in PER_MERCHANT and merchant:
            headers[MERCHANT_HEADER] = merchant
    answer = local.http_request("POST", f"/webhooks/{quote(hook.source, safe='')}", headers, body, now=hook.at)
    _answered(hook, answer, feed)


def _post_helpdesk(local: LocalAws, hook: WebhookEvent, body: bytes, scenario: Scenario, feed: Feed) -> None:
    """A help desk's delivery: per merchant (the entry's, else the scenario's only one), signed as
    that help desk does (Zendesk's HMAC, Freshdesk's Basic credentials, the generic HMAC)."""
    source = HELPDESK_SOURCES[hook.source]
    merchant = hook.merchant_id
    if merchant is None and len(scenario.merchants) == 1:
        merchant = scenario.merchants[0].merchant_id
    if hook.headers is not None:
        headers = dict(hook.headers)
    else:
        secret = local.webhook_secrets.get(f"helpdesk/{source}/{merchant}")
        headers = helpdesk.sign(source, secret, body, hook.at, merchant or "") if secret else {}
    path = f"/helpdesk/{source}/{quote(merchant or '-', safe='')}"
    _answered(hook, local.http_request("POST", path, headers, body, now=hook.at), feed)


def _answered(hook: WebhookEvent, answer: dict[str, Any], feed: Feed) -> None:
    """Count the answer; anything but 202 is listed as refused (401/403) or invalid."""
    status = int(answer.get("statusCode", 500))
    feed.webhooks[str(status)] += 1
    if status != 202:
        try:
            error = json.loads(answer.get("body") or "{}").get("error") or answer.get("body")
        except (ValueError, AttributeError):
            error = answer.get("body")
        category = _WEBHOOK_CATEGORY.get(status, "invalid")
        feed.refuse(hook.event_id, category, f"webhook {hook.source[:40]}: HTTP {status}: {str(error)[:300]}")


def _send_event(local: LocalAws, raw: dict[str, Any], feed: Feed) -> None:
    """Send one contract event on its queue as the order system or a carrier feed would."""
    queue = "TrackingEventsQueue" if raw.get("type") in TRACKING_TYPES else "OrderEventsQueue"
    body = _json_bytes(raw).decode("utf-8")
    try:
        local.send(queue, body)
    except ClientError as exc:  # SQS refuses the message (too large, characters it does not take)
        error = exc.response.get("Error", {})
        feed.refuse(raw.get("event_id"), "invalid", f"SQS refused the message: {error.get('Code')}")


def _feed_window(local: LocalAws, raw: dict[str, Any], at: datetime, declared: set[Any], feed: Feed) -> None:
    problem = _window_problem(raw)
    if problem is not None:
        feed.refuse(raw.get("event_id"), "invalid", problem)
        return
    try:
        _window_event(local, raw, at, declared)
    except ScenarioError as exc:  # the admin API refused it (4xx): listed, the run goes on
        feed.refuse(raw.get("event_id"), "refused", str(exc))


def _put_secrets(local: LocalAws, scenario: Scenario) -> None:
    """Per-merchant secrets for every merchant, then the scenario's own ``webhook_secrets``."""
    for merchant in scenario.merchants:
        if MERCHANT_ID.match(merchant.merchant_id):
            for source in PER_MERCHANT:
                local.set_webhook_secret(f"{source}/{merchant.merchant_id}", f"local-{source}-{merchant.merchant_id}")
            for source in helpdesk.SOURCES:
                name = f"helpdesk/{source}/{merchant.merchant_id}"
                local.set_webhook_secret(name, f"local-helpdesk-{source}-{merchant.merchant_id}")
    for key, secret in scenario.webhook_secrets.items():
        source, _, merchant_id = key.partition(":")
        if source in HELPDESK_SOURCES and merchant_id:  # "zendesk:m1": that merchant's help desk
            local.set_webhook_secret(f"helpdesk/{HELPDESK_SOURCES[source]}/{merchant_id}", secret)
        else:
            local.set_webhook_secret(key.replace(":", "/", 1), secret)


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
        _put_secrets(local, scenario)
        declared: set[tuple[str | None, str]] = set()
        local.clock = scenario.start  # SES events carry the simulated time of their send
        for window in scenario.windows:
            _window_event(local, {"type": "window.declared", "window": window}, scenario.start, declared)
        timed = sorted(
            ((_frame_time(i, e), i, e) for i, e in enumerate(scenario.events)),
            key=lambda item: (item[0], item[1]),
        )
        step = timedelta(minutes=scenario.tick_minutes)
        total = (scenario.end - scenario.start) / step
        cursor = 0
        feed = Feed()
        now = scenario.start
        steps = 0
        while True:
            local.clock = now
            last = now >= scenario.end
            # The last step, at ``end`` itself, also feeds what is dated after it (as it arrives then).
            while cursor < len(timed) and (last or timed[cursor][0] <= now):
                at, _, raw = timed[cursor]
                cursor += 1
                kind = raw.get("type")
                if kind in WEBHOOK_EVENT_TYPES:
                    _post_webhook(local, raw, scenario, feed)
                elif kind in WINDOW_EVENT_TYPES:
                    local.drain()  # what happened before the declaration applies first
                    _feed_window(local, raw, at, declared, feed)
                else:
                    _send_event(local, raw, feed)
            # Order events first: a scan for a parcel must find the order that ships it.
            local.drain()
            local.tick(now, paced=True)  # no schedule more often than its rate
            steps += 1
            if progress is not None:
                progress(Progress(now, min(1.0, steps / max(total, 1)), cursor, len(local.invocations)))
            if last:
                break
            now = min(now + step, scenario.end)
        result = collect(scenario, local, notes, feed.webhooks)
        result.rejected = collect_rejected(feed.refused)
        result.orders = collect_orders()
        if on_finish is not None:
            on_finish(local)
        return result


def collect_rejected(refused: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rejected``: every event not applied, from the stack's rejected table (invalid, refused,
    conflict, failing) and what the simulator could not hand over (``Feed.refused``)."""
    from delaydesk.tracking import rejections

    listed = [
        {"event_id": r.event_id, "category": r.category, "reason": "; ".join(r.errors)}
        for r in rejections.list_rejected()
    ]
    listed.extend(refused)
    return sorted(listed, key=lambda r: (r["event_id"] or "", r["category"], r["reason"]))


def collect_orders() -> list[dict[str, Any]]:
    """``orders``: each order's final state, and its shipment's carrier, last tags and scans."""
    from delaydesk import store

    orders = []
    for record in store.all_orders():
        order = record.order()
        shipment = order.shipment
        orders.append(
            {
                "order_id": order.order_id,
                "merchant_id": order.merchant_id,
                "state": order.status.value,
                "shipment": {
                    "carrier": shipment.carrier,
                    "tracking_number": shipment.tracking_number,
                    "last_tag": shipment.last_tag.value,
                    "last_sub_status": shipment.last_sub_status,
                    "last_scan_at": iso(shipment.last_scan_at),
                    "scans": shipment.scans,
                }
                if shipment
                else None,
            }
        )
    return sorted(orders, key=lambda o: o["order_id"])


def collect(
    scenario: Scenario, local: LocalAws, notes: list[str], webhooks: Counter[str] | None = None
) -> SimulationResult:
    from delaydesk import store
    from delaydesk.operations import effect_report
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
        "aws_calls": local.aws_calls.summary(),
        "events_rejected": dict(sorted(rejected.items())),
        "dead_lettered": {
            queue: local.queue_depth(queue) for queue in ("OrderEventsDLQ", "TrackingEventsDLQ", "NoticesDLQ")
        },
        "effect": effect_report(),  # what the notices achieved (issue 14): operations/effect.py
    }
    alerts = collect_alerts()
    summary["alerts"] = len(alerts)
    return SimulationResult(notices, decisions, escalations, summary, notes, alerts)
