"""Lambda, in-process: the template's functions loaded from their code and invoked as Lambda would.

Each invocation runs in the function's own environment (as CloudFormation resolved it) with a
Lambda context object; switching to another function resets DelayDesk's cached settings, clients
and helpers, as a new container would. The functions' JSON logs go to the embedded AWS's stream
rather than to stdout, so that ``simulate --json`` prints nothing else.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from delaydesk_local.aws_calls import AwsCalls
from delaydesk_local.stack import ACCOUNT_ID, REGION

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    role: str = ""  # the name of its execution role: the IAM identity that calls SES


@dataclass
class LambdaContext:
    """The attributes of the Lambda context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    result: Any


def point_logger(logger: Any, stream: IO[str] | None) -> IO[str] | None:
    """Send the functions' JSON logs to ``stream``; returns the previous one.

    Assigns instead of ``setStream``, which flushes the old stream (a closed file, perhaps).
    """
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler) or stream is None:
        return None
    handler.acquire()
    try:
        previous: IO[str] = handler.stream
        handler.stream = stream
    finally:
        handler.release()
    return previous


class FunctionRunner:
    """Invokes the functions of ``functions`` in-process and keeps the process's own environment.

    ``enter`` puts the local credentials and region in the environment; ``leave`` restores what
    was there before, environment and log stream alike.
    """

    def __init__(self, functions: dict[str, FunctionSpec], log_stream: IO[str]) -> None:
        self.functions = functions
        self.log_stream = log_stream
        self.invocations: list[Invocation] = []
        self.aws_calls = AwsCalls()
        """The AWS calls each function made, counted by a botocore hook during its invocations."""
        self.invoking: FunctionSpec | None = None
        """The function being invoked, if any: its role is the IAM identity that calls SES."""
        self._saved_env: dict[str, str | None] = {}
        self._modules: dict[str, ModuleType] = {}
        self._active_env: dict[str, str] | None = None
        self._saved_stream: IO[str] | None = None

    def enter(self) -> None:
        for key, value in LOCAL_ENV.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def leave(self, logger: Any) -> None:
        point_logger(logger, self._saved_stream)
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self.reset_delaydesk()

    def caller(self, default: str) -> str:
        """The role of the function being invoked, else ``default``."""
        return self.invoking.role if self.invoking is not None and self.invoking.role else default

    @staticmethod
    def reset_delaydesk() -> None:
        """A new "container": forget settings, clients and lazily built helpers."""
        from aws_lambda_powertools.utilities import parameters

        from delaydesk import store
        from delaydesk.core import aws
        from delaydesk.notices import dispatch, rendering

        parameters.clear_caches()  # type: ignore[no-untyped-call]
        aws.reset()
        rendering.environment.cache_clear()
        rendering.sandbox.cache_clear()
        dispatch.forget_merchants()
        store.forget_cached_merchants()

    def enter_function_env(self, spec: FunctionSpec) -> None:
        env = {**spec.environment, **LOCAL_ENV}
        if env == self._active_env:
            return
        # Each function sees its own environment only (as in Lambda), and leaving restores the
        # process's own (see leave).
        for key in (self._active_env or {}).keys() - env.keys():
            os.environ.pop(key, None)
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        self._active_env = env
        self.reset_delaydesk()
        from delaydesk.core.config import get_settings
        from delaydesk.core.observability import logger
        from delaydesk.store import bind

        bind(get_settings())
        if self._saved_stream is None:
            self._saved_stream = point_logger(logger, self.log_stream)
        else:
            point_logger(logger, self.log_stream)

    def module(self, spec: FunctionSpec) -> ModuleType:
        module_file, _ = spec.handler.rsplit(".", 1)
        key = f"delaydesk_functions.{spec.code_dir.name}.{module_file}"
        if key not in self._modules:
            path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
            loader_spec = importlib.util.spec_from_file_location(key, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[key] = module
            loader_spec.loader.exec_module(module)
            self._modules[key] = module
        return self._modules[key]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function of the template in-process, in its own environment."""
        spec = self.functions[logical_id]
        self.enter_function_env(spec)
        handler: Callable[[dict[str, Any], Any], Any] = getattr(self.module(spec), spec.handler.rsplit(".", 1)[1])
        context = LambdaContext(
            function_name=spec.name,
            memory_limit_in_mb=spec.memory,
            timeout_seconds=spec.timeout,
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.name}",
            log_group_name=f"/aws/lambda/{spec.name}",
        )
        self.invoking = spec
        try:
            with contextlib.redirect_stdout(self.log_stream), self.aws_calls.counting(spec.code_dir.name):
                result = handler(event, context)
        except Exception as exc:
            self.invocations.append(Invocation(logical_id, event, exc))
            raise
        finally:
            self.invoking = None
        self.invocations.append(Invocation(logical_id, event, result))
        return result
