"""Work units finer than output shards, and the executor that shares them with the coordinator.

With several workers, output shards are split into smaller phase-1 units (``config.unit_size``) and
the coordinator processes units next to its pool. None of that may change a byte of the output, lose
or repeat a line, or break resume after SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deshi.artifacts import verify
from deshi.data import runner
from deshi.data.config import CurateConfig
from deshi.data.executor import LocalExecutor
from deshi.data.io import Quarantined, plan_shards, read_shard, split_shard
from deshi.data.runner import curate
from test_curate_support import append_bad_lines, make_corpus, outputs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("units") / "corpus.jsonl"
    make_corpus(path, 500, seed=5)
    append_bad_lines(path)
    with open(path, "ab") as handle:  # blank lines count as lines but are not records
        handle.write(b"\n\n")
    return path


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("units-ref") / "out"
    curate(corpus, out, CurateConfig(shard_size=120, workers=1))
    return out


def _items(specs) -> list[tuple]:
    items = []
    for spec in specs:
        for item in read_shard(spec):
            items.append(("q", item.line, item.reason) if isinstance(item, Quarantined) else ("d", item.line, item.id, item.text))
    return items


def test_split_shard_slices_cover_each_line_once(corpus) -> None:
    shards = plan_shards([corpus], 120)
    for parts in (2, 3, 7):
        slices = [piece for shard in shards for piece in split_shard(shard, parts)]
        assert _items(slices) == _items(shards)
        assert sum(s.count for s in slices) == sum(s.count for s in shards)
    # The last shard is short (and ends in blank lines): it still splits into whole lines.
    assert len(split_shard(shards[-1], 3)) > 1


def _shards_by_lines(path: Path, shard_size: int) -> list[tuple[int, int, int]]:
    """(start line, count, byte offset) of each shard, found the plain way: a Python loop over the lines."""
    shards, offset, start, start_offset, count = [], 0, 1, 0, 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            count += 1
            offset += len(raw)
            if count == shard_size:
                shards.append((start, count, start_offset))
                start, start_offset, count = number + 1, offset, 0
    if count:
        shards.append((start, count, start_offset))
    return shards


@pytest.mark.parametrize("tail", [b"", b"\n", b"\n\n", b'{"id": "last", "text": "unterminated"}'])
def test_one_pass_plan_matches_line_by_line_plan(tmp_path, corpus, tail) -> None:
    """The plan's chunked newline count (1 MiB reads) finds the same shards and units as reading the
    lines one by one, whether the file ends in a newline, blank lines or an unterminated line, and
    when a shard or unit boundary falls on a read-chunk boundary."""
    from deshi.data import io as data_io

    path = tmp_path / "c.jsonl"
    path.write_bytes(corpus.read_bytes() + tail)
    lines = path.read_bytes().count(b"\n") + (0 if path.read_bytes().endswith(b"\n") else 1)
    for chunk in (data_io.PLAN_CHUNK, 4096, 100):  # small reads: boundaries land on every chunk position
        data_io.PLAN_CHUNK = chunk
        try:
            for shard_size in (1, 7, 120, lines, lines + 5):
                shards = plan_shards([path, corpus], shard_size)
                assert [(s.start_line, s.count, s.offset) for s in shards if s.path == str(path)] == \
                    _shards_by_lines(path, shard_size)
                for workers, unit_size in ((1, 35), (2, 35), (2, 3), (3, 1000)):
                    assert runner.plan_run([path, corpus], shard_size, workers, unit_size) == \
                        runner.plan_units(shards, workers, unit_size)
        finally:
            data_io.PLAN_CHUNK = 1 << 20


def test_gz_shards_are_not_split(tmp_path, corpus) -> None:
    import gzip

    gz = tmp_path / "c.jsonl.gz"
    gz.write_bytes(gzip.compress(corpus.read_bytes()))
    shard = plan_shards([gz], 120)[0]
    assert split_shard(shard, 4) == [shard]


def test_two_workers_with_small_units_write_the_one_worker_bytes(corpus, reference, tmp_path) -> None:
    plan = runner.plan_units(plan_shards([corpus], 120), workers=2, unit_size=35)
    assert len(plan.units) > 2 * len(plan.shards)  # the shards really were split
    assert runner.plan_units(plan_shards([corpus], 120), workers=1, unit_size=35).units == plan.shards
    out = tmp_path / "two"
    result = curate(corpus, out, CurateConfig(shard_size=120, workers=2, unit_size=35))
    assert outputs(out) == outputs(reference)
    assert result.stats["output"]["shards"] == len(plan.shards)
    assert verify(out).ok


def test_executor_returns_results_in_call_order_and_uses_both_processes() -> None:
    executor = LocalExecutor(2)
    try:
        executor.wait_ready()  # else the coordinator may finish every call before the pool exists
        ticks = []
        results = executor.map(_slow_pid, [(i,) for i in range(12)], lambda: ticks.append(1))
    finally:
        executor.close()
    assert [i for i, _ in results] == list(range(12)) and len(ticks) == 12
    assert len({pid for _, pid in results}) == 2 and os.getpid() in {pid for _, pid in results}


def test_executor_reports_a_call_that_fails_in_a_worker() -> None:
    executor = LocalExecutor(2)
    try:
        executor.wait_ready()
        with pytest.raises(ValueError, match="failed in a worker"):
            executor.map(_fail_in_worker, [(i, os.getpid()) for i in range(10)], lambda: None)
    finally:
        executor.close()


def _slow_pid(i: int) -> tuple[int, int]:
    time.sleep(0.05)
    return i, os.getpid()


def _fail_in_worker(i: int, coordinator: int) -> int:
    time.sleep(0.02)
    if os.getpid() != coordinator:
        raise ValueError(f"call {i} failed in a worker")
    return i


# A coordinator that starts a two-process executor, waits for its pool, says so, then idles. With
# "forkserver" it starts a thread first, so the executor cannot fork and uses the fork server.
_IDLE_COORDINATOR = """
import sys, threading, time
from deshi.data.executor import LocalExecutor
if sys.argv[1] == "forkserver":
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
executor = LocalExecutor(2)
executor.wait_ready()
print("ready", flush=True)
time.sleep(60)
"""


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        children = _children(todo.pop())
        found |= children
        todo.extend(children)
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the worker processes")
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_workers_leave_when_the_coordinator_dies_unreaped(method) -> None:
    """A coordinator SIGKILLed and never reaped stays a zombie: its pid still exists, yet its workers
    (and the fork server) must leave."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", _IDLE_COORDINATOR, method], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        descendants = _descendants(proc.pid)
        assert descendants  # the pool's worker, and with forkserver the fork server
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.time() + 10
        while time.time() < deadline and _state(proc.pid) != "Z":
            time.sleep(0.05)
        assert _state(proc.pid) == "Z" and Path(f"/proc/{proc.pid}").exists()  # killed, not reaped
        while time.time() < deadline and [pid for pid in descendants if _state(pid) != "Z"]:
            time.sleep(0.05)
        assert not [pid for pid in descendants if _state(pid) != "Z"]
    finally:
        proc.kill()
        proc.wait()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the worker processes")
def test_sigkill_of_two_worker_cli_run_then_resume(corpus, reference, tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    cli = [sys.executable, "-m", "deshi.cli", "curate", "run", str(corpus)]
    out = tmp_path / "killed"
    # Units of ~4 documents (30 per output shard): many markers, so the kill lands mid-phase.
    args = ["--shard-size", "120", "--workers", "2", "--set", "unit_size=4"]
    proc = subprocess.Popen([*cli, "--out", str(out), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / ".work").glob("*.p1.done"))) < 3:
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert workers  # the pool had started (else the orphan check below would pass vacuously)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "the run finished before it could be killed"
    plan = json.loads((out / ".work" / "plan.json").read_text())
    done = list((out / ".work").glob("*.p1.done"))
    assert 0 < len(done) < len(plan["units"])
    # Orphaned workers notice their coordinator is gone and leave.
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]

    resumed = subprocess.run([*cli, "--out", str(out), *args], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert outputs(out) == outputs(reference)
    assert verify(out).ok


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_parallel_verification_gives_the_sequential_clusters(corpus, tmp_path, monkeypatch) -> None:
    import numpy as np

    from deshi.data import dedup as dd

    out = tmp_path / "kept"
    cfg = CurateConfig(shard_size=120, keep_work=True)
    curate(corpus, out, cfg)
    work = out / ".work"
    counts = [json.loads(p.read_text())["kept"] for p in sorted(work.glob("*.p1.done"))]
    arrays = [dd.ShardArrays(*(work / f"{runner.shard_name(i)}.{part}" for part in
                               ("hash.npy", "bands.npy", "sig.npy", "docs.jsonl", "offsets.npy")), c)
              for i, c in enumerate(counts)]
    calls_seen: list[int] = []
    functions_seen: set[str] = set()

    def in_process(fn, calls):
        calls_seen.append(len(calls))
        functions_seen.add(fn.__name__)
        return [fn(*args) for args in calls]

    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 1)
    for threshold in (0.5, 0.8, 0.9):
        config = cfg.dedup.model_copy(update={"threshold": threshold})
        kind, keeper = dd.cluster(arrays, config)
        assert (kind == dd.NEAR).any()
        for processes, batch_chars, split_min in ((2, dd.VERIFY_CHARS, 10**9), (3, dd.VERIFY_CHARS, 10**9), (2, 0, 10**9),
                                                  (2, dd.VERIFY_CHARS, 1), (3, dd.VERIFY_CHARS, 1)):
            # batch_chars 0: every batch is "too long", so shingles are computed one document at a time;
            # split_min 1: the candidate pairs of this one-partition corpus are made by tasks over band ranges
            monkeypatch.setattr(dd, "VERIFY_CHARS", batch_chars)
            monkeypatch.setattr(dd, "SPLIT_BANDS_MIN", split_min)
            functions_seen.clear()
            par_kind, par_keeper = dd.cluster(arrays, config, in_process, processes)
            assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
            assert ("_estimate_bands_task" in functions_seen) == (split_min == 1)
    assert calls_seen and max(calls_seen) >= 2  # the work really was split
    # Band ranges whose survivors exceed PARALLEL_PAIRS_MAX: the sequential path, same clusters.
    monkeypatch.setattr(dd, "SPLIT_BANDS_MIN", 1)
    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MAX", 1)
    config = cfg.dedup.model_copy(update={"threshold": 0.8})
    kind, keeper = dd.cluster(arrays, config)
    functions_seen.clear()
    par_kind, par_keeper = dd.cluster(arrays, config, in_process, 2)
    assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
    assert "_estimate_bands_task" in functions_seen and "verify_pairs" not in functions_seen
    monkeypatch.undo()
    # More documents than one partition holds, but not once the exact duplicates are left out: one
    # partition, so the band-range tasks run, and they must count the exact duplicates as this process does.
    kind, keeper = dd.cluster(arrays, cfg.dedup)
    assert (kind == dd.EXACT).any()
    monkeypatch.setattr(dd, "PASS_DOCS", int((kind != dd.EXACT).sum()))
    monkeypatch.setattr(dd, "SPLIT_BANDS_MIN", 1)
    functions_seen.clear()
    par_kind, par_keeper = dd.cluster(arrays, cfg.dedup, in_process, 2)
    assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
    assert "_estimate_bands_task" in functions_seen
    monkeypatch.undo()
    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 1)
    # Band keys read a band at a time or a few bands at a time (a large corpus, where all bands'
    # keys would not fit ALL_KEYS_BYTES), or all at once: same clusters.
    config = cfg.dedup.model_copy(update={"threshold": 0.5})
    kind, keeper = dd.cluster(arrays, config)
    active_docs = sum(counts)
    for keys_bytes in (1, 3 * 8 * active_docs, 8 * active_docs * 64):
        monkeypatch.setattr(dd, "ALL_KEYS_BYTES", keys_bytes)
        par_kind, par_keeper = dd.cluster(arrays, config, in_process, 2)
        assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
    monkeypatch.undo()
    # A corpus of several hash partitions (PASS_DOCS made small): the band keys are scattered, and the
    # candidate pairs made and estimated, by tasks shared between the processes; past
    # PARALLEL_PAIRS_MAX surviving pairs the sequential path takes over. Same clusters every way.
    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 1)
    for threshold in (0.5, 0.8):
        config = cfg.dedup.model_copy(update={"threshold": threshold})
        kind, keeper = dd.cluster(arrays, config)
        for pass_docs, pairs_max, open_max in ((64, dd.PARALLEL_PAIRS_MAX, 256), (200, dd.PARALLEL_PAIRS_MAX, 256),
                                               (64, 1, 256), (64, dd.PARALLEL_PAIRS_MAX, 2)):
            monkeypatch.setattr(dd, "PASS_DOCS", pass_docs)
            monkeypatch.setattr(dd, "PARALLEL_PAIRS_MAX", pairs_max)
            monkeypatch.setattr(dd, "OPEN_BUCKETS_MAX", open_max)  # 2: most buckets opened per write
            functions_seen.clear()
            par_kind, par_keeper = dd.cluster(arrays, config, in_process, 2)
            assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
            assert {"_scatter_task", "_pair_codes_task", "_estimate_task"} <= functions_seen
            assert ("verify_pairs" in functions_seen) == (pairs_max > 1)
        monkeypatch.undo()
        monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 1)
    monkeypatch.undo()
    # Too few pairs to send: verified in this process, with the same clusters and no call made.
    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 10**9)
    calls_seen.clear()
    for threshold in (0.5, 0.9):
        config = cfg.dedup.model_copy(update={"threshold": threshold})
        kind, keeper = dd.cluster(arrays, config)
        par_kind, par_keeper = dd.cluster(arrays, config, in_process, 2)
        assert np.array_equal(par_kind, kind) and np.array_equal(par_keeper, keeper)
    assert not calls_seen


def test_two_workers_share_dedup_and_write_the_same_bytes(corpus, reference, tmp_path, monkeypatch) -> None:
    from deshi.data import dedup as dd

    monkeypatch.setattr(dd, "PARALLEL_PAIRS_MIN", 1)
    out = tmp_path / "two"
    curate(corpus, out, CurateConfig(shard_size=120, workers=2, unit_size=50))
    assert outputs(out) == outputs(reference)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to find the worker processes")
def test_curate_leaves_a_passed_executor_usable(corpus, reference, tmp_path) -> None:
    """An executor the caller passed in is the caller's: curate neither closes nor releases it, so
    its workers serve the next run too (they are not shut down and started again)."""
    config = CurateConfig(shard_size=120, workers=2, unit_size=50)
    executor = LocalExecutor(2, config.model_dump_json())
    try:
        executor.wait_ready()
        processes = _descendants(os.getpid())
        assert processes
        for run in ("first", "second"):
            curate(corpus, tmp_path / run, config, executor=executor)
            assert outputs(tmp_path / run) == outputs(reference)
            assert not [pid for pid in processes if _state(pid) == "Z"]  # the pool's workers are still there
    finally:
        executor.close()
