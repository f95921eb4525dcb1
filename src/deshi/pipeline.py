"""Runs the stages of a pipeline file in order, skipping those whose inputs and config are unchanged.

A stage's fingerprint is the hash of its config, the seed, the deshi version and the manifest hashes of
the artifacts it consumes. When it matches the one recorded for the stage's last successful run, and
that artifact's manifest is intact, the stage is skipped: re-running the demo after a change to one
stage re-runs that stage and those downstream of it, nothing else.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from deshi import __version__
from deshi.artifacts import ArtifactError, manifest_sha256
from deshi.config import LoadedPipeline, load_pipeline
from deshi.registry import Registry
from deshi.report import write_index_report
from deshi.stages import STAGES, StageContext, StageResult, get_stage

STATE_FILE = "pipeline-state.json"


def _fingerprint(name: str, config: Any, seed: int, inputs: dict[str, str]) -> str:
    body = json.dumps(
        {"stage": name, "config": config.model_dump(mode="json"), "seed": seed, "inputs": inputs, "v": __version__},
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _load_state(workspace: Path) -> dict[str, Any]:
    path = workspace / STATE_FILE
    if path.is_file():
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return {}
    return {}


def _save_state(workspace: Path, state: dict[str, Any]) -> None:
    tmp = workspace / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(workspace / STATE_FILE)


def plan_table(loaded: LoadedPipeline) -> Table:
    table = Table(title=f"pipeline plan ({loaded.path})")
    table.add_column("#")
    table.add_column("stage")
    table.add_column("what it does")
    table.add_column("status")
    for index, stage in enumerate(STAGES, 1):
        if stage.name in loaded.stages:
            status = "[green]will run[/green]"
        elif stage.available():
            status = "[yellow]available, not in this pipeline[/yellow]"
        else:
            status = "[dim]not built yet[/dim]"
        table.add_row(str(index), stage.name, stage.summary, status)
    return table


def run_pipeline(
    path: Path | str,
    workspace: Path | None = None,
    only: list[str] | None = None,
    force: bool = False,
    console: Console | None = None,
) -> dict[str, StageResult]:
    """Run every stage of the pipeline file in table order; returns each stage's result."""
    console = console or Console()
    loaded = load_pipeline(path)
    pipe = loaded.pipeline
    root = Path(workspace or pipe.workspace)
    root.mkdir(parents=True, exist_ok=True)
    registry = Registry.open(root, pipe.registry_url)
    ctx = StageContext(workspace=root, seed=pipe.seed, registry=registry, console=console)
    state = _load_state(root)
    console.print(plan_table(loaded))
    report_path = root / "report" / "index.html"
    console.print(f"The report will be written to [bold]{report_path}[/bold]\n")
    timings: dict[str, float] = {}
    try:
        for stage in STAGES:
            if stage.name not in loaded.stages:
                continue
            config = loaded.stages[stage.name]
            inputs = {}
            for need in stage.needs:
                if need in ctx.outputs:
                    try:
                        inputs[need] = manifest_sha256(ctx.outputs[need])
                    except ArtifactError:
                        inputs[need] = "missing"
            fingerprint = _fingerprint(stage.name, config, pipe.seed, inputs)
            previous = state.get(stage.name)
            selected = only is None or stage.name in only
            if previous and previous.get("fingerprint") == fingerprint and (not force or not selected) and _intact(previous):
                console.print(f"[dim]· {stage.name}: unchanged, skipped ({previous['artifact_dir']})[/dim]")
                result = StageResult(
                    Path(previous["artifact_dir"]) if previous.get("artifact_dir") else None,
                    previous.get("summary", []),
                    Path(previous["report"]) if previous.get("report") else None,
                    previous.get("metrics", {}),
                )
            elif not selected:
                console.print(f"[dim]· {stage.name}: not selected and no previous output; skipped[/dim]")
                continue
            else:
                console.rule(f"[bold]{stage.name}[/bold]: {stage.summary}")
                started = time.perf_counter()
                result = get_stage(stage.name).load().run(config, ctx)
                timings[stage.name] = time.perf_counter() - started
                if result.artifact_dir is not None:
                    registry.register(result.artifact_dir)
                state[stage.name] = {
                    "fingerprint": fingerprint,
                    "artifact_dir": str(result.artifact_dir) if result.artifact_dir else None,
                    "manifest_sha256": _safe_sha(result.artifact_dir),
                    "summary": result.summary,
                    "report": str(result.report) if result.report else None,
                    "metrics": result.metrics,
                }
                _save_state(root, state)
            if result.artifact_dir is not None:
                ctx.outputs[stage.name] = result.artifact_dir
            ctx.results[stage.name] = result
    finally:
        registry.close()
    write_index_report(report_path, ctx.results, timings)
    return ctx.results


def _safe_sha(artifact_dir: Path | None) -> str | None:
    if artifact_dir is None:
        return None
    try:
        return manifest_sha256(artifact_dir)
    except ArtifactError:
        return None


def _intact(previous: dict[str, Any]) -> bool:
    if not previous.get("artifact_dir"):
        return True
    return _safe_sha(Path(previous["artifact_dir"])) == previous.get("manifest_sha256")
