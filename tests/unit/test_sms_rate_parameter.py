"""The SMS send rate is one deployment parameter (``SmsSendRate``) that reaches, as
``SMS_SEND_RATE``, dispatch and the functions that queue announcements (scan_worker,
recompute_deadlines: ``announcements.queue`` takes the SMS tickets there), and the settings."""

from __future__ import annotations

import pytest

from delaydesk.core.config import Settings
from delaydesk_local.stack import load_template

QUEUEING_FUNCTIONS = ("DispatchNoticesFunction", "ScanWorkerFunction", "RecomputeDeadlinesFunction")


def test_the_parameter_reaches_every_function_that_queues_or_sends_notices() -> None:
    template = load_template()
    parameter = template["Parameters"]["SmsSendRate"]
    assert parameter["Type"] == "Number" and parameter["MinValue"] == 0
    assert parameter["Default"] == 10, "20 MPS (shared routes) / 2 parts of a Chinese SMS"
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in QUEUEING_FUNCTIONS:
        own = template["Resources"][name]["Properties"].get("Environment", {}).get("Variables", {})
        assert (shared | own)["SMS_SEND_RATE"] == {"Ref": "SmsSendRate"}, name


def test_the_settings_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_SEND_RATE", "12.5")
    assert Settings().sms_send_rate == 12.5
    monkeypatch.delenv("SMS_SEND_RATE")
    assert Settings().sms_send_rate == 0, "unset (tools, tests): not paced"
    monkeypatch.setenv("SMS_SEND_RATE", "-1")
    with pytest.raises(ValueError, match=r"SMS_SEND_RATE \(sms_send_rate\)=-1.0: must be between 0 and 10000"):
        Settings()
    for bad in ("ten", "inf", "nan"):
        monkeypatch.setenv("SMS_SEND_RATE", bad)
        with pytest.raises(ValueError, match="SMS_SEND_RATE="):
            Settings()
