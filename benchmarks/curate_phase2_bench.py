"""The serial parts of a 2-worker curation at scale, alone: the plan and phase 2 (dedup), CPU seconds.

Why CPU seconds: on a shared machine wall times of a 2-process phase say more about the neighbours
than about the code. What decides the 2-worker wall time is the coordinator's CPU in these phases
(everything it does that the pool does not share), so that is the headline; the pool's CPU (from the
``DESHI_CURATE_TRACE`` events of its calls) and the wall time are printed too.

Each source tree (``--src``, e.g. the baseline worktree's ``src`` and this one's) is measured in fresh
child processes, interleaved round by round, on the same inputs:

* ``plan``: ``runner._prepare`` on the corpus into an empty directory (what a run does before phase 1),
  2 workers (shards split into work units) and 1 worker; CPU of the first and only call in the process.
  ``start_2w``: what ``curate`` times as ``plan_s`` with 2 workers: the pool started (it imports and
  warms up in the background), then the plan; also when the pool's worker was ready.
* ``phase2``: ``runner.dedup_phase`` on a copy of a kept ``.work`` directory (phase 1 done, no drop
  lists), shared with a 2-process ``LocalExecutor`` as ``curate`` does (``phase2_2w``) and in one
  process (``phase2_1w``); the SHA-256 of the drop lists shows both trees found the same duplicates.

The ``.work`` directory comes from one 2-worker run with ``keep_work=True`` of the first ``--src``
(made once, reused: ``--work``).

    .venv/bin/python benchmarks/curate_phase2_bench.py --src /work/base6/src src \\
        --corpus /tmp/cbench/corpus-200000/corpus.jsonl --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("start_2w", "plan_2w", "plan_1w", "phase2_2w", "phase2_1w")


def _child(mode: str, corpus: str, work: str) -> dict:
    """Runs in a fresh process whose PYTHONPATH is the tree under test."""
    import glob
    import hashlib
    import time

    trace = tempfile.mktemp(prefix="phase2-trace-", suffix=".jsonl")
    os.environ["DESHI_CURATE_TRACE"] = trace  # before deshi is imported: the executor reads it then
    from deshi.data import runner
    from deshi.data.config import CurateConfig

    result: dict = {"mode": mode, "load_before": os.getloadavg()[0]}
    if mode == "start_2w":  # what curate() times as plan_s: the pool started, then the plan
        from deshi.data.executor import make_executor

        config = CurateConfig(workers=2)
        out = Path(tempfile.mkdtemp(prefix="phase2-start-"))
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            executor = make_executor(2, "local", config.model_dump_json())
            executor.start()
            runner._prepare(out / "out", corpus, config)
            result.update(cpu_s=time.process_time() - cpu, wall_s=time.perf_counter() - wall)
            executor.wait_ready()
            result["pool_ready_s"] = time.perf_counter() - wall
            executor.close()
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return result
    if mode.startswith("plan"):
        workers = int(mode[-2])
        out = Path(tempfile.mkdtemp(prefix="phase2-plan-"))
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            runner._prepare(out / "out", corpus, CurateConfig(workers=workers))
            result.update(cpu_s=time.process_time() - cpu, wall_s=time.perf_counter() - wall)
            result["plan_sha"] = hashlib.sha256((out / "out" / ".work" / "plan.json").read_bytes()).hexdigest()[:16]
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return result
    workers = int(mode[-2])
    copy = Path(tempfile.mkdtemp(prefix="phase2-work-")) / ".work"
    shutil.copytree(work, copy, ignore=shutil.ignore_patterns("*.drops.jsonl", "dedup-drops.done", "*.p3.done",
                                                                 "*.rejected_dedup.jsonl", "*.tmp"))
    try:
        plan = json.loads((copy / "plan.json").read_text())
        counts = [json.loads((copy / f"{runner.shard_name(u['index'])}.p1.done").read_text())["kept"]
                  for u in plan["units"]]
        config = CurateConfig(workers=workers)
        executor, parallel = None, None
        if workers > 1:
            from deshi.data.executor import make_executor

            executor = make_executor(workers, "local", config.model_dump_json())
            executor.start()
            executor.wait_ready()

            def parallel(fn, calls):  # noqa: ANN001, ANN202 - as curate() passes it
                return executor.map(fn, calls, lambda: None)
        if os.path.exists(trace):
            os.unlink(trace)  # only phase 2's calls
        cpu, wall = time.process_time(), time.perf_counter()
        stats = runner.dedup_phase(copy, counts, config, parallel, workers if parallel else 1)
        result.update(cpu_s=time.process_time() - cpu, wall_s=time.perf_counter() - wall, stats=stats)
        if executor is not None:
            executor.close()
        pool = 0.0
        if os.path.exists(trace):
            started: dict = {}
            for line in open(trace):
                event = json.loads(line)
                key = (event["pid"], event.get("fn"), event.get("call"))
                if event["event"] == "call_start":
                    started[key] = event["cpu"]
                elif event["event"] == "call_end" and event["pid"] != os.getpid():
                    pool += event["cpu"] - started.pop(key)
            os.unlink(trace)
        result["pool_cpu_s"] = pool
        digest = hashlib.sha256()
        for path in sorted(glob.glob(str(copy / "*.drops.jsonl"))):
            digest.update(Path(path).read_bytes())
        result["drops_sha"] = digest.hexdigest()[:16]
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    return result


def _make_work(src: str, corpus: str, work: Path) -> None:
    code = ("import sys; from deshi.data.config import CurateConfig; from deshi.data.runner import curate\n"
            "if __name__ == '__main__':\n"
            f"    curate({corpus!r}, {str(work.parent)!r}, CurateConfig(workers=2, keep_work=True))\n")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": src}, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", nargs="+", default=[str(ROOT / "src")], help="source trees to compare")
    parser.add_argument("--corpus", default="/tmp/cbench/corpus-200000/corpus.jsonl")
    parser.add_argument("--work", default=None, help="a kept .work directory (made if missing)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "curate_phase2.json"))
    parser.add_argument("--child", nargs=3, metavar=("MODE", "CORPUS", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    srcs = [str(Path(s).resolve()) for s in args.src]
    work = Path(args.work) if args.work else Path(tempfile.gettempdir()) / "curate-phase2-bench" / "out" / ".work"
    if not (work / "plan.json").exists():
        print(f"making {work} (2-worker run of {srcs[0]}, keep_work)", flush=True)
        _make_work(srcs[0], args.corpus, work)
    runs: list[dict] = []
    for round_ in range(args.rounds):
        for src in srcs:
            for mode in MODES:
                done = subprocess.run([sys.executable, __file__, "--child", mode, args.corpus, str(work)],
                                      env={**os.environ, "PYTHONPATH": src}, capture_output=True, text=True,
                                      cwd=tempfile.gettempdir())
                if done.returncode:
                    raise SystemExit(f"{src} {mode} failed:\n{done.stderr[-3000:]}")
                run = {"round": round_, "src": src, **json.loads(done.stdout.strip().splitlines()[-1]),
                       "load_after": os.getloadavg()[0]}
                runs.append(run)
                print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in run.items()}), flush=True)
    summary: dict = {}
    for src in srcs:
        for mode in MODES:
            mine = [r for r in runs if r["src"] == src and r["mode"] == mode]
            summary[f"{src} {mode}"] = {
                "cpu_s_median": round(statistics.median(r["cpu_s"] for r in mine), 3),
                "pool_cpu_s_median": round(statistics.median(r.get("pool_cpu_s", 0.0) for r in mine), 3),
                "wall_s_median": round(statistics.median(r["wall_s"] for r in mine), 3),
                "pool_ready_s": [round(r["pool_ready_s"], 3) for r in mine if "pool_ready_s" in r],
                "cpu_s": [round(r["cpu_s"], 3) for r in mine],
                "load": [[round(r["load_before"], 2), round(r["load_after"], 2)] for r in mine],
                "digests": sorted({r.get("drops_sha") or r.get("plan_sha") or "-" for r in mine}),
            }
    print("| tree | step | coordinator CPU s (median) | pool CPU s | wall s | digests |")
    print("|---|---|---:|---:|---:|---|")
    for key, value in summary.items():
        src, mode = key.rsplit(" ", 1)
        print(f"| {src} | {mode} | {value['cpu_s_median']} | {value['pool_cpu_s_median']} | {value['wall_s_median']} | "
              f"{', '.join(value['digests'])} |")
    Path(args.json).write_text(json.dumps({"corpus": args.corpus, "summary": summary, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
