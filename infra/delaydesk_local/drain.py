"""A mass send replayed in virtual time: the pacing benchmark and its test share this.

The real ``dispatch.dispatch`` runs against the embedded AWS's DynamoDB (claims, the send-rate
buckets, the notice log), but three things around it are modelled so that two hours of pacing
take minutes:

- the clock: ``dispatch.wall_clock`` reads a ``VirtualClock``;
- the Notices queue: ``VirtualQueue`` keeps each message until its visible-at time (it honours
  ``DelaySeconds`` as SQS does, capped at 900 s) and hands them out in that order. Handling a
  message takes no virtual time, so a message is handled at the moment it becomes visible (or
  ``jitter`` seconds later: the delivery latency of SQS and Lambda's poller, drawn at random);
- SES: ``QuotaSes`` stands in for the SES v2 client and refuses, as SES does, a send that would
  put more than ``rate`` e-mails into any one-second window, with the ``TooManyRequestsException``
  SES returns. ``senders.send_email`` and dispatch handle it as in AWS, and a throttled message
  comes back after the dispatch function's backoff (``notice_jobs.throttle_backoff``);
- SNS: ``QuotaSns`` stands in for the SNS client likewise for SMS: it refuses a Publish that would
  put more than ``sns_mps`` message parts (SNS counts SMS throughput in parts: a two-segment SMS is
  two) into any one-second window, with SNS's ``Throttled`` error (ThrottledException, HTTP 429).

An announcement can also be queued the way the fan-out queues it (``announce``): through the real
``scan.queue_notices`` a page at a time, which schedules each notice into its send slot (DelaySeconds
on the virtual queue, or the slot table in DynamoDB), with ``release_notices``' slot release run
every five virtual minutes. ``DrainResult.queued`` counts every time a notice was put on the queue.

``direct_dynamodb()`` (used by the benchmark, not by the test) sends pynamodb's calls straight to
moto's DynamoDB backend in-process: the same conditions, updates and errors, without the
serialisation to HTTP and back that costs most of a call's time on moto.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import random
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError
from pynamodb.connection.base import Connection

from delaydesk.core import aws
from delaydesk.core.config import Settings
from delaydesk.core.kinds import NoticeRequest
from delaydesk.delays import announcements, scan
from delaydesk.notices import dispatch, notice_jobs, senders, sms
from delaydesk.store import InFlight
from delaydesk_local.stack import ACCOUNT_ID, REGION

MAX_DELAY_SECONDS = 900
RELEASE_EVERY_SECONDS = 300
"""The release_notices schedule (rate(5 minutes))."""
WINDOW_SECONDS = 1.0
ROUNDING = 1e-6
"""Two sends this close to one second apart count as one second apart (float rounding of epochs)."""

Key = tuple[str, str]
"""A notice key as the notice log has it: (order id, ``kind#stage#channel``)."""


def key_of(request: NoticeRequest) -> Key:
    return (request.order_id, request.notice_id)


@contextlib.contextmanager
def direct_dynamodb() -> Iterator[None]:
    """pynamodb's calls go to moto's DynamoDB backend without botocore and HTTP in between.

    Each call runs the operation of moto's ``DynamoHandler`` on the parameters pynamodb would
    have sent, and returns its result as botocore would have parsed it; moto's errors become the
    ``ClientError`` botocore would have raised (``ConditionalCheckFailedException``…).
    """
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    handler = DynamoHandler()
    handler.current_account = ACCOUNT_ID
    handler.region = REGION
    original = Connection._make_api_call

    def call(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        operation = getattr(DynamoHandler, xform_name(operation_name))
        operation = getattr(operation, "__wrapped__", operation)  # skip the CRC32 of the HTTP body
        handler.body = handler.params = operation_kwargs
        try:
            result = operation(handler)
        except JsonRESTError as exc:
            error = {"Code": exc.relative_error_type, "Message": exc.message}
            raise ClientError({"Error": error}, operation_name) from exc  # type: ignore[typeddict-item]
        assert isinstance(result, ActionResult), f"{operation_name} answered {type(result)}"
        answer: dict[str, Any] = result.result  # type: ignore[assignment]
        return answer

    Connection._make_api_call = call  # type: ignore[method-assign]
    try:
        yield
    finally:
        Connection._make_api_call = original  # type: ignore[method-assign]


class VirtualClock:
    """Seconds since the epoch, moved only by the drain."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass(order=True)
class Message:
    visible_at: float
    seq: int
    request: NoticeRequest = field(compare=False)
    receives: int = field(default=0, compare=False)


class VirtualQueue:
    """The Notices queue: SendMessage with DelaySeconds, and receipt in visible-at order."""

    def __init__(self, clock: VirtualClock, jitter: float = 0.0, seed: int = 5) -> None:
        self.clock = clock
        self.jitter = jitter
        self._random = random.Random(seed)  # noqa: S311 - simulated latency, not a secret
        self._heap: list[Message] = []
        self._seq = 0
        self.sent = 0
        """SendMessage calls (re-queues by dispatch, and what the drain submitted)."""
        self.received = 0
        """Messages handed to the dispatch function (Lambda receives them ten at a time)."""
        self.queued: Counter[Key] = Counter()
        """Messages put on the queue per notice key (by any producer)."""

    def send(self, request: NoticeRequest, delay_seconds: int = 0) -> None:
        """What ``notice_jobs.requeue`` does on SQS: the message is invisible for ``delay_seconds``."""
        self.send_at(request, self.clock.now + max(0, min(MAX_DELAY_SECONDS, delay_seconds)))

    def send_at(self, request: NoticeRequest, visible_at: float) -> None:
        """A message sent so that it becomes visible at ``visible_at`` (what a producer queued)."""
        self.sent += 1
        self.queued[key_of(request)] += 1
        self.push(Message(visible_at, self._next_seq(), request))

    def peek(self) -> float | None:
        """When the next message becomes visible (None: the queue is empty)."""
        return self._heap[0].visible_at if self._heap else None

    def push(self, message: Message) -> None:
        if self.jitter:
            message.visible_at += self._random.uniform(0.0, self.jitter)
        heapq.heappush(self._heap, message)

    def retry(self, message: Message, after_seconds: float) -> None:
        """The same message visible again after its visibility timeout (a failed record)."""
        self.push(Message(self.clock.now + after_seconds, self._next_seq(), message.request, message.receives))

    def receive(self) -> Message | None:
        """The next message to become visible; the clock moves to that moment."""
        if not self._heap:
            return None
        message = heapq.heappop(self._heap)
        self.clock.now = max(self.clock.now, message.visible_at)
        message.receives += 1
        self.received += 1
        return message

    def __len__(self) -> int:
        return len(self._heap)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq


class VirtualSqs:
    """The SQS client as ``aws.send_batches`` uses it, on the virtual Notices queue."""

    def __init__(self, queue: VirtualQueue) -> None:
        self.queue = queue
        self.calls = 0

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        for entry in Entries:
            self.queue.send(NoticeRequest.model_validate_json(entry["MessageBody"]), entry.get("DelaySeconds", 0))
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


@dataclass
class Send:
    at: float
    order_id: str
    kind: str
    parts: int = 1
    """What the provider's quota counts: 1 per e-mail, the segments of an SMS."""


class _Quota:
    """A provider that refuses a send putting more than ``rate`` units into any one-second window."""

    def __init__(self, clock: VirtualClock, rate: float) -> None:
        self.clock = clock
        self.rate = rate
        self.sends: list[Send] = []
        self.throttled = 0
        self._window: deque[tuple[float, int]] = deque()

    def _admit(self, units: int) -> bool:
        now = self.clock()
        while self._window and self._window[0][0] <= now - WINDOW_SECONDS + ROUNDING:
            self._window.popleft()
        if sum(n for _, n in self._window) + units > self.rate:
            self.throttled += 1
            return False
        self._window.append((now, units))
        return True

    def max_in_window(self, *, parts: bool = False) -> int:
        """The most sends (``parts``: their units) in any one-second window (sends are in time order)."""
        best = start = inside = 0
        for send in self.sends:
            inside += send.parts if parts else 1
            while self.sends[start].at <= send.at - WINDOW_SECONDS + ROUNDING:
                inside -= self.sends[start].parts if parts else 1
                start += 1
            best = max(best, inside)
        return best


class QuotaSes(_Quota):
    """The SES v2 client as ``senders.send_email`` uses it, with SES's maximum send rate."""

    def send_email(self, **kwargs: Any) -> dict[str, Any]:
        if not self._admit(1):
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                "SendEmail",
            )
        tags = {tag["Name"]: tag["Value"] for tag in kwargs.get("EmailTags", [])}
        self.sends.append(Send(self.clock(), tags.get("order_id", ""), tags.get("kind", "")))
        return {"MessageId": f"virtual-{uuid.uuid4().hex}"}


class QuotaSns(_Quota):
    """The SNS client as ``senders.send_sms`` uses it, with the account's SMS throughput: ``rate``
    message parts per second (20 on shared routes). The notice being sent is ``current`` (set by
    the drain around each dispatch: an SMS carries no tags)."""

    current: NoticeRequest | None = None

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        parts = sms.measure(str(kwargs.get("Message", ""))).segments
        if not self._admit(parts):
            raise ClientError({"Error": {"Code": "Throttled", "Message": "Throttled request."}}, "Publish")
        request = self.current
        order_id, kind = (request.order_id, request.kind.value) if request is not None else ("", "")
        self.sends.append(Send(self.clock(), order_id, kind, parts))
        return {"MessageId": f"virtual-{uuid.uuid4().hex}"}


@dataclass
class DrainResult:
    outcomes: Counter[str] = field(default_factory=Counter)
    requeues: Counter[Key] = field(default_factory=Counter)
    releases: int = 0
    """Runs of the slot release (every five virtual minutes while the slot table holds notices)."""
    submitted_at: dict[Key, float] = field(default_factory=dict)
    throttle_retries: int = 0


class Drain:
    """Submit notice requests at virtual times, then ``run()`` until the queue is empty."""

    def __init__(
        self, rate: float, start: float, settings: Settings, jitter: float = 0.0, sns_mps: float = 20.0
    ) -> None:
        self.clock = VirtualClock(start)
        self.start = start
        self.queue = VirtualQueue(self.clock, jitter)
        self.ses = QuotaSes(self.clock, rate)
        self.sns = QuotaSns(self.clock, sns_mps)
        self.settings = settings
        self.result = DrainResult()
        self.sqs = VirtualSqs(self.queue)
        self.announced: set[Key] = set()
        """Keys queued by ``announce``: the drain runs the slot release until each was queued."""
        self._next_release = start + RELEASE_EVERY_SECONDS
        self.arrivals: dict[Key, tuple[float, NoticeRequest]] = {}

    def submit(self, request: NoticeRequest, at: float | None = None) -> None:
        """Queue ``request`` so that it becomes visible at ``at`` (default: now)."""
        moment = self.clock.now if at is None else at
        self.queue.send_at(request, moment)
        self.result.submitted_at[key_of(request)] = moment

    def announce(self, requests: list[NoticeRequest], page: int = 50) -> None:
        """Queue ``requests`` now as the fan-out does: ``scan.queue_notices`` a page at a time
        (the recompute's page), which schedules announcements into send slots."""
        with self.patched():
            for start in range(0, len(requests), page):
                scan.queue_notices(requests[start : start + page], self.settings)
        self.announced.update(key_of(r) for r in requests)

    def requeue(self, request: NoticeRequest, delay_seconds: int) -> None:
        self.result.requeues[key_of(request)] += 1
        self.queue.send(request, delay_seconds)

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        """Point dispatch at the virtual clock, SES and SNS; stdout (metrics) goes nowhere."""
        saved = dispatch.wall_clock, announcements.wall_clock, notice_jobs.wall_clock, aws.sesv2, aws.sqs, aws.sns
        dispatch.wall_clock = announcements.wall_clock = notice_jobs.wall_clock = self.clock
        aws.sesv2 = self._ses  # type: ignore[assignment]
        aws.sqs = self._sqs  # type: ignore[assignment]
        aws.sns = self._sns  # type: ignore[assignment]
        try:
            with contextlib.redirect_stdout(io.StringIO()) as sink:
                self._sink = sink
                yield
        finally:
            dispatch.wall_clock, announcements.wall_clock, notice_jobs.wall_clock, aws.sesv2, aws.sqs, aws.sns = saved

    def _sqs(self) -> Any:
        return self.sqs

    def _ses(self) -> Any:
        return self.ses

    def _sns(self) -> Any:
        return self.sns

    def run(self, progress: Callable[[int], None] | None = None, *, dispatching: bool = True) -> DrainResult:
        """Handle every message as the dispatch function does, until none is left.

        ``dispatching=False`` only receives them (the slot releases still run): what the producers
        queued, and when each became visible (``arrivals``), without the cost of dispatch."""
        with self.patched():
            while (message := self._next()) is not None:
                if dispatching:
                    self._handle(message)
                else:
                    self.arrivals[key_of(message.request)] = (self.clock.now, message.request)
                if self.queue.received % 10_000 == 0:
                    self._sink.seek(0)
                    self._sink.truncate()
                    if progress is not None:
                        progress(self.queue.received)
        return self.result

    def _unqueued(self) -> bool:
        return any(key not in self.queue.queued for key in self.announced)

    def _next(self) -> Message | None:
        """The next message, after the slot releases due before it (the five-minute schedule)."""
        idle = 0
        while True:
            visible = self.queue.peek()
            if visible is not None and visible < self._next_release:
                return self.queue.receive()
            if visible is None and not (self.announced and self._unqueued()):
                return None
            self.clock.now = max(self.clock.now, self._next_release)
            self._next_release += RELEASE_EVERY_SECONDS
            released = notice_jobs.release_slots(self.clock.now, self.settings)
            self.result.releases += 1
            idle = 0 if released or visible is not None else idle + 1
            if idle > 12:
                raise RuntimeError("the slot table holds announced notices that no release queues")

    def _handle(self, message: Message) -> None:
        request = message.request
        self.sns.current = request
        try:
            outcome = dispatch.dispatch(request, request.requested_at, self.settings, self.requeue)
        except InFlight:
            self.queue.retry(message, self.settings.notice_claim_lease_seconds)
            self.result.outcomes["in_flight"] += 1
        except ClientError as exc:
            if not senders.is_throttling(exc):
                raise
            self.result.throttle_retries += 1
            self.queue.retry(message, notice_jobs.throttle_backoff(message.receives))
            self.result.outcomes["throttled"] += 1
        else:
            self.result.outcomes[outcome] += 1
