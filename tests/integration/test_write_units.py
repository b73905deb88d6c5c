"""The write-unit meter bills writes as DynamoDB does: the table by size, each index by projection."""

from __future__ import annotations

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
