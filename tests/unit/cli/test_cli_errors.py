"""Whatever keeps a ``delaydesk`` command from its stack, table or file is told in one line on
stderr, ``delaydesk: <command>: <what> (<hint>)``, with exit status 2, never a traceback.

The AWS cases run the real botocore paths: moto (in-process, no network) for an unknown stack and
a missing table, an empty environment for no region and no credentials (with the instance
metadata lookup turned off, so botocore asks no address off this machine), and a closed port on
loopback for an unreachable endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
from pynamodb.exceptions import PutError, ScanError, TableDoesNotExist

from delaydesk.cli import STACK_ENV, describe_error, main

AWS_VARIABLES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SECURITY_TOKEN",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def bare_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No AWS configuration at all: no region, no credentials, no config files, no IMDS."""
    for name in (*AWS_VARIABLES, *STACK_ENV.values()):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield monkeypatch


@pytest.fixture
def fake_credentials(bare_aws: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        bare_aws.setenv(name, "testing")
    bare_aws.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    return bare_aws


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single stderr line of a failed command (and nothing on stdout, no traceback)."""
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback" not in out.err
    (line,) = out.err.splitlines()
    return line


def test_a_missing_file(capsys: pytest.CaptureFixture[str], bare_aws: pytest.MonkeyPatch) -> None:
    assert main(["merchants", "put", "missing.json"]) == 2
    assert one_line(capsys) == "delaydesk: merchants put: missing.json: No such file or directory (check the path)"


def test_a_folder_instead_of_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bare_aws: pytest.MonkeyPatch
) -> None:
    put = ["templates", "put", "--merchant", "m", "--kind", "order_cancelled", "--locale", "en", "--channel", "sms"]
    assert main([*put, str(tmp_path)]) == 2
    assert one_line(capsys) == f"delaydesk: templates put: {tmp_path}: Is a directory (give a file)"


def test_a_file_that_is_not_json_or_not_a_merchant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bare_aws: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "merchant.json"
    broken.write_text('{"merchant_id": "m-1",', encoding="utf-8")
    assert main(["merchants", "put", str(broken)]) == 2
    assert one_line(capsys).startswith(f"delaydesk: merchants put: {broken}: not JSON: Input data was truncated")
    broken.write_text(json.dumps({"merchant_id": "m-1", "name": "Tea", "default_locale": "fr"}), encoding="utf-8")
    assert main(["merchants", "put", str(broken)]) == 2
    assert one_line(capsys) == (
        f"delaydesk: merchants put: {broken}: default_locale: default_locale must be one of zh-CN, zh-TW, en"
    )
    window = tmp_path / "window.json"
    window.write_text("[{", encoding="utf-8")
    assert main(["windows", "declare", str(window)]) == 2
    assert one_line(capsys).startswith(f"delaydesk: windows declare: {window}: Expecting property name")


def test_no_region(capsys: pytest.CaptureFixture[str], bare_aws: pytest.MonkeyPatch) -> None:
    assert main(["rejected", "list"]) == 2
    assert one_line(capsys) == "delaydesk: rejected list: no AWS region configured (set AWS_REGION)"
    assert main(["doctor", "--stack", "delaydesk-prod"]) == 2
    assert one_line(capsys) == "delaydesk: doctor: no AWS region configured (set AWS_REGION, or pass --region)"


def test_no_credentials(capsys: pytest.CaptureFixture[str], bare_aws: pytest.MonkeyPatch) -> None:
    bare_aws.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    hint = "(set AWS_PROFILE, or run `aws configure` or `aws sso login`)"
    assert main(["escalations", "list", "--stack-name", "delaydesk-prod"]) == 2
    assert one_line(capsys) == f"delaydesk: escalations list: Unable to locate credentials {hint}"
    assert main(["doctor", "--stack", "delaydesk-prod", "--region", "eu-west-1"]) == 2
    assert one_line(capsys) == f"delaydesk: doctor: Unable to locate credentials {hint}"


def test_an_unreachable_endpoint(capsys: pytest.CaptureFixture[str], fake_credentials: pytest.MonkeyPatch) -> None:
    fake_credentials.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    fake_credentials.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["notices", "link", "O-1", "--stack-name", "delaydesk-prod"]) == 2
    assert one_line(capsys) == (
        'delaydesk: notices link: Could not connect to the endpoint URL: "http://127.0.0.1:9/" '
        "(check the network and the region eu-west-1)"
    )


def test_a_missing_stack(capsys: pytest.CaptureFixture[str], fake_credentials: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    with mock_aws():
        assert main(["rejected", "list", "--stack-name", "nope"]) == 2
        assert one_line(capsys) == (
            "delaydesk: rejected list: Stack with id nope does not exist (check --stack-name and the region eu-west-1)"
        )
        assert main(["doctor", "--stack", "nope", "--region", "eu-west-1"]) == 2
        assert one_line(capsys) == (
            "delaydesk: doctor: Stack with id nope does not exist (check --stack-name and the region eu-west-1)"
        )


def test_a_stack_without_its_table(capsys: pytest.CaptureFixture[str], fake_credentials: pytest.MonkeyPatch) -> None:
    """A stack is found but the table the command reads is not there (deleted, another region's)."""
    import boto3
    from moto import mock_aws

    from delaydesk.core import aws

    template = {"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue", "Properties": {}}}}
    with mock_aws():
        boto3.client("cloudformation").create_stack(StackName="half", TemplateBody=json.dumps(template))
        assert main(["escalations", "list", "--stack-name", "half"]) == 2
        assert one_line(capsys) == (
            "delaydesk: escalations list: Scan: Requested resource not found (check --stack-name and the region "
            "eu-west-1)"
        )
    aws.reset()  # use_stack bound the data layer to this stack; the next test binds its own


def test_describe_error_knows_pynamodb_and_botocore_errors() -> None:
    not_found = ClientError(
        {"Error": {"Code": "ResourceNotFoundException", "Message": "Requested resource not found"}}, "PutItem"
    )
    assert describe_error(PutError("Failed to put item", not_found), "eu-west-1") == (
        "PutItem: Requested resource not found (check --stack-name and the region eu-west-1)"
    )
    assert describe_error(TableDoesNotExist("delaydesk-orders")) == (
        "table does not exist: Table does not exist: `delaydesk-orders` (check --stack-name and the region)"
    )
    assert describe_error(ScanError("Failed to scan", EndpointConnectionError(endpoint_url="https://x"))) == (
        'Could not connect to the endpoint URL: "https://x" (check the network and the region)'
    )
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed."}}, "Scan")
    assert describe_error(denied) == "Scan: access denied: not allowed (the credentials' IAM policy must allow it)"
    expired = ClientError({"Error": {"Code": "ExpiredTokenException", "Message": "expired"}}, "Scan")
    assert describe_error(expired) == "the AWS credentials have expired (refresh them, e.g. `aws sso login`): expired"
    assert describe_error(NoRegionError(), region_option=True) == (
        "no AWS region configured (set AWS_REGION, or pass --region)"
    )
    assert describe_error(NoCredentialsError()) is not None
    assert describe_error(json.JSONDecodeError("Expecting value", "x", 0)) == (
        "not valid JSON: Expecting value at line 1 column 1 (check the file)"
    )
    # a pynamodb error without an AWS cause, or any other exception, is a bug: no one-liner for it
    assert describe_error(PutError("Failed to put item")) is None
    assert describe_error(KeyError("order_id")) is None


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from delaydesk.cli import windows as cli

    def broken(args: object) -> int:
        raise KeyError("order_id")

    monkeypatch.setattr(cli, "_cmd_explain", broken)
    with pytest.raises(KeyError):
        main(["explain", "O-1"])
