"""The pipeline runs stages, registers their artifacts and skips what has not changed."""

import json

from rich.console import Console

from deshi.artifacts import load_manifest
from deshi.pipeline import run_pipeline
from deshi.registry import Registry


def _pipeline(tmp_path, docs=40):
    path = tmp_path / "pipeline.yaml"
    path.write_text(f"workspace: {tmp_path / 'ws'}\nseed: 5\nstages:\n  demo_data:\n    docs: {docs}\n")
    return path


def test_run_registers_artifact_and_writes_report(tmp_path):
    results = run_pipeline(_pipeline(tmp_path), console=Console(quiet=True))
    artifact = results["demo_data"].artifact_dir
    assert load_manifest(artifact)["seed"] == 5
    registry = Registry.open(tmp_path / "ws")
    [record] = registry.list()
    assert record.stage == "demo_data" and record.path == str(artifact.resolve())
    index = (tmp_path / "ws" / "report" / "index.html").read_text(encoding="utf-8")
    assert "demo_data" in index and "40 demo documents" in index


def test_unchanged_stage_is_skipped_and_changed_config_reruns(tmp_path):
    path = _pipeline(tmp_path)
    run_pipeline(path, console=Console(quiet=True))
    corpus = tmp_path / "ws" / "demo_data" / "corpus.jsonl"
    first_mtime = corpus.stat().st_mtime_ns
    run_pipeline(path, console=Console(quiet=True))
    assert corpus.stat().st_mtime_ns == first_mtime  # skipped

    run_pipeline(_pipeline(tmp_path, docs=60), console=Console(quiet=True))
    assert sum(1 for _ in corpus.open(encoding="utf-8")) >= 60
    state = json.loads((tmp_path / "ws" / "pipeline-state.json").read_text())
    assert state["demo_data"]["manifest_sha256"]


def test_tampered_artifact_is_rebuilt_not_reused(tmp_path):
    path = _pipeline(tmp_path)
    run_pipeline(path, console=Console(quiet=True))
    manifest = tmp_path / "ws" / "demo_data" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"seed": 5', '"seed": 6'))
    run_pipeline(path, console=Console(quiet=True))
    assert load_manifest(tmp_path / "ws" / "demo_data")["seed"] == 5
