"""The embedded AWS's DynamoDB answers (``fast_serialize``) are exactly what moto's own serialiser writes.

Random answers of the operations a replay calls, with plain ``AttributeValue``s and every kind of
value the fast path must leave to moto (binary, aliases, stray keys, ``None`` members, numbers
that are not strings, objects): the body parsed from both serialisers is the same. Then the same
random items through boto3 and moto, read back every way DelayDesk reads them, with and without it.
"""

from __future__ import annotations

import json
import random
from typing import Any

import boto3
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.core.serialize import XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto_tables import create_table

from delaydesk_local import fast_serialize

_text = st.text(max_size=8)
_leaf = st.one_of(
    st.builds(lambda s: {"S": s}, _text),
    st.builds(lambda s: {"N": s}, st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True)),
    st.builds(lambda s: {"SS": s}, st.lists(_text, max_size=3)),
    st.builds(lambda s: {"NS": s}, st.lists(st.sampled_from(["1", "2.5", "-3"]), max_size=3)),
    st.builds(lambda b: {"NULL": b}, st.booleans()),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({}),
)
_odd = st.one_of(  # values moto's own path must keep handling
    st.builds(lambda b: {"B": b}, st.one_of(st.binary(max_size=6), _text)),
    st.builds(lambda b: {"BS": b}, st.lists(st.binary(max_size=4), max_size=2)),
    st.builds(lambda s: {"s": s}, _text),  # an alias of S
    st.builds(lambda s: {"S": s, "X": "stray"}, _text),
    st.just({"S": None}),
    st.builds(lambda n: {"N": n}, st.integers(-5, 5)),
    st.builds(lambda n: {"S": n}, st.integers(-5, 5)),
    st.builds(lambda s: {"SS": s}, st.lists(st.one_of(_text, st.none(), st.integers()), max_size=3)),
    st.just({"BOOL": 1}),
    st.just({"M": {"k": {"B": b"\x00"}}}),
)
_value = st.recursive(
    st.one_of(_leaf, _odd),
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_text, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    ),
    max_leaves=8,
)
_item = st.dictionaries(st.text(min_size=1, max_size=6), _value, max_size=4)
_answers = st.one_of(
    st.builds(lambda items: ("Query", {"Items": items, "Count": len(items), "ScannedCount": 3}), st.lists(_item)),
    st.builds(lambda items: ("Scan", {"Items": items, "Count": len(items)}), st.lists(_item, max_size=3)),
    st.builds(lambda item: ("GetItem", {"Item": item}), _item),
    st.builds(lambda item: ("UpdateItem", {"Attributes": item}), _item),
    st.builds(lambda items: ("BatchGetItem", {"Responses": {"t": items}, "UnprocessedKeys": {}}), st.lists(_item)),
    st.builds(lambda items: ("TransactGetItems", {"Responses": [{"Item": i} for i in items]}), st.lists(_item)),
)


_DYNAMODB = get_service_model("dynamodb")


def _body(operation: str, result: dict[str, Any]) -> Any:
    serializer_cls = get_serializer_class("dynamodb", "json")
    serializer = serializer_cls(
        operation_model=_DYNAMODB.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(response_transformers=None),
    )
    return json.loads(serializer.serialize(ActionResult(result).result)["body"])


@settings(max_examples=150, deadline=None)
@given(_answers)
def test_an_answer_is_serialised_as_moto_serialises_it(answer: tuple[str, dict[str, Any]]) -> None:
    operation, result = answer
    expected = _body(operation, result)
    with fast_serialize.installed():
        assert _body(operation, result) == expected


def test_plain_values_are_recognised_and_the_rest_is_left_to_moto() -> None:
    assert fast_serialize.is_plain({"M": {"a": {"L": [{"S": "x"}, {"NULL": True}]}, "b": {"SS": []}}})
    odd_values = (
        {"B": "AA=="},
        {"s": "x"},
        {"S": 1},
        {"S": None},
        {"L": [{"BS": []}]},
        {"BOOL": 0},
        {"M": {"": {}}},
        "x",
    )
    for odd in odd_values:
        assert not fast_serialize.is_plain(odd)


def _items(rng: random.Random) -> list[dict[str, Any]]:
    items = []
    for n in range(60):
        item: dict[str, Any] = {
            "pk": {"S": f"p{rng.randrange(4)}"},
            "sk": {"S": f"{n:03d}"},
            "n": {"N": str(rng.randrange(-50, 50))},
            "tags": {"SS": sorted({rng.choice("abcd") for _ in range(3)})},
            "doc": {"M": {"x": {"L": [{"N": "1"}, {"S": "y"}, {"NULL": True}]}, "ok": {"BOOL": rng.random() < 0.5}}},
        }
        if rng.random() < 0.3:
            item["blob"] = {"B": bytes(rng.randrange(256) for _ in range(5))}
        if rng.random() < 0.2:
            item["blobs"] = {"BS": [b"\x01", b"\x02\x03"]}
        items.append(item)
    return items


def _read_back(client: Any, items: list[dict[str, Any]]) -> list[Any]:
    answers: list[Any] = []
    for pk in ("p0", "p1", "p2", "p3"):
        answers.append(
            client.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}})[
                "Items"
            ]
        )
    answers.append(sorted(client.scan(TableName="t")["Items"], key=lambda i: i["sk"]["S"]))
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items[:20]]
    answers.append(client.get_item(TableName="t", Key=keys[0])["Item"])
    batch = client.batch_get_item(RequestItems={"t": {"Keys": keys}})["Responses"]["t"]
    answers.append(sorted(batch, key=lambda i: i["sk"]["S"]))
    answers.append(client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": k}} for k in keys[:5]]))
    answers.append(
        client.update_item(
            TableName="t",
            Key=keys[1],
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
    )
    try:
        client.put_item(
            TableName="t",
            Item=items[2],
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except client.exceptions.ConditionalCheckFailedException as exc:
        answers.append(exc.response["Item"])
    return [_without_metadata(a) for a in answers]


def _without_metadata(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    return answer


def _through_moto(fast: bool) -> list[Any]:
    items = _items(random.Random(7))
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "t")
        for item in items:
            client.put_item(TableName="t", Item=item)
        if fast:
            with fast_serialize.installed():
                return _read_back(client, items)
        return _read_back(client, items)


def test_reads_through_boto3_get_the_same_items_with_and_without_it() -> None:
    plain = _through_moto(fast=False)
    fast = _through_moto(fast=True)
    assert fast == plain
    assert any("blob" in i for i in plain[4])  # binary values were read back too
