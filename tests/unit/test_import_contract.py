"""The direction of the arrows, kept by the test suite (README, "Architecture").

handlers → capabilities (wings) → store → core. Read with ``ast``, nothing is imported.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "delaydesk"
LAYERS = ("core", "store")
WINGS = ("tracking", "delays", "policy", "notices", "customer", "operations")
TOP_LEVEL = "delaydesk", "delaydesk.cli"
"""The only modules outside a wing or a layer (the command line is a package of its own)."""

PURE = {
    "delaydesk.core.carriers",
    "delaydesk.core.counts",
    "delaydesk.core.decisions",
    "delaydesk.core.events",
    "delaydesk.core.experiments",
    "delaydesk.core.fields",
    "delaydesk.core.http",
    "delaydesk.core.record",
    "delaydesk.core.origins",
    "delaydesk.core.pacing",
    "delaydesk.core.privacy",
    "delaydesk.core.sqs_batch",
    "delaydesk.core.kinds",
    "delaydesk.core.notice_kinds",
    "delaydesk.core.merchants",
    "delaydesk.core.orders",
    "delaydesk.core.taxonomy",
    "delaydesk.core.times",
    "delaydesk.core.transit",
    "delaydesk.core.windows",
    "delaydesk.core.zones",
    "delaydesk.tracking.webhooks",
    "delaydesk.tracking.webhook_errors",
    "delaydesk.tracking.parcels",
    "delaydesk.tracking.seventeen_track",
    "delaydesk.tracking.shopify",
    "delaydesk.tracking.easyship",
    "delaydesk.tracking.helpdesk",
    "delaydesk.delays.detect",
    "delaydesk.delays.window_errors",
    "delaydesk.policy.engine",
    "delaydesk.policy.timeouts",
    "delaydesk.policy.timers",
    "delaydesk.policy.consumer_rules",
    "delaydesk.notices.budget",
    "delaydesk.policy.choices",
    "delaydesk.notices.compensation",
    "delaydesk.notices.notice_policy",
    "delaydesk.notices.rendering",
    "delaydesk.notices.reader",
    "delaydesk.notices.sms",
    "delaydesk.customer.order_page",
    "delaydesk.customer.banner",
    "delaydesk.customer.wismo",
    "delaydesk.operations.doctor_keys",
    "delaydesk.operations.doctor_limits",
    "delaydesk.operations.doctor_mail",
    "delaydesk.operations.doctor_verdicts",
    "delaydesk.operations.explain",
    "delaydesk.operations.experiments",
    "delaydesk.operations.alert_thresholds",
    "delaydesk.operations.digest",
    "delaydesk.operations.robot_formats",
}
"""Decisions only: no AWS, no pynamodb, no store ("now" is passed in)."""
WING_PACKAGES = {f"delaydesk.{wing}" for wing in WINGS}
IMPURE = ("boto3", "botocore", "pynamodb", "aws_lambda_powertools", "delaydesk.store", "delaydesk.core.aws")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, *, top_only: bool = False) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, imported names, line) of every import (``top_only``: not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: list[ast.AST] = list(ast.iter_child_nodes(tree)) if top_only else list(ast.walk(tree))
    while top_only and any(isinstance(n, ast.If | ast.Try) for n in nodes):
        expanded: list[ast.AST] = []
        for node in nodes:
            expanded.extend(ast.iter_child_nodes(node) if isinstance(node, ast.If | ast.Try) else [node])
        nodes = expanded
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module, [alias.name for alias in node.names], node.lineno


def targets(module: str, names: list[str]) -> list[str]:
    """The delaydesk modules an import statement loads (``from pkg import submodule`` included)."""
    found = [f"{module}.{name}" for name in names if f"{module}.{name}" in MODULES]
    return found or ([module] if module in MODULES else [])


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS + WINGS else "top"


def graph(*, top_only: bool = False) -> dict[str, set[str]]:
    return {
        name: {t for mod, names, _ in imports(path, top_only=top_only) for t in targets(mod, names)} - {name}
        for name, path in MODULES.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_package_is_wings_and_layers_with_a_handful_of_top_level_modules() -> None:
    assert {area(m) for m in MODULES} <= {*LAYERS, *WINGS, "top"}
    assert all(m in TOP_LEVEL or m.startswith("delaydesk.cli.") for m in MODULES if area(m) == "top")
    for wing in (*LAYERS, *WINGS):
        doc = ast.get_docstring(ast.parse((PACKAGE / wing / "__init__.py").read_text(encoding="utf-8")))
        assert (doc and "May call" in doc) or (wing in LAYERS and doc), f"{wing}/__init__.py: say what it may call"


def test_no_import_cycles_between_modules() -> None:
    assert cycles(graph()) == []


def test_no_import_cycles_between_wings() -> None:
    edges: dict[str, set[str]] = {}
    for module, imported in graph().items():
        edges.setdefault(area(module), set()).update(area(t) for t in imported if area(t) != area(module))
    assert cycles(edges) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_layers_never_import_a_capability(layer: str) -> None:
    allowed = {"core"} if layer == "core" else {"core", "store"}
    wrong = [
        f"{module} imports {t}"
        for module, imported in graph().items()
        if area(module) == layer
        for t in imported
        if area(t) not in allowed
    ]
    assert wrong == []


def public_names(wing: str) -> set[str]:
    tree = ast.parse((PACKAGE / wing / "__init__.py").read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def callers() -> Iterator[tuple[str, str, Path]]:
    """(area, label, path) of every module that may use a wing: the wings, the top level, the handlers."""
    for module, path in MODULES.items():
        yield area(module), module, path
    for path in sorted((ROOT / "functions").glob("*/app.py")):
        yield "handler", str(path.relative_to(ROOT)), path


def test_a_wing_is_used_from_outside_only_through_its_public_names() -> None:
    wrong = []
    for where, label, path in callers():
        for module, names, line in imports(path):
            parts = module.split(".")
            if parts[0] != "delaydesk" or len(parts) < 2 or parts[1] not in WINGS or parts[1] == where:
                continue
            if module != f"delaydesk.{parts[1]}":
                wrong.append(f"{label}:{line} imports {module} (use delaydesk.{parts[1]})")
            elif missing := set(names) - public_names(parts[1]):
                wrong.append(f"{label}:{line} imports {sorted(missing)}, not public in delaydesk.{parts[1]}")
    assert wrong == []


def test_pure_modules_import_no_aws_no_pynamodb_no_store() -> None:
    assert set(PURE) <= set(MODULES)
    top = graph(top_only=True)
    wrong = []
    for module in sorted(PURE):
        reached, todo = set(), [module]
        while todo:  # what importing the module loads, transitively
            current = todo.pop()
            if current in reached:
                continue
            reached.add(current)
            # through its own wing and core; another wing's package is a public surface, I/O included
            todo.extend(t for t in top[current] if area(t) in (area(module), "core") and t not in WING_PACKAGES)
        for current in sorted(reached):
            for imported, _, line in imports(MODULES[current], top_only=True):
                if imported.startswith(IMPURE):
                    wrong.append(f"{module} loads {imported} ({current}:{line})")
    assert wrong == []


def test_every_subpackage_is_packaged() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    packages = {module_name(path) for path in PACKAGE.rglob("__init__.py")}
    assert packages <= listed
