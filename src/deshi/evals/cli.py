"""``deshi eval`` and ``deshi gate``: evaluate a model, then pass or fail its release."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def _progress(console: Console):
    def report(what: str, n: int) -> None:
        console.print(f"[dim]· {what} ({n})[/dim]")

    return report


def eval_command(
    model: str = typer.Argument(..., help="HF model directory, or the model name on --endpoint."),
    tasks: list[Path] = typer.Option([], "--tasks", "-t", help="Task YAML files or directories of them (repeatable)."),
    out: Path = typer.Option(..., "--out", "-o", help="Results directory to write."),
    adapter: Path = typer.Option(None, "--adapter", help="PEFT adapter directory applied on top of MODEL."),
    endpoint: str = typer.Option(None, "--endpoint", help="OpenAI-compatible base URL (deshi gateway, vLLM)."),
    api_key: str = typer.Option(None, "--api-key", envvar="DESHI_API_KEY", help="Bearer token for --endpoint."),
    batch_size: int = typer.Option(32, "--batch-size", min=1,
                                   help="Sequences generated at once / examples per forward pass (HF backend)."),
    limit: int = typer.Option(None, "--limit", min=1, help="Evaluate only the first N examples of each task."),
    probes: bool = typer.Option(True, "--probes/--no-probes", help="Run the safety probes."),
    probe_family: list[str] = typer.Option([], "--probe-family", help="Only these probe families (repeatable)."),
    canaries: Path = typer.Option(None, "--canaries", help="canaries.jsonl of planted personal data (default: bundled)."),
    hardware_cost_per_hour: float = typer.Option(None, "--hardware-cost-per-hour", help="For cost per 1K tokens."),
    lm_eval_tasks: str = typer.Option(None, "--lm-eval", help="Comma-separated lm-evaluation-harness tasks to add."),
    lm_eval_include: Path = typer.Option(None, "--lm-eval-include", help="Directory of local lm-eval task YAMLs."),
    seed: int = typer.Option(0, "--seed", help="Seed for few-shot sampling and bootstrap."),
    resamples: int = typer.Option(1000, "--resamples", min=10, help="Bootstrap resamples for stderr."),
    threads: int = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: torch's choice)."),
) -> None:
    """Evaluate a model on tasks and safety probes, timing every request; writes a results directory.

    Example: deshi eval workspace/distill --tasks examples/demo/tasks --out workspace/eval/manual --hardware-cost-per-hour 1.2
    """
    from deshi.errors import DeshiError
    from deshi.evals.models import load_model
    from deshi.evals.probes import load_probes
    from deshi.evals.report import write_report
    from deshi.evals.runner import evaluate, load_results, write_results
    from deshi.evals.tasks import load_tasks

    if threads:
        import torch

        torch.set_num_threads(threads)
    if not tasks and not lm_eval_tasks and not probes:
        raise DeshiError("nothing to evaluate: pass --tasks, --lm-eval or leave probes on")
    loaded = load_tasks(list(tasks), limit) if tasks else []
    probe_list, canary_list = load_probes(canaries_path=canaries, families=probe_family or None) if probes else ([], [])
    mut = load_model(model, adapter=str(adapter) if adapter else None, batch_size=batch_size, endpoint=endpoint,
                     api_key=api_key)
    extra = {}
    if not endpoint and (Path(model) / "manifest.json").is_file():
        from deshi.artifacts import read_artifact_id

        extra["model_artifact_id"] = read_artifact_id(model)
    summary = evaluate(mut, loaded, out, probes=probe_list, canaries=canary_list, seed=seed, resamples=resamples,
                       hardware_cost_per_hour=hardware_cost_per_hour, progress=_progress(console), extra=extra)
    if lm_eval_tasks:
        if endpoint:
            raise DeshiError("--lm-eval runs lm-eval's in-process HF backend; it needs a model directory, not --endpoint")
        from deshi.evals.lm_eval_adapter import run_lm_eval

        names = [t.strip() for t in lm_eval_tasks.split(",") if t.strip()]
        converted = run_lm_eval(model, names, lm_eval_include, batch_size=batch_size, limit=limit, adapter=adapter, seed=seed)
        clash = sorted(set(converted) & set(summary["tasks"]))
        if clash:
            raise DeshiError(f"lm-eval task names clash with deshi tasks: {', '.join(clash)}")
        summary["tasks"].update(converted)
        write_results(Path(out), summary)
    html, _ = write_report(out, load_results(out))
    console.print(results_table(summary))
    console.print(f"results: [bold]{Path(out) / 'results.json'}[/bold]  report: [bold]{html}[/bold]")


def results_table(summary: dict) -> Table:
    table = Table(title="evaluation")
    for column in ("task / probe", "metric", "value", "stderr", "n", "errors"):
        table.add_column(column)
    for task, block in summary["tasks"].items():
        for metric, m in block["metrics"].items():
            table.add_row(task, metric, _f(m["value"]), _f(m["stderr"]), str(m["n"]), str(block["errors"]))
    for family, p in summary.get("probes", {}).items():
        table.add_row(f"probe:{family}", "attack success", _f(p["asr"]), _f(p["stderr"]), str(p["n"]), str(p["errors"]))
    lat = summary.get("latency", {})
    if lat.get("requests"):
        table.add_row("latency", "e2e p50/p95/p99 ms",
                      "/".join(_f(lat["e2e_ms"][k]) for k in ("p50", "p95", "p99")), "", str(lat["requests"]), "")
        table.add_row("latency", "TTFT p50 ms / tokens/s", f"{_f(lat['ttft_ms']['p50'])} / {_f(lat['tokens_per_s'])}", "", "", "")
    return table


def _f(x: object) -> str:
    return "n/a" if x is None else (f"{x:.4g}" if isinstance(x, float) else str(x))


def verdict_table(verdict: dict) -> Table:
    colour = {"pass": "green", "fail": "red", "error": "yellow"}
    table = Table(title=f"deshi gate: [{colour[verdict['status']]}]{verdict['status'].upper()}[/]")
    for column in ("check", "kind", "value", "threshold", "verdict", "detail"):
        table.add_column(column, overflow="fold")
    for c in verdict["checks"]:
        table.add_row(c["name"], c["kind"], _f(c["value"]), c["threshold"],
                      f"[{colour[c['status']]}]{c['status'].upper()}[/]", c["detail"])
    return table


def gate_command(
    results: Path = typer.Option(..., "--results", "-r", help="Results directory written by `deshi eval`."),
    gate: Path = typer.Option(..., "--gate", "-g", help="gate.yaml: floors, non-inferiority, ceilings, budgets."),
    model: Path = typer.Option(None, "--model", "-m", help="Model artifact directory the verdict is recorded against."),
    baseline: Path = typer.Option(None, "--baseline", help="Baseline results dir (overrides gate.yaml's baseline)."),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write verdict.json and the report (default: --results)."),
    workspace: Path = typer.Option(Path("workspace"), "--workspace", "-w", help="Workspace holding registry.db."),
    registry_url: str = typer.Option(None, "--registry-url", envvar="DESHI_REGISTRY_URL", help="SQLAlchemy URL."),
) -> None:
    """Pass or fail a release: exit 0 pass, 1 fail, 2 error; prints every check and records the verdict.

    Example: deshi gate --results workspace/eval/student --gate examples/demo/gate.yaml --model workspace/distill
    """
    from deshi.evals.gate import exit_code, gate_release
    from deshi.registry import Registry

    registry = Registry.open(workspace, registry_url)
    try:
        verdict = gate_release(results, gate, model_dir=model, baseline=baseline, registry=registry, out_dir=out)
    finally:
        registry.close()
    console.print(verdict_table(verdict))
    console.print(f"verdict: [bold]{Path(out or results) / 'verdict.json'}[/bold]  report: [bold]{verdict.get('report')}[/bold]")
    if verdict["recorded_in_registry"]:
        console.print(f"recorded against {verdict['model_artifact_id']} in {registry.url}")
    else:
        console.print("[yellow]not recorded in the registry: pass --model MODEL_DIR (a deshi model artifact)[/yellow]")
    raise typer.Exit(exit_code(verdict["status"]))


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("gate")(gate_command)
