"""The embedded AWS: moto with the DelayDesk stack deployed, and an in-process event loop.

``LocalAws`` starts moto, deploys ``template.yaml`` (see ``stack.py``), then drives the
functions the template defines the way Lambda would: SQS batches from the queues named by the
functions' event-source mappings (with partial-batch-failure semantics, redrive to the DLQ
included) and EventBridge "Scheduled Event"s whose ``time`` is the simulated now. It deploys with
an SES configuration set, as an operator would, and publishes the SES events of the e-mails sent
through it (``ses_events.py``), so feedback flows like every other queue.

``LocalAws`` is the facade; the parts of the emulator are its collaborators: ``provisioning``
(the operator's steps), ``gaps`` (what moto's CloudFormation skips, with ``template_values`` for
the template's intrinsics as deployed), ``discovery`` (functions and their triggers),
``invocation`` (Lambda in-process), ``queues`` (the SQS poller), ``schedules`` (EventBridge
rules), ``http_api`` (the HTTP API's routes) and ``messaging`` (SES and SNS).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import boto3
from moto import mock_aws

from delaydesk_local import (
    fast_dispatch,
    fast_query,
    fast_serialize,
    fast_transact,
    partiql_insert,
    ses_events,
    shared_loader,
)
from delaydesk_local.aws_calls import AwsCalls
from delaydesk_local.discovery import discover, discover_http_routes
from delaydesk_local.gaps import DeploymentGaps
from delaydesk_local.http_api import HttpApi, HttpRoute
from delaydesk_local.invocation import LOCAL_ENV, FunctionRunner, FunctionSpec, Invocation, LambdaContext
from delaydesk_local.messaging import Messaging
from delaydesk_local.provisioning import (
    LOCAL_CONFIGURATION_SET,
    LOCAL_ORDER_LINK_KEY,
    LOCAL_WEBHOOK_SECRETS,
    create_configuration_set,
    put_order_link_key,
    put_webhook_secrets,
)
from delaydesk_local.queues import QueueBinding, Queues, sqs_event
from delaydesk_local.schedules import Schedules, scheduled_event
from delaydesk_local.stack import REGION, DeployedStack, deploy
from delaydesk_local.template_values import TemplateValues

__all__ = [
    "LOCAL_CONFIGURATION_SET",
    "LOCAL_ENV",
    "LOCAL_ORDER_LINK_KEY",
    "LOCAL_WEBHOOK_SECRETS",
    "FunctionSpec",
    "HttpRoute",
    "Invocation",
    "LambdaContext",
    "LocalAws",
    "QueueBinding",
]


class LocalAws:
    """Use as a context manager: ``with LocalAws() as aws: aws.send_event(...); aws.tick(now)``."""

    def __init__(self, parameters: dict[str, str] | None = None, log_stream: IO[str] | None = None) -> None:
        # Deployed with a configuration set, as a real deployment is; a caller may name another
        # one, or none with ``{"ConfigurationSetName": ""}``. SMS are not paced unless a caller sets
        # ``SmsSendRate``: DelaySeconds run in real time here, and a paced SMS would be re-queued
        # out of a simulation's reach (as e-mails are only where a merchant sets max_send_rate).
        self.parameters = {
            "ConfigurationSetName": LOCAL_CONFIGURATION_SET,
            "SmsSendRate": "0",
            **(parameters or {}),
        }
        self.log_stream: IO[str] = log_stream if log_stream is not None else io.StringIO()
        self.notes: list[str] = []
        self._mock: Any = None
        self._clients: dict[str, Any] = {}
        self.stack: DeployedStack
        self.functions: dict[str, FunctionSpec] = {}
        self.queue_bindings: list[QueueBinding] = []
        self.schedules: dict[str, FunctionSpec] = {}  # rule name -> target function
        self.schedule_expressions: dict[str, str] = {}  # rule name -> rate(...) or cron(...)
        self.http_routes: list[HttpRoute] = []
        self.http_apis: dict[str, str] = {}  # logical id -> api id (created through the API)
        self.webhook_secrets = dict(LOCAL_WEBHOOK_SECRETS)
        self.session: boto3.Session
        self.clock: datetime | None = None
        """The simulated now (set by ``tick`` and the simulator): the time of SES sends and events.
        Unset, SES events carry the wall-clock time, as the embedded SQS and SNS do."""
        self._values: TemplateValues  # the template as deployed (once deployed)
        self._runner = FunctionRunner(self.functions, self.log_stream)
        self._messaging = Messaging(self.client, clock=self._now, caller=self._caller)
        self._queues = Queues(
            self.client, self.queue_bindings, self.queue_url, self.invoke, self.notes, self.publish_ses_events
        )
        self._schedules = Schedules(self.schedules, self.invoke, self.schedule_expressions)
        self._http = HttpApi(self.http_routes, self.http_apis, self.parameters, self.invoke)
        self._exit_stack = contextlib.ExitStack()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalAws:
        # moto logs and warns about what its CloudFormation skips; we report it once, in notes.
        logging.getLogger("moto").setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto")
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._runner.enter()
        self._mock = mock_aws()
        self._mock.start()
        try:
            self._exit_stack.enter_context(self._runner.aws_calls)
            self._exit_stack.enter_context(fast_query.installed())
            self._exit_stack.enter_context(partiql_insert.installed())
            self._exit_stack.enter_context(fast_serialize.installed())
            self._exit_stack.enter_context(fast_transact.installed())
            self._exit_stack.enter_context(fast_dispatch.installed())
            self._exit_stack.enter_context(shared_loader.installed())
            self._exit_stack.enter_context(ses_events.recording_sends(self._messaging.sends))
            self.session = boto3.Session(region_name=REGION)
            create_configuration_set(self.client, self.parameters, self.notes)
            # moto prints its own notices on stdout; keep stdout clean for `simulate --json`.
            with contextlib.redirect_stdout(self.log_stream):
                self.stack = deploy(parameters=self.parameters, session=self.session)
            self._values = TemplateValues(self.stack, self.parameters)
            gaps = DeploymentGaps(self.stack, self._values, self.client, self.notes, self.http_apis)
            gaps.fill()
            discover(
                self.client, self.stack, self.functions, self.queue_bindings, self.schedules, self.schedule_expressions
            )
            gaps.resolve_api_ids(self.functions)
            discover_http_routes(self.functions, self.http_routes)
            put_webhook_secrets(self.client, self.functions, self.webhook_secrets, self.notes)
            put_order_link_key(self.client, self.functions, self.notes)
            self._runner.enter_function_env(next(iter(self.functions.values())))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        from delaydesk.core.observability import logger

        self._exit_stack.close()
        self._mock.stop()
        self._warnings.__exit__(None, None, None)
        self._runner.leave(logger)

    def client(self, service: str) -> Any:
        # One client per service: creating a botocore client costs milliseconds, and the event
        # loop asks for one on every receive.
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    def _resolve(self, value: Any) -> Any:
        """A template value (``Ref``, ``Fn::GetAtt``) as the stack was deployed."""
        return self._values.resolve(value)

    def queue_url(self, logical_id: str) -> str:
        return self.stack.physical(logical_id)

    # ------------------------------------------------------------ invoking

    @property
    def invocations(self) -> list[Invocation]:
        """Every invocation, in order, with its event and its result (or the exception raised)."""
        return self._runner.invocations

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function of the template in-process, in its own environment."""
        return self._runner.invoke(logical_id, event)

    @property
    def aws_calls(self) -> AwsCalls:
        """The AWS calls each function made during its invocations (``aws_calls.py``)."""
        return self._runner.aws_calls

    def set_webhook_secret(self, name: str, secret: str) -> None:
        """Store one webhook secret (``aftership``, or ``generic/<merchant_id>``) where the stack reads it."""
        self.webhook_secrets[name] = secret
        put_webhook_secrets(self.client, self.functions, {name: secret}, [])

    # ------------------------------------------------------------ queues

    def send(self, queue_logical_id: str, body: str, attributes: dict[str, str] | None = None) -> str:
        """Send as a producer would (string message ``attributes``, e.g. ``delaydesk-origin``)."""
        return self._queues.send(queue_logical_id, body, attributes)

    def _receive(self, binding: QueueBinding) -> list[dict[str, Any]]:
        return self._queues.receive(binding)

    @staticmethod
    def sqs_event(binding: QueueBinding, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The Lambda SQS event for a batch, in the documented shape (tests/events/sqs_event.json)."""
        return sqs_event(binding, messages)

    def drain(self, max_batches: int = 100_000) -> int:
        """Deliver every visible message to its function until all queues are empty.

        Messages whose record failed stay invisible (as after a Lambda failure) until the next
        ``release_failed()``: in simulated time, that is the next tick. When the queues are empty,
        the SES events of the e-mails sent meanwhile are published (``publish_ses_events``) and
        their feedback drained too.
        """
        return self._queues.drain(max_batches)

    def release_failed(self) -> int:
        """Make failed messages visible again (their visibility timeout has passed)."""
        return self._queues.release_failed()

    def queue_depth(self, logical_id: str) -> int:
        return self._queues.depth(logical_id)

    # ------------------------------------------------------------ HTTP API

    @property
    def http_api(self) -> HttpApi:
        """The template's HTTP API as the embedded AWS routes it (its routes and stage)."""
        return self._http

    def http_request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: str | bytes = "",
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Route a request as the template's HTTP API would (``HttpApi.request``)."""
        return self._http.request(method, path, headers, body, now)

    # ------------------------------------------------------------ schedules

    @staticmethod
    def scheduled_event(rule_arn: str, now: datetime) -> dict[str, Any]:
        """An EventBridge "Scheduled Event" (tests/events/eventbridge_scheduled_event.json)."""
        return scheduled_event(rule_arn, now)

    def tick(self, now: datetime, *, paced: bool = False) -> None:
        """Fire every schedule of the template at ``now``, then drain what it queued (``paced``:
        only the rules whose rate has passed since they last fired, as EventBridge would)."""
        self.clock = now
        self.release_failed()
        self._schedules.fire(now, paced=paced)
        self.drain()

    # ------------------------------------------------------------ SES and SNS

    def _now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    def _caller(self) -> str:
        return self._runner.caller(default=self.stack.name)

    @property
    def ses_events(self) -> list[dict[str, Any]]:
        """Every SES event published, in order."""
        return self._messaging.published

    def event_destinations(self, configuration_set: str) -> list[dict[str, Any]]:
        """The event destinations of a configuration set, as SES keeps them."""
        return self._messaging.event_destinations(configuration_set)

    def publish_ses_events(self) -> int:
        """Publish what SES would for each e-mail sent since the last call; returns how many events
        (``Messaging.publish_ses_events``)."""
        return self._messaging.publish_ses_events()

    def verify_sender(self, address: str) -> None:
        """SES only sends from verified identities; the merchant does this once in real AWS."""
        self._messaging.verify_sender(address)

    def sent_messages(self) -> Iterator[dict[str, Any]]:
        """What the embedded SES and SNS accepted for delivery, in order (the customers' view)."""
        return self._messaging.sent_messages()
