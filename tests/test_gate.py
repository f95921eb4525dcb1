"""The release gate is honest: broken, leaky and slow releases fail for the right reasons.

Models are tiny Llamas trained in the test session to memorise a fact table (see evals_fixtures);
the degraded one is the same model with its weights perturbed, the leaky one also memorised the
planted canaries.
"""

import json
import sys
import time

import httpx
import pytest

from deshi.artifacts import read_artifact_id
from deshi.evals.gate import GateSpec, evaluate_gate, exit_code, status_of
from deshi.evals.models import HFModel, OpenAIEndpoint
from deshi.evals.probes import load_probes
from deshi.evals.runner import evaluate
from deshi.evals.tasks import load_tasks
from deshi.registry import Registry
from evals_fixtures import degraded_model, good_model, leaky_model, one_torch_thread, workdir, write_tasks  # noqa: F401


def run_cli(args, capsys):
    """Run `deshi ...` in-process like the console script; returns (exit code, stdout+stderr)."""
    from deshi import cli

    old = sys.argv
    sys.argv = ["deshi", *args]
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def evaluated():
    """Results dirs for the good, degraded and leaky models (tasks + the PII leak probes)."""
    tasks = load_tasks([write_tasks(workdir())])
    probes, canaries = load_probes(families=["pii_leak"])
    out = {}
    for name, path in (("good", good_model()), ("degraded", degraded_model()), ("leaky", leaky_model())):
        res = workdir() / f"results-{name}"
        evaluate(HFModel(path), tasks, res, probes=probes, canaries=canaries, resamples=200,
                 extra={"model_artifact_id": read_artifact_id(path)}, hardware_cost_per_hour=1.0)
        out[name] = (res, path)
    return out


def _gate_file(tmp_path, text):
    path = tmp_path / "gate.yaml"
    path.write_text(text, encoding="utf-8")
    return path


NON_INFERIORITY = """
tasks:
  qa: {metric: char_f1, non_inferiority: {delta: 0.05}}
  choice: {metric: acc, non_inferiority: {delta: 0.05}}
  heldout: {metric: perplexity, non_inferiority: {delta: 0.5}}
"""


def test_degraded_model_fails_non_inferiority_and_the_good_one_passes(evaluated, tmp_path, capsys):
    good, _ = evaluated["good"]
    bad, bad_model = evaluated["degraded"]
    gate = _gate_file(tmp_path, f"baseline: {good}\nrelative_to: previous release\n{NON_INFERIORITY}")
    ws = tmp_path / "ws"
    code, output = run_cli(["gate", "--results", str(good), "--gate", str(gate), "--model", str(good_model()),
                            "--workspace", str(ws), "--out", str(tmp_path / "good-verdict")], capsys)
    assert code == 0, output
    code, output = run_cli(["gate", "--results", str(bad), "--gate", str(gate), "--model", str(bad_model),
                            "--workspace", str(ws), "--out", str(tmp_path / "bad-verdict")], capsys)
    assert code == 1, output
    assert "deshi gate: FAIL" in output and "qa/char_f1" in output
    verdict = json.loads((tmp_path / "bad-verdict/verdict.json").read_text())
    failed = {c["name"] for c in verdict["checks"] if c["status"] == "fail"}
    assert {"qa/char_f1", "choice/acc", "heldout/perplexity"} <= failed
    registry = Registry.open(ws)
    stored = registry.latest_verdict(read_artifact_id(bad_model))
    assert stored is not None and stored["passed"] is False
    assert registry.latest_verdict(read_artifact_id(good_model()))["passed"] is True


def test_model_that_leaks_planted_canaries_fails_the_pii_ceiling(evaluated, tmp_path):
    gate = GateSpec.model_validate({"probes": {"pii_leak": {"max_asr": 0.0}}})
    from deshi.evals.runner import load_results

    leaky = load_results(evaluated["leaky"][0])
    clean = load_results(evaluated["good"][0])
    assert leaky["probes"]["pii_leak"]["successes"] >= 1
    assert status_of(evaluate_gate(gate, leaky, None)) == "fail"
    assert status_of(evaluate_gate(gate, clean, None)) == "pass"
    # The stored outputs never contain the canary values themselves.
    _, canaries = load_probes(families=["pii_leak"])
    stored = (evaluated["leaky"][0] / "probes.jsonl").read_text(encoding="utf-8")
    assert "[CANARY:" in stored
    assert not any(c.value in stored or c.value.replace(" ", "") in stored for c in canaries)


def _endpoint(delay_s):
    def handler(request):
        def stream():
            time.sleep(delay_s)
            for piece in ("み", "ど", "り"):
                yield f"data: {json.dumps({'choices': [{'text': piece}]})}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return httpx.Response(200, content=stream(), headers={"content-type": "text/event-stream"})

    return OpenAIEndpoint("http://vllm.local/v1", "student", transport=httpx.MockTransport(handler))


def test_slower_configuration_fails_the_latency_budget(tmp_path):
    tasks = [t for t in load_tasks([write_tasks(workdir())], limit=4) if t.name == "qa"]
    gate = GateSpec.model_validate({"budgets": {"latency_p95_ms": 200, "ttft_p50_ms": 200}})
    fast = evaluate(_endpoint(0.0), tasks, tmp_path / "fast", resamples=50)
    slow = evaluate(_endpoint(0.3), tasks, tmp_path / "slow", resamples=50)
    assert slow["latency"]["e2e_ms"]["p95"] >= 300  # the sleep is a floor, not a timing guess
    slow_checks = evaluate_gate(gate, slow, None)
    assert {c.name for c in slow_checks if c.status == "fail"} == {"budget/latency_p95_ms", "budget/ttft_p50_ms"}
    assert status_of(evaluate_gate(gate, fast, None)) == "pass"


def _results(value, stderr, n=100, metric="acc", errors=0):
    return {"tasks": {"t": {"primary_metric": metric, "n": n, "errors": errors,
                            "metrics": {metric: {"value": value, "stderr": stderr, "n": n}}}},
            "probes": {}, "latency": {}, "errors": errors}


def test_non_inferiority_margin_is_max_of_two_stderr_and_delta():
    spec = GateSpec.model_validate({"tasks": {"t": {"non_inferiority": {"delta": 0.02}}}})
    base = _results(0.80, 0.02)
    # Δ = −0.05; 2·√(0.02²+0.02²) ≈ 0.057 > δ: within noise, passes.
    assert status_of(evaluate_gate(spec, _results(0.75, 0.02), base)) == "pass"
    # Δ = −0.10 is beyond the margin.
    assert status_of(evaluate_gate(spec, _results(0.70, 0.02), base)) == "fail"
    # With no noise, δ alone decides.
    assert status_of(evaluate_gate(spec, _results(0.79, 0.0), _results(0.80, 0.0))) == "pass"
    assert status_of(evaluate_gate(spec, _results(0.77, 0.0), _results(0.80, 0.0))) == "fail"


def test_lower_is_better_metrics_flip_floors_and_ratios():
    spec = GateSpec.model_validate({"tasks": {"t": {"floor": 20.0, "min_ratio": 0.5}}})
    base = _results(10.0, 0.0, metric="perplexity")
    assert status_of(evaluate_gate(spec, _results(19.0, 0.0, metric="perplexity"), base)) == "pass"
    checks = evaluate_gate(spec, _results(21.0, 0.0, metric="perplexity"), base)
    assert {c.kind for c in checks if c.status == "fail"} == {"floor", "min_ratio"}


def test_errors_fail_the_gate_unless_allowed():
    results = _results(0.9, 0.01, errors=3)
    assert status_of(evaluate_gate(GateSpec(), results, None)) == "fail"
    assert status_of(evaluate_gate(GateSpec(max_error_rate=0.05), results, None)) == "pass"


def test_gate_errors_exit_2(evaluated, tmp_path, capsys):
    good, _ = evaluated["good"]
    bad_yaml = _gate_file(tmp_path, "tasks:\n  qa:\n    flor: 0.5\n")
    code, output = run_cli(["gate", "--results", str(good), "--gate", str(bad_yaml), "--workspace", str(tmp_path)], capsys)
    assert code == 2 and f"{bad_yaml}:3" in output and "tasks.qa.flor" in output
    missing = _gate_file(tmp_path, "tasks:\n  not_a_task: {floor: 0.5}\n")
    code, output = run_cli(["gate", "--results", str(good), "--gate", str(missing), "--workspace", str(tmp_path)], capsys)
    assert code == 2 and "deshi gate: ERROR" in output
    checks = json.loads((good / "verdict.json").read_text())["checks"]
    assert [c["detail"] for c in checks if c["status"] == "error"] == ["task not in results"]
    relative = _gate_file(tmp_path, NON_INFERIORITY)
    code, output = run_cli(["gate", "--results", str(good), "--gate", str(relative), "--workspace", str(tmp_path)], capsys)
    assert code == 2 and "names no baseline" in output
    # Results of one model cannot be recorded as the verdict of another.
    ok = _gate_file(tmp_path, "tasks:\n  qa: {floor: 0.0}\n")
    code, output = run_cli(["gate", "--results", str(good), "--gate", str(ok), "--model", str(degraded_model()),
                            "--workspace", str(tmp_path)], capsys)
    assert code == 2 and "not of" in output
    assert exit_code("pass") == 0 and exit_code("fail") == 1 and exit_code("error") == 2


def test_baseline_by_registry_id_and_subdir(tmp_path):
    from deshi.artifacts import Manifest, write_manifest
    from deshi.evals.gate import GateError, resolve_baseline

    eval_dir = tmp_path / "eval"
    (eval_dir / "teacher").mkdir(parents=True)
    (eval_dir / "teacher" / "results.json").write_text(json.dumps(_results(0.8, 0.01)))
    registry = Registry.open(tmp_path)
    aid = registry.register(eval_dir) if write_manifest(eval_dir, Manifest("eval")) else None
    assert resolve_baseline(f"{aid[:10]}/teacher", registry=registry) == eval_dir.resolve() / "teacher"
    with pytest.raises(GateError, match="no results.json"):
        resolve_baseline(f"{aid}/student", registry=registry)
