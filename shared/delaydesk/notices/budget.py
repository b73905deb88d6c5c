"""Merchant templates in a budget (pure): the sandbox they run in, with limits on render time,
output size, loop iterations and call (macro recursion) depth.

``ImmutableSandboxedEnvironment`` already keeps a template from Python internals and from mutating
what it is given; it does not keep it from exhausting the function that renders it. This sandbox
adds, per render:

- ``MAX_RENDER_SECONDS`` of wall-clock time, checked at every call, filter, operator, loop range
  and output chunk;
- ``MAX_OUTPUT_CHARS`` of output, and no intermediate value (``'x' * n``, a filter's result)
  larger than that;
- ``MAX_ITERATIONS`` items over all the ``range()`` loops of the render;
- ``MAX_CALL_DEPTH`` nested calls (a macro calling itself);
- and, statically when a template is saved, at most ``MAX_LOOP_NESTING`` nested ``for`` loops.

Over budget raises ``BudgetExceeded`` (a jinja2 ``SecurityError``): the upload is refused with the
reason, and at send time the bundled template is used instead (``rendering.render_context``).
"""

from __future__ import annotations

import contextvars
import functools
import re
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import FileSystemLoader, StrictUndefined, Template, nodes
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RENDER_SECONDS = 0.25
MAX_OUTPUT_CHARS = 20_000
MAX_ITERATIONS = 10_000
MAX_CALL_DEPTH = 12
MAX_LOOP_NESTING = 3


_WIDE_FORMAT = re.compile(r"%[-+ #0]*\d{5,}|\{[^}]*:[^}]*\d{5,}[^}]*\}")


class BudgetExceeded(SecurityError):
    """A merchant template went over its budget (the message says which limit)."""


class _Meter(msgspec.Struct):
    deadline: float
    iterations: int = 0
    depth: int = 0
    output: int = 0
    spent: list[str] = msgspec.field(default_factory=list)

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"rendering took longer than {MAX_RENDER_SECONDS} s")

    def size(self, value: Any) -> Any:
        if isinstance(value, str | list | tuple | dict | bytes):
            self.check_length(len(value))
        return value

    def check_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Refuse before the work: a width or count argument (``center(10**8)``, a ``%0100000000d``
        format) would build a value over the budget before its size could be checked."""
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
                raise BudgetExceeded(f"an argument of {value}, more than the {MAX_OUTPUT_CHARS} allowed")
            if isinstance(value, str) and _WIDE_FORMAT.search(value):
                raise BudgetExceeded("a format width of 5 digits or more")

    def check_length(self, length: int) -> None:
        if length > MAX_OUTPUT_CHARS:
            raise BudgetExceeded(f"a value of {length} items, more than the {MAX_OUTPUT_CHARS} allowed")


_meter: contextvars.ContextVar[_Meter | None] = contextvars.ContextVar("template_budget", default=None)


def _current() -> _Meter:
    meter = _meter.get()
    if meter is None:  # rendered outside ``render_module``: no budget to charge, refuse
        raise BudgetExceeded("a merchant template renders only inside its budget")
    return meter


def _budget_range(*args: int) -> range:
    meter = _current()
    meter.tick()
    span = range(*args)
    meter.iterations += len(span)
    if meter.iterations > MAX_ITERATIONS:
        raise BudgetExceeded(f"loops ran more than {MAX_ITERATIONS} iterations")
    return span


def _metered(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja2's pass_context / pass_eval_context markers
    def run(*args: Any, **kwargs: Any) -> Any:
        meter = _current()
        meter.tick()
        meter.check_arguments(args[1:], kwargs)  # the first is the value filtered
        return meter.size(function(*args, **kwargs))

    return run


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox with the per-render meter charged at every call, operator and filter."""

    intercepted_binops = frozenset({"*", "**", "+", "//", "%"})
    intercepted_unops = frozenset({"-"})

    def __init__(self, templates_dir: Path) -> None:
        super().__init__(
            loader=FileSystemLoader(str(templates_dir)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.globals["range"] = _budget_range
        self.filters = {name: _metered(f) for name, f in self.filters.items()}
        self.tests = {name: _metered(test) for name, test in self.tests.items()}  # type: ignore[arg-type]

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        meter = _current()
        meter.tick()
        if operator == "%":
            meter.check_arguments((left,), {})
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise BudgetExceeded("an exponent above 64")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(times, int):
                    meter.check_length(len(sequence) * max(times, 0))
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            meter.check_length(len(left) + len(right))
        return meter.size(super().call_binop(context, operator, left, right))

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        meter = _current()
        meter.tick()
        meter.depth += 1
        try:
            if meter.depth > MAX_CALL_DEPTH:
                raise BudgetExceeded(f"calls nested more than {MAX_CALL_DEPTH} deep (a recursive macro?)")
            meter.check_arguments(args, kwargs)
            return meter.size(super().call(__context, __obj, *args, **kwargs))
        finally:
            meter.depth -= 1


def loop_nesting(template_ast: nodes.Node, level: int = 0) -> int:
    """How deeply ``for`` loops nest in a parsed template."""
    deepest = level
    for child in template_ast.iter_child_nodes():
        inner = level + 1 if isinstance(child, nodes.For) else level
        deepest = max(deepest, loop_nesting(child, inner))
    return deepest


def static_problems(env: BudgetedSandbox, source: str) -> list[str]:
    """What is over budget in the source itself (checked when a template is saved)."""
    nesting = loop_nesting(env.parse(source))
    if nesting > MAX_LOOP_NESTING:
        return [f"for loops nest {nesting} deep, more than the {MAX_LOOP_NESTING} allowed"]
    return []


def render_module(template: Template, context: Mapping[str, Any]) -> TemplateModule:
    """``template.make_module(context)``, charged to a fresh budget."""
    meter = _Meter(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    token = _meter.set(meter)
    try:
        ctx = template.new_context(dict(context), shared=False)
        chunks: list[str] = []
        stream: Iterator[str] = template.root_render_func(ctx)
        for chunk in stream:
            meter.tick()
            meter.output += len(chunk)
            if meter.output > MAX_OUTPUT_CHARS:
                raise BudgetExceeded(f"output longer than {MAX_OUTPUT_CHARS} characters")
            chunks.append(chunk)
        return TemplateModule(template, ctx, chunks)
    except RecursionError:
        raise BudgetExceeded("recursion too deep") from None
    finally:
        _meter.reset(token)
