"""The stack's HTTP API, served in-process: requests routed to functions as API Gateway would.

moto's CloudFormation cannot create the HTTP API, and its API Gateway v2 does not invoke Lambda;
the embedded AWS matches a request against the ``HttpApi`` events of the SAM template and invokes
the function with an API Gateway HTTP API payload v2.0, so that the webhook, order-page and admin
routes are exercised end to end without a network.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from delaydesk_local.stack import ACCOUNT_ID, REGION

if TYPE_CHECKING:
    from delaydesk_local.invocation import FunctionSpec


@dataclass
class HttpRoute:
    """An ``HttpApi`` event of a function in the SAM template: method, path pattern, target."""

    api: str
    method: str
    path: str
    pattern: re.Pattern[str]
    function: FunctionSpec
    auth: str | None = None
    """The route's ``Auth.Authorizer`` (``AWS_IAM`` for the admin routes), else None (open)."""


LOCAL_IAM_CALLER = {
    "accessKey": "LOCALSIGV4NOTCHECKED",
    "accountId": ACCOUNT_ID,
    "callerId": "LOCALSIGV4NOTCHECKED",
    "principalOrgId": None,
    "userArn": f"arn:aws:iam::{ACCOUNT_ID}:user/local-operator",
    "userId": "LOCALSIGV4NOTCHECKED",
}
"""What API Gateway puts in ``requestContext.authorizer.iam`` after checking a SigV4 signature.
The embedded API checks no signature: an ``AWS_IAM`` route is reached as this local operator."""


def query_parameters(query: str) -> dict[str, str]:
    """As API Gateway HTTP API v2.0 gives them: decoded, repeated names joined by commas."""
    return {name: ",".join(values) for name, values in parse_qs(query, keep_blank_values=True).items()}


def route_pattern(path: str) -> re.Pattern[str]:
    """A route's path (``/orders/{order_id}``) as a pattern whose groups are its path parameters."""
    regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


class HttpApi:
    """Routes requests to the functions of ``routes``; ``apis`` holds the ids of the APIs created."""

    def __init__(
        self,
        routes: list[HttpRoute],
        apis: dict[str, str],
        parameters: dict[str, str],
        invoke: Callable[[str, dict[str, Any]], Any],
    ) -> None:
        self.routes = routes
        self.apis = apis  # logical id -> api id (created through the API)
        self._parameters = parameters
        self._invoke = invoke

    @property
    def stage(self) -> str:
        """The API's stage, the first segment of every path of a deployed URL."""
        return self._parameters.get("Stage", "dev")

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | bytes = "",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Route a request as the template's HTTP API would; the answer is the function's response.

        The event is an API Gateway HTTP API payload v2.0 (tests/events/apigw_http_v2_event.json):
        header names lowercased, ``timeEpoch`` = ``now``, a ``?query`` of ``path`` in
        ``rawQueryString`` and ``queryStringParameters``. An unrouted request is answered 404.
        """
        method = method.upper()
        path, _, query = path.partition("?")
        found = self.route(method, path)
        if found is not None:
            route, match = found
            moment = now or datetime.now(UTC)
            raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
            try:
                text, encoded = raw.decode("utf-8"), False
            except UnicodeDecodeError:  # API Gateway passes a body that is not UTF-8 text base64-encoded
                text, encoded = base64.b64encode(raw).decode("ascii"), True
            route_key = f"{route.method} {route.path}"
            stage = self.stage
            event = {
                "version": "2.0",
                "routeKey": route_key,
                "rawPath": f"/{stage}{path}",
                "rawQueryString": query,
                "headers": {k.lower(): v for k, v in (headers or {}).items()} | {"content-length": str(len(raw))},
                "requestContext": {
                    "accountId": ACCOUNT_ID,
                    "apiId": self.apis.get(route.api, "local"),
                    "domainName": f"{self.apis.get(route.api, 'local')}.execute-api.{REGION}.amazonaws.com",
                    "domainPrefix": self.apis.get(route.api, "local"),
                    "http": {
                        "method": method,
                        "path": f"/{stage}{path}",
                        "protocol": "HTTP/1.1",
                        "sourceIp": "127.0.0.1",
                        "userAgent": "delaydesk-local",
                    },
                    "requestId": str(uuid.uuid4()),
                    "routeKey": route_key,
                    "stage": stage,
                    **({"authorizer": {"iam": LOCAL_IAM_CALLER}} if route.auth == "AWS_IAM" else {}),
                    "time": moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
                    "timeEpoch": int(moment.timestamp() * 1000),
                },
                "body": text,
                # decoded, as API Gateway's HTTP API gives them (and the rawPath it passes on)
                "pathParameters": {name: unquote(value) for name, value in match.groupdict().items()},
                **({"queryStringParameters": query_parameters(query)} if query else {}),
                "isBase64Encoded": encoded,
            }
            result: dict[str, Any] = self._invoke(route.function.logical_id, event)
            return result
        return {"statusCode": 404, "body": '{"message":"Not Found"}', "headers": {"content-type": "application/json"}}

    def route(self, method: str, path: str) -> tuple[HttpRoute, re.Match[str]] | None:
        """The template's route for ``method`` and ``path`` (no query string), with its match."""
        for route in self.routes:
            match = route.pattern.match(path)
            if match is not None and route.method in (method.upper(), "ANY"):
                return route, match
        return None
