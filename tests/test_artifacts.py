"""Manifests catch tampering; the registry answers lineage questions back to raw data."""

import json
from pathlib import Path

import pytest

from deshi.artifacts import ArtifactError, Manifest, describe_input, load_manifest, verify, write_manifest
from deshi.registry import Registry, RegistryError


def _artifact(root: Path, stage: str, inputs=(), files=None) -> Path:
    root.mkdir(parents=True)
    for name, body in (files or {"data/part-0.jsonl": '{"id":1}\n', "stats.json": "{}"}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    write_manifest(root, Manifest(stage, {"k": 1}, [describe_input(i) for i in inputs], {"docs": 1}, {"t": 0.5}, 7))
    return root


def test_manifest_records_every_file_with_sha256_and_metadata(tmp_path):
    art = _artifact(tmp_path / "a", "curate")
    manifest = load_manifest(art)
    assert manifest["stage"] == "curate"
    assert manifest["seed"] == 7
    assert set(manifest["outputs"]) == {"data/part-0.jsonl", "stats.json"}
    assert all(len(h) == 64 for h in manifest["outputs"].values())
    assert manifest["deshi_version"]
    assert verify(art).ok


@pytest.mark.parametrize("tamper", ["changed", "missing", "extra"])
def test_verify_detects_tampering(tmp_path, tamper):
    art = _artifact(tmp_path / "a", "curate")
    if tamper == "changed":
        (art / "stats.json").write_text('{"docs": 2}')
    elif tamper == "missing":
        (art / "data/part-0.jsonl").unlink()
    else:
        (art / "data/part-1.jsonl").write_text("{}\n")
    report = verify(art)
    assert not report.ok
    assert getattr(report, tamper) == [{"changed": "stats.json", "missing": "data/part-0.jsonl", "extra": "data/part-1.jsonl"}[tamper]]


def test_cli_verify_exits_nonzero_on_tampering(tmp_path):
    from typer.testing import CliRunner

    from deshi.cli import app

    art = _artifact(tmp_path / "a", "curate")
    runner = CliRunner()
    assert runner.invoke(app, ["artifacts", "verify", str(art)]).exit_code == 0
    (art / "stats.json").write_text("tampered")
    result = runner.invoke(app, ["artifacts", "verify", str(art)])
    assert result.exit_code == 1
    assert "changed" in result.output and "stats.json" in result.output


def test_input_refs_pin_parent_manifest_hash(tmp_path):
    raw = tmp_path / "raw.jsonl"
    raw.write_text('{"text": "こんにちは"}\n')
    parent = _artifact(tmp_path / "p", "curate", inputs=[raw])
    child = _artifact(tmp_path / "c", "tokenizer", inputs=[parent])
    ref = load_manifest(child)["inputs"][0]
    assert ref["kind"] == "artifact" and ref["stage"] == "curate" and ref["id"].startswith("curate-")
    assert load_manifest(parent)["inputs"][0]["kind"] == "raw"


def test_missing_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(ArtifactError, match="no manifest.json"):
        load_manifest(tmp_path)


def test_registry_lineage_walks_back_to_raw_data(tmp_path):
    raw = tmp_path / "corpus.jsonl"
    raw.write_text('{"text": "x"}\n')
    data = _artifact(tmp_path / "data", "demo_data")
    curated = _artifact(tmp_path / "cur", "curate", inputs=[data, raw])
    tok = _artifact(tmp_path / "tok", "tokenizer", inputs=[curated])
    model = _artifact(tmp_path / "model", "distill", inputs=[tok, curated])
    registry = Registry.open(tmp_path / "ws")
    ids = [registry.register(p) for p in (data, curated, tok, model)]
    assert registry.register(model) == ids[-1]  # idempotent
    chain = registry.lineage(ids[-1])
    refs = [n.ref for n in chain]
    assert refs[0] == ids[-1]
    assert set(ids) <= set(refs)
    assert any(r.startswith("raw:") for r in refs)
    expanded = [n.ref for n in chain if not n.repeat]
    assert len(expanded) == len(set(expanded))  # shared parents expanded once
    assert any(n.repeat for n in chain)  # ... and shown again where they are shared
    assert registry.get(ids[1][:12]).stage == "curate"  # unique prefix lookup
    with pytest.raises(RegistryError):
        registry.get("nope")


def test_registry_stores_gate_verdicts(tmp_path):
    model = _artifact(tmp_path / "m", "distill")
    registry = Registry.open(tmp_path / "ws")
    aid = registry.register(model)
    assert registry.latest_verdict(aid) is None
    registry.record_verdict(aid, False, {"checks": [{"name": "golden", "passed": False}]})
    registry.record_verdict(aid, True, {"checks": []})
    assert registry.latest_verdict(aid)["passed"] is True


def test_registry_accepts_sqlalchemy_urls(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    registry = Registry.open(url=url)
    aid = registry.register(_artifact(tmp_path / "a", "curate"))
    assert [r.id for r in Registry(url).list()] == [aid]
    assert json.loads(json.dumps(registry.get(aid).manifest))["stage"] == "curate"


def test_a_file_inside_an_artifact_is_referenced_as_that_artifact(tmp_path):
    parent = _artifact(tmp_path / "demo", "demo_data", files={"corpus.jsonl": '{"text": "x"}\n'})
    child = _artifact(tmp_path / "cur", "curate", inputs=[parent / "corpus.jsonl"])
    ref = load_manifest(child)["inputs"][0]
    assert ref["kind"] == "artifact" and ref["stage"] == "demo_data" and ref["path"].endswith("corpus.jsonl")
    loose = tmp_path / "loose.jsonl"
    loose.write_text("{}\n")
    assert describe_input(loose).kind == "raw"


def test_registering_indexes_side_artifacts_it_consumed(tmp_path):
    cache = _artifact(tmp_path / "cache", "logit_cache")
    model = _artifact(tmp_path / "m", "distill", inputs=[cache])
    registry = Registry.open(tmp_path / "ws")
    aid = registry.register(model)
    assert registry.get(load_manifest(model)["inputs"][0]["id"]).stage == "logit_cache"
    assert [n.record.stage for n in registry.lineage(aid) if n.record] == ["distill", "logit_cache"]
