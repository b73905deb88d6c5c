"""What every command shares: the stack's tables, one-line errors for an operator."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

STACK_ENV = {
    "OrdersTable": "ORDERS_TABLE",
    "MerchantsTable": "MERCHANTS_TABLE",
    "DecisionsTable": "DECISIONS_TABLE",
    "NoticeLogTable": "NOTICE_LOG_TABLE",
    "IdempotencyTable": "IDEMPOTENCY_TABLE",
    "RejectedEventsTable": "REJECTED_TABLE",
    "NoticesQueue": "NOTICES_QUEUE_URL",
    "EscalationsTable": "ESCALATIONS_TABLE",
    "WindowsTable": "WINDOWS_TABLE",
    "RecomputeDeadlinesQueue": "RECOMPUTE_QUEUE_URL",
    "NoticeStateTable": "NOTICE_STATE_TABLE",
    "StatsTable": "STATS_TABLE",
    "AlertsTable": "ALERTS_TABLE",
    "OpsAlertsQueue": "OPS_ALERTS_QUEUE_URL",
}


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2."""


def use_stack(stack_name: str) -> None:
    """Point the data layer at the tables of a deployed stack."""
    from delaydesk import store
    from delaydesk.core import aws
    from delaydesk.core.config import get_settings

    # An unknown stack raises CloudFormation's ValidationError, which main() reports in one line.
    cloudformation = boto3.client("cloudformation")
    pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
    }
    for logical_id, variable in STACK_ENV.items():
        if logical_id in resources:
            os.environ[variable] = resources[logical_id]
    # The tables are in the stack's region, whichever way boto3 found it (AWS_DEFAULT_REGION, a
    # profile): the settings read only AWS_REGION, and would otherwise default to us-east-1.
    os.environ["AWS_REGION"] = cloudformation.meta.region_name
    aws.reset()
    store.bind(get_settings())


def _first_problem(exc: Any) -> str:
    """One line for a record's ValidationError: where the first problem is, and what it is."""
    from delaydesk.core.record import problems

    where, message = problems(exc)[0]
    return f"{where}: {message}" if where else message


def describe_error(exc: BaseException, region: str | None = None, *, region_option: bool = False) -> str | None:
    """One line for an error that keeps a command from its stack, table or file: what went wrong,
    then a hint in parentheses. None for anything else, which is a bug and keeps its traceback.

    botocore and pynamodb errors say what failed in terms of HTTP calls and stack frames; an
    operator needs to know it is their credentials, their region or a name they typed.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
    )
    from pynamodb.exceptions import PynamoDBException, TableDoesNotExist

    where = f" {region}" if region else ""
    if isinstance(exc, TableDoesNotExist):
        return f"table does not exist: {exc.msg} (check --stack-name and the region{where})"
    if isinstance(exc, PynamoDBException):
        cause = exc.cause
        if isinstance(cause, BotoCoreError | ClientError):
            return describe_error(cause, region, region_option=region_option)
        return None
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return f"{exc} (set AWS_PROFILE, or run `aws configure` or `aws sso login`)"
    if isinstance(exc, NoRegionError):
        return f"no AWS region configured (set AWS_REGION{', or pass --region' if region_option else ''})"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"{exc} (check the network and the region{where})"
    if isinstance(exc, ProfileNotFound):
        return f"{exc} (check AWS_PROFILE and ~/.aws/config)"
    if isinstance(exc, ClientError):
        return _describe_client_error(exc, where)
    if isinstance(exc, BotoCoreError):
        return f"{exc} (check the AWS configuration)"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return f"{exc.filename}: {exc.strerror} (check the path)"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename}: {exc.strerror} (give a file)"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: {exc.strerror} (check the file's permissions)"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (check the file)"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: {exc.reason} at byte {exc.start} (save the file as UTF-8)"
    return None


def _describe_client_error(exc: Any, where: str) -> str:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", "")).rstrip(".")
    operation = getattr(exc, "operation_name", "the call")
    if code == "ValidationError" and "does not exist" in message:
        return f"{message} (check --stack-name and the region{where})"
    if code in ("ResourceNotFoundException", "NotFoundException", "ParameterNotFound", "QueueDoesNotExist"):
        return f"{operation}: {message or code} (check --stack-name and the region{where})"
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return f"the AWS credentials have expired (refresh them, e.g. `aws sso login`): {message}"
    if code in ("UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"):
        return f"the AWS credentials were refused: {message} (check AWS_PROFILE or the access keys)"
    if "AccessDenied" in code or code == "UnauthorizedOperation":
        return f"{operation}: access denied: {message} (the credentials' IAM policy must allow it)"
    return f"{operation}: {code}: {message}"


def _configured_region() -> str | None:
    """The region boto3 would use (for the hint of an error), or None."""
    try:
        return boto3.session.Session().region_name
    except Exception:  # noqa: BLE001 - a broken configuration only loses the hint
        return None
