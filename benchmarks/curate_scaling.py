"""`deshi curate` on 2 workers vs 1: wall time, CPU time, and the critical path from a trace.

A diagnostic, not a peer comparison: it measures deshi's own 1- and 2-worker runs (wall and CPU
seconds, with the load average) and, beside them, a *model* of what those runs would take on two idle
cores. The measured wall medians are the numbers; the modelled ratios explain them on a loaded
machine and are labelled as modelled wherever they are written.

Runs the exact CLI command a user runs (`deshi curate run C/corpus.jsonl --out O --workers W`, a fresh
process each time, alternating W = 1 and 2) on the demo corpus (`deshi demo-data --docs N --seed 7
--malformed 5`), with ``DESHI_CURATE_TRACE`` set so every process logs when it starts and ends each
work unit together with its own CPU seconds.

Why a model next to the wall times. On a shared 2-core machine another user's job takes part of the
second core, so the measured 2-worker wall time says more about the neighbours than about deshi. CPU
seconds of each piece of work are nearly load-independent, so the script also replays each run's
measured pieces on two idle cores: the coordinator's start-up (CPU seconds before its first unit), the
worker's start-up (forked at a known CPU time of the coordinator; its CPU seconds before its first
unit), every unit's CPU seconds, handed out in order to whichever process is free first (as the
executor does), then the coordinator's serial tail (dedup, write, finalise) and the time from the end
of ``curate()`` to the process exit. For a 1-worker run the model is its total CPU seconds. The
modelled ratio is what an idle machine should show; it is a model, and the lead's idle-machine
wall-clock measurement is the check.

Run: .venv/bin/python benchmarks/curate_scaling.py [--docs 20000] [--reps 3] [--workdir /tmp/curate-scaling]
Writes benchmarks/results/curate_scaling.json (override with --json) and a Markdown section,
benchmarks/results/curate_scaling.md (override with --md), for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_bytecode import compile_deshi

ROOT = Path(__file__).resolve().parents[1]


def load() -> float:
    return os.getloadavg()[0]


def run_cli(corpus: Path, out: Path, workers: int, trace: Path) -> dict:
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    trace.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DESHI_CURATE_TRACE": str(trace), "HF_HUB_OFFLINE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = load()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deshi.cli", "curate", "run", str(corpus), "--out", str(out),
                    "--workers", str(workers)], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    timings = json.loads((out / "manifest.json").read_text())["timings"]
    return {"workers": workers, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "load_before": load_before,
            "load_after": load(), "phases": timings, "model": model(events, cpu, workers)}


def model(events: list[dict], cpu_total: float, workers: int) -> dict:
    """Replay the run's measured CPU pieces on ``workers`` idle cores (see the module docstring)."""
    coordinator = next(e["pid"] for e in events if e["event"] == "curate_start")
    mine = [e for e in events if e["pid"] == coordinator]
    first_unit = next((e["cpu"] for e in mine if e["event"] == "unit_start"), None)
    filter_end = next(e for e in mine if e["event"] == "filter_end")
    curate_end = next(e for e in mine if e["event"] == "curate_end")
    units: dict[int, float] = {}
    starts: dict[tuple[int, int], float] = {}
    for e in events:
        if e["event"] == "unit_start":
            starts[(e["pid"], e["unit"])] = e["cpu"]
        elif e["event"] == "unit_end":
            units[e["unit"]] = e["cpu"] - starts[(e["pid"], e["unit"])]
    # After curate(): print, pool shutdown, interpreter exit. In CPU seconds: the tree's total minus
    # what every process had used by its last event (wall time here would count the neighbours' load).
    last_cpu: dict[int, float] = {}
    for e in events:
        last_cpu[e["pid"]] = max(last_cpu.get(e["pid"], 0.0), e["cpu"])
    exit_s = max(0.0, cpu_total - sum(last_cpu.values()))
    # After phase 1: the coordinator's CPU (dedup, its share of the shared calls, finalise), with each
    # shared map (dedup verification, write) counted at its slowest process's CPU instead.
    tail = curate_end["cpu"] - filter_end["cpu"]
    shared: dict[str, dict[int, float]] = {}
    call_start: dict[tuple[int, str, int], float] = {}
    for e in events:
        if e["t"] < filter_end["t"] or e["event"] not in ("call_start", "call_end"):
            continue
        key = (e["pid"], e["fn"], e["call"])
        if e["event"] == "call_start":
            call_start[key] = e["cpu"]
        elif key in call_start:
            per_pid = shared.setdefault(e["fn"], {})
            per_pid[e["pid"]] = per_pid.get(e["pid"], 0.0) + e["cpu"] - call_start[key]
    for per_pid in shared.values():
        tail += max(per_pid.values()) - per_pid.get(coordinator, 0.0)
    result = {"units": len(units), "unit_cpu_s": round(sum(units.values()), 3), "coordinator_start_cpu_s": first_unit,
              "serial_tail_cpu_s": round(tail, 3), "exit_cpu_s": round(exit_s, 3)}
    if workers == 1:
        result["idle_wall_s"] = round(cpu_total, 3)
        return result
    pool = next((e for e in mine if e["event"] == "pool_start"), None)
    worker_pids = {e["pid"] for e in events if e["pid"] != coordinator}
    ready = []
    for pid in worker_pids:
        theirs = [e for e in events if e["pid"] == pid]
        start_cpu = next((e["cpu"] for e in theirs if e["event"] == "unit_start"), None)
        if start_cpu is None:
            continue
        # started at that coordinator CPU time (forked, or asked of the fork server), then its own start-up
        ready.append((pool["cpu"] if pool else first_unit) + start_cpu)
    result.update({"worker_ready_cpu_s": [round(r, 3) for r in ready], "unit_cpu": units,
                   "phase1_end_s": round(schedule([first_unit, *ready], units), 3)})
    result["idle_wall_s"] = round(result["phase1_end_s"] + tail + exit_s, 3)
    return result


def schedule(free: list[float], units: dict[int, float], scale: float = 1.0) -> float:
    """When the last unit ends if units are handed out in order to whichever process is free first
    (as the executor does); ``free`` is each process's CPU-second clock (= wall on an idle core)."""
    free = list(free)
    for unit in sorted(units):
        k = min(range(len(free)), key=free.__getitem__)
        free[k] += units[unit] * scale
    return max(free)


def markdown(summary: dict, runs: list[dict], command: str) -> str:
    """The Markdown section for BENCHMARKS.md: command, measured medians with load, modelled ratios."""
    def loads(workers: int) -> str:
        values = [v for r in runs if r["workers"] == workers for v in (r["load_before"], r["load_after"])]
        return f"{min(values):.2f}–{max(values):.2f}"

    wall, cpu, idle = summary["median_wall_s"], summary["median_cpu_s"], summary["median_idle_model_s"]
    lines = [
        "## curate: 2 workers vs 1 (diagnostic: measured, plus an idle-core model)",
        "",
        f"Command: `{command}` ({summary['docs']:,} demo documents, {summary['reps']} alternating repetitions "
        f"of `deshi curate run … --workers 1` and `--workers 2`, each a fresh CLI process; "
        f"{summary['when']}; 1-minute load average as listed, on 2 cores).",
        "",
        "| | 1 worker | 2 workers | ratio 1w/2w |",
        "|---|---:|---:|---:|",
        f"| measured wall s (median) | {wall['1']:.2f} | {wall['2']:.2f} | {summary['wall_ratio']:.2f}× |",
        f"| measured CPU s, user+sys (median) | {cpu['1']:.2f} | {cpu['2']:.2f} | |",
        f"| load average during the runs | {loads(1)} | {loads(2)} | |",
        f"| modelled idle-core s, each run's own CPU per unit (median) | {idle['1']:.2f} | {idle['2']:.2f} | "
        f"{summary['idle_model_ratio']:.2f}× (modelled) |",
        f"| modelled idle-core s, 1-worker CPU per unit (median) | {idle['1']:.2f} | "
        f"{summary['median_idle_model_2w_at_1w_unit_cpu_s']:.2f} | {summary['idle_model_ratio_at_1w_unit_cpu']:.2f}× "
        "(modelled) |",
        "",
        f"Output of the 1- and 2-worker runs byte-identical: {'yes' if summary['identical_output_1_vs_2'] else 'NO'}. "
        "On a shared machine the measured wall ratio mostly reflects the neighbours' load; the model replays "
        "each run's measured CPU pieces on two idle cores (see the script's docstring) and is not a measurement.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/curate-scaling"))
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "curate_scaling.json")
    parser.add_argument("--md", type=Path, default=ROOT / "benchmarks" / "results" / "curate_scaling.md")
    args = parser.parse_args()
    compile_deshi()  # as an installed deshi has its bytecode (benchmarks/bench_bytecode.py says why)
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus_dir = args.workdir / f"C{args.docs}"
    if not (corpus_dir / "corpus.jsonl").exists():
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        subprocess.run([sys.executable, "-m", "deshi.cli", "demo-data", "--out", str(corpus_dir), "--docs", str(args.docs),
                        "--seed", "7", "--malformed", "5"], env=env, check=True, stdout=subprocess.DEVNULL)
    corpus = corpus_dir / "corpus.jsonl"
    runs: list[dict] = []
    began = time.strftime("%Y-%m-%d %H:%M")
    for rep in range(args.reps):
        for workers in (1, 2):
            r = run_cli(corpus, args.workdir / f"O{workers}", workers, args.workdir / f"trace{workers}.jsonl")
            r["rep"] = rep
            runs.append(r)
            if workers == 2:
                # Same schedule with the units at the 1-worker run's CPU per document (the load of other
                # users inflates the CPU seconds of two busy processes more than of one).
                one, m = runs[-2]["model"], r["model"]
                scale = one["unit_cpu_s"] / m["unit_cpu_s"]
                phase1 = schedule([m["coordinator_start_cpu_s"], *m["worker_ready_cpu_s"]], m["unit_cpu"], scale)
                m["idle_wall_s_at_1w_unit_cpu"] = round(phase1 + m["serial_tail_cpu_s"] + m["exit_cpu_s"], 3)
            print(f"rep {rep} workers {workers}: wall {r['wall_s']:.2f} s, CPU {r['cpu_s']:.2f} s, load "
                  f"{r['load_before']:.2f}->{r['load_after']:.2f}, idle-model {r['model']['idle_wall_s']:.2f} s, "
                  f"phases {json.dumps({k: round(v, 2) for k, v in r['phases'].items()})}", flush=True)
    from curate_bench import same_output  # this folder is on sys.path when the script runs

    same = same_output(args.workdir / "O1", args.workdir / "O2")

    def med(workers: int, key: str) -> float:
        values = [r["model"][key] if key == "idle_wall_s" else r[key] for r in runs if r["workers"] == workers]
        return statistics.median(values)

    summary = {
        "docs": args.docs, "reps": args.reps, "identical_output_1_vs_2": same,
        "when": f"{began}–{time.strftime('%H:%M')}",
        "median_wall_s": {"1": med(1, "wall_s"), "2": med(2, "wall_s")},
        "median_cpu_s": {"1": med(1, "cpu_s"), "2": med(2, "cpu_s")},
        "median_idle_model_s": {"1": med(1, "idle_wall_s"), "2": med(2, "idle_wall_s")},
        "median_idle_model_2w_at_1w_unit_cpu_s": statistics.median(
            r["model"]["idle_wall_s_at_1w_unit_cpu"] for r in runs if r["workers"] == 2),
    }
    summary["wall_ratio"] = round(summary["median_wall_s"]["1"] / summary["median_wall_s"]["2"], 3)
    summary["idle_model_ratio"] = round(summary["median_idle_model_s"]["1"] / summary["median_idle_model_s"]["2"], 3)
    summary["idle_model_ratio_at_1w_unit_cpu"] = round(
        summary["median_idle_model_s"]["1"] / summary["median_idle_model_2w_at_1w_unit_cpu_s"], 3)
    print(json.dumps(summary, indent=1))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary, "runs": runs}, indent=1) + "\n")
    command = " ".join([".venv/bin/python benchmarks/curate_scaling.py", *sys.argv[1:]])
    args.md.parent.mkdir(parents=True, exist_ok=True)
    args.md.write_text(markdown(summary, runs, command))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
