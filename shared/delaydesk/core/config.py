"""Typed settings, read once from the environment the SAM template sets, validated lazily.

A pydantic model filled from ``os.environ`` as pydantic-settings' ``BaseSettings`` would fill it
(a field's variable is its name in any case, ``validation_alias`` where one is given; keywords
win): importing pydantic-settings (its cloud secret sources, dotenv, the CLI parser) cost every
cold start a fifth of ``import boto3`` (``benchmarks/cold_start.py``), for the one line used here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_REPO_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "notices"


def _default_templates_dir() -> str:
    # In Lambda the TemplatesLayer unpacks under /opt/notices (TEMPLATES_DIR in template.yaml);
    # from a checkout the repository's own templates/notices is used.
    return str(_REPO_TEMPLATES)


class Settings(BaseModel):
    """Deployment settings. Every field maps to an environment variable of template.yaml."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True, defer_build=True)

    def __init__(self, **values: Any) -> None:
        """The environment's value of every field, unless given here."""
        environ = {key.lower(): value for key, value in os.environ.items()}
        found: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            key = field.validation_alias if isinstance(field.validation_alias, str) else name
            if key.lower() in environ:
                found[key] = environ[key.lower()]
        super().__init__(**(found | values))

    stage: str = "dev"
    orders_table: str = "delaydesk-orders"
    merchants_table: str = "delaydesk-merchants"
    decisions_table: str = "delaydesk-decisions"
    notice_log_table: str = "delaydesk-notice-log"
    idempotency_table: str = "delaydesk-idempotency"
    rejected_table: str = "delaydesk-rejected"
    rejected_retention_days: int = Field(default=30, ge=1, le=365)
    """How long a rejected event's (masked) record is kept (the table's TTL; RejectedRetentionDays)."""
    escalations_table: str = "delaydesk-escalations"
    transit_stats_table: str = "delaydesk-transit-stats"
    stats_table: str = "delaydesk-stats"
    alerts_table: str = "delaydesk-alerts"
    ops_alerts_queue_url: str = ""
    ops_alerts_dlq_url: str = ""
    ops_topic_arn: str = ""
    """The operators' SNS topic (OpsAlarmsTopic: e-mail, SMS) that early-warning alerts go to."""
    windows_table: str = "delaydesk-windows"
    recompute_queue_url: str = ""
    notices_queue_url: str = ""
    tracking_events_queue_url: str = ""
    webhook_secrets_prefix: str = "/delaydesk/webhooks"
    webhook_tolerance_seconds: int = Field(default=4 * 24 * 3600, ge=300, le=14 * 24 * 3600)
    """How old a signed webhook timestamp may be: vendors retry for days (AfterShip ~68 h)."""
    escalations_topic_arn: str = ""
    sender_email: str = "notices@shop.example"
    ses_configuration_set: str = ""
    sms_origination_number: str = ""
    """E.164 number (or short code) SMS are sent from; empty: SNS picks one (SmsOriginationNumber)."""
    sms_send_rate: float = Field(default=0, ge=0, le=10_000)
    """SMS the whole stack may publish per second (SmsSendRate): SNS's SMS quota is per account and
    region, so its buckets are the stack's, not a merchant's (``core.pacing``). 0: not paced."""
    order_page_base_url: str = "https://shop.example/orders"
    """DelayDesk's order page (the ``OrderPageUrl`` output, or the merchant's domain in front of it)."""
    short_link_base_url: str = ""
    """Where SMS short links point (``{base}/o/CODE``): ``https://`` + ``ShortLinkDomain``, else the
    HTTP API's stage. Empty (tools, tests): SMS carry the full order page link."""
    short_links_table: str = "delaydesk-short-links"
    short_link_days: int = Field(default=90, ge=1, le=400)
    """A short link works this many days after the last SMS that carried it (the table's TTL)."""
    order_link_key_parameter: str = "/delaydesk/order-link-key"
    """SSM SecureString that signs the customers' links (``links.py``)."""
    order_events_queue_url: str = ""
    stall_hours: int = Field(default=48, ge=1, le=720)
    update_every_days: int = Field(default=3, ge=1, le=30)
    due_shards: int = Field(default=8, ge=1, le=64)
    scan_max_orders: int = Field(default=2000, ge=1)
    scan_work_queue_url: str = ""
    """The fan-out queue (``ScanWorkQueue``): set, the schedule only plans and workers evaluate;
    empty, one run evaluates every shard itself (tools and tests)."""
    scan_shard_budget: int = Field(default=5000, ge=1)
    """Orders one shard may have evaluated per run (its pages together); the rest waits a run."""
    scan_page_size: int = Field(default=200, ge=1, le=1000)
    """Due orders per work item (one worker invocation's record)."""
    scan_item_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts per due order in a scan run (with backoff) before it is left due for the next run."""
    notice_claim_lease_seconds: int = Field(default=120, ge=60)
    """Wall-clock age after which a claim without an outcome belongs to a dead sender (4 × the
    dispatch timeout), so that the first redelivery, after the 180-s visibility timeout, takes it."""
    templates_dir: str = Field(default_factory=_default_templates_dir)
    # ---- notices (issue 5): state table, dead letters, feedback
    notice_state_table: str = "delaydesk-notice-state"
    notices_dlq_url: str = ""
    ses_feedback_dlq_url: str = ""
    unsubscribe_url: str = "https://shop.example/notices/unsubscribe"
    """List-Unsubscribe target (the ``UnsubscribeUrl`` output); ``links.unsubscribe_url`` signs it."""
    # ---- storefront (issue 15): the WISMO answers' rate limits
    request_counters_table: str = "delaydesk-request-counters"
    wismo_window_seconds: int = Field(default=600, ge=10, le=86_400)
    wismo_per_ip: int = Field(default=30, ge=1, le=100_000)
    """WISMO questions one client address may ask per window (robots share an address: keep it roomy)."""
    wismo_per_order: int = Field(default=5, ge=1, le=1000)
    """WISMO questions about one order number per window, whoever asks (guessing contacts)."""
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

    @property
    def resolved_templates_dir(self) -> Path:
        path = Path(self.templates_dir)
        return path if path.is_dir() else _REPO_TEMPLATES


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (a Lambda container reads them once, at first use)."""
    return Settings()
