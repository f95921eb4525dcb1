"""Phase 2's drop lists alone: CPU seconds of ``runner._write_drops`` on a synthetic corpus, to show it
grows linearly with the corpus (a keeper can sit in any earlier unit; an earlier version read most
units' id lists once per window of duplicates: quadratic).

A work directory of 1,000-document units (their ``ids.jsonl``) is written, 30 % of the documents are made
duplicates of uniformly random earlier ones, and the drop lists are written from those; a SHA-256 of all
drop lists lets two source trees be compared for identical output.

Run: .venv/bin/python benchmarks/curate_drops_bench.py 200000 800000 2400000 [--src OTHER/src]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


class SyntheticDrops:
    """The part of ``dedup.Clusters`` that ``_write_drops`` reads: sorted duplicates and their keepers."""

    def __init__(self, dup: np.ndarray, keep: np.ndarray) -> None:
        self.dup, self.keep = dup, keep

    def drops(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = np.searchsorted(self.dup, [lo, hi])
        return self.dup[a:b], np.ones(b - a, np.uint8), self.keep[a:b]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="source tree to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from deshi.data import runner

    unit = 1_000
    for n in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="drops-bench-"))
        try:
            counts = [unit] * (n // unit)
            for u in range(len(counts)):
                (work / f"{runner.shard_name(u)}.ids.jsonl").write_bytes(
                    b"".join(b'{"id":"doc-%d"}\n' % (u * unit + i) for i in range(unit)))
            rng = np.random.default_rng(0)
            dup = np.sort(rng.choice(np.arange(1, n), size=int(0.3 * n), replace=False))
            keep = (rng.random(len(dup)) * dup).astype(np.int64)

            started = time.process_time()
            runner._write_drops(work, counts, SyntheticDrops(dup, keep))
            cpu = time.process_time() - started
            digest = hashlib.sha256(b"".join((work / f"{runner.shard_name(u)}.drops.jsonl").read_bytes()
                                             for u in range(len(counts)))).hexdigest()[:12]
            print(f"{n:>9,} documents: {cpu:6.2f} CPU s, drop lists sha256 {digest}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
