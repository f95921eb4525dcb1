"""The release gate: one ``gate.yaml``, one verdict, one exit code.

Checks, each with a value, a threshold and a verdict:

- ``floor``: a task metric must reach an absolute value (for lower-is-better metrics such as
  perplexity the floor is a ceiling).
- ``min_ratio``: a task metric must reach ``ratio × baseline`` (teacher-relative floors: a distilled
  student must keep 90 % of its teacher's score).
- ``non_inferiority``: with Δ = candidate − baseline (sign flipped for lower-is-better metrics), fail
  if Δ < −max(2·stderr_Δ, δ), where stderr_Δ = √(se_cand² + se_base²) from the bootstrap.
- probe ceilings: ``max_asr`` (absolute) and ``max_increase`` (over the baseline's ASR).
- budgets: latency percentiles, TTFT, time per token, throughput and cost per 1K tokens.
- ``max_error_rate``: the share of examples and probes on which the model errored.

Exit codes: 0 every check passed, 1 a check failed, 2 the gate could not be evaluated (bad gate file,
missing results, a task named in the gate but absent from the results).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deshi.config import load_config
from deshi.errors import DeshiError
from deshi.evals.metrics import LOWER_IS_BETTER
from deshi.evals.runner import load_results

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


class GateError(DeshiError):
    """The gate cannot be evaluated (exit code 2)."""


class NonInferiority(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: float = Field(..., ge=0, description="Tolerated drop in metric units (δ).")


class TaskCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str | None = Field(None, description="Metric to gate on (default: the task's first metric).")
    floor: float | None = Field(None, description="Absolute floor (a ceiling for lower-is-better metrics).")
    min_ratio: float | None = Field(None, gt=0, description="Candidate must reach min_ratio × baseline.")
    non_inferiority: NonInferiority | None = None


class ProbeCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_asr: float | None = Field(None, ge=0, le=1, description="Absolute ceiling on attack success rate.")
    max_increase: float | None = Field(None, ge=0, le=1, description="Ceiling on ASR − baseline ASR.")

    @model_validator(mode="after")
    def _one(self) -> ProbeCheck:
        if self.max_asr is None and self.max_increase is None:
            raise ValueError("set max_asr and/or max_increase")
        return self


class Budgets(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latency_p50_ms: float | None = Field(None, gt=0)
    latency_p95_ms: float | None = Field(None, gt=0)
    latency_p99_ms: float | None = Field(None, gt=0)
    ttft_p50_ms: float | None = Field(None, gt=0)
    ttft_p95_ms: float | None = Field(None, gt=0)
    tpot_p50_ms: float | None = Field(None, gt=0)
    min_tokens_per_s: float | None = Field(None, gt=0)
    cost_per_1k_tokens: float | None = Field(None, gt=0)


class GateSpec(BaseModel):
    """Schema of gate.yaml."""

    model_config = ConfigDict(extra="forbid")
    baseline: str | None = Field(None, description="Baseline results dir (or registry id[/subdir]) for relative checks.")
    relative_to: str | None = Field(None, description="Label of the baseline in the report, e.g. 'teacher'.")
    tasks: dict[str, TaskCheck] = Field(default_factory=dict)
    probes: dict[str, ProbeCheck] = Field(default_factory=dict)
    budgets: Budgets = Field(default_factory=Budgets)
    max_error_rate: float = Field(0.0, ge=0, le=1, description="Share of examples/probes allowed to error.")

    def relative_checks(self) -> list[str]:
        """Names of checks that compare against a baseline (they need one)."""
        names = [n for n, t in self.tasks.items() if t.min_ratio is not None or t.non_inferiority is not None]
        return names + [n for n, p in self.probes.items() if p.max_increase is not None]


def load_gate(path: Path | str) -> GateSpec:
    return load_config(GateSpec, path)


@dataclass
class Check:
    name: str
    kind: str
    value: float | None
    threshold: str
    status: Literal["pass", "fail", "error"]
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _metric(results: dict[str, Any], task: str, metric: str | None) -> tuple[str, dict[str, Any] | None]:
    block = results.get("tasks", {}).get(task)
    if block is None:
        return metric or "?", None
    name = metric or block.get("primary_metric") or next(iter(block["metrics"]))
    return name, block["metrics"].get(name)


def evaluate_gate(spec: GateSpec, results: dict[str, Any], baseline: dict[str, Any] | None) -> list[Check]:
    """Every check of the gate against candidate results (and the baseline, where a check needs one)."""
    checks: list[Check] = []
    needs_baseline = spec.relative_checks()
    if needs_baseline and baseline is None:
        raise GateError(f"checks on {', '.join(needs_baseline)} are relative but the gate names no baseline "
                        f"(set 'baseline:' in gate.yaml or pass --baseline)")
    for task, rule in spec.tasks.items():
        metric, cand = _metric(results, task, rule.metric)
        label = f"{task}/{metric}"
        if cand is None or cand.get("value") is None:
            why = "task not in results" if task not in results.get("tasks", {}) else f"metric {metric!r} not in results"
            checks.append(Check(label, "task", None, "-", "error", why))
            continue
        value, se = float(cand["value"]), float(cand.get("stderr") or 0.0)
        lower = metric in LOWER_IS_BETTER
        if rule.floor is not None:
            ok = value <= rule.floor if lower else value >= rule.floor
            checks.append(Check(label, "floor", value, f"{'≤' if lower else '≥'} {_fmt(rule.floor)}", "pass" if ok else "fail"))
        if rule.min_ratio is not None or rule.non_inferiority is not None:
            _, base = _metric(baseline or {}, task, metric)
            if base is None or base.get("value") is None:
                checks.append(Check(label, "baseline", None, "-", "error", "task or metric missing from the baseline"))
                continue
            bvalue, bse = float(base["value"]), float(base.get("stderr") or 0.0)
            if rule.min_ratio is not None:
                limit = bvalue / rule.min_ratio if lower else bvalue * rule.min_ratio
                ok = value <= limit if lower else value >= limit
                checks.append(Check(label, "min_ratio", value, f"{'≤' if lower else '≥'} {_fmt(limit)} "
                                    f"({'1/' if lower else ''}{rule.min_ratio:g} × baseline {_fmt(bvalue)})",
                                    "pass" if ok else "fail"))
            if rule.non_inferiority is not None:
                delta = (bvalue - value) if lower else (value - bvalue)
                se_delta = math.sqrt(se ** 2 + bse ** 2)
                margin = max(2 * se_delta, rule.non_inferiority.delta)
                ok = delta >= -margin
                checks.append(Check(label, "non_inferiority", delta, f"Δ ≥ −{_fmt(margin)} (2·se={_fmt(2 * se_delta)}, "
                                    f"δ={_fmt(rule.non_inferiority.delta)})", "pass" if ok else "fail",
                                    f"candidate {_fmt(value)} vs baseline {_fmt(bvalue)}"))
    for family, prule in spec.probes.items():
        block = results.get("probes", {}).get(family)
        if block is None or block.get("asr") is None:
            checks.append(Check(f"probe/{family}", "probe", None, "-", "error", "probe family not in results"))
            continue
        asr = float(block["asr"])
        if prule.max_asr is not None:
            checks.append(Check(f"probe/{family}", "max_asr", asr, f"≤ {_fmt(prule.max_asr)}",
                                "pass" if asr <= prule.max_asr else "fail", f"{block['successes']}/{block['n']} attacks succeeded"))
        if prule.max_increase is not None:
            bblock = (baseline or {}).get("probes", {}).get(family)
            if bblock is None or bblock.get("asr") is None:
                checks.append(Check(f"probe/{family}", "baseline", None, "-", "error", "family missing from the baseline"))
                continue
            increase = asr - float(bblock["asr"])
            checks.append(Check(f"probe/{family}", "max_increase", increase, f"≤ +{_fmt(prule.max_increase)}",
                                "pass" if increase <= prule.max_increase + 1e-12 else "fail",
                                f"ASR {_fmt(asr)} vs baseline {_fmt(float(bblock['asr']))}"))
    latency = results.get("latency", {})
    budget_values = {
        "latency_p50_ms": ("e2e_ms", "p50"), "latency_p95_ms": ("e2e_ms", "p95"), "latency_p99_ms": ("e2e_ms", "p99"),
        "ttft_p50_ms": ("ttft_ms", "p50"), "ttft_p95_ms": ("ttft_ms", "p95"), "tpot_p50_ms": ("tpot_ms", "p50"),
    }
    for name, limit in spec.budgets.model_dump().items():
        if limit is None:
            continue
        if name in budget_values:
            group, key = budget_values[name]
            value = (latency.get(group) or {}).get(key)
        else:
            value = latency.get("tokens_per_s" if name == "min_tokens_per_s" else name)
        if value is None:
            hint = " (set hardware_cost_per_hour when evaluating)" if name == "cost_per_1k_tokens" else ""
            checks.append(Check(f"budget/{name}", "budget", None, "-", "error", f"not measured in this run{hint}"))
            continue
        ok = value >= limit if name == "min_tokens_per_s" else value <= limit
        checks.append(Check(f"budget/{name}", "budget", float(value), f"{'≥' if name == 'min_tokens_per_s' else '≤'} {_fmt(limit)}",
                            "pass" if ok else "fail"))
    total = sum(t.get("n", 0) for t in results.get("tasks", {}).values()) + sum(
        p.get("n", 0) + p.get("errors", 0) for p in results.get("probes", {}).values())
    errors = int(results.get("errors", 0))
    rate = errors / total if total else 0.0
    checks.append(Check("errors", "max_error_rate", rate, f"≤ {_fmt(spec.max_error_rate)}",
                        "pass" if rate <= spec.max_error_rate else "fail", f"{errors} of {total} examples/probes errored"))
    return checks


def resolve_baseline(ref: str, gate_file: Path | None = None, registry: Any = None) -> Path:
    """A baseline is a results directory, relative to cwd or to the gate file, or a registry id[/subdir]."""
    candidates = [Path(ref)]
    if gate_file is not None:
        candidates.append(gate_file.parent / ref)
    for candidate in candidates:
        if (candidate / "results.json").is_file():
            return candidate
    if registry is not None:
        head, _, sub = ref.partition("/")
        try:
            record = registry.get(head)
        except DeshiError:
            record = None
        if record is not None:
            path = Path(record.path) / sub if sub else Path(record.path)
            if (path / "results.json").is_file():
                return path
    raise GateError(f"baseline {ref!r}: no results.json there (a results dir of `deshi eval`, or a registry id/subdir)")


def status_of(checks: list[Check]) -> str:
    if any(c.status == "error" for c in checks):
        return "error"
    return "pass" if all(c.passed for c in checks) else "fail"


def exit_code(status: str) -> int:
    return {"pass": EXIT_PASS, "fail": EXIT_FAIL}.get(status, EXIT_ERROR)


def run_gate(results_dir: Path | str, gate_file: Path | str, baseline: Path | str | None = None,
             registry: Any = None) -> dict[str, Any]:
    """Evaluate a gate file against a results dir; returns the verdict dict (status, checks, …)."""
    gate_path = Path(gate_file)
    spec = load_gate(gate_path)
    results = load_results(results_dir)
    base_ref = str(baseline) if baseline else spec.baseline
    base_path = resolve_baseline(base_ref, gate_path, registry) if base_ref else None
    base = load_results(base_path) if base_path else None
    checks = evaluate_gate(spec, results, base)
    status = status_of(checks)
    return {
        "status": status,
        "passed": status == "pass",
        "checks": [asdict(c) for c in checks],
        "results_dir": str(Path(results_dir).resolve()),
        "gate_file": str(gate_path.resolve()),
        "baseline": str(base_path.resolve()) if base_path else None,
        "relative_to": spec.relative_to,
        "model": results.get("model"),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def gate_release(results_dir: Path | str, gate_file: Path | str, *, model_dir: Path | str | None = None,
                 baseline: Path | str | None = None, registry: Any = None, write_report_files: bool = True,
                 out_dir: Path | str | None = None) -> dict[str, Any]:
    """Gate a results dir, write verdict.json (+ report), and record the verdict against the model.

    verdict.json, report.html and summary.md go to ``out_dir`` (default: the results dir).
    The model artifact is ``model_dir`` (its manifest id) or, when omitted, the id the eval recorded in
    results.json. If both are known and differ, the results are not of this model: that is an error.
    """
    from deshi.artifacts import read_artifact_id
    from deshi.evals.report import write_report

    results_dir = Path(results_dir)
    out = Path(out_dir or results_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = load_results(results_dir)
    recorded_id = results.get("model_artifact_id")
    artifact_id = read_artifact_id(model_dir) if model_dir else recorded_id
    if model_dir and recorded_id and recorded_id != artifact_id:
        raise GateError(f"{results_dir} holds results of {recorded_id}, not of {model_dir} ({artifact_id}); "
                        "re-run `deshi eval` on this model")
    verdict = run_gate(results_dir, gate_file, baseline, registry)
    verdict["model_artifact_id"] = artifact_id
    if write_report_files:
        base = load_results(verdict["baseline"]) if verdict["baseline"] else None
        html, md = write_report(results_dir, results, verdict, base, out_dir=out)
        verdict["report"], verdict["summary_md"] = str(html.resolve()), str(md.resolve())
    verdict["recorded_in_registry"] = bool(registry is not None and artifact_id)
    if registry is not None and artifact_id:
        if model_dir:
            registry.register(model_dir)
        elif not _registered(registry, artifact_id):
            verdict["recorded_in_registry"] = False
    if verdict["recorded_in_registry"]:
        registry.record_verdict(artifact_id, verdict["passed"], verdict)
    (out / "verdict.json").write_text(json.dumps(verdict, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return verdict


def _registered(registry: Any, artifact_id: str) -> bool:
    try:
        registry.get(artifact_id)
    except DeshiError:
        return False
    return True
