"""Settings read the environment as pydantic-settings' ``BaseSettings`` did (the reference below)."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from delaydesk.core.config import Settings

Reference = create_model(  # type: ignore[call-overload]
    "Reference",
    __base__=BaseSettings,
    __config__=None,
    **{name: (field.annotation, copy.deepcopy(field)) for name, field in Settings.model_fields.items()},
)
Reference.model_config = SettingsConfigDict(extra="ignore", frozen=True)

ENVIRONMENTS = [
    {},
    {"ORDERS_TABLE": "stack-orders-1", "AWS_REGION": "eu-west-1", "DUE_SHARDS": "16", "UNRELATED": "x"},
    {"stall_hours": "72", "Scan_Page_Size": "50", "TEMPLATES_DIR": "/opt/notices", "SCAN_WORK_QUEUE_URL": ""},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_the_environment_is_read_as_base_settings_did(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for key in [k for k in Settings.model_fields] + ["AWS_REGION"]:
        monkeypatch.delenv(key.upper(), raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert Settings().model_dump() == Reference().model_dump()
    assert Settings(templates_dir="/tmp/t").model_dump() == Reference(templates_dir="/tmp/t").model_dump()


@pytest.mark.parametrize("bad", [{"DUE_SHARDS": "65"}, {"STALL_HOURS": "soon"}, {"DUE_SHARDS": ""}])
def test_an_invalid_value_is_refused_as_before(monkeypatch: pytest.MonkeyPatch, bad: dict[str, str]) -> None:
    for key, value in bad.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        Reference()
    with pytest.raises(ValidationError):
        Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        Settings().stage = "prod"  # type: ignore[misc]
