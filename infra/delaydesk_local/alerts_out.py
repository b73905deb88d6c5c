"""The ``alerts`` of ``simulate``'s output (scenario.md): every early-warning alert, oldest first."""

from __future__ import annotations

from typing import Any


def collect_alerts() -> list[dict[str, Any]]:
    """The contract's alert objects (``alert_id``, ``merchant_id``, ``kind``, ``scope``, ``opened_at``,
    ``resolved_at``, ``proposed_window``), from the embedded AWS's alerts table."""
    from delaydesk.operations import list_alerts

    keys = ("alert_id", "merchant_id", "kind", "scope", "opened_at", "resolved_at", "proposed_window")
    return [{key: alert[key] for key in keys} for alert in list_alerts()]
