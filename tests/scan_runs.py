"""Test helper: one scan run through the template (the schedule plans, the workers evaluate)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from delaydesk_local.runtime import LocalAws

FIELDS = ("examined", "decisions", "notices", "failed", "retries", "conflicts", "truncated")


def run_scan(local: LocalAws, now: datetime) -> Counter[str]:
    """Fire the scan schedule at ``now``, deliver the scan work queue only (not the notices), and
    sum what the workers logged ("scan finished": examined, decisions, notices, failed, …)."""
    stream = local.log_stream
    start = stream.tell()
    planned = local.invoke("ScanDueFunction", local.scheduled_event("arn:aws:events:::rule/scan", now))
    binding = next(b for b in local.queue_bindings if b.function.logical_id == "ScanWorkerFunction")
    sqs = local.client("sqs")
    totals: Counter[str] = Counter(items=int(planned["planned"]))
    while messages := local._receive(binding):
        result = local.invoke("ScanWorkerFunction", local.sqs_event(binding, messages))
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        totals["item_failures"] += len(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=binding.queue_url, ReceiptHandle=message["ReceiptHandle"])
        totals["work_items"] += len(messages)
    stream.seek(start)
    for line in stream.read().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("message") == "scan finished":
            for name in FIELDS:
                totals[name] += int(entry.get(name) or 0)
    stream.seek(0, 2)
    return totals
