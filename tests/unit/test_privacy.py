"""Privacy: no response in traces, and what the rejected record keeps of a customer (masked)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import yaml

from delaydesk.core.privacy import mask_body, mask_text

ROOT = Path(__file__).resolve().parents[2]


def _decorators(path: Path) -> list[ast.expr]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [d for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) for d in node.decorator_list]


def test_no_handler_puts_its_response_in_a_trace() -> None:
    handlers = sorted((ROOT / "functions").glob("*/app.py"))
    assert handlers
    for path in handlers:
        traced = [d for d in _decorators(path) if "capture_lambda_handler" in ast.unparse(d)]
        assert traced, path
        for decorator in traced:
            assert isinstance(decorator, ast.Call), f"{path}: capture_lambda_handler captures the response"
            keywords = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords}
            assert keywords.get("capture_response") is False, path


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_the_template_turns_response_capture_off_for_every_function() -> None:
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=_Loader)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    table = template["Resources"]["RejectedEventsTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert template["Parameters"]["RejectedRetentionDays"]["Default"] == 30


def test_a_rejected_body_keeps_no_contact_detail_but_keeps_what_went_wrong() -> None:
    body = json.dumps(
        {
            "type": "order.paid",
            "event_id": "paid-1",
            "order": {
                "order_id": "O-1",
                "customer": {"name": "张三", "email": "zhang.san@qq.com", "phone": "+8613812345678"},
                "shipping_address": {"address1": "西湖区文三路 1 号", "zip": "310012"},
                "items": [{"sku": "LJ-250", "name": "Longjing", "quantity": 1}],
            },
            "message": "call 13812345678 or mail z.s@example.cn",
            "tracking_number": "SF1234567890123",
        },
        ensure_ascii=False,
    )
    masked = mask_body(body)
    for secret in ("张三", "zhang.san", "8613812345678", "13812345678", "文三路", "310012", "z.s@"):
        assert secret not in masked, secret
    data = json.loads(masked)
    assert data["order"]["customer"]["email"] == "z***@qq.com"
    assert data["tracking_number"] == "SF1234567890123" and data["order"]["order_id"] == "O-1"
    assert data["message"] == "call *********78 or mail z***@example.cn"


def test_a_body_that_is_not_json_is_masked_as_text() -> None:
    assert mask_text("to: a.b@shop.example, +44 20 7946 0958\ud800") == "to: a***@shop.example, +**********58?"
    masked = mask_body('{"email": "ann@b.example", ' + "x" * 70_000)  # too large to parse: masked as text
    assert masked.startswith('{"email": "a***@b.example", ') and len(masked) < 4200
