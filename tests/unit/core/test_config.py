"""Settings read the environment as pydantic-settings' ``BaseSettings`` did (the reference below),
name the variables template.yaml sets, with its parameters' defaults and bounds, and refuse a bad
value naming its variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from pydantic import Field, ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from delaydesk.core.config import SPECS, Settings, SettingsError, Spec

ROOT = Path(__file__).resolve().parents[3]
FIELDS = {spec.name: spec for spec in SPECS.values()}


def _reference_field(spec: Spec) -> tuple[type, Any]:
    kind = int if "ge" in spec.metadata else str
    bounds = {"ge": spec.metadata["ge"], "le": spec.metadata["le"]} if kind is int else {}
    alias = {"validation_alias": "AWS_REGION"} if spec.name == "aws_region" else {}
    return kind, Field(default=spec.metadata["default"], **bounds, **alias)  # type: ignore[call-overload]


Reference = create_model(  # type: ignore[call-overload]
    "Reference",
    __base__=BaseSettings,
    __config__=None,
    **{name: _reference_field(spec) for name, spec in FIELDS.items()},
)
"""The settings as they were: a ``BaseSettings`` with the same fields, defaults and bounds."""
Reference.model_config = SettingsConfigDict(extra="ignore", frozen=True)

ENVIRONMENTS = [
    {},
    {"ORDERS_TABLE": "stack-orders-1", "AWS_REGION": "eu-west-1", "DUE_SHARDS": "16", "UNRELATED": "x"},
    {"stall_hours": "72", "Scan_Page_Size": "50", "TEMPLATES_DIR": "/opt/notices", "SCAN_WORK_QUEUE_URL": ""},
    {"STALL_HOURS": " 96 ", "UPDATE_EVERY_DAYS": "4.0", "SCAN_MAX_ORDERS": "1_000", "DUE_SHARDS": "+2"},
]


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in FIELDS:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_field_is_read_from_its_name_in_capitals() -> None:
    assert {name: spec.metadata["env"] for name, spec in FIELDS.items()} == {name: name.upper() for name in FIELDS}


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_the_environment_is_read_as_base_settings_did(
    clean_environ: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    for key, value in environ.items():
        clean_environ.setenv(key, value)
    assert msgspec.structs.asdict(Settings()) == Reference().model_dump()
    assert msgspec.structs.asdict(Settings(templates_dir="/tmp/t")) == Reference(templates_dir="/tmp/t").model_dump()


@pytest.mark.parametrize(
    "bad",
    [
        {"DUE_SHARDS": "65"},
        {"STALL_HOURS": "soon"},
        {"DUE_SHARDS": ""},
        {"REJECTED_RETENTION_DAYS": "0"},
        {"rejected_retention_days": "366"},
        {"WEBHOOK_TOLERANCE_SECONDS": "299"},
        {"SCAN_PAGE_SIZE": "0x10"},
        {"SCAN_PAGE_SIZE": "1e2"},
        {"SCAN_PAGE_SIZE": "2.5"},
        {"SCAN_PAGE_SIZE": "\u0663"},  # an Arabic-Indic 3: int() takes it, pydantic did not
    ],
)
def test_an_invalid_value_is_refused_naming_its_variable(
    clean_environ: pytest.MonkeyPatch, bad: dict[str, str]
) -> None:
    for key, value in bad.items():
        clean_environ.setenv(key, value)
    with pytest.raises(ValidationError):
        Reference()
    with pytest.raises(SettingsError, match=next(iter(bad)).upper()):
        Settings()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"rejected_retention_days": 0},
            r"REJECTED_RETENTION_DAYS \(rejected_retention_days\)=0: must be between 1 and 365",
        ),
        ({"scan_max_orders": 0}, r"SCAN_MAX_ORDERS \(scan_max_orders\)=0: must be at least 1"),
        ({"due_shards": True}, r"DUE_SHARDS \(due_shards\): True is not an integer"),
        ({"stage": 3}, r"STAGE \(stage\): 3 is not text"),
    ],
)
def test_a_keyword_is_checked_as_the_environment_is(
    clean_environ: pytest.MonkeyPatch, given: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings(**given)


def test_keywords_win_and_settings_are_frozen(clean_environ: pytest.MonkeyPatch) -> None:
    clean_environ.setenv("STAGE", "staging")
    assert Settings().stage == "staging"
    assert Settings(stage="prod").stage == "prod"
    with pytest.raises(AttributeError):
        Settings().stage = "prod"  # type: ignore[misc]
    assert msgspec.structs.replace(Settings(), due_shards=2) == Settings(due_shards=2)


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, tag, node: (tag, getattr(node, "value", None)))


def _template_variables() -> dict[str, list[Any]]:
    """Every environment variable of template.yaml (the globals and each function's), with its values."""
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    found: dict[str, list[Any]] = {}
    scopes = [template["Globals"]["Function"]] + [r.get("Properties") or {} for r in template["Resources"].values()]
    for scope in scopes:
        for key, value in ((scope.get("Environment") or {}).get("Variables") or {}).items():
            found.setdefault(key, []).append(value)
    return found


LOCAL_DEFAULTS = {"SMS_SEND_RATE": 0}
"""Settings whose default (tools and tests, no variable set) differs from the deployed stack's on
purpose: SMS unpaced off Lambda, as the embedded AWS deploys with ``SmsSendRate`` 0 (its queue
delays run in real time)."""


def test_every_template_variable_is_a_setting_with_its_parameters_default_and_bounds() -> None:
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    parameters = template["Parameters"]
    variables = {k: v for k, v in _template_variables().items() if not k.startswith("POWERTOOLS_")}
    by_variable = {spec.metadata["env"]: spec for spec in FIELDS.values()}
    assert set(variables) <= set(by_variable), set(variables) - set(by_variable)
    checked = 0
    for variable, values in variables.items():
        spec = by_variable[variable]
        for value in values:
            if isinstance(value, str):  # a literal: a valid value of its field
                Settings(**{spec.name: int(value) if "ge" in spec.metadata else value})
                continue
            tag, name = value
            if tag != "Ref" or name not in parameters:
                continue  # a resource's name or URL, a condition: the stack's, no default here
            parameter = parameters[name]
            if "Default" in parameter:
                assert spec.metadata["default"] == LOCAL_DEFAULTS.get(variable, parameter["Default"]), variable
            if parameter["Type"] == "Number":
                assert (spec.metadata["ge"], spec.metadata["le"]) == (parameter["MinValue"], parameter["MaxValue"])
                checked += 1
            for allowed in parameter.get("AllowedValues", []):
                Settings(**{spec.name: allowed})
    assert checked >= 5  # StallHours, UpdateEveryDays, DueShards, RejectedRetentionDays, WebhookToleranceSeconds


def test_reading_the_settings_imports_no_pydantic() -> None:
    probe = (
        "import sys; from delaydesk.core.config import get_settings; get_settings(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT / "shared"
    )
    assert done.stdout.strip() == "[]"
