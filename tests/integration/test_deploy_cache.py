"""Deploying again in the same process reuses the SAM transform and the zipped code (``stack.py``):
what it reuses is exactly what it would have computed, and a change is not missed."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from delaydesk_local import stack


def _fresh_translate(parameters: dict[str, str]) -> dict[str, object]:
    with mock_aws():
        session = boto3.Session(region_name=stack.REGION)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=stack.ARTIFACT_BUCKET)
        sam = stack._point_code_at_s3(stack.load_template(), s3)
        return stack.translate(sam, parameters, session)


def test_the_reused_transform_is_what_a_fresh_one_gives_and_each_caller_gets_its_own_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", stack.REGION)  # as the embedded AWS sets it
    parameters = {"Stage": "dev", "SenderEmail": "notices@shop.example"}
    stack._translated.clear()
    fresh = _fresh_translate(parameters)
    assert len(stack._translated) == 1
    again = _fresh_translate(parameters)
    assert again == fresh and again is not fresh
    again["Resources"].clear()  # a caller's changes stay its own
    assert _fresh_translate(parameters) == fresh
    stack._translated.clear()
    assert _fresh_translate(parameters) == fresh  # transformed anew: the same template
    # Other parameters are another transform.
    other = _fresh_translate({**parameters, "Stage": "prod"})
    assert len(stack._translated) == 2 and other != fresh


def _names_and_bytes(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_a_zipped_folder_is_reused_until_one_of_its_files_changes(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("print('a')\n", encoding="utf-8")
    (tmp_path / "pkg" / "mod.py").write_text("X = 1\n", encoding="utf-8")
    first = stack._zip_dir(tmp_path)
    assert stack._zip_dir(tmp_path) is first  # reused
    assert _names_and_bytes(first) == {"app.py": b"print('a')\n", "pkg/mod.py": b"X = 1\n"}
    (tmp_path / "pkg" / "mod.py").write_text("X = 2\n", encoding="utf-8")
    older = 400_000_000 * 10**9  # 1982: even with an older time, the file changed
    os.utime(tmp_path / "pkg" / "mod.py", ns=(older, older))
    assert _names_and_bytes(stack._zip_dir(tmp_path))["pkg/mod.py"] == b"X = 2\n"
    (tmp_path / "new.py").write_text("", encoding="utf-8")
    assert "new.py" in _names_and_bytes(stack._zip_dir(tmp_path))
