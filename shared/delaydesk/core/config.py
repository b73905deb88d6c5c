"""Typed settings, read once from the environment the SAM template sets, checked when built.

A frozen ``msgspec.Struct`` (created in C: a dataclass of 51 fields compiled its ``__init__`` on
every cold start, ~4 ms): each field names its environment variable (case-insensitive, as
pydantic-settings' ``BaseSettings`` read them), its default and, for numbers, its bounds (the
template's parameter constraints); keywords win over the environment. A value that is not a number
or is out of bounds is refused with the variable's name (``SettingsError``). Plain Python, no
pydantic: every function reads its settings, and a pydantic model here made each one import
pydantic (0.4x ``import boto3`` with the model and its schema) even where its path validates nothing
(``benchmarks/cold_start.py``).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

_REPO_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "notices"
_INTEGER = re.compile(r"[+-]?[0-9](?:_?[0-9])*(?:\.0*)?", re.ASCII)
"""An integer as pydantic read one from a string: digits (``_`` between them), a zero fraction."""


class SettingsError(ValueError):
    """An environment variable (or keyword) whose value the settings refuse."""


def _environ(variable: str) -> str | None:
    """The variable's value, its name in any case (as ``BaseSettings``, ``case_sensitive=False``)."""
    if variable in os.environ:
        return os.environ[variable]
    wanted = variable.lower()
    return next((value for key, value in os.environ.items() if key.lower() == wanted), None)


def _read(variable: str, default: Any, parse: Callable[[str, str], Any]) -> Any:
    """The variable's value as ``parse(variable, text)`` reads it; ``default`` when it is unset."""
    value = _environ(variable)
    return default if value is None else parse(variable, value)


def _as_text(variable: str, value: str) -> str:
    return value


def _as_integer(variable: str, value: str) -> int:
    if not _INTEGER.fullmatch(value.strip()):
        raise SettingsError(f"{variable}={value!r}: not an integer")
    return int(value.strip().split(".")[0])


def _as_real(variable: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise SettingsError(f"{variable}={value!r}: not a number") from None
    if not math.isfinite(number):
        raise SettingsError(f"{variable}={value!r}: not a finite number")
    return number


class Spec:
    """One setting: ``metadata`` holds its variable (``env``), its ``default`` and, for a number, its
    bounds (``ge``, ``le``) and whether a fraction is allowed (``real``). Called, it reads the value
    (the field's default factory)."""

    __slots__ = ("_parse", "metadata", "name")

    def __init__(self, parse: Callable[[str, str], Any], metadata: dict[str, Any]) -> None:
        self.name = ""
        """The field's name, set when the settings class is built (``SPECS``)."""
        self.metadata = metadata
        self._parse = parse

    def __call__(self) -> Any:
        return _read(self.metadata["env"], self.metadata["default"], self._parse)


_DECLARED: list[Spec] = []
"""Every field's spec, in the order the fields are declared (``SPECS`` names them)."""


def _declare(spec: Spec) -> Any:
    _DECLARED.append(spec)
    return msgspec.field(default_factory=spec)


def _text(variable: str, default: str) -> Any:
    """A text field read from ``variable``."""
    return _declare(Spec(_as_text, {"env": variable, "default": default}))


def _number(variable: str, default: float, ge: float, le: float | None = None, *, real: bool = False) -> Any:
    """An integer field (``real``: a fraction allowed) read from ``variable``, within ``ge``..``le``."""
    parse = _as_real if real else _as_integer
    return _declare(Spec(parse, {"env": variable, "default": default, "ge": ge, "le": le, "real": real}))


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Deployment settings. Every field maps to an environment variable of template.yaml."""

    stage: str = _text("STAGE", "dev")
    orders_table: str = _text("ORDERS_TABLE", "delaydesk-orders")
    merchants_table: str = _text("MERCHANTS_TABLE", "delaydesk-merchants")
    decisions_table: str = _text("DECISIONS_TABLE", "delaydesk-decisions")
    notice_log_table: str = _text("NOTICE_LOG_TABLE", "delaydesk-notice-log")
    idempotency_table: str = _text("IDEMPOTENCY_TABLE", "delaydesk-idempotency")
    rejected_table: str = _text("REJECTED_TABLE", "delaydesk-rejected")
    rejected_retention_days: int = _number("REJECTED_RETENTION_DAYS", 30, ge=1, le=365)
    """How long a rejected event's (masked) record is kept (the table's TTL; RejectedRetentionDays)."""
    escalations_table: str = _text("ESCALATIONS_TABLE", "delaydesk-escalations")
    transit_stats_table: str = _text("TRANSIT_STATS_TABLE", "delaydesk-transit-stats")
    stats_table: str = _text("STATS_TABLE", "delaydesk-stats")
    alerts_table: str = _text("ALERTS_TABLE", "delaydesk-alerts")
    ops_alerts_queue_url: str = _text("OPS_ALERTS_QUEUE_URL", "")
    ops_alerts_dlq_url: str = _text("OPS_ALERTS_DLQ_URL", "")
    ops_topic_arn: str = _text("OPS_TOPIC_ARN", "")
    """The operators' SNS topic (OpsAlarmsTopic: e-mail, SMS) that early-warning alerts go to."""
    windows_table: str = _text("WINDOWS_TABLE", "delaydesk-windows")
    recompute_queue_url: str = _text("RECOMPUTE_QUEUE_URL", "")
    notices_queue_url: str = _text("NOTICES_QUEUE_URL", "")
    tracking_events_queue_url: str = _text("TRACKING_EVENTS_QUEUE_URL", "")
    webhook_secrets_prefix: str = _text("WEBHOOK_SECRETS_PREFIX", "/delaydesk/webhooks")
    webhook_tolerance_seconds: int = _number("WEBHOOK_TOLERANCE_SECONDS", 4 * 24 * 3600, ge=300, le=14 * 24 * 3600)
    """How old a signed webhook timestamp may be: vendors retry for days (AfterShip ~68 h)."""
    escalations_topic_arn: str = _text("ESCALATIONS_TOPIC_ARN", "")
    sender_email: str = _text("SENDER_EMAIL", "notices@shop.example")
    ses_configuration_set: str = _text("SES_CONFIGURATION_SET", "")
    sms_origination_number: str = _text("SMS_ORIGINATION_NUMBER", "")
    """E.164 number (or short code) SMS are sent from; empty: SNS picks one (SmsOriginationNumber)."""
    sms_send_rate: float = _number("SMS_SEND_RATE", 0, ge=0, le=10_000, real=True)
    """SMS the whole stack may publish per second (SmsSendRate): SNS's SMS quota is per account and
    region, so its buckets are the stack's, not a merchant's (``core.pacing``). 0: not paced."""
    order_page_base_url: str = _text("ORDER_PAGE_BASE_URL", "https://shop.example/orders")
    """DelayDesk's order page (the ``OrderPageUrl`` output, or the merchant's domain in front of it)."""
    short_link_base_url: str = _text("SHORT_LINK_BASE_URL", "")
    """Where SMS short links point (``{base}/o/CODE``): ``https://`` + ``ShortLinkDomain``, else the
    HTTP API's stage. Empty (tools, tests): SMS carry the full order page link."""
    short_links_table: str = _text("SHORT_LINKS_TABLE", "delaydesk-short-links")
    short_link_days: int = _number("SHORT_LINK_DAYS", 90, ge=1, le=400)
    """A short link works this many days after the last SMS that carried it (the table's TTL)."""
    order_link_key_parameter: str = _text("ORDER_LINK_KEY_PARAMETER", "/delaydesk/order-link-key")
    """SSM SecureString that signs the customers' links (``links.py``)."""
    order_events_queue_url: str = _text("ORDER_EVENTS_QUEUE_URL", "")
    stall_hours: int = _number("STALL_HOURS", 48, ge=1, le=720)
    update_every_days: int = _number("UPDATE_EVERY_DAYS", 3, ge=1, le=30)
    due_shards: int = _number("DUE_SHARDS", 8, ge=1, le=64)
    scan_max_orders: int = _number("SCAN_MAX_ORDERS", 2000, ge=1)
    scan_work_queue_url: str = _text("SCAN_WORK_QUEUE_URL", "")
    """The fan-out queue (``ScanWorkQueue``): set, the schedule only plans and workers evaluate;
    empty, one run evaluates every shard itself (tools and tests)."""
    scan_shard_budget: int = _number("SCAN_SHARD_BUDGET", 5000, ge=1)
    """Orders one shard may have evaluated per run (its pages together); the rest waits a run."""
    scan_page_size: int = _number("SCAN_PAGE_SIZE", 200, ge=1, le=1000)
    """Due orders per work item (one worker invocation's record)."""
    scan_item_attempts: int = _number("SCAN_ITEM_ATTEMPTS", 3, ge=1, le=10)
    """Attempts per due order in a scan run (with backoff) before it is left due for the next run."""
    notice_claim_lease_seconds: int = _number("NOTICE_CLAIM_LEASE_SECONDS", 120, ge=60)
    """Wall-clock age after which a claim without an outcome belongs to a dead sender (4 × the
    dispatch timeout), so that the first redelivery, after the 180-s visibility timeout, takes it."""
    templates_dir: str = _text("TEMPLATES_DIR", str(_REPO_TEMPLATES))
    """In Lambda the TemplatesLayer unpacks under /opt/notices (TEMPLATES_DIR in template.yaml); from
    a checkout the repository's own templates/notices is used."""
    # ---- notices (issue 5): state table, dead letters, feedback
    notice_state_table: str = _text("NOTICE_STATE_TABLE", "delaydesk-notice-state")
    notices_dlq_url: str = _text("NOTICES_DLQ_URL", "")
    ses_feedback_dlq_url: str = _text("SES_FEEDBACK_DLQ_URL", "")
    unsubscribe_url: str = _text("UNSUBSCRIBE_URL", "https://shop.example/notices/unsubscribe")
    """List-Unsubscribe target (the ``UnsubscribeUrl`` output); ``links.unsubscribe_url`` signs it."""
    # ---- storefront (issue 15): the WISMO answers' rate limits
    request_counters_table: str = _text("REQUEST_COUNTERS_TABLE", "delaydesk-request-counters")
    wismo_window_seconds: int = _number("WISMO_WINDOW_SECONDS", 600, ge=10, le=86_400)
    wismo_per_ip: int = _number("WISMO_PER_IP", 30, ge=1, le=100_000)
    """WISMO questions one client address may ask per window (robots share an address: keep it roomy)."""
    wismo_per_order: int = _number("WISMO_PER_ORDER", 5, ge=1, le=1000)
    """WISMO questions about one order number per window, whoever asks (guessing contacts)."""
    aws_region: str = _text("AWS_REGION", "us-east-1")

    def __post_init__(self) -> None:
        """Every value, read or given, has its field's type and lies within its bounds."""
        for spec in SPECS.values():
            value, where = getattr(self, spec.name), f"{spec.metadata['env']} ({spec.name})"
            if "ge" not in spec.metadata:
                if not isinstance(value, str):
                    raise SettingsError(f"{where}: {value!r} is not text")
                continue
            if spec.metadata.get("real"):
                if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                    raise SettingsError(f"{where}: {value!r} is not a number")
            elif not isinstance(value, int) or isinstance(value, bool):
                raise SettingsError(f"{where}: {value!r} is not an integer")
            low, high = spec.metadata["ge"], spec.metadata["le"]
            if value < low or (high is not None and value > high):
                bounds = f"at least {low}" if high is None else f"between {low} and {high}"
                raise SettingsError(f"{where}={value}: must be {bounds}")

    @property
    def resolved_templates_dir(self) -> Path:
        path = Path(self.templates_dir)
        return path if path.is_dir() else _REPO_TEMPLATES


SPECS: dict[str, Spec] = dict(zip(Settings.__struct_fields__, _DECLARED, strict=True))
"""Each field's spec by the field's name (every field is declared by ``_text`` or ``_number``)."""
for _name, _spec in SPECS.items():
    _spec.name = _name


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (a Lambda container reads them once, at first use)."""
    return Settings()
