"""``delaydesk doctor`` on flood limits: the public functions' reserved concurrency, judged against
the account's quota (pure verdicts), read through Lambda's real API shapes (botocore Stubber)."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from delaydesk.operations import doctor
from delaydesk.operations.doctor_limits import concurrency_verdicts


def lines(verdicts: list[doctor.Verdict]) -> list[str]:
    return [v.line() for v in verdicts]


def test_a_fresh_account_cannot_reserve_and_is_told_why() -> None:
    (line,) = lines(concurrency_verdicts(10, 10, {"AnswerWismoFunction": None}))
    assert line.startswith("! AnswerWismoFunction has no reserved concurrency — a flood of its public route can use")
    assert "nothing can be reserved until the quota is raised" in line and "CustomerReservedConcurrency" in line


def test_an_account_with_room_is_told_how_much_it_can_reserve() -> None:
    (line,) = lines(concurrency_verdicts(1000, 1000, {"ReceiveWebhookFunction": None}))
    assert "set WebhookReservedConcurrency (up to 900 can be reserved now)" in line


def test_reserved_functions_pass_and_zero_fails() -> None:
    verdicts = concurrency_verdicts(1000, 880, {"ServeOrderPageFunction": 20, "ServeStorefrontFunction": 0})
    assert lines(verdicts)[0].startswith("✔ ServeOrderPageFunction reserves 20 concurrent executions")
    assert lines(verdicts)[1].startswith("✘ ServeStorefrontFunction has a reserved concurrency of 0")
    assert doctor.exit_code(verdicts) == 1


def test_doctor_reads_the_account_and_each_public_function() -> None:
    client = boto3.session.Session(
        region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client("lambda")
    stack = doctor.Stack(
        "delaydesk-prod",
        "UPDATE_COMPLETE",
        {},
        (
            doctor.Resource("ReceiveWebhookFunction", "AWS::Lambda::Function", "delaydesk-receive-webhook-prod"),
            doctor.Resource("AnswerWismoFunction", "AWS::Lambda::Function", "delaydesk-answer-wismo-prod"),
            doctor.Resource("ScanDueFunction", "AWS::Lambda::Function", "delaydesk-scan-due-prod"),  # not public
        ),
    )
    with Stubber(client) as stub:
        stub.add_response(
            "get_account_settings",
            {
                "AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 950},
                "AccountUsage": {"TotalCodeSize": 1, "FunctionCount": 11},
            },
            {},
        )
        stub.add_response(
            "get_function_concurrency",
            {"ReservedConcurrentExecutions": 50},
            {"FunctionName": "delaydesk-receive-webhook-prod"},
        )
        stub.add_response("get_function_concurrency", {}, {"FunctionName": "delaydesk-answer-wismo-prod"})
        clients = doctor.Clients(*([None] * 10), lambda_=client)  # type: ignore[arg-type]
        verdicts = list(doctor._check_concurrency(clients, stack))
        stub.assert_no_pending_responses()
    assert [v.status for v in verdicts] == [doctor.Status.WARN, doctor.Status.OK]
    assert verdicts[0].what == "AnswerWismoFunction has no reserved concurrency"
    assert "up to 850 can be reserved now" in verdicts[0].advice
