"""Build size benchmark (a script, not a test): what each function ships after `sam build`, its
layers included, unzipped (what counts against Lambda's 250 MB) and zipped (what is uploaded).

    make build-size          # sam build, then this script
    .venv/bin/python benchmarks/build_size.py [--build-dir .aws-sam/build] [--top 8]

Goal (issue 9): at most 15 MB unzipped per function, layers included.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

GOAL_MB = 15.0
MB = 1024 * 1024


def files(folder: Path) -> Iterator[Path]:
    """Every file, ``__pycache__`` included: the SharedLayer ships its bytecode (shared/build_layer.py)."""
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


def unzipped(folder: Path) -> int:
    return sum(p.stat().st_size for p in files(folder))


def zipped(folder: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files(folder):
            archive.write(path, path.relative_to(folder))
    return buffer.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--top", type=int, default=8, help="largest top-level entries of each layer")
    args = parser.parse_args()
    template: dict[str, Any] = yaml_parse((args.build_dir / "template.yaml").read_text())
    resources = template["Resources"]
    default_layers = template.get("Globals", {}).get("Function", {}).get("Layers", [])

    def source(uri: str) -> Path:
        return (args.build_dir / uri).resolve()

    layers = {
        name: source(r["Properties"]["ContentUri"])
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::LayerVersion"
    }
    sizes = {name: (unzipped(path), zipped(path)) for name, path in layers.items()}
    print(f"{'layer':<28}{'unzipped MB':>13}{'zipped MB':>11}")
    for name, (raw, packed) in sizes.items():
        print(f"{name:<28}{raw / MB:>13.2f}{packed / MB:>11.2f}")
        top = sorted(((unzipped(p) if p.is_dir() else p.stat().st_size), p.name) for p in layers[name].glob("*/*"))
        for size, entry in reversed(top[-args.top :]):
            print(f"    {entry:<24}{size / MB:>13.2f}")
    print()
    print(f"{'function (with its layers)':<28}{'unzipped MB':>13}{'zipped MB':>11}")
    worst = 0.0
    for name, r in resources.items():
        if r["Type"] != "AWS::Serverless::Function":
            continue
        refs = r["Properties"].get("Layers", default_layers)
        own = source(r["Properties"]["CodeUri"])
        raw = unzipped(own) + sum(sizes[ref["Ref"]][0] for ref in refs)
        packed = zipped(own) + sum(sizes[ref["Ref"]][1] for ref in refs)
        worst = max(worst, raw / MB)
        print(f"{name:<28}{raw / MB:>13.2f}{packed / MB:>11.2f}")
    verdict = "within" if worst <= GOAL_MB else "OVER"
    print(f"\nlargest function with its layers: {worst:.2f} MB unzipped ({verdict} the {GOAL_MB:.0f} MB goal)")


if __name__ == "__main__":
    main()
