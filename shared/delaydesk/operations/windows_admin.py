"""The merchant admin API (HTTP, IAM-authorised): declare, change, list and end windows.

Routes (functions/admin_api): ``GET /admin/windows``, ``POST /admin/windows`` (a window, or
``{"preset": NAME, "merchant_id": ...}``), ``PUT /admin/windows/{window_id}`` and
``POST /admin/windows/{window_id}/end`` (``{"merchant_id": ..., "at": ...}``, ``at`` defaulting to
the request time); and the early-warning alerts: ``GET /admin/alerts`` (``?merchant_id=``) and
``POST /admin/alerts/{alert_id}/declare`` (``{"merchant_id": ...}`` optional), which declares the
window the alert proposes; and ``GET /admin/effect`` (``?merchant=&window=``): what the notices
achieved, the JSON of ``summary.effect`` (404 for an unknown window). "Now" is the request's own
time (``requestContext.timeEpoch``). Domain errors become HTTP answers in one place (``app``
below): 400 invalid, 404 unknown, 409 conflict. Each route imports the module it works with (the
recompute, the alerts, the effect report) when it is called: a request loads its own route's.
"""

from __future__ import annotations

import binascii
import json
from datetime import datetime
from typing import Any

from delaydesk import store
from delaydesk.core import fields
from delaydesk.core.http import APPLICATION_JSON, Response, Router
from delaydesk.core.record import ValidationError, problems
from delaydesk.core.times import iso, parse_instant
from delaydesk.core.windows import PLATFORM, Window, parse_window, preset
from delaydesk.delays import WindowConflict, WindowNotFound
from delaydesk.store import ConcurrentUpdate

app = Router()


def _now() -> datetime:
    return app.request.now


def _body() -> dict[str, Any]:
    """The JSON object of the request, within the edge limits (``core.fields``), else ValueError (400)."""
    if not app.request.body:
        return {}
    try:
        body = fields.loads(app.request.decoded_body or "")
    except (UnicodeDecodeError, binascii.Error):
        raise ValueError("the body must be UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def window_view(window: Window) -> dict[str, Any]:
    return window.model_dump(mode="json")


@app.get("/admin/windows")
def list_windows() -> dict[str, Any]:
    merchant_id = app.request.query("merchant_id")
    records = store.all_windows()
    windows = [r.window() for r in records if merchant_id is None or r.owner in (PLATFORM, merchant_id)]
    return {"windows": [window_view(w) for w in sorted(windows, key=lambda w: (w.starts_at, w.window_id))]}


@app.post("/admin/windows")
def declare_windows() -> Response:
    from delaydesk.delays import recompute

    body = _body()
    now = _now()
    is_preset = "preset" in body
    windows = preset(str(body["preset"]), body.get("merchant_id")) if is_preset else [parse_window(body)]
    for window in windows:
        if store.get_window(window.owner, window.window_id) is not None:
            raise WindowConflict(f"window {window.window_id} exists; change it with PUT")
    declared = [recompute.declare(window, now)[0] for window in windows]
    return _json(201, {"windows": [window_view(w) for w in declared]})


@app.put("/admin/windows/{window_id}")
def change_window(window_id: str) -> dict[str, Any]:
    from delaydesk.delays import recompute

    body = _body() | {"window_id": window_id}
    window = parse_window(body)
    if store.get_window(window.owner, window_id) is None:
        raise WindowNotFound(f"no window {window_id!r}; declare it with POST")
    changed, _ = recompute.declare(window, _now())
    return {"window": window_view(changed)}


@app.post("/admin/windows/{window_id}/end")
def end_window(window_id: str) -> dict[str, Any]:
    from delaydesk.delays import recompute

    body = _body()
    at = parse_instant(str(body["at"])) if body.get("at") else _now()
    ended = recompute.end(body.get("merchant_id"), window_id, at)
    return {"window": window_view(ended), "ended_at": iso(at)}


@app.get("/admin/alerts")
def list_alerts() -> dict[str, Any]:
    from delaydesk.operations import alerts

    return {"alerts": alerts.list_alerts(app.request.query("merchant_id"))}


@app.post("/admin/alerts/{alert_id}/declare")
def declare_from_alert(alert_id: str) -> Response:
    from delaydesk.operations import alert_windows

    merchant_id = _body().get("merchant_id")
    try:
        window, created = alert_windows.declare_from_alert(alert_id, str(merchant_id) if merchant_id else None, _now())
    except LookupError as exc:
        raise WindowNotFound(str(exc)) from None
    return _json(201 if created else 200, {"window": window_view(window), "created": created})


@app.get("/admin/effect")
def effect() -> dict[str, Any]:
    """``summary.effect`` (``report effect``): ``?merchant=`` (or ``merchant_id``), ``?window=``."""
    from delaydesk.operations import effect_job

    query = app.request.query
    merchant_id = query("merchant") or query("merchant_id")
    for value in (merchant_id, query("window")):
        if value is not None:
            if len(value) > fields.MAX_ID:
                raise ValueError(f"a merchant or window id has at most {fields.MAX_ID} characters")
            fields.one_line(value)  # ValueError: 400
    try:
        return effect_job.effect_report(merchant_id, query("window"))
    except LookupError as exc:
        raise WindowNotFound(str(exc)) from None


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=APPLICATION_JSON, body=json.dumps(body))


@app.error(ValidationError)
def _invalid(exc: ValidationError) -> Response:
    errors = [f"{where or '(body)'}: {reason}" for where, reason in problems(exc)]
    return _json(400, {"error": "invalid window", "details": errors})


@app.error(ValueError)
def _bad_request(exc: ValueError) -> Response:
    return _json(400, {"error": str(exc)})


@app.error(WindowNotFound)
def _not_found(exc: WindowNotFound) -> Response:
    return _json(404, {"error": str(exc)})


@app.error(WindowConflict, ConcurrentUpdate)
def _conflict(exc: Exception) -> Response:
    return _json(409, {"error": str(exc)})
