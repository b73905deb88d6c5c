"""What operators see and do: the deployment doctor, an order's explained timeline,
the windows admin API, the early warning on delay spikes (``early_warning`` pure, ``alerts`` I/O)
and its delivery. Reports to come.

Decides verdicts about a deployment and answers operator questions.
May call: delays (recompute after a window change), notices (send rates), store, core.
"""

from delaydesk.operations import doctor as doctor
from delaydesk.operations.alerts import PoisonAlert as PoisonAlert
from delaydesk.operations.alerts import declare_from_alert as declare_from_alert
from delaydesk.operations.alerts import deliver_alert as deliver_alert
from delaydesk.operations.alerts import detect as detect_spikes
from delaydesk.operations.alerts import handle_message as handle_alert_message
from delaydesk.operations.alerts import list_alerts as list_alerts
from delaydesk.operations.doctor import WEBHOOK_SOURCES as WEBHOOK_SOURCES
from delaydesk.operations.explain import Notice as Notice
from delaydesk.operations.explain import timeline as timeline
from delaydesk.operations.windows_admin import app as windows_admin_api

__all__ = [
    "WEBHOOK_SOURCES",
    "Notice",
    "PoisonAlert",
    "declare_from_alert",
    "deliver_alert",
    "detect_spikes",
    "doctor",
    "handle_alert_message",
    "list_alerts",
    "timeline",
    "windows_admin_api",
]
