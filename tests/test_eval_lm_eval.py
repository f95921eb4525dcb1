"""lm-evaluation-harness interop: its results feed the same gate as deshi's own tasks."""

import json
from pathlib import Path

import pytest

from deshi.evals.gate import GateSpec, evaluate_gate, status_of
from deshi.evals.lm_eval_adapter import convert_lm_eval_results, lm_eval_available
from evals_fixtures import good_model, one_torch_thread, workdir, write_tasks  # noqa: F401

RECORDED = Path(__file__).parent / "evals_lm_eval_recorded.json"


def test_recorded_lm_eval_results_convert_to_deshi_tasks():
    """A real `simple_evaluate` output (lm-eval 0.4.13, a perturbed tiny model, a local task)."""
    converted = convert_lm_eval_results(json.loads(RECORDED.read_text(encoding="utf-8")))
    task = converted["deshi_colors"]
    assert task["primary_metric"] == "acc" and task["n"] == 20 and task["errors"] == 0
    assert task["metrics"]["acc"] == {"value": 0.15, "stderr": pytest.approx(0.0819, abs=1e-4), "n": 20}
    assert set(task["metrics"]) == {"acc", "acc_norm"}
    results = {"tasks": converted, "probes": {}, "latency": {}, "errors": 0}
    spec = GateSpec.model_validate({"tasks": {"deshi_colors": {"floor": 0.5}}})
    assert status_of(evaluate_gate(spec, results, None)) == "fail"


def test_filters_and_nan_stderr_are_kept_readable():
    raw = {"results": {"gsm": {"alias": "gsm", "exact_match,strict-match": 0.25, "exact_match_stderr,strict-match": "N/A",
                               "exact_match,flexible-extract": 0.5, "exact_match_stderr,flexible-extract": float("nan")}},
           "n-samples": {"gsm": {"original": 8, "effective": 4}}}
    metrics = convert_lm_eval_results(raw)["gsm"]["metrics"]
    assert metrics == {"exact_match:strict-match": {"value": 0.25, "stderr": None, "n": 4},
                       "exact_match:flexible-extract": {"value": 0.5, "stderr": None, "n": 4}}


@pytest.mark.slow
@pytest.mark.skipif(not lm_eval_available(), reason="lm-eval not installed (pip install lm-eval==0.4.13)")
def test_deshi_eval_runs_a_local_lm_eval_task(tmp_path, monkeypatch, capsys):
    from test_gate import run_cli

    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    rows = [json.loads(line) for line in (write_tasks(workdir()) / "choice.jsonl").read_text().splitlines()]
    data = tmp_path / "colors.jsonl"
    data.write_text("".join(json.dumps({"question": r["question"], "choices": r["choices"],
                                        "gold": r["choices"].index(r["answer"])}, ensure_ascii=False) + "\n"
                            for r in rows), encoding="utf-8")
    include = tmp_path / "lm_tasks"
    include.mkdir()
    (include / "colors.yaml").write_text(
        f"task: deshi_colors\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {data}\ntest_split: test\n"
        "output_type: multiple_choice\ndoc_to_text: \"質問: {{question}}\\n答え:\"\ndoc_to_choice: \"{{choices}}\"\n"
        "doc_to_target: \"{{gold}}\"\nmetric_list:\n  - metric: acc\n", encoding="utf-8")
    out = tmp_path / "res"
    code, output = run_cli(["eval", str(good_model()), "--no-probes", "--lm-eval", "deshi_colors",
                            "--lm-eval-include", str(include), "--out", str(out)], capsys)
    assert code == 0, output
    results = json.loads((out / "results.json").read_text())
    assert results["tasks"]["deshi_colors"]["metrics"]["acc"]["value"] == 1.0  # the model memorised the colours
    gate = tmp_path / "gate.yaml"
    gate.write_text("tasks:\n  deshi_colors: {metric: acc, floor: 0.9}\n", encoding="utf-8")
    code, output = run_cli(["gate", "--results", str(out), "--gate", str(gate), "--workspace", str(tmp_path)], capsys)
    assert code == 0, output
