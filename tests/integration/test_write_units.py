"""The write-unit meter bills writes as DynamoDB does: the table by size, each index by projection."""

from __future__ import annotations

import base64
import json
from typing import Any

from delaydesk_local.metering import WriteUnits
from delaydesk_local.runtime import LocalAws


def _write(local: LocalAws, meter: WriteUnits, operation: str, **request: Any) -> int:
    body = json.loads(json.dumps(request))
    snapshot = meter.before(operation, body)
    assert snapshot is not None
    getattr(local.client("dynamodb"), {"PutItem": "put_item", "UpdateItem": "update_item"}[operation])(**request)
    return meter.after(operation, snapshot)


def test_an_order_write_costs_its_size_plus_one_unit_per_keys_only_index_change(local_aws: LocalAws) -> None:
    table = local_aws.stack.physical("OrdersTable")
    meter = WriteUnits()
    item = {
        "order_id": {"S": "WU-1"},
        "due_shard": {"S": "3"},
        "next_due_at": {"S": "2020-01-21T02:00:00.000000+0000"},
        "state": {"S": "x" * 2500},  # 2.5 KB: three units in the table
    }
    assert _write(local_aws, meter, "PutItem", TableName=table, Item=item) == 3 + 1  # + the due-keys-index entry
    moved = _write(
        local_aws,
        meter,
        "UpdateItem",
        TableName=table,
        Key={"order_id": {"S": "WU-1"}},
        UpdateExpression="SET next_due_at = :d",
        ExpressionAttributeValues={":d": {"S": "2020-01-24T02:00:00.000000+0000"}},
    )
    assert moved == 3 + 2  # the index key moved: a delete and a put of the small keys-only entry
    unchanged_keys = _write(
        local_aws,
        meter,
        "UpdateItem",
        TableName=table,
        Key={"order_id": {"S": "WU-1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "y" * 2500}},
    )
    assert unchanged_keys == 3  # keys only: the index is not written when only the state changes
    assert meter.by_table[table] == 4 + 5 + 3


def test_partiql_inserts_cost_one_unit_each_and_an_existing_key_is_refused_alone(local_aws: LocalAws) -> None:
    table = local_aws.stack.physical("IdempotencyTable")
    meter = WriteUnits()
    statement = f"INSERT INTO \"{table}\" VALUE {{'id': ?, 'digest': ?, 'expiration': ?, 'deliveries': ?}}"

    def batch(*ids: tuple[str, bytes]) -> tuple[int, list[str | None]]:
        statements = [
            {"Statement": statement, "Parameters": [{"S": k}, {"B": d}, {"N": "1"}, {"N": "1"}]} for k, d in ids
        ]
        wire = [  # the request body as botocore sends it: binaries in base64
            s | {"Parameters": [{"S": k}, {"B": base64.b64encode(d).decode()}, {"N": "1"}, {"N": "1"}]}
            for s, (k, d) in zip(statements, ids, strict=True)
        ]
        snapshot = meter.before("BatchExecuteStatement", {"Statements": wire})
        assert snapshot is not None
        answer = local_aws.client("dynamodb").batch_execute_statement(Statements=statements)
        errors = [r.get("Error", {}).get("Code") for r in answer["Responses"]]
        return meter.after("BatchExecuteStatement", snapshot), errors

    assert batch(("p|a", b"1"), ("p|b", b"2")) == (2, [None, None])  # one unit each, not two as in a transaction
    assert batch(("p|a", b"9"), ("p|c", b"3")) == (2, ["DuplicateItem", None])  # the refused write is billed too
    kept = local_aws.client("dynamodb").get_item(TableName=table, Key={"id": {"S": "p|a"}})["Item"]
    assert kept["digest"] == {"B": b"1"}  # the first content stays
