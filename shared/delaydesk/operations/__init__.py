"""What operators see and do: the deployment doctor, an order's explained timeline,
the windows admin API, the early warning on delay spikes (``early_warning`` pure, ``alerts`` I/O)
and its delivery (the ops topic, chat robots: ``robots``), the daily digest (``digest`` pure, ``digest_job``).

Decides verdicts about a deployment and answers operator questions.
May call: delays (recompute after a window change), notices (send rates), store, core.
"""

from typing import TYPE_CHECKING

from delaydesk.core.lazy import lazy_exports

if TYPE_CHECKING:
    from delaydesk.operations import doctor as doctor
    from delaydesk.operations.alert_delivery import PoisonAlert as PoisonAlert
    from delaydesk.operations.alert_delivery import deliver_alert as deliver_alert
    from delaydesk.operations.alert_delivery import handle_message as handle_alert_message
    from delaydesk.operations.alert_windows import declare_from_alert as declare_from_alert
    from delaydesk.operations.alerts import detect as detect_spikes
    from delaydesk.operations.alerts import list_alerts as list_alerts
    from delaydesk.operations.digest import digest_csv as digest_csv
    from delaydesk.operations.digest import render_digest_html as render_digest_html
    from delaydesk.operations.digest_job import digest_for as digest_for
    from delaydesk.operations.digest_job import reports_dir as reports_dir
    from delaydesk.operations.digest_job import run_digests as run_digests
    from delaydesk.operations.doctor import WEBHOOK_SOURCES as WEBHOOK_SOURCES
    from delaydesk.operations.effect import effect_rows as effect_rows
    from delaydesk.operations.effect_incidents import wide_table as effect_table
    from delaydesk.operations.effect_job import effect_report as effect_report
    from delaydesk.operations.explain import Notice as Notice
    from delaydesk.operations.explain import timeline as timeline
    from delaydesk.operations.robots import RobotResult as RobotResult
    from delaydesk.operations.robots import deliver_to_robots as deliver_to_robots
    from delaydesk.operations.windows_admin import app as windows_admin_api
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "doctor": "delaydesk.operations.doctor",
            "PoisonAlert": "delaydesk.operations.alert_delivery:PoisonAlert",
            "declare_from_alert": "delaydesk.operations.alert_windows:declare_from_alert",
            "deliver_alert": "delaydesk.operations.alert_delivery:deliver_alert",
            "detect_spikes": "delaydesk.operations.alerts:detect",
            "handle_alert_message": "delaydesk.operations.alert_delivery:handle_message",
            "list_alerts": "delaydesk.operations.alerts:list_alerts",
            "digest_csv": "delaydesk.operations.digest:digest_csv",
            "render_digest_html": "delaydesk.operations.digest:render_digest_html",
            "digest_for": "delaydesk.operations.digest_job:digest_for",
            "reports_dir": "delaydesk.operations.digest_job:reports_dir",
            "run_digests": "delaydesk.operations.digest_job:run_digests",
            "WEBHOOK_SOURCES": "delaydesk.operations.doctor:WEBHOOK_SOURCES",
            "effect_rows": "delaydesk.operations.effect:effect_rows",
            "effect_report": "delaydesk.operations.effect_job:effect_report",
            "Notice": "delaydesk.operations.explain:Notice",
            "timeline": "delaydesk.operations.explain:timeline",
            "RobotResult": "delaydesk.operations.robots:RobotResult",
            "deliver_to_robots": "delaydesk.operations.robots:deliver_to_robots",
            "windows_admin_api": "delaydesk.operations.windows_admin:app",
            "effect_table": "delaydesk.operations.effect_incidents:wide_table",
        },
    )

__all__ = [
    "WEBHOOK_SOURCES",
    "Notice",
    "PoisonAlert",
    "RobotResult",
    "declare_from_alert",
    "deliver_alert",
    "deliver_to_robots",
    "detect_spikes",
    "digest_csv",
    "digest_for",
    "doctor",
    "effect_report",
    "effect_rows",
    "effect_table",
    "handle_alert_message",
    "list_alerts",
    "render_digest_html",
    "reports_dir",
    "run_digests",
    "timeline",
    "windows_admin_api",
]
