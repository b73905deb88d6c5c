"""The wings and the store load their modules on first use (``delaydesk.core.lazy``): what mypy and
the import contract read (the ``TYPE_CHECKING`` imports) is what Python loads, and importing a
package loads none of its modules. Each check that depends on what is already imported runs in a
fresh interpreter."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "shared" / "delaydesk"
LAZY = ("store", "tracking", "delays", "policy", "notices", "customer", "operations")


def declared(package: str) -> tuple[dict[str, str], dict[str, str]]:
    """(the names of the ``TYPE_CHECKING`` imports, the ``lazy_exports`` table) of ``package``."""
    tree = ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    branch = next(node for node in tree.body if isinstance(node, ast.If))
    typed: dict[str, str] = {}
    for node in branch.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            is_module = (PACKAGE.parent / (submodule.replace(".", "/") + ".py")).exists()
            typed[alias.asname or alias.name] = submodule if is_module else f"{node.module}:{alias.name}"
    (assign,) = branch.orelse
    assert isinstance(assign, ast.Assign) and isinstance(assign.value, ast.Call)
    table = ast.literal_eval(assign.value.args[1])
    return typed, table


def run(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", **env},
    )
    return done.stdout


@pytest.mark.parametrize("package", LAZY)
def test_the_typed_names_are_the_loaded_names(package: str) -> None:
    typed, table = declared(package)
    assert typed == table


@pytest.mark.parametrize("package", LAZY)
def test_every_name_loads_what_it_names(package: str) -> None:
    module = importlib.import_module(f"delaydesk.{package}")
    _, table = declared(package)
    for name, target in table.items():
        source, _, attribute = target.partition(":")
        expected = importlib.import_module(source)
        assert getattr(module, name) is (getattr(expected, attribute) if attribute else expected)
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'not_exported'"):
        _ = module.not_exported


@pytest.mark.parametrize("package", LAZY)
def test_importing_a_package_loads_none_of_its_modules(package: str) -> None:
    loaded = run(
        f"import sys, json; import delaydesk.{package}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith('delaydesk.{package}.'))))"
    )
    assert json.loads(loaded) == []


def test_a_table_module_loaded_after_bind_uses_the_bound_tables() -> None:
    out = run(
        "from delaydesk import store; from delaydesk.core.config import Settings; "
        "store.bind(Settings(alerts_table='t-alerts')); "
        "from delaydesk.store.alerts import AlertRecord; "
        "print(AlertRecord.Meta.table_name, AlertRecord.Meta.region)",
        AWS_REGION="eu-west-1",
    )
    assert out.split() == ["t-alerts", "eu-west-1"]
