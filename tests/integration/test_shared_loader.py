"""Sessions created in the embedded AWS share one botocore loader (``shared_loader``), and their
clients answer as those of a session with its own."""

from __future__ import annotations

import boto3
import botocore.session
from moto import mock_aws

from delaydesk_local import shared_loader


def _loader(session: boto3.Session) -> object:
    return session._session.get_component("data_loader")


def test_sessions_share_one_loader_inside_the_block_only() -> None:
    with shared_loader.installed():
        first, second = boto3.Session(region_name="us-east-1"), boto3.Session(region_name="us-east-1")
        assert _loader(first) is _loader(second)
        with shared_loader.installed():  # nested: still the same loader
            assert _loader(boto3.Session(region_name="us-east-1")) is _loader(first)
    assert botocore.session.create_loader is not shared_loader._create_loader
    assert _loader(boto3.Session(region_name="us-east-1")) is not _loader(boto3.Session(region_name="us-east-1"))


def _answers(shared: bool) -> list[object]:
    with mock_aws():
        own = boto3.Session(region_name="us-east-1").client("ssm")
        own.put_parameter(Name="/delaydesk/k", Value="v", Type="SecureString")
        if shared:
            with shared_loader.installed():
                clients = [boto3.Session(region_name="us-east-1").client(s) for s in ("ssm", "ssm", "sqs")]
        else:
            clients = [boto3.Session(region_name="us-east-1").client(s) for s in ("ssm", "ssm", "sqs")]
        ssm, again, sqs = clients
        assert ssm.meta.service_model.service_name == "ssm" and sqs.meta.service_model.service_name == "sqs"
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        return [
            ssm.get_parameter(Name="/delaydesk/k", WithDecryption=True)["Parameter"]["Value"],
            again.meta.endpoint_url,
            sqs.meta.endpoint_url,
            url.rsplit("/", 1)[1],
            sorted(ssm.meta.service_model.operation_names) == sorted(again.meta.service_model.operation_names),
        ]


def test_clients_of_sessions_sharing_a_loader_answer_the_same() -> None:
    assert (
        _answers(shared=True)
        == _answers(shared=False)
        == [
            "v",
            "https://ssm.us-east-1.amazonaws.com",
            "https://sqs.us-east-1.amazonaws.com",
            "q",
            True,
        ]
    )
