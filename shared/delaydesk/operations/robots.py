"""Deliver an early-warning alert to the merchant's chat robots (I/O over ``robot_formats``).

Each robot's webhook URL and signing secret are SSM Parameter Store SecureString parameters named
in the merchant's settings (``alert_robots``), read with the powertools parameters utility (cached
five minutes). Robots are called one after the other with a short timeout; a robot that fails
(HTTP error, timeout, refused connection, a vendor error code in a 200 answer, a missing
parameter) is logged and reported in its ``RobotResult``, and never stops the others.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from urllib.parse import urlsplit

import msgspec

from delaydesk.core.merchants import AlertRobot, RobotKind
from delaydesk.core.observability import count_by, logger
from delaydesk.core.stats import Alert
from delaydesk.operations.robot_formats import alert_lines, robot_request, robot_verdict

TIMEOUT_SECONDS = 5.0

Post = Callable[[str, bytes, Mapping[str, str], float], tuple[int, bytes]]
"""(url, body, headers, timeout) -> (HTTP status, response body); raises OSError on no answer."""
GetSecret = Callable[[str], str]


class RobotConfigError(ValueError):
    """A robot's parameter is missing or holds no usable URL."""


class RobotResult(msgspec.Struct, frozen=True):
    kind: RobotKind
    url_parameter: str
    ok: bool
    status: int | None = None
    error: str | None = None


def ssm_secret(name: str) -> str:
    """A SecureString parameter's value (decrypted, cached five minutes). Powertools' parameters
    (every provider's module) are imported here, where a robot's secret is read."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, decrypt=True, max_age=300)
    except parameters.exceptions.GetParameterError as exc:
        raise RobotConfigError(f"parameter {name} cannot be read: {exc}") from exc
    if not value:
        raise RobotConfigError(f"parameter {name} is empty")
    return str(value)


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    """POST with the standard library; an HTTP error status is an answer, not an exception."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise RobotConfigError("a robot URL must be http(s)")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 (scheme checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def deliver_to_robots(
    alert: Alert,
    robots: Iterable[AlertRobot],
    *,
    now: datetime,
    get_secret: GetSecret = ssm_secret,
    post: Post = urllib_post,
    timezone: str = "UTC",
    timeout: float = TIMEOUT_SECONDS,
) -> list[RobotResult]:
    """Send the alert to every robot; one result per robot, in order, whatever the others did.

    ``now`` signs the DingTalk and Feishu requests, which those vendors accept within an hour of
    their own clock: pass the wall clock, not a replayed time."""
    title, lines = alert_lines(alert, timezone=timezone)
    robots = list(robots)
    if not robots:
        return []
    # In parallel, so that a slow robot costs its timeout once, not once per robot after it.
    with ThreadPoolExecutor(max_workers=min(len(robots), 8)) as pool:
        return list(
            pool.map(lambda robot: _deliver_one(alert, robot, title, lines, now, get_secret, post, timeout), robots)
        )


def _deliver_one(
    alert: Alert,
    robot: AlertRobot,
    title: str,
    lines: list[str],
    now: datetime,
    get_secret: GetSecret,
    post: Post,
    timeout: float,
) -> RobotResult:
    status: int | None = None
    try:
        url = get_secret(robot.url_parameter)
        secret = get_secret(robot.secret_parameter) if robot.secret_parameter else None
        request = robot_request(robot.kind, url, secret, title, lines, now=now)
        status, answer = post(request.url, request.body, request.headers, timeout)
        verdict = robot_verdict(robot.kind, status, answer)
        result = RobotResult(robot.kind, robot.url_parameter, verdict.ok, status, verdict.error)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # timeouts, refusals, bad URLs, parameters
        result = RobotResult(robot.kind, robot.url_parameter, False, status, f"{type(exc).__name__}: {exc}")
    log = logger.info if result.ok else logger.warning
    log(
        "alert robot delivery",
        alert_id=alert.alert_id,
        merchant_id=alert.merchant_id,
        robot=robot.kind,
        url_parameter=robot.url_parameter,
        ok=result.ok,
        status=result.status,
        error=result.error,
    )
    count_by("AlertRobotDelivered" if result.ok else "AlertRobotFailed", "robot", robot.kind)
    return result
