"""Kill `deshi distill` with SIGKILL after a checkpoint, rerun the same command: it finishes where an
uninterrupted run does (per-step seeding makes the continuation identical, not just close)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distill_fixtures import save_model, single_thread, synthetic_set, tiny_llama, tiny_tokenizer

single_thread()

ROOT = Path(__file__).resolve().parents[1]


def _command(tmp: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "deshi.cli", "distill", "--config", str(tmp / "distill.yaml"), "--out", str(out)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture()
def setup(tmp_path):
    tok = tiny_tokenizer()
    save_model(tiny_llama(len(tok), 48, 2, seed=5), tok, tmp_path / "teacher")
    synthetic_set(tmp_path / "set", 120)
    (tmp_path / "distill.yaml").write_text(
        f"teacher: {tmp_path / 'teacher'}\ndata: {tmp_path / 'set'}\nmode: offline\nloss: forward_kl\n"
        "student: {hidden_size: 32, num_hidden_layers: 2, intermediate_size: 64, num_attention_heads: 4, num_key_value_heads: 2}\n"
        "seq_len: 32\nbatch_size: 4\nsteps: 120\ncheckpoint_every: 10\neval_every: 60\ncompare_ce: false\nevaluate_teacher: false\n"
        "cache_k: 8\nheldout_fraction: 0.1\n"
    )
    return tmp_path


def _final(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())["metrics"]


@pytest.mark.slow
def test_resume_after_sigkill_matches_uninterrupted_run(setup):
    tmp = setup
    # the uninterrupted reference runs in-process (same code path as the CLI, one interpreter start less)
    from deshi.config import load_yaml, validate_model
    from deshi.distill.stage import Config, run_distill

    data, lines = load_yaml(tmp / "distill.yaml")
    cfg = validate_model(Config, data, "distill.yaml", lines)
    run_distill(cfg, cfg.teacher, cfg.data, tmp / "full", 0, show_progress=False)

    proc = subprocess.Popen(_command(tmp, tmp / "killed"), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = tmp / "killed" / "run-student" / "checkpoints"
    deadline = time.time() + 90
    while time.time() < deadline and not any(p.name == "step-0000020" for p in checkpoints.glob("step-*")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp / "killed" / "summary.json").exists(), "the run finished before it could be killed"
    done = sorted(p.name for p in checkpoints.glob("step-*") if not p.name.endswith(".tmp"))
    assert done and done[-1] < "step-0000120"

    again = subprocess.run(_command(tmp, tmp / "killed"), env=_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    a, b = _final(tmp / "full"), _final(tmp / "killed")
    assert abs(a["final_eval_loss"] - b["final_eval_loss"]) <= 0.01 * a["final_eval_loss"]
    assert abs(a["final_train_loss"] - b["final_train_loss"]) <= 0.01 * a["final_train_loss"]
    manifest = json.loads((tmp / "killed" / "student" / "manifest.json").read_text())
    assert manifest["extra"]["resumed_from_step"] >= 20
    steps = [json.loads(line)["step"] for line in (tmp / "killed" / "run-student" / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 121)), "metrics must have each step exactly once after a resume"
