"""The eval and gate pipeline stages: teacher vs student, verdict in the registry, report on disk."""

import json

import pytest
from rich.console import Console

from deshi.artifacts import read_artifact_id, verify
from deshi.evals import gate_stage, stage
from deshi.registry import Registry
from deshi.stages import StageContext, StageError
from evals_fixtures import ITEMS, degraded_model, facts, good_model, one_torch_thread  # noqa: F401


def _demo_dir(root):
    """A demo_data-shaped directory in the generator's format (golden/qa, golden/choice, heldout)."""
    golden = root / "golden"
    golden.mkdir(parents=True)
    rows = facts()
    with open(golden / "qa.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            f.write(json.dumps({"id": f"qa-{i}", "domain": "d", "question": f"{item}の色は?", "answer": colour,
                                "aliases": [], "source_doc_ids": ["doc-1"]}, ensure_ascii=False) + "\n")
    with open(golden / "choice.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            choices = [colour, "しろ" if colour != "しろ" else "あか"]
            f.write(json.dumps({"id": f"mc-{i}", "question": f"{item}の色は?", "choices": choices, "answer_index": 0},
                               ensure_ascii=False) + "\n")
    with open(root / "heldout.jsonl", "w", encoding="utf-8") as f:
        for i, (item, colour) in enumerate(rows):
            f.write(json.dumps({"id": f"h-{i}", "text": f"質問: {item}の色は?\n答え: {colour}", "meta": {}},
                               ensure_ascii=False) + "\n")
    assert len(rows) == len(ITEMS)
    return root


def _run_both(tmp_path, student):
    ctx = StageContext(workspace=tmp_path / "ws", seed=0, registry=Registry.open(tmp_path / "ws"), console=Console(quiet=True))
    ctx.outputs = {"demo_data": _demo_dir(tmp_path / "demo"), "pretrain": good_model(), "distill": student}
    ctx.registry.register(student)
    config = stage.Config(few_shot=0, max_new_tokens=6, probe_max_new_tokens=12, resamples=200)
    eval_result = stage.run(config, ctx)
    ctx.outputs["eval"] = eval_result.artifact_dir
    gate_result = gate_stage.run(gate_stage.Config(gate="examples/demo/gate.yaml"), ctx)
    return ctx, eval_result, gate_result


@pytest.mark.slow
def test_stages_pass_a_faithful_student_and_fail_a_broken_one(tmp_path):
    ctx, eval_result, gate_result = _run_both(tmp_path / "ok", good_model())
    assert verify(eval_result.artifact_dir).ok and verify(gate_result.artifact_dir).ok
    assert (eval_result.artifact_dir / "tasks" / "golden_qa.yaml").is_file()
    assert gate_result.summary[0].startswith("PASS"), gate_result.summary
    assert gate_result.report.is_file() and str(gate_result.report) in gate_result.summary[0]
    assert ctx.registry.latest_verdict(read_artifact_id(good_model()))["passed"] is True

    ctx, _, gate_result = _run_both(tmp_path / "bad", degraded_model())
    assert gate_result.summary[0].startswith("FAIL"), gate_result.summary
    failed = " ".join(gate_result.summary[1:])
    assert "golden_qa/char_f1 (min_ratio)" in failed and "golden_choice/acc (non_inferiority)" in failed
    verdict = ctx.registry.latest_verdict(read_artifact_id(degraded_model()))
    assert verdict["passed"] is False and verdict["status"] == "fail"


def test_gate_stage_needs_the_eval_stage(tmp_path):
    ctx = StageContext(workspace=tmp_path, seed=0, registry=Registry.open(tmp_path), console=Console(quiet=True))
    with pytest.raises(StageError, match="'eval'"):
        gate_stage.run(gate_stage.Config(), ctx)
