"""The ``deshi`` command line: a thin Typer layer over the library.

Stage packages add their own commands through ``register(app)`` in their ``cli`` module (listed in
``STAGE_CLI_MODULES``); this file holds the cross-cutting commands: version, demo, demo-data, pipeline,
artifacts and registry. User mistakes (``DeshiError``) print one red line and exit 2, never a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from deshi import __version__
from deshi.errors import DeshiError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    name="deshi",
    help=(
        "deshi (弟子): build, govern and serve sovereign Japanese language models on your own hardware.\n\n"
        "Stages: curate → tokenizer → pretrain/generate/distill → eval/gate → serve, chained by "
        "`deshi pipeline run pipeline.yaml`. Start with `deshi demo`."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Stage packages that contribute commands. Each module defines `register(app: typer.Typer) -> None`.
STAGE_CLI_MODULES = (
    "deshi.data.cli",
    "deshi.tokenizer.cli",
    "deshi.distill.cli",
    "deshi.specialise.cli",
    "deshi.evals.cli",
    "deshi.serve.cli",
)

WorkspaceOpt = typer.Option(Path("workspace"), "--workspace", "-w", help="Workspace directory (holds registry.db).")
RegistryUrlOpt = typer.Option(
    None, "--registry-url", envvar="DESHI_REGISTRY_URL", help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db."
)


@app.callback()
def _main(
    log_json: bool = typer.Option(False, "--log-json", help="Log as JSON lines on stderr."),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    from deshi.log import configure

    configure(json_lines=log_json, level=log_level)


@app.command()
def version() -> None:
    """Print the deshi version.

    Example: deshi version
    """
    console.print(f"deshi {__version__}")


@app.command("demo-data")
def demo_data(
    out: Path = typer.Option(..., "--out", "-o", help="Directory to write corpus.jsonl, labels.jsonl, golden/ …"),
    docs: int = typer.Option(2000, "--docs", "-n", min=1, help="Number of documents."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed writes the same bytes."),
    malformed: int = typer.Option(0, "--malformed", min=0, help="Also write this many malformed JSONL lines."),
) -> None:
    """Write the bundled demo corpus: Japanese enterprise documents with labelled PII, duplicates and noise.

    Example: deshi demo-data --out data/demo --docs 10000 --seed 7 --malformed 5
    """
    from deshi.demo_data.stage import Config, write_artifact

    summary = write_artifact(Config(docs=docs, seed=seed, malformed=malformed), out)
    console.print(f"[green]wrote[/green] {summary['documents']} documents to {out} in {summary['seconds']:.1f}s")


@app.command()
def demo(
    workspace: Path = typer.Option(Path("workspace"), "--workspace", "-w", help="Where every stage writes."),
    pipeline: Path = typer.Option(None, "--pipeline", help="Pipeline file (default: the bundled demo pipeline)."),
    force: bool = typer.Option(False, "--force", help="Re-run stages even when their inputs are unchanged."),
) -> None:
    """Run the whole demo pipeline end to end on generated data and print where the report is.

    Example: deshi demo --workspace workspace
    """
    from deshi.pipeline import run_pipeline

    pipeline = pipeline or _demo_pipeline_path()
    results = run_pipeline(pipeline, workspace=workspace, force=force, console=console)
    console.rule("[bold green]demo finished")
    for name, result in results.items():
        for line in result.summary:
            console.print(f"[bold]{name}[/bold]: {line}")
    console.print(f"\nReport: [bold]{(workspace / 'report' / 'index.html').resolve()}[/bold]")
    console.print(f"Lineage: deshi registry list --workspace {workspace}; deshi registry lineage ID --workspace {workspace}")


def _demo_pipeline_path() -> Path:
    candidates = [Path("examples/demo/pipeline.yaml"), Path(__file__).resolve().parents[2] / "examples/demo/pipeline.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise DeshiError("the demo pipeline examples/demo/pipeline.yaml was not found; pass --pipeline FILE")


pipeline_app = typer.Typer(help="Validate and run pipeline files.", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("validate")
def pipeline_validate(file: Path = typer.Argument(..., help="pipeline.yaml")) -> None:
    """Check a pipeline file against every stage's config model; errors name file, line and field.

    Example: deshi pipeline validate examples/demo/pipeline.yaml
    """
    from deshi.config import load_pipeline
    from deshi.pipeline import plan_table

    loaded = load_pipeline(file)
    console.print(plan_table(loaded))
    console.print(f"[green]{file} is valid[/green] ({len(loaded.stages)} stages)")


@pipeline_app.command("run")
def pipeline_run(
    file: Path = typer.Argument(..., help="pipeline.yaml"),
    workspace: Path = typer.Option(None, "--workspace", "-w", help="Overrides the file's workspace."),
    only: list[str] = typer.Option(None, "--only", help="Run only these stages (others reuse earlier outputs)."),
    force: bool = typer.Option(False, "--force", help="Re-run stages even when unchanged."),
) -> None:
    """Run the stages of a pipeline file in order, skipping unchanged ones.

    Example: deshi pipeline run examples/demo/pipeline.yaml --only curate --force
    """
    from deshi.pipeline import run_pipeline

    run_pipeline(file, workspace=workspace, only=only or None, force=force, console=console)


artifacts_app = typer.Typer(help="Inspect and verify artifact directories.", no_args_is_help=True)
app.add_typer(artifacts_app, name="artifacts")


@artifacts_app.command("verify")
def artifacts_verify(directory: Path = typer.Argument(..., help="An artifact directory (has manifest.json).")) -> None:
    """Recompute every file's sha256 and compare with the manifest. Exit 1 on any difference.

    Example: deshi artifacts verify workspace/curate
    """
    from deshi.artifacts import verify

    report = verify(directory)
    for kind, names in (("changed", report.changed), ("missing", report.missing), ("extra", report.extra)):
        for name in names:
            console.print(f"[red]{kind}[/red] {name}")
    if not report.ok:
        raise typer.Exit(1)
    console.print(f"[green]ok[/green] {directory}: every file matches its manifest")


@artifacts_app.command("show")
def artifacts_show(directory: Path = typer.Argument(..., help="An artifact directory.")) -> None:
    """Print an artifact's manifest (stage, inputs, counts, timings).

    Example: deshi artifacts show workspace/curate
    """
    from deshi.artifacts import load_manifest

    console.print_json(json.dumps(load_manifest(directory), ensure_ascii=False))


registry_app = typer.Typer(help="The lineage registry (SQLite in the workspace, or PostgreSQL).", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


@registry_app.command("list")
def registry_list(
    workspace: Path = WorkspaceOpt,
    registry_url: str = RegistryUrlOpt,
    stage: str = typer.Option(None, "--stage", help="Only this stage."),
) -> None:
    """List registered artifacts.

    Example: deshi registry list --workspace workspace --stage curate
    """
    from deshi.registry import Registry

    registry = Registry.open(workspace, registry_url)
    table = Table(title="artifacts")
    table.add_column("id", no_wrap=True)
    table.add_column("stage")
    table.add_column("path", overflow="fold")
    table.add_column("counts")
    for record in registry.list(stage):
        counts = ", ".join(f"{k}={v}" for k, v in list(record.manifest.get("counts", {}).items())[:4])
        table.add_row(record.id, record.stage, record.path, counts)
    console.print(table)


@registry_app.command("show")
def registry_show(artifact_id: str = typer.Argument(..., help="Artifact id or unique prefix."), workspace: Path = WorkspaceOpt, registry_url: str = RegistryUrlOpt) -> None:
    """Show one artifact's manifest and its latest gate verdict.

    Example: deshi registry show curate-1a2b3c
    """
    from deshi.registry import Registry

    registry = Registry.open(workspace, registry_url)
    record = registry.get(artifact_id)
    console.print(f"[bold]{record.id}[/bold]  {record.path}")
    console.print_json(json.dumps(record.manifest, ensure_ascii=False))
    verdict = registry.latest_verdict(record.id)
    if verdict is not None:
        console.print(f"gate verdict: {'[green]PASS' if verdict['passed'] else '[red]FAIL'}")


@registry_app.command("lineage")
def registry_lineage(artifact_id: str = typer.Argument(..., help="Artifact id or unique prefix."), workspace: Path = WorkspaceOpt, registry_url: str = RegistryUrlOpt) -> None:
    """Print the chain from an artifact back to the raw data it came from.

    Example: deshi registry lineage distill-0f3c2a
    """
    from deshi.registry import Registry

    registry = Registry.open(workspace, registry_url)
    nodes = registry.lineage(artifact_id)
    tree = Tree(f"[bold]{nodes[0].ref}[/bold] {nodes[0].path}")
    branches = {0: tree}
    for node in nodes[1:]:
        if node.repeat:
            branches[node.depth] = branches[node.depth - 1].add(f"[dim]{node.ref} (expanded elsewhere in this tree)[/dim]")
            continue
        label = f"{node.ref}  {node.path}" if node.record else f"[yellow]{node.ref[:20]}…[/yellow] raw input {node.path}"
        if node.record is None and not node.ref.startswith("raw:"):
            label = f"[red]{node.ref}[/red] (not in this registry) {node.path}"
        branches[node.depth] = branches[node.depth - 1].add(label)
    console.print(tree)


def _register_stage_commands() -> None:
    for module_name in STAGE_CLI_MODULES:
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            importlib.import_module(module_name).register(app)


_register_stage_commands()


def main() -> None:
    try:
        app()
    except DeshiError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]; re-run the same command to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
