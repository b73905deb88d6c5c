"""PartiQL ``INSERT`` in ``BatchExecuteStatement`` as DynamoDB answers it, in the embedded AWS.

moto 5.2.5 runs ``BatchExecuteStatement`` through its experimental PartiQL parser, which fails
on ``?`` parameters and lets an ``INSERT`` overwrite an existing item. DynamoDB refuses an
``INSERT`` whose primary key exists: that statement's response carries the error
``DuplicateItem`` ("Duplicate primary key exists in table") and the batch's other statements
still run (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html;
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchExecuteStatement.html:
"A HTTP 200 response does not mean that all statements in the BatchExecuteStatement succeeded").

While the embedded AWS runs, a batch made only of ``INSERT INTO "table" VALUE {'name': ?, …}``
statements (the form ``store.event_keys`` sends) is answered so: each statement puts its item
if no item has its key, else answers ``DuplicateItem``. Any other batch is moto's own.
``tests/integration/test_event_ids.py`` exercises it through the template's idempotency table.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType

from delaydesk_local.patching import Patch

_INSERT = re.compile(r"""^\s*INSERT\s+INTO\s+"([^"]+)"\s+VALUE\s+\{(.*)\}\s*$""", re.IGNORECASE | re.DOTALL)
_FIELD = re.compile(r"""^\s*'([^']+)'\s*:\s*\?\s*$""")


def parse_insert(statement: str, parameters: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """(table, item) of ``INSERT INTO "table" VALUE {'a': ?, …}`` with its parameters, in
    DynamoDB JSON; None for any other statement (or parameters that do not match)."""
    found = _INSERT.match(statement)
    if found is None:
        return None
    names: list[str] = []
    for field in found.group(2).split(","):
        named = _FIELD.match(field)
        if named is None:
            return None
        names.append(named.group(1))
    if len(names) != len(parameters) or len(set(names)) != len(names):
        return None
    return found.group(1), dict(zip(names, parameters, strict=True))


_DUPLICATE = {"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}


def _batch_execute_statement(self: DynamoDBBackend, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    inserts = [parse_insert(s["Statement"], s.get("Parameters", [])) for s in statements]
    if not inserts or any(i is None for i in inserts):
        return _patch.original(self, statements)  # type: ignore[no-any-return]
    responses: list[dict[str, Any]] = []
    for insert in inserts:
        assert insert is not None
        table_name, item = insert
        table = self.tables.get(table_name)
        if table is None:
            responses.append({"Error": {"Code": "ResourceNotFound", "Message": "Requested resource not found"}})
            continue
        hash_value = DynamoType(item[table.hash_key_attr])
        range_value = DynamoType(item[table.range_key_attr]) if table.range_key_attr else None
        if table.get_item(hash_value, range_value) is not None:
            responses.append({"TableName": table_name, "Error": _DUPLICATE})
            continue
        table.put_item(item)
        responses.append({"TableName": table_name})
    return responses


_patch = Patch(DynamoDBBackend, "batch_execute_statement", _batch_execute_statement)


def installed() -> contextlib.AbstractContextManager[None]:
    """``BatchExecuteStatement`` answers ``INSERT`` batches as above while the block runs (``patching``)."""
    return _patch.installed()
