"""Output regression check for speed work on `deshi curate`: same input, same bytes out.

Runs the curation (1 worker, default config) on a demo corpus and records a SHA-256 of every output
file that carries results (data/part-*, stats.json, rejected.jsonl, quarantine.jsonl). Record the
hashes before a change, check them after it: an optimisation that changes any byte of the output
fails the check. (Manifest and report are left out: they hold timings.)

Run: .venv/bin/python benchmarks/curate_regression.py --save /tmp/curate-ref.json   (before)
     .venv/bin/python benchmarks/curate_regression.py --check /tmp/curate-ref.json  (after)
Options: --docs N (default 20,000; the corpus is generated with seed 0 into --workdir and reused),
         --input PATH (use your own corpus instead).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def output_hashes(out: Path) -> dict[str, str]:
    files = sorted((out / "data").iterdir()) + [out / name for name in ("stats.json", "rejected.jsonl", "quarantine.jsonl")]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.exists()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path, help="Write the output hashes here.")
    mode.add_argument("--check", type=Path, help="Compare the output hashes with this file.")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--input", type=Path, default=None)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "deshi-curate-regression")
    args = parser.parse_args()

    from deshi.data.config import CurateConfig
    from deshi.data.runner import curate

    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = args.input
    if corpus is None:
        from deshi.demo_data import generate_demo_corpus

        target = args.workdir / f"corpus-{args.docs}"
        if not (target / "corpus.jsonl").exists():
            generate_demo_corpus(target, docs=args.docs, seed=0, malformed=args.docs // 1000)
        corpus = target / "corpus.jsonl"
    out = args.workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    curate(corpus, out, CurateConfig(workers=1))
    print(f"curated {corpus} in {time.perf_counter() - started:.1f} s")
    hashes = output_hashes(out)
    if args.save:
        args.save.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"saved {len(hashes)} hashes to {args.save}")
        return 0
    expected = json.loads(args.check.read_text())
    differ = sorted(k for k in expected.keys() | hashes.keys() if expected.get(k) != hashes.get(k))
    if differ:
        print("OUTPUT DIFFERS:", ", ".join(differ))
        return 1
    print(f"output identical ({len(hashes)} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
