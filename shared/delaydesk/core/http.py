"""The HTTP API's router: a route table keyed by the event's ``routeKey``, and the v2.0 answer.

API Gateway's HTTP API has already routed a request when the function sees it: each route is
declared in template.yaml and the payload format 2.0 event names it (``routeKey``,
``"GET /orders/{order_id}"``) with its ``pathParameters``. So a function needs no path matching,
only a table from route key to handler, a view of the request and the response dict. This is what
Powertools' ``APIGatewayHttpResolver`` did for these functions, answer for answer (its 3.37.0
responses: the same statuses, headers and bodies, gzip on ``Accept-Encoding``, the exception
handlers looked up along the exception's MRO, 404 ``{"statusCode":404,"message":"Not found"}`` for
a route it does not hold), without its package, which loads every resolver it has on import.

Pure: no AWS, no store; the request's time is ``Request.now``.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeVar

import msgspec

APPLICATION_JSON = "application/json"
TEXT_PLAIN = "text/plain"
NOT_FOUND_BODY = {"statusCode": 404, "message": "Not found"}

log = logging.getLogger(__name__)


class Request(msgspec.Struct, frozen=True, dict=True):
    """An API Gateway HTTP API payload format 2.0 event, read-only."""

    event: Mapping[str, Any]

    @property
    def route_key(self) -> str:
        return str(self.event.get("routeKey") or "")

    @property
    def path_parameters(self) -> dict[str, str]:
        return dict(self.event.get("pathParameters") or {})

    @property
    def query_parameters(self) -> dict[str, str]:
        """Decoded, a repeated name's values joined by commas (as API Gateway gives them)."""
        return dict(self.event.get("queryStringParameters") or {})

    def query(self, name: str) -> str | None:
        return self.query_parameters.get(name)

    @cached_property
    def headers(self) -> dict[str, str]:
        """Header names lowercased (API Gateway lowercases them already; a test's event may not)."""
        return {str(k).lower(): v for k, v in (self.event.get("headers") or {}).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def cookies(self) -> list[str]:
        return list(self.event.get("cookies") or [])

    @property
    def body(self) -> str | None:
        """The body as the event carries it (base64 text when ``is_base64_encoded``)."""
        body = self.event.get("body")
        return None if body is None else str(body)

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.event.get("isBase64Encoded"))

    @property
    def decoded_body(self) -> str | None:
        """The body as text: base64-decoded when so encoded (UnicodeDecodeError, binascii.Error)."""
        body = self.body
        if self.is_base64_encoded and body:
            return base64.b64decode(body.encode()).decode()
        return body

    @property
    def raw_path(self) -> str:
        """The path as requested, the stage's segment included (``/dev/orders/O-1``)."""
        return str(self.event.get("rawPath") or "")

    @property
    def context(self) -> Mapping[str, Any]:
        return self.event.get("requestContext") or {}

    @property
    def domain_name(self) -> str:
        return str(self.context.get("domainName") or "")

    @property
    def source_ip(self) -> str:
        return str((self.context.get("http") or {}).get("sourceIp") or "")

    @property
    def time_epoch(self) -> int:
        """When API Gateway received the request, in epoch milliseconds."""
        return int(self.context["timeEpoch"])

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time_epoch / 1000, tz=UTC)


class Response(msgspec.Struct):
    """A route's answer. A JSON ``content_type`` with a body that is not text serialises the body
    (compact); bytes are sent base64-encoded; ``compress`` gzips it for a client that accepts gzip."""

    status_code: int
    content_type: str | None = None
    body: Any = None
    headers: Mapping[str, str | list[str] | None] = msgspec.field(default_factory=dict)
    cookies: list[str] = msgspec.field(default_factory=list)
    compress: bool | None = None


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return math.nan if value.is_nan() else str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: object) -> str:
    """A JSON body as Powertools serialised one: compact, ASCII, Decimals as strings."""
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def gzip(data: bytes) -> bytes:
    """A gzip member (level 9), as Powertools compressed a body."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def to_event(response: Response, request: Request) -> dict[str, Any]:
    """The HTTP API's payload 2.0 answer: ``statusCode``, ``body``, ``isBase64Encoded``, ``headers``
    (a list's values joined by commas, a None left out), ``cookies``."""
    headers = dict(response.headers)
    if response.content_type:
        headers.setdefault("Content-Type", response.content_type)
    content_type = headers.get("Content-Type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0]
    body = response.body
    if content_type.startswith(APPLICATION_JSON) and not isinstance(body, str):
        body = dumps(body)
    if response.compress and body is not None and "gzip" in (request.header("accept-encoding") or ""):
        headers["Content-Encoding"] = "gzip"
        body = gzip(body.encode("utf-8") if isinstance(body, str) else body)
    encoded = isinstance(body, bytes)
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode()
    joined = {k: v if isinstance(v, str) else ", ".join(v) for k, v in headers.items() if v is not None}
    return {
        "statusCode": response.status_code,
        "body": body,
        "isBase64Encoded": encoded,
        "headers": joined,
        "cookies": [str(cookie) for cookie in response.cookies],
    }


RouteHandler = Callable[..., "Response | dict[str, Any]"]
ErrorHandler = Callable[[Any], Response]
R = TypeVar("R", bound=RouteHandler)
E = TypeVar("E", bound=ErrorHandler)


class Router:
    """Route key → handler (called with the path parameters as keywords); exception class →
    handler (the most specific along the exception's MRO). ``request`` is the request being
    answered, for the handlers and their helpers, while ``resolve`` runs."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteHandler] = {}
        self.errors: dict[type[BaseException], ErrorHandler] = {}
        self._request: Request | None = None

    def route(self, route_key: str) -> Callable[[R], R]:
        """Register the handler of ``route_key`` (``"GET /orders/{order_id}"``, as template.yaml)."""

        def register(handler: R) -> R:
            if route_key in self.routes:
                raise ValueError(f"route {route_key!r} registered twice")
            self.routes[route_key] = handler
            return handler

        return register

    def get(self, path: str) -> Callable[[R], R]:
        return self.route(f"GET {path}")

    def post(self, path: str) -> Callable[[R], R]:
        return self.route(f"POST {path}")

    def put(self, path: str) -> Callable[[R], R]:
        return self.route(f"PUT {path}")

    def error(self, *classes: type[BaseException]) -> Callable[[E], E]:
        """Register the answer to an exception a route raises."""

        def register(handler: E) -> E:
            for cls in classes:
                self.errors[cls] = handler
            return handler

        return register

    @property
    def request(self) -> Request:
        if self._request is None:
            raise RuntimeError("no request is being answered")
        return self._request

    def resolve(self, event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
        """Answer ``event`` (``context``, Lambda's, is accepted for the handlers' call and unused).
        An exception no handler answers is logged and raised (Lambda reports it: a 500)."""
        request = Request(event)
        self._request = request
        try:
            return to_event(self._answer(request), request)
        finally:
            self._request = None

    def _answer(self, request: Request) -> Response:
        handler = self.routes.get(request.route_key)
        if handler is None:
            return Response(404, APPLICATION_JSON, NOT_FOUND_BODY)
        try:
            result = handler(**request.path_parameters)
        except Exception as exc:
            answer = next((self.errors[cls] for cls in type(exc).__mro__ if cls in self.errors), None)
            if answer is None:
                log.exception(exc)
                raise
            return answer(exc)
        return result if isinstance(result, Response) else Response(200, APPLICATION_JSON, result)
