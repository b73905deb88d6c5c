"""Deploy the real ``template.yaml`` into moto's CloudFormation.

The SAM template is transformed with aws-sam-translator (the same library ``sam deploy``
uses server-side), its code locations are pointed at zips uploaded to the embedded S3, and
the result is created as a stack in moto.  Tables, queues and topics used by the tests and
the demo are therefore the template's own: there is no second copy of the schema.

Resource types that moto's CloudFormation cannot create are collected and reported once; the
ones the local run needs are created through the API (see ``_fill_gaps``).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml  # type: ignore[import-untyped]
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
ARTIFACT_BUCKET = "delaydesk-local-artifacts"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


class TemplateError(Exception):
    """The SAM template could not be transformed or deployed."""


@dataclass
class DeployedStack:
    """What the local runtime needs to know about a deployed stack."""

    name: str
    outputs: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id
    resource_types: dict[str, str]  # logical id -> type
    template: dict[str, Any]  # the transformed CloudFormation template
    unsupported: list[str] = field(default_factory=list)

    def physical(self, logical_id: str) -> str:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise TemplateError(f"stack {self.name} has no resource {logical_id}") from None


_parsed: dict[tuple[Path, int, int], dict[str, Any]] = {}


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse the SAM template, short-form intrinsics (!Ref, !Sub, …) included: once per process
    and version of the file (PyYAML's pure-Python parser takes about a second over this one), a
    fresh copy each time."""
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _parsed:
        _parsed[key] = yaml_parse(path.read_text(encoding="utf-8"))
    return copy.deepcopy(_parsed[key])


@contextlib.contextmanager
def _json_bodies_read_as_json() -> Iterator[None]:
    """moto reads a ``TemplateBody`` with PyYAML's pure-Python loader, two or three times per
    stack (a second or more each on this template). The body we send is JSON, which is YAML with
    the same meaning: while the stack is created, a document that parses as JSON is read as JSON."""
    load, safe_load = yaml.load, yaml.safe_load

    def json_first(original: Callable[..., Any]) -> Callable[..., Any]:
        def parse(stream: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(stream, str) and stream.lstrip().startswith("{"):
                with contextlib.suppress(ValueError):
                    return json.loads(stream)
            return original(stream, *args, **kwargs)

        return parse

    yaml.load, yaml.safe_load = json_first(load), json_first(safe_load)
    try:
        yield
    finally:
        yaml.load, yaml.safe_load = load, safe_load


_zipped: dict[tuple[Any, ...], bytes] = {}


def _zip_dir(directory: Path) -> bytes:
    """The folder as a deployment package: compressed once per process and version of its files
    (their names, sizes and modification times, which the archive records too)."""
    files = [f for f in sorted(directory.rglob("*")) if f.is_file() and "__pycache__" not in f.parts]
    key = (directory, *((f, f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    if key not in _zipped:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in files:
                zf.write(file, file.relative_to(directory).as_posix())
        _zipped[key] = buf.getvalue()
    return _zipped[key]


def _point_code_at_s3(template: dict[str, Any], s3: Any) -> dict[str, Any]:
    """Upload each local CodeUri/ContentUri as a zip and reference it by S3 URI."""
    template = copy.deepcopy(template)
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            uri = props.get(key)
            if isinstance(uri, str) and not uri.startswith("s3://"):
                local = (REPO_ROOT / uri).resolve()
                if not local.is_dir():
                    raise TemplateError(f"{logical_id}.{key} points at {uri}, which is not a folder")
                object_key = f"{logical_id}.zip"
                s3.put_object(Bucket=ARTIFACT_BUCKET, Key=object_key, Body=_zip_dir(local))
                props[key] = f"s3://{ARTIFACT_BUCKET}/{object_key}"
    return template


_translated: dict[str, dict[str, Any]] = {}


def translate(sam_template: dict[str, Any], parameters: dict[str, str], session: boto3.Session) -> dict[str, Any]:
    """Run the SAM transform locally, as CloudFormation would: once per process and content of the
    template and parameters (the transform gives the same template for the same input; its only
    outside input, the AWS managed policies it looks up in IAM, is what a fresh embedded AWS has),
    a fresh copy each time."""
    key = json.dumps([sam_template, parameters], sort_keys=True, default=repr)
    if key not in _translated:
        iam = session.client("iam")
        try:
            _translated[key] = transform(copy.deepcopy(sam_template), parameters, ManagedPolicyLoader(iam))
        except InvalidDocumentException as exc:
            causes = "; ".join(str(cause) for cause in exc.causes)
            raise TemplateError(f"SAM transform failed: {causes}") from exc
    return copy.deepcopy(_translated[key])


def deploy(
    stack_name: str = "delaydesk-local",
    parameters: dict[str, str] | None = None,
    session: boto3.Session | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> DeployedStack:
    """Transform and create the stack in the (already mocked) AWS of ``session``."""
    session = session or boto3.Session(region_name=REGION)
    # SenderEmail has no default in the template (a real deploy must name its own verified sender).
    parameters = {"Stage": "dev", "SenderEmail": "notices@shop.example", **(parameters or {})}
    s3 = session.client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    sam = _point_code_at_s3(load_template(template_path), s3)
    cfn_template = translate(sam, parameters, session)

    cloudformation = session.client("cloudformation")
    with warnings.catch_warnings(record=True) as caught, _json_bodies_read_as_json():
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(cfn_template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    unsupported = sorted(
        {
            str(w.message).split("Tried to parse ")[1].split(" but")[0]
            for w in caught
            if "not supported by moto" in str(w.message)
        }
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise TemplateError(f"stack {stack_name} ended in {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    resources = {}
    types = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = summary["PhysicalResourceId"]
            types[summary["LogicalResourceId"]] = summary["ResourceType"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return DeployedStack(stack_name, outputs, resources, types, cfn_template, unsupported)
