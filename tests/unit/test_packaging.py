"""The repository's pieces agree with each other: layer requirements, template, handlers."""

from __future__ import annotations

from pathlib import Path

from delaydesk_local.stack import load_template

ROOT = Path(__file__).resolve().parents[2]


def test_every_function_has_a_handler_and_a_log_group_with_retention() -> None:
    resources = load_template()["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    assert {"IngestEventsFunction", "ScanDueFunction", "DispatchNoticesFunction"} <= set(functions)
    for logical_id, fn in functions.items():
        props = fn["Properties"]
        module, attr = props["Handler"].split(".")
        source = (ROOT / props["CodeUri"] / f"{module}.py").read_text()
        assert f"def {attr}(" in source, logical_id
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"]


def test_every_queue_has_a_dead_letter_queue_and_an_alarm() -> None:
    resources = load_template()["Resources"]
    queues = [k for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue" and not k.endswith("DLQ")]
    alarmed = {
        str(v["Properties"]["Dimensions"][0]["Value"])
        for v in resources.values()
        if v["Type"] == "AWS::CloudWatch::Alarm" and v["Properties"]["Namespace"] == "AWS/SQS"
    }
    for queue in queues:
        redrive = resources[queue]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{queue.removesuffix('Queue')}DLQ", "Arn"]}
        assert f"{{'Fn::GetAtt': ['{queue.removesuffix('Queue')}DLQ', 'QueueName']}}" in alarmed


def test_sqs_consumers_report_partial_failures_and_visibility_is_six_times_the_timeout() -> None:
    template = load_template()
    resources = template["Resources"]
    default_timeout = template["Globals"]["Function"]["Timeout"]
    for fn in resources.values():
        if fn["Type"] != "AWS::Serverless::Function":
            continue
        for source in fn["Properties"].get("Events", {}).values():
            if source["Type"] != "SQS":
                continue
            assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            queue = source["Properties"]["Queue"]["Fn::GetAtt"][0]
            timeout = fn["Properties"].get("Timeout", default_timeout)
            assert resources[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_recompute_deadlines_holds_every_grant_of_scan_due() -> None:
    """recompute_deadlines runs scan.process on the orders a window covers: it escalates, reads the
    transit histograms and writes decisions exactly as the scan's workers do, so it needs the same
    grants (but the scan work queue's)."""
    resources = load_template()["Resources"]

    def grants(function: str) -> list[object]:
        return [p for p in resources[function]["Properties"]["Policies"] if "Statement" not in p]

    recompute = grants("RecomputeDeadlinesFunction")
    own_queue = {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["ScanWorkQueue", "QueueName"]}}}
    assert [p for p in grants("ScanWorkerFunction") if p not in recompute and p != own_queue] == []
    assert grants("ScanDueFunction") == [own_queue]  # the schedule only plans


def test_every_checkov_skip_names_a_check_and_gives_its_reason() -> None:
    """checkov accepts a skip without a comment; the template does not (README, "Template checks")."""
    skips = [
        (logical_id, skip)
        for logical_id, resource in load_template()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for logical_id, skip in skips:
        assert str(skip.get("id", "")).startswith("CKV_"), logical_id
        assert len(str(skip.get("comment", "")).split()) >= 8, (logical_id, skip.get("id"))


def test_traces_keep_no_copy_of_the_customers_pages() -> None:
    """The order page's responses carry signed links and contact details: X-Ray must not record them."""
    page = load_template()["Resources"]["ServeOrderPageFunction"]["Properties"]
    assert page["Environment"]["Variables"]["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
