"""The embeddable banner script keeps its budget and its promises (what a browser test cannot
see quickly): its size is a number of bytes, not a time."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "templates" / "storefront" / "banner.js"
BUDGET = 3 * 1024


def test_the_script_is_under_3_kb_gzipped_as_served() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    served = gzip.compress(source.encode("utf-8"), compresslevel=9)  # as powertools' compress=True
    assert len(served) < BUDGET, f"banner.js is {len(served)} bytes gzipped; the budget is {BUDGET}"


def test_the_script_has_no_dependencies_and_says_who_it_is_for() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    assert not re.search(r"\bimport\b|\brequire\(|https?://", source)  # nothing loaded but the API's answer
    for promise in ('"role", "region"', '"role", "status"', '"lang"', "aria-label", "sessionStorage", "Escape"):
        assert promise in source
    assert "innerHTML" not in source  # the messages are text, never markup
