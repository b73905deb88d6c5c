"""A readable summary of a simulation, for people (``simulate`` without ``--json``, ``make demo``)."""

from __future__ import annotations

from typing import IO, Any

from delaydesk_local.simulate import SimulationResult


def _table(title: str, counts: dict[str, Any], out: IO[str]) -> None:
    if not counts:
        return
    out.write(f"\n{title}\n")
    width = max(len(str(k)) for k in counts)
    for key, value in counts.items():
        out.write(f"  {key:<{width}}  {value:>6}\n")


def print_summary(result: SimulationResult, out: IO[str]) -> None:
    s = result.summary
    out.write("\nDelayDesk simulation summary\n")
    out.write("============================\n")
    out.write(
        f"orders {s['orders']}   events {s['events']}   decisions {s['decisions']}   "
        f"notices sent {s['notices']}   escalations {s['escalations']}\n"
    )
    _table("Orders by status", s["orders_by_status"], out)
    _table("Delays detected, by rule", s["delays_by_rule"], out)
    _table("Decisions, by action", s["decisions_by_action"], out)
    _table("Notices, by kind", s["notices_by_kind"], out)
    _table("Notices, by channel", s["notices_by_channel"], out)
    _table("Notices, by locale", s["notices_by_locale"], out)
    _table("Escalations, by reason", s.get("escalations_by_reason", {}), out)
    _table("Webhooks, by answer", s.get("webhooks_by_status", {}), out)
    _table("E-mail feedback (SES events), by type", s.get("ses_events_by_type", {}), out)
    if s.get("suppressions_by_reason"):
        suppressed = {
            **{f"addresses: {k}": v for k, v in s["suppressions_by_reason"].items()},
            "notices not sent (fell back)": s.get("notices_suppressed", 0),
        }
        _table("Suppressed", suppressed, out)
    problems = {
        "notices failed": s["notices_failed"],
        **{f"events {k}": v for k, v in s["events_rejected"].items()},
        **{f"in {k}": v for k, v in s["dead_lettered"].items()},
    }
    _table("Needs an operator", problems, out)
    if result.notes:
        out.write("\nNotes\n")
        for note in result.notes:
            out.write(f"  - {note}\n")
