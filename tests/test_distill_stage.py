"""End to end through the pipeline stages: pretrain → generate → distil, on a tiny corpus and tokenizer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deshi.artifacts import load_manifest, verify
from deshi.registry import Registry
from deshi.stages import StageContext
from distill_fixtures import SENTENCES, single_thread, tiny_tokenizer

single_thread()
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_pretrain_generate_distill_stages(tmp_path):
    from deshi.distill import generate_stage, pretrain_stage, stage

    tok = tiny_tokenizer()
    tok.save_pretrained(tmp_path / "tokenizer")
    curate = tmp_path / "curate" / "data"
    curate.mkdir(parents=True)
    docs = [{"id": f"d{i}", "text": s * 3, "meta": {"domain": "maintenance"}} for i, s in enumerate(SENTENCES * 4)]
    (curate / "part-0.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n")
    demo = tmp_path / "demo_data" / "golden"
    demo.mkdir(parents=True)
    qa = [{"id": "g1", "question": "ポンプA-12の点検間隔は？", "answer": "6か月"}, {"id": "g2", "question": "冷却塔B-3の点検間隔は？", "answer": "3か月"}]
    (demo / "qa.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in qa) + "\n")

    ctx = StageContext(tmp_path / "ws", 0, Registry.open(tmp_path / "ws"))
    ctx.outputs.update({"curate": tmp_path / "curate", "tokenizer": tmp_path / "tokenizer", "demo_data": tmp_path / "demo_data"})

    pre = pretrain_stage.run(
        pretrain_stage.Config(hidden_size=64, num_hidden_layers=3, intermediate_size=128, seq_len=64, steps=40,
                              qa_file="golden/qa.jsonl", qa_repeat=8, eval_every=20, checkpoint_every=20, lr=5e-3),
        ctx,
    )
    ctx.outputs["pretrain"] = pre.artifact_dir
    assert load_manifest(pre.artifact_dir)["counts"]["qa_pairs"] == 2

    curriculum = {"tasks": [{"name": "sum", "type": "summarisation", "templates": ["要約: {document}"]},
                            {"name": "golden", "type": "qa", "source": "questions", "templates": ["{question}"]}],
                  "max_documents": 8}
    gen = generate_stage.run(
        generate_stage.Config(curriculum=curriculum, questions_file="golden/qa.jsonl", max_new_tokens=16, min_mean_logprob=None, max_repeat_ratio=1.0),
        ctx,
    )
    ctx.outputs["generate"] = gen.artifact_dir
    stats = json.loads((gen.artifact_dir / "stats.json").read_text())
    assert stats["prompts"] == 10 and stats["samples"] == 20 and stats["kept"] + stats["rejected"] == 20

    result = stage.run(
        stage.Config(student={"hidden_size": 32, "num_hidden_layers": 2, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2},
                     seq_len=64, steps=12, eval_every=6, checkpoint_every=6, cache_k=8, golden_file="golden/qa.jsonl",
                     ablation_losses=["reverse_kl"]),
        ctx,
    )
    student = result.artifact_dir
    assert verify(student).ok
    manifest = load_manifest(student)
    assert {i["stage"] for i in manifest["inputs"] if i.get("stage")} == {"pretrain", "generate", "logit_cache"}
    models = [row["model"] for row in manifest["extra"]["metrics"]["table"]]
    assert models == ["teacher", "student (forward_kl)", "ce_baseline (ce)", "ablation_reverse_kl (reverse_kl)"]
    assert 0 < result.metrics["param_ratio"] < 1
    html = result.report.read_text()
    assert "Loss curves" in html and "data:image/png;base64" in html and "decode ms/token" in html

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(student)
    tokenizer = AutoTokenizer.from_pretrained(student)
    assert model.config.hidden_size == 32 and len(tokenizer) == len(tok)

    # Answers-only training plus whole documents from the curate stage: the documents count as examples,
    # the curate artifact is in the student's lineage, and every document token carries loss.
    mixed = stage.run(
        stage.Config(student={"hidden_size": 32, "num_hidden_layers": 1, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2},
                     seq_len=64, steps=4, eval_every=4, checkpoint_every=4, cache_k=8, completion_only=True,
                     text_data="curate", text_docs=5, compare_ce=False, evaluate_teacher=False),
        ctx,
    )
    mixed_manifest = load_manifest(mixed.artifact_dir)
    assert mixed_manifest["counts"]["examples"] == manifest["counts"]["examples"] + 5
    assert str(tmp_path / "curate") in {i["path"] for i in mixed_manifest["inputs"]}

    # isolate_examples: a cache built for another share is rebuilt (never reused: its teacher targets differ)
    # and the manifest records the share; a re-run with the same share reuses it
    def run_with(share):
        return stage.run(
            stage.Config(student={"hidden_size": 32, "num_hidden_layers": 1, "intermediate_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2},
                         seq_len=64, steps=2, eval_every=2, checkpoint_every=2, cache_k=8, completion_only=True, whole_examples=True,
                         isolate_examples=share, compare_ce=False, evaluate_teacher=False),
            ctx,
        )

    for share, built in ((0.0, True), (0.5, True), (0.5, False)):
        cache = load_manifest(run_with(share).artifact_dir)["extra"]["cache"]
        assert cache["isolate_examples"] == share and cache["built_this_run"] is built


def test_cli_help_lists_examples():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for args in (["pretrain", "--help"], ["generate", "--help"], ["distill", "--help"], ["distill", "cache", "--help"]):
        out = subprocess.run([sys.executable, "-m", "deshi.cli", *args], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "Example:" in out.stdout, args


def test_cli_rejects_unknown_config_fields_with_file_and_line(tmp_path):
    (tmp_path / "d.yaml").write_text("teacher: /x\ndata: /y\nlos: forward_kl\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-m", "deshi.cli", "distill", "--config", str(tmp_path / "d.yaml")], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "d.yaml:3: los: unknown field" in " ".join(out.stderr.split())


def test_golden_qa_file_errors_name_file_and_line(tmp_path):
    """A hand-written golden set with a bad line stops the run with file:line, never a traceback."""
    from deshi.distill.quality import load_qa
    from deshi.errors import DeshiError

    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "型番は？", "answer": "AB-12", "aliases": ["AB12"]}\n\n["not", "an object"]\n', encoding="utf-8")
    with pytest.raises(DeshiError, match=r"qa.jsonl:3: expected a JSON object, got list"):
        load_qa(qa)
    qa.write_text('{"prompt": "型番は？", "response": "AB-12"}\n{"question": 1}\n', encoding="utf-8")
    assert load_qa(qa, limit=1) == [{"id": "q1", "question": "型番は？", "answer": "AB-12", "aliases": []}]
    with pytest.raises(DeshiError, match=r"qa.jsonl:2: expected string fields"):
        load_qa(qa)
    with pytest.raises(DeshiError, match="QA file not found"):
        load_qa(tmp_path / "missing.jsonl")
