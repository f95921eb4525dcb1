"""The pipeline stage: serves a gated student, queries it with the openai client, stops, verifies the audit."""

from __future__ import annotations

import json
import shutil

import pytest
from rich.console import Console

from deshi.artifacts import Manifest, write_manifest
from deshi.registry import Registry
from deshi.serve.stage import Config, run
from deshi.stages import StageContext, StageError
from test_serve_support import build_tiny_model


@pytest.mark.slow
def test_stage_serves_gated_student(tmp_path):
    student = tmp_path / "distill"
    shutil.copytree(build_tiny_model(tmp_path / "tiny"), student)
    write_manifest(student, Manifest("distill"))
    ws = tmp_path / "ws"
    registry = Registry.open(ws)
    aid = registry.register(student)
    registry.record_verdict(aid, True, {"checks": ["accuracy"]})
    ctx = StageContext(workspace=ws, seed=0, registry=registry, console=Console(quiet=True),
                       outputs={"distill": student, "gate": tmp_path})
    result = run(Config(requests=4, concurrency=2, max_tokens=6), ctx)
    summary = json.loads((result.artifact_dir / "summary.json").read_text())
    assert summary["audit_verified"] and summary["audit_records"] == 1 + 6  # release record + 6 requests
    assert summary["release"] == "gate verdict"
    assert summary["cost_per_1k_tokens"] > 0
    assert summary["json_schema_valid"] is True
    assert any(k.startswith("prompt_pii_masked") for k in summary["incidents"])  # the phone number in the stream prompt
    assert (result.artifact_dir / "manifest.json").is_file()
    # Without the gate stage and without force, the stage refuses.
    with pytest.raises(StageError, match="gate"):
        run(Config(), StageContext(workspace=ws, seed=0, registry=registry, outputs={"distill": student}))
    registry.close()
