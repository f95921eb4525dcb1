"""Pipeline stage ``gate``: pass or fail the distilled student against its teacher.

Reads ``eval/student`` and ``eval/teacher`` (the eval stage's artifact), applies the gate file
(teacher-relative floors and non-inferiority, safety ceilings, latency and cost budgets), writes
``gate/verdict.json``, ``gate/report.html`` and ``gate/summary.md``, and records the verdict in the
registry against the student's artifact id — the serve stage refuses a model without a passing one.
A failing gate does not stop the pipeline (serving decides, and a forced serve is audited); a gate
that cannot be evaluated (missing task, bad gate file) is a stage error.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.stages import StageContext, StageError, StageResult


class Config(StageConfig):
    gate: Path = Field(Path("examples/demo/gate.yaml"), description="Gate file (floors, ceilings, budgets).")
    candidate: str = Field("student", description="Sub-directory of the eval artifact holding the candidate's results.")
    baseline: str | None = Field("teacher", description="Sub-directory of the eval artifact used as baseline.")


def run(config: Config, ctx: StageContext) -> StageResult:
    from deshi.evals.gate import gate_release

    eval_dir = Path(ctx.require("eval"))
    model_dir = Path(ctx.require("distill"))
    out = ctx.stage_dir("gate")
    if not config.gate.is_file():
        raise StageError(f"gate file {config.gate} not found")
    started = time.perf_counter()
    baseline = eval_dir / config.baseline if config.baseline else None
    verdict = gate_release(eval_dir / config.candidate, config.gate, model_dir=model_dir, baseline=baseline,
                           registry=ctx.registry, out_dir=out)
    if verdict["status"] == "error":
        broken = [f"{c['name']}: {c['detail']}" for c in verdict["checks"] if c["status"] == "error"]
        raise StageError("the gate could not be evaluated: " + "; ".join(broken))
    failed = [c for c in verdict["checks"] if c["status"] == "fail"]
    counts = {"checks": len(verdict["checks"]), "failed": len(failed), "passed": int(verdict["passed"])}
    write_manifest(out, Manifest("gate", config, [describe_input(eval_dir), describe_input(model_dir),
                                                  describe_input(config.gate)], counts,
                                 {"gate_s": time.perf_counter() - started}, ctx.seed,
                                 {"model_artifact_id": verdict["model_artifact_id"], "status": verdict["status"]}))
    head = (f"{verdict['status'].upper()}: student {verdict['model_artifact_id']} "
            f"({len(verdict['checks']) - len(failed)}/{len(verdict['checks'])} checks passed); report {verdict['report']}")
    lines = [head] + [f"failed {c['name']} ({c['kind']}): {c['value'] if c['value'] is None else round(c['value'], 4)} "
                      f"vs {c['threshold']}" for c in failed]
    return StageResult(out, lines, Path(verdict["report"]), {"passed": verdict["passed"], "failed_checks": len(failed)})
