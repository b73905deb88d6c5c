"""The embedded AWS's DynamoDB ``Query`` (``fast_query``) answers exactly as moto's own does.

Random tables (with and without a range key, with a global index) and random queries (key
conditions, ranges, both directions, small limits followed page by page, filters, projections):
every page is compared with the answer of moto's unpatched ``Table.query``.
"""

from __future__ import annotations

import random
from typing import Any

import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table
from moto_tables import create_table

from delaydesk_local import fast_query


def _tables(client: Any) -> None:
    create_table(
        client,
        "ranged",
        attributes={"shard": "N", "due": "S"},
        indexes=[
            {
                "IndexName": "by-due",
                "KeySchema": [
                    {"AttributeName": "shard", "KeyType": "HASH"},
                    {"AttributeName": "due", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by-shard",
                "KeySchema": [{"AttributeName": "shard", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    create_table(client, "flat", sort_key=False)


def _fill(client: Any, rng: random.Random) -> None:
    for _ in range(300):
        item: dict[str, Any] = {
            "pk": {"S": f"p{rng.randrange(12)}"},
            "sk": {"S": f"{rng.randrange(40):03d}#{rng.choice('abc')}"},
            "n": {"N": str(rng.randrange(100))},
        }
        if rng.random() < 0.8:  # a sparse index: some items are not in it
            item["shard"] = {"N": str(rng.randrange(4))}
            if rng.random() < 0.8:
                item["due"] = {"S": f"2020-01-{rng.randrange(1, 29):02d}"}
        client.put_item(TableName="ranged", Item=item)
    for k in range(40):
        client.put_item(TableName="flat", Item={"pk": {"S": f"p{k % 13}"}, "n": {"N": str(k)}})
    for _ in range(30):  # deletes leave empty partitions behind
        client.delete_item(TableName="ranged", Key={"pk": {"S": f"p{rng.randrange(12)}"}, "sk": {"S": "000#a"}})


def _queries(rng: random.Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(120):
        kind = rng.randrange(5)
        q: dict[str, Any]
        if kind == 0:
            q = {
                "TableName": "ranged",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": f"p{rng.randrange(14)}"}},
            }
        elif kind == 1:
            a, b = sorted(rng.sample(range(40), 2))
            q = {
                "TableName": "ranged",
                "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": {
                    ":p": {"S": f"p{rng.randrange(12)}"},
                    ":a": {"S": f"{a:03d}"},
                    ":b": {"S": f"{b:03d}#\uffff"},
                },
            }
        elif kind == 2:
            q = {
                "TableName": "ranged",
                "IndexName": "by-due",
                "KeyConditionExpression": "shard = :s AND due <= :d",
                "ExpressionAttributeValues": {
                    ":s": {"N": str(rng.randrange(5))},
                    ":d": {"S": f"2020-01-{rng.randrange(1, 29):02d}"},
                },
            }
        elif kind == 3:
            q = {
                "TableName": "ranged",
                "IndexName": "by-shard",
                "KeyConditionExpression": "shard = :s",
                "ExpressionAttributeValues": {":s": {"N": str(rng.randrange(4))}},
            }
        else:
            q = {
                "TableName": "flat",
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": f"p{rng.randrange(15)}"}},
            }
        if rng.random() < 0.5:
            q["ScanIndexForward"] = False
        if rng.random() < 0.5:
            q["Limit"] = rng.randrange(1, 6)
        if kind in (0, 1) and rng.random() < 0.3:
            q["FilterExpression"] = "n < :n"
            q["ExpressionAttributeValues"] = {**q["ExpressionAttributeValues"], ":n": {"N": "50"}}
        if kind in (0, 2) and rng.random() < 0.3:
            q["ProjectionExpression"] = "pk, sk, n"
        out.append(q)
    return out


def _pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    start: dict[str, Any] | None = None
    while True:
        answer = client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append({k: answer.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def test_every_query_answers_as_moto_does() -> None:
    rng = random.Random(20200123)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _tables(client)
        _fill(client, rng)
        queries = _queries(rng)
        original = Table.query
        expected = [_pages(client, q) for q in queries]
        with fast_query.installed():
            assert Table.query is not original
            answered = [_pages(client, q) for q in queries]
        assert Table.query is original
    assert sum(len(p) for p in expected) > len(queries)  # some were paged
    assert any(page["Items"] for pages in expected for page in pages)
    for query, want, got in zip(queries, expected, answered, strict=True):
        assert got == want, query
