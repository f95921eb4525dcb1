"""Where a curate run's coordinator reaches its peak memory: the largest RSS sampled in each phase.

A diagnostic beside ``curate_bench.py`` (which reports only the peak): a sampler process reads this
process's VmRSS every 10 ms while :func:`deshi.data.runner.curate` runs (a process, not a thread: a
thread in the coordinator would make its pool start a fork server instead of forking, see
:mod:`deshi.data.executor`, and measure another run than users get), and the samples are split
at the coordinator's trace events (``DESHI_CURATE_TRACE``: filter_end, dedup_end, write_end,
curate_end). Linux only (/proc/self/status).

Run: .venv/bin/python benchmarks/curate_rss_phases.py CORPUS.jsonl [--workers 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PHASE_ENDS = ("filter_end", "dedup_end", "write_end", "curate_end")


# Run by the sampler process: append "time RSS-MB" of process PID to FILE every 10 ms until it reads a
# line on stdin (a file, not a pipe back to the coordinator, which would fill while nobody reads it).
_SAMPLER = """
import select, sys, time
path = f"/proc/{sys.argv[1]}/status"
with open(sys.argv[2], "w") as out:
    while not select.select([sys.stdin], [], [], 0.01)[0]:
        with open(path) as status:
            for line in status:
                if line.startswith("VmRSS"):
                    out.write(f"{time.time()} {int(line.split()[1]) / 1024}\\n")
"""


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
    sample_file = scratch / "rss.txt"
    sampler = subprocess.Popen([sys.executable, "-c", _SAMPLER, str(os.getpid()), str(sample_file)],
                               stdin=subprocess.PIPE, text=True)
    time.sleep(0.2)  # the sampler's interpreter starts
    began = time.time()
    try:
        curate(args.corpus, out, CurateConfig(workers=args.workers))
    finally:
        sampler.communicate("stop\n")
    samples = [(float(t), float(mb)) for t, mb in (line.split() for line in sample_file.read_text().splitlines())]
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
