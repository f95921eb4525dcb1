"""The curation run end to end: quarantine, outputs, determinism, formats, resume, CLI, stage, Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deshi.artifacts import load_manifest, verify
from deshi.data.config import CurateConfig
from deshi.data.runner import curate
from deshi.dataset import iter_records
from test_curate_support import append_bad_lines, make_corpus, outputs


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict, dict[int, str]]:
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    truth = make_corpus(path, 600, seed=7)
    bad = append_bad_lines(path)
    return path, truth, bad


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    curate(corpus[0], out, CurateConfig(shard_size=150, workers=1))
    return out


def test_run_writes_dataset_quarantine_audit_and_manifest(corpus, reference) -> None:
    path, truth, bad = corpus
    out = reference
    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    assert {q["line"]: q["reason"] for q in quarantine} == bad
    assert all(q["source"] == str(path) for q in quarantine)

    stats = json.loads((out / "stats.json").read_text())
    records = {r["id"]: r for r in iter_records(out)}
    rejected = {r["id"]: r for r in map(json.loads, (out / "rejected.jsonl").read_text().splitlines())}
    assert stats["input"]["records"] == 600 and stats["input"]["quarantined"] == len(bad)
    assert stats["output"]["documents"] == len(records) == 600 - len(rejected)
    # Every toxic document is dropped by the content step; tricky legitimate ones are kept.
    assert all(rejected[i]["step"] == "content" for i in truth["toxic"])
    assert all(i in records for i in truth["tricky"])
    # Every duplicate is dropped in favour of its (earlier) original.
    for orig, copy in truth["near"] + truth["exact"]:
        assert orig in records and rejected[copy]["step"] == "dedup"
        assert rejected[copy]["duplicate_of"] == orig
    assert not any(i in rejected for i in truth["clean"])
    # PII is redacted in the data and counted (never shown) in the audit.
    texts = "".join(r["text"] for r in records.values())
    assert "03-" not in texts and "<PHONE>" in texts
    assert stats["pii"]["PHONE"] >= stats["output"]["documents"]
    audit = "".join((out / n).read_text() for n in ("stats.json", "summary.md", "report.html", "rejected.jsonl"))
    assert "山田太郎" not in audit and "03-" not in audit
    assert stats["steps"]["dedup"]["reasons"] == {"exact_duplicate": len(truth["exact"]), "near_duplicate": len(truth["near"])}
    # The artifact is sealed: every file hashed, the work directory gone.
    assert verify(out).ok and not (out / ".work").exists()
    manifest = load_manifest(out)
    assert manifest["stage"] == "curate" and manifest["inputs"][0]["kind"] == "raw"
    assert manifest["counts"]["documents"] == len(records)


def test_two_workers_and_every_format_give_the_same_output(corpus, reference, tmp_path) -> None:
    out = tmp_path / "two"
    curate(corpus[0], out, CurateConfig(shard_size=150, workers=2))
    assert outputs(out) == outputs(reference)
    expected = list(iter_records(reference))
    for fmt in ("jsonl.gz", "parquet"):
        other = tmp_path / fmt
        curate(corpus[0], other, CurateConfig(shard_size=150, output_format=fmt))
        assert list(iter_records(other)) == expected
        again = tmp_path / (fmt + "-again")
        curate(corpus[0], again, CurateConfig(shard_size=150, output_format=fmt, workers=2))
        assert outputs(again) == outputs(other)  # gzip and Parquet bytes are reproducible too


def test_reads_gz_parquet_globs_and_directories(corpus, reference, tmp_path) -> None:
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = corpus[0].read_bytes().splitlines(keepends=True)
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[:300])))
    good = [json.loads(line) for line in lines[300:600]]
    pq.write_table(pa.Table.from_pylist([{**r, "meta": json.dumps(r["meta"])} for r in good]), src / "b.parquet", row_group_size=70)
    (src / "c.jsonl").write_bytes(b"".join(lines[600:]))
    cfg = CurateConfig(shard_size=100)
    by_dir = curate(src, tmp_path / "dir", cfg)
    by_glob = curate(str(src / "*.*"), tmp_path / "glob", cfg)
    assert by_dir.stats == by_glob.stats
    assert by_dir.stats["input"]["records"] == 600 and by_dir.stats["input"]["quarantined"] == 6
    assert [r["id"] for r in iter_records(tmp_path / "dir")] == [r["id"] for r in iter_records(reference)]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "deshi.cli", "curate", "run", *args]


def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path) -> None:
    path = tmp_path / "corpus.jsonl"
    make_corpus(path, 3000, seed=11)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    args = ["--shard-size", "200", "--workers", "1"]
    clean = tmp_path / "clean"
    subprocess.run(_cli(str(path), "--out", str(clean), *args), env=env, check=True, capture_output=True)

    out = tmp_path / "killed"
    proc = subprocess.Popen(_cli(str(path), "--out", str(out), *args), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list((out / ".work").glob("*.p1.done")):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "the run finished before it could be killed"
    finished_before = {p.name for p in (out / ".work").glob("*.p1.done")}
    assert 0 < len(finished_before) < 15

    resumed = subprocess.run(_cli(str(path), "--out", str(out), *args), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert outputs(out) == outputs(clean)
    assert verify(out).ok


@pytest.mark.parametrize("workers", [1, 2])
def test_resume_after_a_killed_dedup_phase_redoes_it_and_clears_its_leftovers(corpus, reference, tmp_path,
                                                                              monkeypatch, workers) -> None:
    """A run killed in phase 2 leaves no done-marker and half-written temporary files (partition files of
    the hash scatter, candidate pairs); resuming redoes phase 2 from the unit files, gives the output of an
    uninterrupted run and removes what the killed attempt left. With 2 workers, phase 2's candidate pairs
    and drop lists are made by tasks shared with the pool (several partitions: PASS_DOCS is small here)."""
    from deshi.data import dedup

    monkeypatch.setattr(dedup, "EXACT_PASS_DOCS", 100)  # several partitions: the scatter path runs
    monkeypatch.setattr(dedup, "PASS_DOCS", 100)
    from deshi.data import runner

    monkeypatch.setattr(runner, "DROPS_WINDOW", 100)  # keepers in other windows than their duplicates
    shared = []
    real_shared = dedup._shared_estimated_pairs
    monkeypatch.setattr(dedup, "_shared_estimated_pairs", lambda *args: shared.append(1) or real_shared(*args))
    out = tmp_path / "out"
    cfg = CurateConfig(shard_size=150, workers=workers, keep_work=True)
    curate(corpus[0], out, cfg)
    work = out / ".work"
    # What a SIGKILL during phase 2 leaves: phase 1 done, no dedup marker, no drop lists, no manifest.
    (work / "dedup-drops.done").unlink()
    for drops in work.glob("*.drops.jsonl"):
        drops.unlink()
    (out / "manifest.json").unlink()
    (work / "scatter-killed").mkdir()
    (work / "scatter-killed" / "exact-0.bin").write_bytes(bytes(24 * 7))  # a partition file cut short
    (work / "pairs-killed").mkdir()
    (work / f"{runner.DROPS_TMP_PREFIX}killed").mkdir()
    (work / f"{runner.DROPS_TMP_PREFIX}killed" / "k0.i64").write_bytes(bytes(24 * 3))
    curate(corpus[0], out, cfg)
    assert outputs(out) == outputs(reference)
    left = (*dedup.PHASE2_TMP_PREFIXES, runner.DROPS_TMP_PREFIX)
    assert not [p for p in work.iterdir() if p.name.startswith(left)]
    assert verify(out).ok
    assert bool(shared) == (workers > 1)


def test_changed_config_starts_afresh(corpus, tmp_path) -> None:
    out = tmp_path / "out"
    cfg = CurateConfig(shard_size=150, keep_work=True)
    first = curate(corpus[0], out, cfg)
    second = curate(corpus[0], out, cfg.model_copy(update={"output_format": "parquet"}))
    assert sorted(p.suffix for p in (out / "data").iterdir()) == [".parquet"] * first.stats["output"]["shards"]
    assert first.stats["output"]["documents"] == second.stats["output"]["documents"]


def test_cli_run_with_yaml_config_and_pii_eval_registered(corpus, tmp_path) -> None:
    from typer.testing import CliRunner

    from deshi.cli import app

    config = tmp_path / "curate.yaml"
    config.write_text("shard_size: 200\ncontent:\n  enabled: false\npii:\n  actions:\n    PHONE: mask\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["curate", "run", str(corpus[0]), "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 0, result.output
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert "content" not in stats["steps"]
    assert "＊" in (tmp_path / "o" / "data" / "part-00000.jsonl").read_text() or "*" in (tmp_path / "o" / "data" / "part-00000.jsonl").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("dedup:\n  treshold: 0.9\n", encoding="utf-8")
    result = runner.invoke(app, ["curate", "run", str(corpus[0]), "--out", str(tmp_path / "p"), "--config", str(bad)])
    assert result.exit_code != 0 and "treshold" in str(result.exception)
    docs = tmp_path / "pii_corpus.jsonl"
    text = "担当：山田太郎 電話 03-1234-5678"
    docs.write_text(json.dumps({"id": "a", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    start = text.index("03")
    labels.write_text(json.dumps({"doc_id": "a", "start": start, "end": start + 12, "type": "PHONE",
                                  "value": "03-1234-5678"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["curate", "pii-eval", str(docs), "--labels", str(labels), "--out", str(tmp_path / "e.json")])
    assert result.exit_code == 0, result.output
    assert "PHONE" in result.output and (tmp_path / "e.json").exists()


def test_stage_runs_from_pipeline_config(corpus, tmp_path) -> None:
    from deshi.data.stage import Config, run
    from deshi.registry import Registry
    from deshi.stages import StageContext

    ctx = StageContext(tmp_path, 0, Registry.open(tmp_path, None))
    result = run(Config(input=str(corpus[0]), shard_size=300), ctx)
    assert result.artifact_dir == tmp_path / "curate" and result.report.exists()
    assert any("dedup removed" in line for line in result.summary)
    with pytest.raises(Exception, match="demo_data"):
        run(Config(), ctx)


@pytest.mark.slow
def test_ray_engine_matches_local(corpus, reference, tmp_path) -> None:
    pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    out = tmp_path / "ray"
    curate(corpus[0], out, CurateConfig(shard_size=150, workers=2, engine="ray"))
    assert outputs(out) == outputs(reference)
