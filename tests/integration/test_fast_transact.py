"""The embedded AWS's ``TransactWriteItems`` (``fast_transact``) leaves the tables and answers exactly
as moto's own does.

Random transactions on a table with a range key and one without: puts, updates and deletes with
and without conditions that hold or fail, condition checks, the same item named twice, an invalid
number, an entry with two operations, a table that does not exist. After each transaction, its
answer (or error and cancellation reasons) and every item of both tables are compared with what
moto's unpatched transactions give for the same sequence.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto_tables import create_table

from delaydesk_local import fast_transact


def _tables(client: Any) -> None:
    create_table(client, "ranged")
    create_table(client, "flat", sort_key=False)


def _key(rng: random.Random, table: str) -> dict[str, Any]:
    key: dict[str, Any] = {"pk": {"S": f"p{rng.randrange(3)}"}}
    if table == "ranged":
        key["sk"] = {"S": f"s{rng.randrange(4)}"}
    return key


def _condition(rng: random.Random) -> dict[str, Any]:
    return rng.choice(
        [
            {},
            {"ConditionExpression": "attribute_not_exists(pk)"},
            {"ConditionExpression": "attribute_exists(pk)"},
            {"ConditionExpression": "n < :max", "ExpressionAttributeValues": {":max": {"N": "3"}}},
        ]
    )


def _operation(rng: random.Random) -> dict[str, Any]:
    table = rng.choice(["ranged", "flat", "ranged", "flat", "missing"])
    key = _key(rng, table)
    kind = rng.choice(["Put", "Update", "Delete", "ConditionCheck"])
    condition = _condition(rng)
    if kind == "Put":
        number = "not a number" if rng.random() < 0.05 else str(rng.randrange(6))
        item = key | {"n": {"N": number}, "tags": {"SS": ["a", rng.choice("bc")]}}
        return {"Put": {"TableName": table, "Item": item, **condition}}
    if kind == "Update":
        values = {":one": {"N": "1"}} | condition.pop("ExpressionAttributeValues", {})
        op = {"TableName": table, "Key": key, "UpdateExpression": "ADD n :one SET seen = :one"}
        op |= {"ExpressionAttributeValues": values, **condition}
        if rng.random() < 0.1:
            op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Update": op}
    if kind == "Delete":
        return {"Delete": {"TableName": table, "Key": key, **condition}}
    if not condition:
        condition = {"ConditionExpression": "attribute_exists(pk)"}
    return {"ConditionCheck": {"TableName": table, "Key": key, **condition}}


def _transactions(seed: int, count: int) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        entries = [_operation(rng) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.1:
            entries.append(entries[0])  # the same item twice
        if rng.random() < 0.03:
            entries.append(entries[0] | _operation(rng))  # two operations in one entry
        out.append(entries)
    return out


def _state(client: Any) -> dict[str, list[Any]]:
    return {
        table: sorted(client.scan(TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i.get("sk", {}).get("S", "")))
        for table in ("ranged", "flat")
    }


def _outcome(client: Any, entries: list[dict[str, Any]]) -> Any:
    try:
        client.transact_write_items(TransactItems=entries)
    except ClientError as exc:
        return (exc.response["Error"]["Code"], exc.response.get("CancellationReasons"))
    except Exception as exc:  # botocore's own validation: the same either way
        return type(exc).__name__
    return "ok"


def _replay(transactions: list[list[dict[str, Any]]], fast: bool) -> list[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _tables(client)
        seen = []
        with fast_transact.installed() if fast else _nothing():
            for entries in transactions:
                seen.append((_outcome(client, entries), _state(client)))
        return seen


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_random_transactions_leave_the_same_tables_and_answers() -> None:
    transactions = _transactions(seed=11, count=150)
    plain = _replay(transactions, fast=False)
    fast = _replay(transactions, fast=True)
    for n, (expected, got) in enumerate(zip(plain, fast, strict=True)):
        assert got == expected, f"transaction {n}: {transactions[n]}"
    outcomes = {o if isinstance(o, str) else o[0] for o, _ in plain}
    # The sequence exercised commits, cancellations and refusals alike.
    assert {"ok", "TransactionCanceledException", "ValidationException"} <= outcomes
    assert any(state["ranged"] and state["flat"] for _, state in plain)


def test_a_cancelled_transaction_copies_no_table() -> None:
    with mock_aws(), fast_transact.installed():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _tables(client)
        client.put_item(TableName="flat", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends["123456789012"]["us-east-1"]
        table = backend.tables["flat"]
        entries = [
            {"Put": {"TableName": "flat", "Item": {"pk": {"S": "b"}}}},
            {
                "Delete": {
                    "TableName": "flat",
                    "Key": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        assert _outcome(client, entries)[0] == "TransactionCanceledException"
        assert backend.tables["flat"] is table  # the same table, its items put back
        assert [i["pk"]["S"] for i in client.scan(TableName="flat")["Items"]] == ["a"]
