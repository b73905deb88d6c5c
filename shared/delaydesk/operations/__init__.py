"""What operators see and do: the deployment doctor, an order's explained timeline,
the windows admin API. The home of statistics, alerts and reports to come.

Decides verdicts about a deployment and answers operator questions.
May call: delays (recompute after a window change), notices (send rates), store, core.
"""

from delaydesk.operations import doctor as doctor
from delaydesk.operations.doctor import WEBHOOK_SOURCES as WEBHOOK_SOURCES
from delaydesk.operations.explain import Notice as Notice
from delaydesk.operations.explain import timeline as timeline
from delaydesk.operations.windows_admin import app as windows_admin_api

__all__ = ["WEBHOOK_SOURCES", "Notice", "doctor", "timeline", "windows_admin_api"]
