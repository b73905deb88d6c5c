"""One way to start the browser the page and e-mail tests look through: Debian's Chromium.

Playwright drives the system's ``chromium`` (no browser download) with the flags a machine without
internet needs: without them Chromium stalls on its own connections (component updates, first-run
and background networking). A missing Chromium fails the test, never skips it: CI installs it
(``.ci/run``), and a browser test that passes without a browser proves nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched Chromium (a Playwright ``Browser``), closed on exit; screenshots go to ARTIFACTS."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run does it)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
