"""Banner script size (a script, not a test): what a shop's visitors download for the delay banner.

    .venv/bin/python benchmarks/banner_script.py

Prints the size of ``templates/storefront/banner.js`` as written and as served by
``GET /banner.js`` (gzip level 9, as the function compresses it: powertools' ``compress=True``), and the same after a
safe minification (comments and indentation removed, nothing renamed). Budget (issue 15): under
3 KB minified and gzipped; ``tests/unit/customer/test_banner_script.py`` keeps it.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "templates" / "storefront" / "banner.js"
BUDGET = 3 * 1024


def minified(source: str) -> str:
    """Comments and indentation removed; the code is kept line by line, so no semicolon is lost."""
    without_comments = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(line.strip() for line in without_comments.splitlines() if line.strip())


def gzipped(text: str, level: int) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=level, mtime=0))


def main() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    small = minified(source)
    for label, text in (("as written", source), ("minified", small)):
        size, six, nine = len(text.encode()), gzipped(text, 6), gzipped(text, 9)
        print(f"banner.js {label:<11} {size:6,d} bytes, gzip -6 {six:5,d}, gzip -9 {nine:5,d}")
    served = gzipped(source, 9)
    print(f"budget: {BUDGET:,d} bytes gzipped; served (gzip -9, as written): {served:,d} ({served / BUDGET:.0%} of it)")


if __name__ == "__main__":
    main()
