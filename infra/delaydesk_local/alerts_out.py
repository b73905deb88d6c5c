"""The ``alerts`` of ``simulate``'s output (scenario.md): every early-warning alert, oldest first."""

from __future__ import annotations

from typing import IO, Any


def collect_alerts() -> list[dict[str, Any]]:
    """The contract's alert objects (``alert_id``, ``merchant_id``, ``kind``, ``scope``, ``opened_at``,
    ``resolved_at``, ``proposed_window``), from the embedded AWS's alerts table."""
    from delaydesk.operations import list_alerts

    keys = ("alert_id", "merchant_id", "kind", "scope", "opened_at", "resolved_at", "proposed_window")
    return [{key: alert[key] for key in keys} for alert in list_alerts()]


def print_alerts(alerts: list[dict[str, Any]], out: IO[str]) -> None:
    """The early-warning alerts of a run, each with the window it proposes (``make demo``)."""
    out.write(f"\nEarly-warning alerts ({len(alerts)})\n")
    if not alerts:
        out.write("  none: no carrier or region had a delay spike against its own baseline\n")
    for alert in alerts:
        scope = alert["scope"]
        where = f"{', '.join(scope['carriers']) or 'all carriers'} -> {', '.join(scope['regions']) or 'all regions'}"
        resolved = alert["resolved_at"] or "still open"
        out.write(f"  {alert['alert_id']}  {alert['merchant_id']}  {where}\n")
        out.write(f"    opened {alert['opened_at']}, resolved {resolved}\n")
        window = alert["proposed_window"]
        if window:
            rules = ", ".join(f"{k}={v}" for k, v in window["rules"].items() if v not in (None, False, []))
            out.write(f"    proposes window {window['window_id']}: {window['starts_at']} .. {window['ends_at']}\n")
            out.write(f"      rules: {rules}\n")
            out.write(f"      declare it: delaydesk windows declare --from-alert {alert['alert_id']}\n")
