"""What operators see and do: the deployment doctor, an order's explained timeline,
the windows admin API, alert delivery to chat robots, the daily digest.

Decides verdicts about a deployment and answers operator questions.
May call: delays (recompute after a window change), notices (send rates), store, core.
"""

from delaydesk.operations import doctor as doctor
from delaydesk.operations.digest import digest_csv as digest_csv
from delaydesk.operations.digest import render_digest_html as render_digest_html
from delaydesk.operations.digest_job import digest_for as digest_for
from delaydesk.operations.digest_job import reports_dir as reports_dir
from delaydesk.operations.digest_job import run_digests as run_digests
from delaydesk.operations.doctor import WEBHOOK_SOURCES as WEBHOOK_SOURCES
from delaydesk.operations.explain import Notice as Notice
from delaydesk.operations.explain import timeline as timeline
from delaydesk.operations.robots import RobotResult as RobotResult
from delaydesk.operations.robots import deliver_to_robots as deliver_to_robots
from delaydesk.operations.windows_admin import app as windows_admin_api

__all__ = [
    "WEBHOOK_SOURCES",
    "Notice",
    "RobotResult",
    "deliver_to_robots",
    "digest_csv",
    "digest_for",
    "doctor",
    "render_digest_html",
    "reports_dir",
    "run_digests",
    "timeline",
    "windows_admin_api",
]
