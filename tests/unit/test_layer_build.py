"""The SharedLayer as Lambda runs it: built by shared/build_layer.py from the locked requirements,
imported and rendering notices under CPython 3.12 (the template's runtime) with nothing else on
its path but what the runtime itself provides (boto3, botocore and their dependencies).

A prune that removes something a function loads, a lock that drifts from the layer's
requirements, or a wheel that behaves differently on 3.12 fails here, not in a Lambda.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from delaydesk.core.config import Settings
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.notices.templates_admin import preview

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")


def _load_build_layer() -> Any:
    spec = importlib.util.spec_from_file_location("build_layer", ROOT / "shared" / "build_layer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_layer = _load_build_layer()


def python312() -> str:
    """The Lambda runtime's Python, the one the layer is compiled with (build_layer.runtime_python)."""
    python = build_layer.runtime_python()
    if python is None:
        pytest.fail("the Lambda runtime's CPython 3.12 is needed to test the layer (pyenv install 3.12)")
    return str(python)


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("layer") / "python"
    build_layer.build(target)
    return target


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the Lambda runtime puts on the path besides the layers: boto3 and its dependencies."""
    site = Path(importlib.util.find_spec("boto3").origin).parents[1]  # type: ignore[arg-type, union-attr]
    folder = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_PROVIDED:
        (folder / name).symlink_to(site / name)
    return folder


SMOKE = r"""
import importlib.util, json, sys
from pathlib import Path
layer, functions = Path(sys.argv[1]), Path(sys.argv[2])
for app in sorted(functions.glob("*/app.py")):
    spec = importlib.util.spec_from_file_location(app.parent.name, app)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.handler), app
from delaydesk.core.config import Settings
from delaydesk.core.merchants import SUPPORTED_LOCALES
from delaydesk.core.kinds import Kind, NoticeChannel
from delaydesk.notices.templates_admin import preview
settings = Settings(templates_dir=sys.argv[3])
out = {}
for kind in Kind:
    for locale in SUPPORTED_LOCALES:
        for channel in NoticeChannel:
            r = preview(kind, locale, channel, settings)
            out[f"{kind.value}/{locale}/{channel.value}"] = [r.subject, r.text, r.html, r.sms, r.inbox]
allowed = (sys.base_prefix, str(layer), str(functions), sys.argv[4])
outside = sorted(
    name for name, m in sys.modules.items() if getattr(m, "__file__", None) and not m.__file__.startswith(allowed)
)
print(json.dumps({"notices": out, "outside": outside, "version": list(sys.version_info[:2])}))
"""


def test_every_handler_imports_and_renders_under_python312_from_the_layer_alone(layer: Path, runtime: Path) -> None:
    templates = ROOT / "templates" / "notices"
    env = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "delaydesk",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }
    # -I: no user site, no PYTHON* variables, no current folder; -B: /opt is read-only in Lambda.
    prelude = f"import sys; sys.path[:0] = {[str(layer), str(runtime)]!r}\n"
    done = subprocess.run(
        [
            python312(),
            "-I",
            "-B",
            "-c",
            prelude + SMOKE,
            str(layer),
            str(ROOT / "functions"),
            str(templates),
            str(runtime),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT / "functions",
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["version"] == [3, 12]
    assert result["outside"] == [], "loaded from outside the layer and the runtime"
    settings = Settings(templates_dir=str(templates))
    for kind in Kind:
        for locale in SUPPORTED_LOCALES:
            for channel in NoticeChannel:
                r = preview(kind, locale, channel, settings)
                key = f"{kind.value}/{locale}/{channel.value}"
                assert result["notices"][key] == [r.subject, r.text, r.html, r.sms, r.inbox], key


def test_the_layer_leaves_out_the_runtime_and_unused_locales(layer: Path) -> None:
    names = {p.name for p in layer.iterdir()}
    assert not {"boto3", "botocore"} & names
    assert {"delaydesk", "msgspec", "jinja2", "babel", "pynamodb", "aws_lambda_powertools"} <= names
    assert not {"pydantic", "pydantic_core", "pydantic_settings"} & names  # the records are msgspec's
    assert sorted(p.stem for p in (layer / "babel" / "locale-data").glob("*.dat")) == sorted(build_layer.BABEL_LOCALES)


BYTECODE = r"""
import importlib.util, json, sys
from pathlib import Path
layer = Path(sys.argv[1])
bad = {}
for source in sorted(layer.rglob("*.py")):
    cached = Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        bad[str(source.relative_to(layer))] = "no .pyc"
        continue
    head = cached.read_bytes()[:16]
    flags = int.from_bytes(head[4:8], "little")
    if head[:4] != importlib.util.MAGIC_NUMBER or flags != 0b01:
        bad[str(source.relative_to(layer))] = f"magic {head[:4].hex()} flags {flags:#b}"
    elif head[8:16] != importlib.util.source_hash(source.read_bytes()):
        bad[str(source.relative_to(layer))] = "stale"
print(json.dumps({"sources": len(list(layer.rglob("*.py"))), "bad": bad}))
"""


def test_every_module_of_the_layer_ships_its_python312_bytecode(layer: Path) -> None:
    """/opt is read-only: a module without its .pyc would be compiled from source on every cold start.
    Each .pyc is the runtime's (3.12's magic number), unchecked-hash (flags 0b01: valid whatever mtime
    the zip gives the source) and the hash of the source beside it; nothing in it names the build folder."""
    done = subprocess.run(
        [python312(), "-I", "-B", "-c", BYTECODE, str(layer)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert result["sources"] > 400
    assert result["bad"] == {}
    assert not [p for p in layer.rglob("*.pyc") if str(layer).encode() in p.read_bytes()]


def test_layer_requirements_are_the_runtime_part_of_the_lock() -> None:
    """shared/requirements.txt is what `make layer-requirements` exports from uv.lock, unedited."""
    uv = Path(sys.executable).parent / "uv"
    makefile = (ROOT / "Makefile").read_text()
    provided = makefile.split("RUNTIME_PROVIDED :=", 1)[1].splitlines()[0].split()
    exported = subprocess.run(
        [str(uv), "export", "--frozen", "--quiet", "--no-dev", "--no-emit-project", "--format", "requirements-txt"]
        + [arg for name in provided for arg in ("--no-emit-package", name)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    strip = lambda text: [ln for ln in text.splitlines() if not ln.startswith("#")]  # noqa: E731
    assert strip((ROOT / "shared" / "requirements.txt").read_text()) == strip(exported)
