"""Tables for the equivalence tests of the embedded AWS's DynamoDB speed-ups (``test_fast_*``)."""

from __future__ import annotations

from typing import Any


def create_table(
    client: Any,
    name: str,
    *,
    sort_key: bool = True,
    attributes: dict[str, str] | None = None,
    indexes: list[dict[str, Any]] | None = None,
) -> None:
    """An on-demand table keyed by the string ``pk`` (and ``sk``), with ``attributes`` (name: type)
    defined for its global ``indexes``."""
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    definitions = [{"AttributeName": key["AttributeName"], "AttributeType": "S"} for key in keys]
    definitions += [{"AttributeName": field, "AttributeType": kind} for field, kind in (attributes or {}).items()]
    client.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=definitions,
        BillingMode="PAY_PER_REQUEST",
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
