"""Where a curate run's coordinator reaches its peak memory: the largest RSS sampled in each phase.

A diagnostic beside ``curate_bench.py`` (which reports only the peak): a thread samples this
process's VmRSS every 10 ms while :func:`deshi.data.runner.curate` runs, and the samples are split
at the coordinator's trace events (``DESHI_CURATE_TRACE``: filter_end, dedup_end, write_end,
curate_end). Linux only (/proc/self/status).

Run: .venv/bin/python benchmarks/curate_rss_phases.py CORPUS.jsonl [--workers 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PHASE_ENDS = ("filter_end", "dedup_end", "write_end", "curate_end")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="Output directory (default: a temporary one, removed).")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="curate-rss-"))
    trace_file = scratch / "trace.jsonl"
    os.environ["DESHI_CURATE_TRACE"] = str(trace_file)  # read when the executor module is imported below
    from deshi.data.config import CurateConfig
    from deshi.data.runner import curate

    out = args.out or scratch / "out"
    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            samples.append((time.time(), _rss_mb()))
            time.sleep(0.01)

    sampler = threading.Thread(target=poll, daemon=True)
    sampler.start()
    began = time.time()
    try:
        curate(args.corpus, out, CurateConfig(workers=args.workers))
    finally:
        stop.set()
        sampler.join()
    me = os.getpid()
    events = [json.loads(line) for line in trace_file.read_text().splitlines()]
    ends = [(e["event"], e["t"]) for e in events if e["pid"] == me and e["event"] in PHASE_ENDS]
    start = began
    for name, end in ends:
        inside = [mb for t, mb in samples if start <= t < end]
        print(f"until {name:11s} max RSS {max(inside, default=0.0):7.1f} MB ({len(inside)} samples)")
        start = end
    print(f"largest sample, whole run: {max(mb for _, mb in samples):.1f} MB")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
