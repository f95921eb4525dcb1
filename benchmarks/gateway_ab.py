"""Before/after for the gateway: deshi from two source trees behind one mock upstream, interleaved.

Each round runs wrk against the mock alone, then against each gateway (the order alternates per round),
with the same load, auth, guard, cache, metrics and audit configuration as ``gateway_bench.py``; CPU per
request is the gateway process's utime+stime over the run. Use it to compare a change against the code
before it on the shared machine, where only interleaved runs are comparable:

    git archive <commit> src | tar -x -C /tmp/before
    .venv/bin/python benchmarks/gateway_ab.py --before /tmp/before/src --clients 1 --rounds 6 --duration 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gateway_bench as gb  # noqa: E402  (benchmarks/ is not a package)


def _start(tmp: Path, name: str, src: str, upstream_port: int) -> tuple[subprocess.Popen, int]:
    run_dir = tmp / name
    run_dir.mkdir()
    port = gb.free_port()
    return gb.start_deshi(run_dir, upstream_port, port, Path(src)), port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="src/ directory of the code before the change")
    parser.add_argument("--after", default=str(gb.ROOT / "src"), help="src/ directory of the code after (default: this checkout)")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--duration", type=float, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gwab-"))
    lua = tmp / "load.lua"
    lua.write_text(gb.LUA % {"key": gb.KEY})
    mock_port = gb.free_port()
    procs: dict[str, subprocess.Popen] = {}
    results: dict[str, list[dict]] = {"before": [], "after": []}
    mock = gb.start_mock(mock_port)
    try:
        ports = {}
        for name in results:
            procs[name], ports[name] = _start(tmp, name, getattr(args, name), mock_port)
            gb.run_wrk(f"http://127.0.0.1:{ports[name]}/v1/chat/completions", 4, 2, lua)  # warm-up
        for rnd in range(args.rounds):
            base = gb.run_wrk(f"http://127.0.0.1:{mock_port}/v1/chat/completions", args.clients, args.duration, lua)
            for name in (("before", "after") if rnd % 2 == 0 else ("after", "before")):
                cpu0 = gb.tree_cpu_seconds(procs[name].pid)
                r = gb.run_wrk(f"http://127.0.0.1:{ports[name]}/v1/chat/completions", args.clients, args.duration, lua)
                row = {"p50": r["p50"] / 1000, "p99": r["p99"] / 1000, "added_p50": (r["p50"] - base["p50"]) / 1000,
                       "added_p99": (r["p99"] - base["p99"]) / 1000, "rps": r["rps"], "non2xx": r["non2xx"],
                       "cpu_ms_per_request": (gb.tree_cpu_seconds(procs[name].pid) - cpu0) * 1000 / max(1, r["requests"])}
                results[name].append(row)
                print(f"round {rnd} {name:6s} p50 {row['p50']:.3f} p99 {row['p99']:.3f} added {row['added_p50']:.3f}/"
                      f"{row['added_p99']:.3f} ms  {row['rps']:.0f} rps  cpu {row['cpu_ms_per_request']:.3f} ms/req  "
                      f"non2xx {row['non2xx']}  load {os.getloadavg()[0]:.2f}", flush=True)
        for name, rows in results.items():
            med = {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
            print(f"{name} median over {len(rows)} rounds at {args.clients} client(s): {med}")
    finally:
        for proc in (*procs.values(), mock):
            gb.stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
