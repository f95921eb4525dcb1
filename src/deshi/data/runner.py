"""The curation run: plan shards and work units, phase 1 in workers, phase 2 global dedup, phase 3 write, finalise.

Resumable by construction. Every phase writes per-shard files under ``OUT/.work`` atomically
(tmp + rename) and then a ``.done`` marker; a re-run with the same input and config skips every shard
whose marker exists and redoes the rest, so a run killed with SIGKILL at any point and started again
produces exactly the bytes of an uninterrupted run. The manifest is written last (it is the commit
point); ``.work`` is removed just before it.

Deterministic by construction. Output shards are fixed by the input and ``shard_size`` (not by the
worker count); phase 1 may split them into smaller work units (``unit_size``, several workers only),
which are numbered in input order and reassembled into the same shards; documents are numbered in input
order, and dedup keeps the earliest document of each cluster, so 1 worker, N workers and the Ray engine
write identical output. Which process runs which unit: :mod:`deshi.data.executor`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from deshi.data import dedup as dd
from deshi.data.config import CurateConfig
from deshi.data.document import Document
from deshi.data.executor import make_executor
from deshi.data.executor import trace as _trace
from deshi.data.io import (
    OUTPUT_SUFFIX,
    WRITE_BUFFER,
    InputError,
    Quarantined,
    RecordFormat,
    RecordWriter,
    ShardSpec,
    atomic_path,
    display_path,
    input_files,
    parse_line,
    plan_pieces,
    read_shard,
    split_shard,
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
    from deshi.data.content import ContentFilter, share_keyword_scan
    from deshi.data.language import JapaneseFilter
    from deshi.data.normalise import Normalise
    from deshi.data.quality import QualityFilter

    steps: list[Step] = []
    if config.normalise.enabled:
        steps.append(Normalise(config.normalise))
    if config.language.enabled:
        steps.append(JapaneseFilter(config.language))
    quality = QualityFilter(config.quality) if config.quality.enabled else None
    content = ContentFilter(config.content) if config.content.enabled else None
    steps += [step for step in (quality, content) if step is not None]
    if quality is not None and content is not None:
        share_keyword_scan(quality, content)  # one keyword pass per document for both, where it pays
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
    """Phase 1 for one work unit (a shard or a slice of one; files named by unit index): read, run the
    steps, sign the survivors, write everything atomically."""
    shard = ShardSpec.from_dict(spec)
    config = CurateConfig.model_validate_json(config_json)
    work_dir = Path(work)
    name = shard_name(shard.index)
    marker = work_dir / f"{name}.p1.done"
    if marker.exists():
        return json.loads(marker.read_text())
    _trace("unit_start", unit=shard.index)
    steps, signer = _steps_for(config)
    quarantine: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    quarantine_reasons: Counter[str] = Counter()
    records = 0

    def documents() -> Iterable[Document]:
        nonlocal records
        for item in read_shard(shard, fmt=record_format(config)):
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
    with open(docs_tmp, "wb", buffering=WRITE_BUFFER) as out:
        for doc in run_steps(steps, documents()):
            if doc.rejected:
                if config.write_rejected:
                    rejected.append({"id": doc.id, "source": doc.source, "line": doc.line,
                                     "step": doc.rejected_by, "reason": doc.reason})
                continue
            # dumps + newline without a second copy; _jsonable: Parquet values JSON has no type for
            line = orjson.dumps(doc.to_record(), default=_jsonable, option=orjson.OPT_APPEND_NEWLINE)
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
    _trace("unit_end", unit=shard.index, docs=shard.count)
    return result


def record_format(config: CurateConfig) -> RecordFormat:
    """How this config reads input records (fields, encoding, fields kept in meta)."""
    return RecordFormat(config.text_field, config.id_field, config.encoding, tuple(config.keep_fields))


def _jsonable(value: Any) -> Any:
    """A JSON form of what a Parquet ``meta`` struct or kept column may hold besides JSON types (orjson
    writes dates itself): bytes as base64 text, Decimal and anything else as its string."""
    if isinstance(value, bytes | bytearray):
        import base64

        return base64.b64encode(value).decode("ascii")
    return str(value)


def process_unit(spec: dict[str, Any], config_json: str, work: str) -> int:
    """:func:`process_shard`, returning only the unit's kept count: the coordinator holds one int per unit
    during phase 1, and the per-step counts are merged from the units' markers afterwards, one at a
    time (holding every unit's result, ~5 KB each, grew with the corpus: 1.1 MB at 200,000 documents)."""
    return int(process_shard(spec, config_json, work)["kept"])


def _unit_results(work: Path, plan: Plan) -> Iterator[dict[str, Any]]:
    """Each unit's phase-1 result (its marker), in unit order, read as needed."""
    for unit in plan.units:
        yield json.loads((work / f"{shard_name(unit.index)}.p1.done").read_text())


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = atomic_path(path)
    with open(tmp, "wb") as handle:
        np.save(handle, array)
    os.replace(tmp, path)


# ---------------------------------------------------------------- phase 2


# Documents whose dropped members (and their keepers' ids) phase 2 resolves at once: whole units, so
# what it holds follows this window, not the corpus. 65,536 held ~14 MB more where most documents were
# duplicates (a dict entry per keeper id); each window reads the id lists of the units its keepers are in.
DROPS_WINDOW = 1 << 14


def dedup_phase(work_dir: Path, shard_counts: list[int], config: CurateConfig,
                parallel: dd.ParallelMap | None = None, processes: int = 1) -> dict[str, Any]:
    """Global exact + near dedup over all units in input order; writes each unit's dropped documents
    (``NNNNN.drops.jsonl``: line in the unit, EXACT/NEAR, id of the kept document) for phase 3.
    ``parallel``/``processes``: share the candidate pairs and their verification
    (:func:`deshi.data.dedup.find_clusters`) and the drop lists (:func:`_write_drops`).

    Why per unit and a window at a time: a corpus-wide ``kind``/``keeper`` array (9 bytes per document)
    and a dict of every keeper's id, loaded whole by every phase-3 call, grew every process's peak with
    the corpus; now each phase-3 call reads its units' drop lists only."""
    # Not "dedup.done": a work dir left by a version that wrote dedup.npz and keepers.json instead of drop
    # lists must not be taken as finished when it is resumed by this one.
    marker = work_dir / "dedup-drops.done"
    if marker.exists():
        return json.loads(marker.read_text())
    # Phase 2 is redone from the unit files; a killed earlier attempt may have left its temporary
    # directories (partition files, candidate pairs, duplicates found: up to ~300 bytes per document).
    for prefix in (*dd.PHASE2_TMP_PREFIXES, DROPS_TMP_PREFIX):
        for stale in work_dir.glob(prefix + "*"):
            shutil.rmtree(stale, ignore_errors=True)
    arrays = [
        dd.ShardArrays(*(work_dir / f"{shard_name(i)}.{part}" for part in
                         ("hash.npy", "bands.npy", "sig.npy", "docs.jsonl", "offsets.npy")), count)
        for i, count in enumerate(shard_counts)
    ]
    found = dd.find_clusters(arrays, config.dedup, parallel, processes)
    dd.release_free_memory()  # what the clustering freed: the drop lists' passes start from what is in use
    try:
        totals = _write_drops(work_dir, shard_counts, found, parallel, processes)
    finally:
        found.close()
    result = {"exact": totals[dd.EXACT], "near": totals[dd.NEAR], "seen": found.n}
    write_bytes_atomic(marker, json.dumps(result, sort_keys=True).encode())
    return result


def _write_drops(work_dir: Path, shard_counts: list[int], found: dd.Clusters,
                 parallel: dd.ParallelMap | None = None, processes: int = 1) -> dict[int, int]:
    """Each unit's ``NNNNN.drops.jsonl``; returns the count per kind.

    Windows of whole units (up to ``DROPS_WINDOW`` documents) bound what is held. A keeper can sit in
    any earlier unit, so looking its id up from the duplicate's window would read most units' id lists
    once per window (quadratic in the corpus: measured 11 s at 2.4M documents for the lookup alone).
    Instead the drops are passed through disk three times, each pass linear: (1) by duplicate window,
    bucketed by the keeper's window; (2) by keeper window, whose units' id lists are read once, the ids
    attached and the rows bucketed back by duplicate window; (3) by duplicate window, sorted by
    document, written per unit. With ``parallel``, passes (2) and (3) are shared by ``processes``
    processes (tasks of contiguous windows; pass (2) writes one file per duplicate window and task, so
    no two processes append to one file): they were ~0.15 of its 0.23 CPU s at 200,000 documents."""
    starts = np.cumsum([0] + shard_counts).tolist()
    windows: list[tuple[int, int]] = []
    unit = 0
    while unit < len(shard_counts):
        end = unit + 1  # whole units, at least one, up to DROPS_WINDOW documents
        while end < len(shard_counts) and starts[end + 1] - starts[unit] <= DROPS_WINDOW:
            end += 1
        windows.append((unit, end))
        unit = end
    window_starts = np.array([starts[u] for u, _ in windows], dtype=np.int64)
    totals = {dd.EXACT: 0, dd.NEAR: 0}
    tmp = work_dir / f"{DROPS_TMP_PREFIX}{os.getpid()}"
    tmp.mkdir()
    shared = parallel is not None and processes > 1
    run = parallel if shared else (lambda fn, calls: [fn(*args) for args in calls])
    tasks = max(1, min(len(windows), 2 * processes)) if shared else 1
    # (tag, windows) of each task that has windows; pass (3) reads every pass-(2) task's files by tag
    shares = [(f"t{t}", part.tolist()) for t, part in enumerate(np.array_split(np.arange(len(windows)), tasks))
              if len(part)]
    try:
        for u0, u1 in windows:  # (1) bucket (index, kind, keeper) by keeper window
            index, kind, keeper = found.drops(starts[u0], starts[u1])
            for k, count in zip(*np.unique(kind, return_counts=True), strict=True):
                totals[int(k)] += int(count)
            rows = np.stack([index, kind.astype(np.int64), keeper], axis=1).astype(np.int64)
            dd.append_by_group(lambda kw: tmp / f"k{kw}.i64", rows,
                               np.searchsorted(window_starts, keeper, side="right") - 1)
        run(_attach_keeper_ids, [(str(work_dir), str(tmp), starts, window_starts, windows, share, tag)
                                 for tag, share in shares])
        tags = [tag for tag, _ in shares]
        run(_write_unit_drops, [(str(work_dir), str(tmp), starts, windows, share, tags) for _, share in shares])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return totals


def _attach_keeper_ids(work: str, tmp: str, starts: list[int], window_starts: np.ndarray,
                       windows: list[tuple[int, int]], keeper_windows: list[int], tag: str) -> None:
    """Pass (2) of :func:`_write_drops` for some keeper windows: each drop row gets its keeper's id and goes
    to ``d{duplicate window}.{tag}.tsv``."""
    work_dir, tmp_dir = Path(work), Path(tmp)
    for kw in keeper_windows:
        u0, u1 = windows[kw]
        path = tmp_dir / f"k{kw}.i64"
        if not path.exists():
            continue
        lines = {u: _id_lines(work_dir, u) for u in range(u0, u1)}
        parsed: dict[int, bytes] = {}  # keeper -> its id as JSON; at most the window's documents
        total = path.stat().st_size // 24
        for first in range(0, total, DROPS_WINDOW):  # one keeper may have very many duplicates
            rows = np.fromfile(path, dtype=np.int64, count=3 * min(DROPS_WINDOW, total - first),
                               offset=24 * first).reshape(-1, 3)
            units = np.searchsorted(starts, rows[:, 2], side="right") - 1
            dup_windows = np.searchsorted(window_starts, rows[:, 0], side="right") - 1
            out: dict[int, list[bytes]] = {}
            for (i, k, kp), u, dw in zip(rows.tolist(), units.tolist(), dup_windows.tolist(), strict=True):
                kid = parsed.get(kp)
                if kid is None:
                    # json.dumps, not orjson.dumps: each small orjson result held a ~4 KB allocation
                    # (tracemalloc: 64 MB for 16,384 of them)
                    kid = parsed[kp] = json.dumps(orjson.loads(lines[u][kp - starts[u]])["id"],
                                                  ensure_ascii=False).encode()
                out.setdefault(dw, []).append(b"%d\t%d\t%s" % (i, k, kid))
            for dw, chunk in out.items():
                with open(tmp_dir / f"d{dw}.{tag}.tsv", "ab") as handle:
                    handle.write(b"\n".join(chunk) + b"\n")
        path.unlink()
        del lines, parsed


def _write_unit_drops(work: str, tmp: str, starts: list[int], windows: list[tuple[int, int]],
                      duplicate_windows: list[int], tags: list[str]) -> None:
    """Pass (3) of :func:`_write_drops` for some duplicate windows: the rows of every pass-(2) task, sorted
    by document, written per unit."""
    work_dir, tmp_dir = Path(work), Path(tmp)
    for w in duplicate_windows:
        u0, u1 = windows[w]
        data = b"".join(path.read_bytes() for path in (tmp_dir / f"d{w}.{tag}.tsv" for tag in tags) if path.exists())
        resolved = sorted((int(i), int(k), orjson.loads(kid)) for i, k, kid in
                          (line.split(b"\t", 2) for line in data.splitlines()))
        del data
        index = np.array([r[0] for r in resolved], dtype=np.int64)
        for u in range(u0, u1):
            lo, hi = np.searchsorted(index, [starts[u], starts[u + 1]])
            write_jsonl_atomic(work_dir / f"{shard_name(u)}.drops.jsonl",
                               ({"line": i - starts[u], "kind": k, "duplicate_of": kid}
                                for i, k, kid in resolved[lo:hi]))


# Temporary directory of _write_drops (cleaned like phase 2's other temporary files when a run resumes).
DROPS_TMP_PREFIX = "drops-"


def _id_lines(work_dir: Path, unit: int) -> list[bytes]:
    """The unit's id list split in C (one JSON object per document); lines are parsed only when wanted."""
    with open(work_dir / f"{shard_name(unit)}.ids.jsonl", "rb") as handle:
        return handle.read().split(b"\n")


# ---------------------------------------------------------------- phase 3


def write_shard(index: int, units: list[int], config_json: str, work: str, out: str) -> int:
    """Phase 3 for one output shard (its phase-1 ``units`` in order): drop dedup losers, write
    data/part-NNNNN.*, record why each was dropped."""
    config = CurateConfig.model_validate_json(config_json)
    work_dir, out_dir = Path(work), Path(out)
    name = shard_name(index)
    marker = work_dir / f"{name}.p3.done"
    if marker.exists():
        return int(marker.read_text())
    writer = RecordWriter(out_dir / "data" / f"part-{name}{OUTPUT_SUFFIX[config.output_format]}", config.output_format)
    dropped: list[dict[str, Any]] = []
    reasons = {dd.EXACT: "exact_duplicate", dd.NEAR: "near_duplicate"}
    for unit in units:
        with open(work_dir / f"{shard_name(unit)}.drops.jsonl", "rb") as handle:
            drops = {d["line"]: d for d in map(orjson.loads, handle)}
        with open(work_dir / f"{shard_name(unit)}.docs.jsonl", "rb") as handle:
            for local, line in enumerate(handle):
                drop = drops.get(local)
                if drop is None:
                    writer.write_line(line)  # the line phase 1 wrote is already the output record
                elif config.write_rejected:
                    dropped.append({"id": orjson.loads(line)["id"], "step": "dedup", "reason": reasons[drop["kind"]],
                                    "duplicate_of": drop["duplicate_of"]})
    writer.close()
    write_jsonl_atomic(work_dir / f"{name}.rejected_dedup.jsonl", dropped)
    write_bytes_atomic(marker, str(writer.count).encode())
    return writer.count


# ---------------------------------------------------------------- the run


@dataclass
class CurateResult:
    out: Path
    stats: dict[str, Any]
    artifact_id: str
    report: Path
    timings: dict[str, float] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)  # what the user probably has to change (input_hints)


def _fingerprint(config: CurateConfig, files: list[Path]) -> str:
    """What must be equal for a re-run to reuse finished shards: input files and every output-affecting setting."""
    settings = config.model_dump(mode="json", exclude={"workers", "engine", "keep_work", "unit_size"})
    inputs = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps([settings, inputs], sort_keys=True).encode()).hexdigest()


@dataclass
class Plan:
    """Output shards, the phase-1 work units they are split into (in input order), and each unit's shard."""

    shards: list[ShardSpec]
    units: list[ShardSpec]
    unit_shard: list[int]

    def units_of(self, shard: int) -> list[int]:
        """The units of output shard ``shard``: consecutive, as ``unit_shard`` is sorted (units are in
        input order), so two binary searches instead of a scan of every unit per shard."""
        return list(range(bisect_left(self.unit_shard, shard), bisect_right(self.unit_shard, shard)))

    def to_dict(self) -> dict[str, Any]:
        return {"shards": [s.to_dict() for s in self.shards], "units": [u.to_dict() for u in self.units],
                "unit_shard": self.unit_shard}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        shards = [ShardSpec.from_dict(s) for s in data["shards"]]
        if "units" not in data:  # a plan written before units existed: one unit per shard
            return cls(shards, shards, list(range(len(shards))))
        return cls(shards, [ShardSpec.from_dict(u) for u in data["units"]], list(data["unit_shard"]))


def plan_units(shards: list[ShardSpec], workers: int, unit_size: int) -> Plan:
    """Split output shards into phase-1 work units of about ``unit_size`` documents for ``workers`` processes.

    Why: with 4 output shards of 5,000 documents on 2 processes, one process could sit idle for up to
    a whole shard while the other finished; with ~1,000-document units they finish within a fraction
    of one. One worker keeps units = shards: it has nothing to balance, and each unit costs a few
    files and one more read in phase 2.

    The last ``2 * workers`` full-size units are halved: units are handed out in order, so the processes
    end on small ones and the last to finish waits less for the others (half a unit instead of one).

    The units only change who computes what: documents keep their input order and global numbering,
    so the output is the same bytes for any split (tests compare 1 and N workers)."""
    return _plan_from_pieces([(shard, split_shard(shard, _unit_parts(shard.count, workers, unit_size)))
                              for shard in shards], workers, unit_size)


def plan_run(files: list[Path], shard_size: int, workers: int, unit_size: int) -> Plan:
    """``plan_units(plan_shards(files, shard_size), workers, unit_size)``, with shards and units found in one
    pass over the input (:func:`deshi.data.io.plan_pieces`): the same plan, less serial work before phase 1."""
    pieces = plan_pieces(files, shard_size, lambda count: _unit_parts(count, workers, unit_size))
    return _plan_from_pieces(pieces, workers, unit_size)


def _unit_parts(count: int, workers: int, unit_size: int) -> int:
    """How many work units an output shard of ``count`` documents is split into (see :func:`plan_units`)."""
    return max(1, round(count / unit_size)) if workers > 1 else 1


def _plan_from_pieces(split: list[tuple[ShardSpec, list[ShardSpec]]], workers: int, unit_size: int) -> Plan:
    """The plan of shards already split into units: halves the last ones, numbers the units (see :func:`plan_units`)."""
    pieces: list[tuple[int, ShardSpec]] = [(shard.index, piece) for shard, slices in split for piece in slices]
    if workers > 1:
        # The last 2 × workers units of at least half the usual size (a short remainder is small already).
        halve = [i for i in range(len(pieces)) if pieces[i][1].count >= max(2, unit_size // 2)][-2 * workers:]
        for i in reversed(halve):
            index, piece = pieces[i]
            pieces[i : i + 1] = [(index, half) for half in split_shard(piece, 2)]
    units = [ShardSpec(i, p.path, p.kind, p.start_line, p.count, p.offset, p.row_groups) for i, (_, p) in enumerate(pieces)]
    return Plan([shard for shard, _ in split], units, [index for index, _ in pieces])


# What phase 3 writes to OUT/data (and the temporary names of its atomic writes).
_PART_NAME = re.compile(r"part-\d{5}\.(jsonl|jsonl\.gz|parquet)(\.\d+\.tmp)?")


def check_output_dir(out: Path) -> None:
    """Refuse an ``out`` this run must not write into: a file, or a directory whose ``data/`` is not a
    curate output (a fresh start deletes ``OUT/data``: pointed at a dataset directory, that would
    delete the user's data). A curate output is one with a curate manifest or an unfinished run's plan."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory (it is created if missing)")
    data = out / "data"
    if not data.is_dir() or not any(data.iterdir()) or (out / WORK / "plan.json").exists():
        return
    manifest = out / "manifest.json"
    try:
        stage = json.loads(manifest.read_text()).get("stage") if manifest.is_file() else None
    except (OSError, ValueError):
        stage = None
    # A run killed after removing .work and before writing its manifest (or a fresh start killed while
    # clearing) leaves only its own files: data/part-NNNNN.* beside stats.json and quarantine.jsonl.
    ours = (all(_PART_NAME.fullmatch(p.name) for p in data.iterdir())
            and (out / "stats.json").is_file() and (out / "quarantine.jsonl").is_file())
    if stage != "curate" and not ours:
        raise InputError(f"--out {out} already holds data/ that is not a deshi curate output; "
                         "choose a new or empty directory (a run replaces OUT/data)")


def _check_input_outside(out: Path, input_spec: str) -> None:
    """Refuse an input inside the output directory (a fresh start would delete it, or a re-run read its
    own output back). An output directory inside the input directory (``raw/`` with ``--out
    raw/curated``) is fine: :func:`deshi.data.io.input_files` leaves its files out."""
    if Path(input_spec).resolve().is_relative_to(out.resolve()):
        raise InputError(f"the input {input_spec} is inside the output directory {out}; choose an --out "
                         "outside the input")


def _prepare(out: Path, input_spec: str, config: CurateConfig) -> tuple[Path, Plan, list[Path]]:
    _check_input_outside(out, input_spec)
    files = input_files(input_spec, exclude=out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / WORK
    fingerprint = _fingerprint(config, files)
    plan_path = work / "plan.json"
    if plan_path.exists():
        saved = json.loads(plan_path.read_text())
        if saved.get("fingerprint") == fingerprint:
            log.info("resuming: %d shards planned, finished shards are skipped", len(saved["shards"]))
            return work, Plan.from_dict(saved), files
        log.info("input or config changed since the previous run: starting afresh")
    # Planned first: an input that cannot be read (not gzip, not Parquet …) is an error that leaves the
    # previous run's output as it was.
    plan = plan_run(files, config.shard_size, config.workers, config.unit_size)
    # A fresh start: clear the previous run's outputs so no stale shard survives.
    (out / "manifest.json").unlink(missing_ok=True)
    for stale in (work, out / "data"):
        shutil.rmtree(stale, ignore_errors=True)
    work.mkdir(parents=True)
    write_bytes_atomic(plan_path, json.dumps({"fingerprint": fingerprint, **plan.to_dict()}).encode())
    return work, plan, files


def curate(input_spec: str | Path, out: Path | str, config: CurateConfig | None = None,
           progress: Progress | None = None, executor: Any = None, release_executor: bool = False) -> CurateResult:
    """Run the whole pipeline on ``input_spec`` into the artifact directory ``out``.

    ``executor``: one already started for this config (the CLI starts the local pool before it
    imports this module, see :mod:`deshi.data.executor`); the caller closes it, and it stays usable
    after this call unless ``release_executor`` is True: then its workers are let go after the last
    phase, so they exit while this process writes stats, reports and the manifest (the CLI does
    this; a caller that reuses the executor must not). By default an executor is made here, started
    before planning, released after the last phase and closed at the end."""
    from deshi.artifacts import Manifest, describe_input, write_manifest
    from deshi.data.report import write_reports

    config = config or CurateConfig()
    out = Path(out)
    progress = progress or (lambda phase, done, total: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    _trace("curate_start", workers=config.workers)
    config_json = config.model_dump_json()
    check_output_dir(out)
    own_executor = executor is None
    if own_executor:
        executor = make_executor(config.workers, config.engine, config_json)
        executor.start()  # the pool starts while this process plans
    try:
        work, plan, files = _prepare(out, str(input_spec), config)
        (out / "manifest.json").unlink(missing_ok=True)  # the directory is not a finished artifact until the end
        (out / "data").mkdir(exist_ok=True)
        timings["plan_s"] = time.perf_counter() - started
        t = time.perf_counter()
        done = [0]

        def tick(phase: str, total: int) -> Callable[[], None]:
            def _tick() -> None:
                done[0] += 1
                progress(phase, done[0], total)
            return _tick

        progress("filter", 0, len(plan.units))
        tail = _SerialTailStart(files) if executor.pool_size else None
        counts = executor.map(process_unit, [(u.to_dict(), config_json, str(work)) for u in plan.units],
                              tick("filter", len(plan.units)), idle=tail.start if tail is not None else None)
        timings["filter_s"] = time.perf_counter() - t
        _trace("filter_end")
        if tail is not None:
            tail.start()  # if phase 1 did not wait for the pool at its end

        t = time.perf_counter()
        parallel = None
        if executor.pool_size:
            def parallel(fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
                results = executor.map(fn, calls, lambda: None)
                dd.release_free_memory()  # this process ran its share: each map's peak need not stack on the last
                return results
        dd.release_free_memory()
        dedup_stats = dedup_phase(work, counts, config, parallel, config.workers)
        dd.release_free_memory()
        timings["dedup_s"] = time.perf_counter() - t
        _trace("dedup_end")

        t = time.perf_counter()
        done[0] = 0
        progress("write", 0, len(plan.shards))
        calls = [(s.index, plan.units_of(s.index), config_json, str(work), str(out)) for s in plan.shards]
        written = executor.map(write_shard, calls, tick("write", len(plan.shards)))
        timings["write_s"] = time.perf_counter() - t
        _trace("write_end")
        if own_executor or release_executor:
            executor.release()  # the pool's workers exit while this process writes stats and the manifest
    finally:
        if own_executor:
            executor.close()

    stats = aggregate_stats(_unit_results(work, plan), dedup_stats, written, config, len(files))
    hints = input_hints(stats, config, files)
    for hint in hints:
        log.warning("%s", hint)
    _merge_shard_files(work, out, plan, config)
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
    inputs = tail.inputs() if tail is not None else [describe_input(p) for p in files]
    # file names in a legacy encoding (lone surrogates) cannot be written into the UTF-8 manifest
    inputs = [dataclasses.replace(ref, path=display_path(ref.path)) for ref in inputs]
    artifact_id = write_manifest(
        out,
        Manifest("curate", config, inputs, counts_summary, timings,
                 config.dedup.seed, {"output_format": config.output_format, "shards": len(plan.shards)}),
    )
    _trace("curate_end")
    return CurateResult(out, stats, artifact_id, report, timings, hints)


def input_hints(stats: dict[str, Any], config: CurateConfig, files: list[Path]) -> list[str]:
    """One line per likely input mistake, from the quarantine counts: a text field under another name
    (most records lack ``text_field``; the input's string fields are named), or a legacy encoding
    (a tenth of the lines or more are not UTF-8, e.g. Shift_JIS exports), or a JSON array instead of
    JSON Lines (most lines malformed). Counts and field names only, never values."""
    hints: list[str] = []
    reasons = stats["input"]["quarantine_reasons"]
    lines = stats["input"]["records"] + stats["input"]["quarantined"]
    missing = reasons.get("missing_text", 0)
    if missing and missing * 2 >= lines:
        fields = [name for name in _string_fields(files, record_format(config)) if name != config.text_field]
        named = f" (string fields in the input: {', '.join(fields[:6])})" if fields else ""
        hints.append(f"{missing} of {lines} records have no '{config.text_field}' field{named}: name the field "
                     "that holds the text with --text-field (config: text_field)")
    bad = reasons.get("invalid_utf8", 0)
    if bad * 10 >= lines > 0:  # a legacy-encoded file fails on most lines; a stray bad line is no hint
        hints.append(f"{bad} lines are not valid UTF-8 (quarantine.jsonl): if the files are Shift_JIS/CP932 "
                     "or EUC-JP exports, run with --encoding cp932 (or euc-jp; config: encoding)")
    malformed = reasons.get("malformed_json", 0)
    if malformed * 2 >= lines > 0:
        hints.append(f"{malformed} of {lines} lines are not one JSON value each: deshi reads JSON Lines (one "
                     "object per line); a JSON array or pretty-printed file can be converted with "
                     "jq -c '.[]' in.json > in.jsonl")
    return hints


def _string_fields(files: list[Path], fmt: RecordFormat, lines: int = 50) -> list[str]:
    """Names of the top-level fields holding strings in the first records of the first input file (or
    the string columns of a Parquet file), in order of appearance: candidates for ``text_field``. Lines
    are parsed as the run reads them (:func:`deshi.data.io.parse_line`: encoding, byte-order mark)."""
    names: dict[str, None] = {}
    path = files[0] if files else None
    try:
        if path is None:
            return []
        if path.name.endswith(".parquet"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pq.ParquetFile(path).schema_arrow
            return [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        from deshi.data.io import _open_binary

        with _open_binary(path) as handle:
            for _ in range(lines):
                raw = handle.readline()
                if not raw:
                    break
                record = parse_line(raw, fmt)
                if isinstance(record, dict):
                    names.update((k, None) for k, v in record.items() if isinstance(v, str))
    except Exception:  # only a hint: an unreadable sample gives no field names, not an error
        return []
    return list(names)


class _SerialTailStart:
    """With a pool, what this process can start before the serial phase-2 work, so less of it stays
    on the serial path after phase 1 (when the pool's cores wait for this process):

    - the manifest's input references (:func:`deshi.artifacts.describe_input`: a SHA-256 of each raw
      input file; 24 MB for 20,000 documents: 19 ms of the ~40 ms between the last phase and the
      manifest) are computed by a thread; ``hashlib`` and file reads release the GIL, so the hash runs
      on a core that would otherwise wait;
    - ``numpy.ma`` is imported: NumPy's ``np.unique`` imports it on its first call (``_unique1d``
      asks whether the array is masked), which was ~10 ms inside the dedup phase's serial part.

    :meth:`start` runs as phase 1's ``idle`` callback, while the last work units finish in the pool
    (see :meth:`deshi.data.executor.LocalExecutor.map`), or else right after phase 1. Not used with
    one worker: one worker is one core."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self._inputs: Any = None

    def start(self) -> None:
        if self._inputs is not None:
            return
        from concurrent.futures import ThreadPoolExecutor

        from deshi.artifacts import describe_input

        files = self.files
        pool = ThreadPoolExecutor(1, thread_name_prefix="deshi-describe-inputs")
        try:
            self._inputs = pool.submit(lambda: [describe_input(p) for p in files])
        finally:
            pool.shutdown(wait=False)  # the thread finishes its one task, then exits
        import numpy.ma  # noqa: F401  (see the class docstring)

    def inputs(self) -> list[Any]:
        """The input references (raising what describing them raised)."""
        self.start()
        return self._inputs.result()


def _merge_shard_files(work: Path, out: Path, plan: Plan, config: CurateConfig) -> None:
    """Concatenate per-unit quarantine and rejected lists in input order (ids and reasons only);
    each output shard's dedup drops follow its units' phase-1 drops."""
    def cat(target: Path, names: list[str]) -> None:
        tmp = atomic_path(target)
        with open(tmp, "wb") as handle:
            for name in names:
                path = work / name
                if path.exists():
                    handle.write(path.read_bytes())
        os.replace(tmp, target)

    cat(out / "quarantine.jsonl", [f"{shard_name(u.index)}.quarantine.jsonl" for u in plan.units])
    if config.write_rejected:
        names = []
        for shard in plan.shards:
            names += [f"{shard_name(u)}.rejected.jsonl" for u in plan.units_of(shard.index)]
            names.append(f"{shard_name(shard.index)}.rejected_dedup.jsonl")
        cat(out / "rejected.jsonl", names)


def aggregate_stats(p1: Iterable[dict[str, Any]], dedup_stats: dict[str, Any], written: list[int],
                    config: CurateConfig, n_files: int) -> dict[str, Any]:
    """stats.json: per-step and per-PII-type counts. Counts only — never text, ids or matched values.
    ``p1``: the units' phase-1 results, gone through once."""
    steps: dict[str, StepStats] = {}
    quarantine: Counter[str] = Counter()
    records = quarantined = 0
    for shard in p1:
        records += shard["records"]
        quarantined += shard["quarantined"]
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
    documents = sum(written)
    return {
        "input": {"files": n_files, "records": records, "quarantined": quarantined,
                  "quarantine_reasons": dict(sorted(quarantine.items()))},
        "steps": ordered,
        "pii": pii,
        "output": {"documents": documents, "dropped": records - documents, "shards": len(written),
                   "format": config.output_format},
    }
