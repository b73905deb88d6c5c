"""The early warning's thresholds (``early_warning``: what opens and resolves an alert), apart from
the detector: DeliverAlerts words an alert with the span (``span_hours``) and the effect report
reads it, neither evaluates, and importing the detector (with the detection, ``alerts``) cost them
its classes at every cold start (``benchmarks/cold_start.py``).
"""

from __future__ import annotations

import msgspec


class Thresholds(msgspec.Struct, frozen=True):
    span_hours: int = 12
    baseline_days: int = 7
    trim: int = 2
    min_orders: int = 20
    min_delays: int = 6
    ratio: float = 3.0
    sigmas: float = 3.0
    excess: float = 3.0
    resolve_excess: float = 1.0
    explain_share: float = 0.6
    """A carrier or region that spikes because one of its cells does (that cell holds at least this
    share of the excess delays) is alerted as that cell: the narrowest scope that explains it."""
    window_days: int = 7
    """How long a proposed window lasts (an operator ends it early with ``windows end``)."""
    lead_hours: int = 48
    """How far before the alert a proposed window starts: a stall is detected this long after
    the parcel's last scan (the default stall threshold)."""


THRESHOLDS = Thresholds()
"""The thresholds of the scheduled detection (DetectSpikes) and of the alerts' wording."""
