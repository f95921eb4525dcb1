"""Run every benchmark in this folder, one after the other, then assemble BENCHMARKS.md.

Each ``*_bench.py`` compares deshi with its named peer in the same run and writes
``results/<name>.json`` and ``results/<name>.md``. Benchmarks run sequentially because the machine has
two cores: running two at once would make both sets of numbers meaningless.

Usage: python benchmarks/run_all.py [--only curate,serve] [--assemble-only]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORDER = ["curate", "curate_scaling", "pii", "tokenizer", "distill", "eval", "gateway", "gateway_notes"]


def assemble() -> Path:
    """BENCHMARKS.md = a header about the machine + each benchmark's Markdown section, in ORDER."""
    sections = []
    names = sorted(p.stem for p in RESULTS.glob("*.md"))
    names.sort(key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    for name in names:
        sections.append((RESULTS / f"{name}.md").read_text(encoding="utf-8").strip())
    header = (
        "# Benchmarks\n\n"
        "Every number below comes from a run of the command shown with it, on the development machine "
        f"({os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, CPU only), with each "
        "benchmark's peer measured in the same run. `make bench` reruns every `*_bench.py` and rewrites this file; "
        "`curate_scaling` is a diagnostic run by hand (its command is in its section).\n"
    )
    out = HERE.parent / "BENCHMARKS.md"
    out.write_text(header + "\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated benchmark names (e.g. curate,gateway)")
    parser.add_argument("--assemble-only", action="store_true")
    args = parser.parse_args()
    failures = []
    if not args.assemble_only:
        wanted = {n for n in args.only.split(",") if n}
        for script in sorted(HERE.glob("*_bench.py")):
            name = script.stem.removesuffix("_bench")
            if wanted and name not in wanted:
                continue
            print(f"== {script.name}", flush=True)
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
            print(f"== {script.name}: exit {proc.returncode} in {time.perf_counter() - started:.0f}s", flush=True)
            if proc.returncode != 0:
                failures.append(name)
    path = assemble()
    print(f"wrote {path}")
    if failures:
        print(f"benchmarks that failed or missed a target: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
