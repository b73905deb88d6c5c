"""core/sqs_batch against Powertools' BatchProcessor(EventType.SQS) + process_partial_response: the
same events (tests/events) through both, the same responses, errors and debug lines."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities import batch as powertools
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord as PowertoolsRecord

from delaydesk.core import sqs_batch
from delaydesk.core.sqs_batch import SQSRecord

EVENTS = Path(__file__).resolve().parents[2] / "events"


def sqs_event(name: str = "sqs_event.json", count: int = 4) -> dict[str, Any]:
    """The documented SQS event's records, repeated to ``count`` with distinct ids and bodies."""
    template = json.loads((EVENTS / name).read_text())["Records"]
    records = []
    for index in range(count):
        record = copy.deepcopy(template[index % len(template)])
        record["messageId"] = f"{record['messageId'][:-3]}{index:03d}"
        record["body"] = json.dumps({"n": index})
        records.append(record)
    return {"Records": records}


def ours(event: dict[str, Any], fail: set[int]) -> dict[str, Any]:
    def handler(record: SQSRecord) -> int:
        n = int(json.loads(record.body)["n"])
        if n in fail:
            raise ValueError(f"record {n} refused")
        return n

    return dict(sqs_batch.process_partial_response(event, handler))


def theirs(event: dict[str, Any], fail: set[int]) -> dict[str, Any]:
    def handler(record: PowertoolsRecord) -> int:
        n = int(json.loads(record.body)["n"])
        if n in fail:
            raise ValueError(f"record {n} refused")
        return n

    processor = powertools.BatchProcessor(event_type=powertools.EventType.SQS)
    return dict(powertools.process_partial_response(event=event, record_handler=handler, processor=processor))


@pytest.mark.parametrize("fail", [set(), {1}, {0, 3}, {0, 1, 2}])
def test_the_failed_records_are_reported_by_message_id_as_powertools_reports_them(fail: set[int]) -> None:
    event = sqs_event()
    response = ours(event, fail)
    assert response == theirs(event, fail)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
        event["Records"][n]["messageId"] for n in sorted(fail)
    ]


def test_a_batch_whose_every_record_failed_raises_with_each_traceback() -> None:
    event = sqs_event(count=2)
    with pytest.raises(sqs_batch.BatchProcessingError) as mine:
        ours(event, {0, 1})
    with pytest.raises(powertools.exceptions.BatchProcessingError) as reference:
        theirs(event, {0, 1})
    assert mine.value.msg == reference.value.msg
    assert len(mine.value.child_exceptions) == len(reference.value.child_exceptions) == 2
    text = str(mine.value)
    assert text.startswith(f"{reference.value.msg}\n")
    assert "ValueError: record 0 refused" in text and "ValueError: record 1 refused" in text
    assert text.count("Traceback (most recent call last)") == 2


@pytest.mark.parametrize("event", [{}, {"Records": []}, {"Records": {"a": 1}}])
def test_an_event_without_records_is_refused_as_powertools_refuses_it(event: dict[str, Any]) -> None:
    with pytest.raises(sqs_batch.UnexpectedBatchTypeError) as mine:
        ours(event, set())
    with pytest.raises(powertools.exceptions.UnexpectedBatchTypeError) as reference:
        theirs(event, set())
    assert str(mine.value) == str(reference.value)
    assert isinstance(mine.value, sqs_batch.BatchProcessingError)


@pytest.mark.parametrize("name", ["sqs_event.json", "sqs_event_message_attributes.json"])
def test_a_record_reads_as_powertools_sqs_record_reads_it(name: str) -> None:
    for raw in json.loads((EVENTS / name).read_text())["Records"]:
        mine, reference = SQSRecord(raw), PowertoolsRecord(raw)
        assert mine.raw_event is raw and reference.raw_event == raw
        for field in ("message_id", "receipt_handle", "body", "event_source_arn"):
            assert getattr(mine, field) == getattr(reference, field), field
        for field in ("approximate_receive_count", "sent_timestamp"):
            assert getattr(mine.attributes, field) == getattr(reference.attributes, field), field


def test_a_failed_record_leaves_the_same_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    # Each logger's own records, whatever propagates: the service's Powertools logger ("delaydesk",
    # set up by whichever test imported observability first) does not propagate to the root.
    names = ("delaydesk.core.sqs_batch", "aws_lambda_powertools.utilities.batch.base")
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(caplog.handler)
        lg.setLevel(logging.DEBUG)
    try:
        event = sqs_event(count=2)
        ours(event, {1})
        theirs(event, {1})
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(caplog.handler)
            lg.setLevel(level)
    lines = {(r.name, r.getMessage()) for r in caplog.records if r.getMessage().startswith("Record processing")}
    message = "Record processing exception: <class 'ValueError'>:record 1 refused"
    assert lines == {(name, message) for name in names}
