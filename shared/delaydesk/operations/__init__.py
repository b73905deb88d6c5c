"""What operators see and do: the deployment doctor, an order's explained timeline,
the windows admin API, alert delivery to chat robots, the daily digest.

Decides verdicts about a deployment and answers operator questions.
May call: delays (recompute after a window change), notices (send rates), store, core.
"""

from delaydesk.operations import doctor as doctor
from delaydesk.operations.doctor import WEBHOOK_SOURCES as WEBHOOK_SOURCES
from delaydesk.operations.explain import Notice as Notice
from delaydesk.operations.explain import timeline as timeline
from delaydesk.operations.robots import RobotResult as RobotResult
from delaydesk.operations.robots import deliver_to_robots as deliver_to_robots
from delaydesk.operations.windows_admin import app as windows_admin_api

__all__ = ["WEBHOOK_SOURCES", "Notice", "RobotResult", "deliver_to_robots", "doctor", "timeline", "windows_admin_api"]
