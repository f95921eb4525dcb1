"""The curation run: plan shards, phase 1 in workers, phase 2 global dedup, phase 3 write, finalise.

Resumable by construction. Every phase writes per-shard files under ``OUT/.work`` atomically
(tmp + rename) and then a ``.done`` marker; a re-run with the same input and config skips every shard
whose marker exists and redoes the rest, so a run killed with SIGKILL at any point and started again
produces exactly the bytes of an uninterrupted run. The manifest is written last (it is the commit
point); ``.work`` is removed just before it.

Deterministic by construction. Shards are fixed by the input and ``shard_size`` (not by the worker
count), documents are numbered in input order, and dedup keeps the earliest document of each cluster,
so 1 worker, N workers and the Ray engine write identical output.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from deshi.data import dedup as dd
from deshi.data.config import CurateConfig
from deshi.data.document import Document
from deshi.data.io import (
    OUTPUT_SUFFIX,
    Quarantined,
    RecordWriter,
    ShardSpec,
    atomic_path,
    input_files,
    plan_shards,
    read_shard,
    write_bytes_atomic,
    write_jsonl_atomic,
)
from deshi.data.steps import Step, StepStats, run_steps
from deshi.log import get_logger

log = get_logger("deshi.data")
WORK = ".work"
STEP_ORDER = ("normalise", "language", "quality", "content", "pii")
Progress = Callable[[str, int, int], None]  # (phase, done, total)


def build_steps(config: CurateConfig) -> list[Step]:
    """The enabled filter/transform steps, in pipeline order."""
    from deshi.data.content import ContentFilter
    from deshi.data.language import JapaneseFilter
    from deshi.data.normalise import Normalise
    from deshi.data.quality import QualityFilter

    steps: list[Step] = []
    if config.normalise.enabled:
        steps.append(Normalise(config.normalise))
    if config.language.enabled:
        steps.append(JapaneseFilter(config.language))
    if config.quality.enabled:
        steps.append(QualityFilter(config.quality))
    if config.content.enabled:
        steps.append(ContentFilter(config.content))
    if config.pii.enabled:
        from deshi.data.pii_step import PIIStep

        steps.append(PIIStep(config.pii))
    return steps


_STEP_CACHE: dict[str, tuple[list[Step], dd.Signer]] = {}


def _steps_for(config: CurateConfig) -> tuple[list[Step], dd.Signer]:
    """Steps are built once per process (word lists, PII recognisers, MeCab) and reset per shard."""
    key = config.model_dump_json()
    if key not in _STEP_CACHE:
        _STEP_CACHE.clear()
        _STEP_CACHE[key] = (build_steps(config), dd.Signer(config.dedup))
    steps, signer = _STEP_CACHE[key]
    for step in steps:
        step.stats = StepStats()
    return steps, signer


# ---------------------------------------------------------------- phase 1


def shard_name(index: int) -> str:
    return f"{index:05d}"


def process_shard(spec: dict[str, Any], config_json: str, work: str) -> dict[str, Any]:
    """Phase 1 for one shard: read, run the steps, sign the survivors, write everything atomically."""
    shard = ShardSpec.from_dict(spec)
    config = CurateConfig.model_validate_json(config_json)
    work_dir = Path(work)
    name = shard_name(shard.index)
    marker = work_dir / f"{name}.p1.done"
    if marker.exists():
        return json.loads(marker.read_text())
    steps, signer = _steps_for(config)
    quarantine: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    quarantine_reasons: Counter[str] = Counter()
    records = 0

    def documents() -> Iterable[Document]:
        nonlocal records
        for item in read_shard(shard, config.text_field, config.id_field):
            if isinstance(item, Quarantined):
                quarantine.append(item.to_record())
                quarantine_reasons[item.reason] += 1
                continue
            records += 1
            yield item

    docs_path = work_dir / f"{name}.docs.jsonl"
    ids: list[str] = []
    hashes: list[tuple[int, int]] = []
    signatures: list[np.ndarray] = []
    batch: list[str] = []  # texts waiting for one batched MinHash call (bounded: 1,000 documents)
    line_offsets: list[int] = []
    position = 0
    docs_tmp = atomic_path(docs_path)
    with open(docs_tmp, "wb") as out:
        for doc in run_steps(steps, documents()):
            if doc.rejected:
                if config.write_rejected:
                    rejected.append({"id": doc.id, "source": doc.source, "line": doc.line,
                                     "step": doc.rejected_by, "reason": doc.reason})
                continue
            line = orjson.dumps(doc.to_record(), option=orjson.OPT_APPEND_NEWLINE)  # dumps + newline without a second copy
            out.write(line)
            line_offsets.append(position)
            position += len(line)
            ids.append(doc.id)
            hashes.append(signer.exact_hash(doc.text))
            batch.append(doc.text)
            if len(batch) == 1000:
                signatures.append(signer.signatures(batch))
                batch = []
    os.replace(docs_tmp, docs_path)
    signatures.append(signer.signatures(batch))
    sig = np.concatenate(signatures)
    _save_npy(work_dir / f"{name}.sig.npy", sig)
    _save_npy(work_dir / f"{name}.offsets.npy", np.array(line_offsets, dtype=np.uint64))
    _save_npy(work_dir / f"{name}.hash.npy", np.array(hashes, dtype=np.uint64).reshape(-1, 2))
    _save_npy(work_dir / f"{name}.bands.npy", signer.band_keys(sig) if len(sig) else np.zeros((0, signer.bands), np.uint64))
    write_jsonl_atomic(work_dir / f"{name}.ids.jsonl", ({"id": i} for i in ids))
    write_jsonl_atomic(work_dir / f"{name}.quarantine.jsonl", quarantine)
    write_jsonl_atomic(work_dir / f"{name}.rejected.jsonl", rejected)
    result = {
        "index": shard.index,
        "records": records,
        "quarantined": len(quarantine),
        "quarantine_reasons": dict(quarantine_reasons),
        "kept": len(ids),
        "steps": {step.name: step.stats.to_dict() for step in steps},
    }
    write_bytes_atomic(marker, json.dumps(result, sort_keys=True).encode())
    return result


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = atomic_path(path)
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


# ---------------------------------------------------------------- phase 2


def dedup_phase(work_dir: Path, shard_counts: list[int], config: CurateConfig) -> dict[str, Any]:
    """Global exact + near dedup over all shards in input order; writes dedup.npz and keeper ids."""
    marker = work_dir / "dedup.done"
    if marker.exists():
        return json.loads(marker.read_text())
    arrays = [
        dd.ShardArrays(*(work_dir / f"{shard_name(i)}.{part}" for part in
                         ("hash.npy", "bands.npy", "sig.npy", "docs.jsonl", "offsets.npy")), count)
        for i, count in enumerate(shard_counts)
    ]
    kind, keeper = dd.cluster(arrays, config.dedup)
    # Ids of the kept documents that duplicates point to (O(duplicates) memory, sorted NumPy indices
    # rather than a Python set: the coordinator's memory should not follow the corpus size).
    needed = np.unique(keeper[kind != dd.KEEP])
    keeper_ids: dict[str, str] = {}
    offset = 0
    for i, count in enumerate(shard_counts):
        lo, hi = np.searchsorted(needed, [offset, offset + count])
        if hi > lo:
            wanted = set((needed[lo:hi] - offset).tolist())
            with open(work_dir / f"{shard_name(i)}.ids.jsonl", "rb") as handle:
                for local, line in enumerate(handle):
                    if local in wanted:
                        keeper_ids[str(offset + local)] = orjson.loads(line)["id"]
        offset += count
    tmp = atomic_path(work_dir / "dedup.npz")
    with open(tmp, "wb") as handle:
        np.savez(handle, kind=kind, keeper=keeper)
    os.replace(tmp, work_dir / "dedup.npz")
    write_bytes_atomic(work_dir / "keepers.json", json.dumps(keeper_ids, sort_keys=True).encode())
    result = {"exact": int((kind == dd.EXACT).sum()), "near": int((kind == dd.NEAR).sum()), "seen": int(len(kind))}
    write_bytes_atomic(marker, json.dumps(result, sort_keys=True).encode())
    return result


# ---------------------------------------------------------------- phase 3


def write_shard(index: int, offset: int, config_json: str, work: str, out: str) -> int:
    """Phase 3 for one shard: drop dedup losers, write data/part-NNNNN.*, record why each was dropped."""
    config = CurateConfig.model_validate_json(config_json)
    work_dir, out_dir = Path(work), Path(out)
    name = shard_name(index)
    marker = work_dir / f"{name}.p3.done"
    if marker.exists():
        return int(marker.read_text())
    with np.load(work_dir / "dedup.npz") as data:
        kind, keeper = data["kind"], data["keeper"]
    keeper_ids = json.loads((work_dir / "keepers.json").read_text())
    writer = RecordWriter(out_dir / "data" / f"part-{name}{OUTPUT_SUFFIX[config.output_format]}", config.output_format)
    dropped: list[dict[str, Any]] = []
    reasons = {dd.EXACT: "exact_duplicate", dd.NEAR: "near_duplicate"}
    with open(work_dir / f"{name}.docs.jsonl", "rb") as handle:
        count = len(np.load(work_dir / f"{name}.offsets.npy", mmap_mode="r"))
        kinds = kind[offset : offset + count].tolist()  # Python ints: no NumPy scalar per line
        for local, line in enumerate(handle):
            k = kinds[local]
            if k == dd.KEEP:
                writer.write_line(line)  # the line phase 1 wrote is already the output record
            elif config.write_rejected:
                dropped.append({"id": orjson.loads(line)["id"], "step": "dedup", "reason": reasons[k],
                                "duplicate_of": keeper_ids.get(str(int(keeper[offset + local])))})
    writer.close()
    write_jsonl_atomic(work_dir / f"{name}.rejected_dedup.jsonl", dropped)
    write_bytes_atomic(marker, str(writer.count).encode())
    return writer.count


# ---------------------------------------------------------------- executors


_PRELOAD = ["deshi.data.runner", "deshi.data.content", "deshi.data.language", "deshi.data.quality",
            "deshi.data.normalise", "deshi.data.pii_step", "deshi.data.pii"]


class LocalExecutor:
    """Runs shard tasks in this process (1 worker) or one process pool reused by every phase.

    The pool uses ``forkserver`` (``spawn`` where unavailable), never plain ``fork``: a process that
    already ran a curation holds library thread pools (rensa's rayon pool, BLAS), and forking it
    deadlocked the children on an inherited lock in our tests. The fork server preloads deshi's
    modules once, so each worker starts in milliseconds instead of re-importing them. As with any
    ``multiprocessing`` use, scripts calling :func:`curate` with ``workers > 1`` need an
    ``if __name__ == "__main__":`` guard.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def _get_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # Workers must import the same deshi as this process (a checkout on sys.path may shadow
            # an installed copy): the fork server is a fresh interpreter that only sees PYTHONPATH.
            root = str(Path(__file__).resolve().parents[2])
            paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if root not in paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p]])
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_PRELOAD)
            else:
                context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], on_done: Callable[[], None]) -> list[Any]:
        if self.workers <= 1 or len(calls) <= 1:
            results = []
            for args in calls:
                results.append(fn(*args))
                on_done()
            return results
        from concurrent.futures import as_completed

        pool = self._get_pool()
        results: list[Any] = [None] * len(calls)
        futures = {pool.submit(fn, *args): i for i, args in enumerate(calls)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            on_done()
        return results

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def make_executor(config: CurateConfig) -> Any:
    if config.engine == "ray":
        from deshi.data.ray_engine import RayExecutor

        return RayExecutor(config.workers)
    return LocalExecutor(config.workers)


# ---------------------------------------------------------------- the run


@dataclass
class CurateResult:
    out: Path
    stats: dict[str, Any]
    artifact_id: str
    report: Path
    timings: dict[str, float] = field(default_factory=dict)


def _fingerprint(config: CurateConfig, files: list[Path]) -> str:
    """What must be equal for a re-run to reuse finished shards: input files and every output-affecting setting."""
    settings = config.model_dump(mode="json", exclude={"workers", "engine", "keep_work"})
    inputs = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps([settings, inputs], sort_keys=True).encode()).hexdigest()


def _prepare(out: Path, input_spec: str, config: CurateConfig) -> tuple[Path, list[ShardSpec], list[Path]]:
    files = input_files(input_spec)
    out.mkdir(parents=True, exist_ok=True)
    work = out / WORK
    fingerprint = _fingerprint(config, files)
    plan_path = work / "plan.json"
    if plan_path.exists():
        plan = json.loads(plan_path.read_text())
        if plan.get("fingerprint") == fingerprint:
            log.info("resuming: %d shards planned, finished shards are skipped", len(plan["shards"]))
            return work, [ShardSpec.from_dict(s) for s in plan["shards"]], files
        log.info("input or config changed since the previous run: starting afresh")
    # A fresh start: clear the previous run's outputs so no stale shard survives.
    (out / "manifest.json").unlink(missing_ok=True)
    for stale in (work, out / "data"):
        shutil.rmtree(stale, ignore_errors=True)
    work.mkdir(parents=True)
    shards = plan_shards(files, config.shard_size)
    write_bytes_atomic(plan_path, json.dumps({"fingerprint": fingerprint, "shards": [s.to_dict() for s in shards]}).encode())
    return work, shards, files


def curate(input_spec: str | Path, out: Path | str, config: CurateConfig | None = None,
           progress: Progress | None = None) -> CurateResult:
    """Run the whole pipeline on ``input_spec`` into the artifact directory ``out``."""
    from deshi.artifacts import Manifest, describe_input, write_manifest
    from deshi.data.report import write_reports

    config = config or CurateConfig()
    out = Path(out)
    progress = progress or (lambda phase, done, total: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    (out / "manifest.json").unlink(missing_ok=True)  # the directory is not a finished artifact until the end
    work, shards, files = _prepare(out, str(input_spec), config)
    (out / "data").mkdir(exist_ok=True)
    timings["plan_s"] = time.perf_counter() - started
    config_json = config.model_dump_json()
    executor = make_executor(config)
    try:
        t = time.perf_counter()
        done = [0]

        def tick(phase: str, total: int) -> Callable[[], None]:
            def _tick() -> None:
                done[0] += 1
                progress(phase, done[0], total)
            return _tick

        progress("filter", 0, len(shards))
        p1 = executor.map(process_shard, [(s.to_dict(), config_json, str(work)) for s in shards], tick("filter", len(shards)))
        timings["filter_s"] = time.perf_counter() - t

        t = time.perf_counter()
        counts = [r["kept"] for r in p1]
        dedup_stats = dedup_phase(work, counts, config)
        timings["dedup_s"] = time.perf_counter() - t

        t = time.perf_counter()
        offsets = np.cumsum([0] + counts).tolist()
        done[0] = 0
        progress("write", 0, len(shards))
        written = executor.map(
            write_shard, [(s.index, offsets[s.index], config_json, str(work), str(out)) for s in shards],
            tick("write", len(shards)),
        )
        timings["write_s"] = time.perf_counter() - t
    finally:
        executor.close()

    stats = aggregate_stats(p1, dedup_stats, written, config, len(files))
    _merge_shard_files(work, out, len(shards), config)
    write_bytes_atomic(out / "stats.json", (json.dumps(stats, ensure_ascii=False, indent=2) + "\n").encode())
    report = write_reports(out, stats)
    for stray in (out / "data").glob("*.tmp"):  # left by processes of a killed earlier attempt
        stray.unlink()
    if not config.keep_work:
        shutil.rmtree(work)
    timings["total_s"] = time.perf_counter() - started
    counts_summary = {
        "input_records": stats["input"]["records"],
        "quarantined": stats["input"]["quarantined"],
        "documents": stats["output"]["documents"],
        "dropped": stats["output"]["dropped"],
        **{f"pii_{k}": v for k, v in stats["pii"].items()},
    }
    artifact_id = write_manifest(
        out,
        Manifest("curate", config, [describe_input(p) for p in files], counts_summary, timings,
                 config.dedup.seed, {"output_format": config.output_format, "shards": len(shards)}),
    )
    return CurateResult(out, stats, artifact_id, report, timings)


def _merge_shard_files(work: Path, out: Path, shards: int, config: CurateConfig) -> None:
    """Concatenate per-shard quarantine and rejected lists in shard order (ids and reasons only)."""
    def cat(target: Path, suffixes: tuple[str, ...]) -> None:
        tmp = atomic_path(target)
        with open(tmp, "wb") as handle:
            for i in range(shards):
                for suffix in suffixes:
                    path = work / f"{shard_name(i)}.{suffix}"
                    if path.exists():
                        handle.write(path.read_bytes())
        os.replace(tmp, target)

    cat(out / "quarantine.jsonl", ("quarantine.jsonl",))
    if config.write_rejected:
        cat(out / "rejected.jsonl", ("rejected.jsonl", "rejected_dedup.jsonl"))


def aggregate_stats(p1: list[dict[str, Any]], dedup_stats: dict[str, Any], written: list[int],
                    config: CurateConfig, n_files: int) -> dict[str, Any]:
    """stats.json: per-step and per-PII-type counts. Counts only — never text, ids or matched values."""
    steps: dict[str, StepStats] = {}
    quarantine: Counter[str] = Counter()
    for shard in p1:
        quarantine.update(shard["quarantine_reasons"])
        for name, data in shard["steps"].items():
            steps.setdefault(name, StepStats()).merge(StepStats.from_dict(data))
    dedup = StepStats(seen=dedup_stats["seen"], dropped=dedup_stats["exact"] + dedup_stats["near"])
    dedup.kept = dedup.seen - dedup.dropped
    if dedup_stats["exact"]:
        dedup.reasons["exact_duplicate"] = dedup_stats["exact"]
    if dedup_stats["near"]:
        dedup.reasons["near_duplicate"] = dedup_stats["near"]
    ordered = {name: steps[name].to_dict() for name in STEP_ORDER if name in steps}
    ordered["dedup"] = dedup.to_dict()
    pii: dict[str, int] = {}
    if "pii" in steps:
        pii = {k.split(".", 1)[1]: v for k, v in sorted(steps["pii"].counters.items()) if k.startswith("detected.")}
    records = sum(s["records"] for s in p1)
    documents = sum(written)
    return {
        "input": {"files": n_files, "records": records, "quarantined": sum(s["quarantined"] for s in p1),
                  "quarantine_reasons": dict(sorted(quarantine.items()))},
        "steps": ordered,
        "pii": pii,
        "output": {"documents": documents, "dropped": records - documents, "shards": len(written),
                   "format": config.output_format},
    }
