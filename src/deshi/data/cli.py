"""``deshi curate``: run the curation pipeline, and evaluate the PII recognisers."""

from __future__ import annotations

from pathlib import Path

import typer

from deshi.cli_config import ConfigOpt, SetOpt, load_stage_config
from deshi.data.config import CurateConfig

# What each curate phase's progress bar counts: phase 1 runs on work units, the write phase on
# output shards (several units make one shard when workers > 1).
PROGRESS_COUNTS = {"filter": "units", "write": "shards"}


def curate_command(
    input: str = typer.Argument(..., help="A .jsonl / .jsonl.gz / .parquet file, a glob (quote it) or a directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Artifact directory to write (data/, stats.json, manifest.json …)."),
    config: Path = ConfigOpt,
    workers: int = typer.Option(None, "--workers", "-j", min=1, help="Worker processes (config: workers)."),
    engine: str = typer.Option(None, "--engine", help="local or ray (config: engine)."),
    output_format: str = typer.Option(None, "--output-format", help="jsonl, jsonl.gz or parquet (config: output_format)."),
    shard_size: int = typer.Option(None, "--shard-size", min=1, help="Documents per shard (config: shard_size)."),
    text_field: str = typer.Option(None, "--text-field", help="Input field holding the text, e.g. content or body (config: text_field; default text)."),
    id_field: str = typer.Option(None, "--id-field", help="Input field holding the document id (config: id_field; default id, else file:line)."),
    encoding: str = typer.Option(None, "--encoding", help="Byte encoding of JSONL input, e.g. cp932 for Shift_JIS exports (config: encoding; default utf-8)."),
    keep_field: list[str] = typer.Option(None, "--keep-field", help="Another input field to carry into meta, e.g. url (repeatable; config: keep_fields). Not redacted."),
    set_: list[str] = SetOpt,
) -> None:
    """Normalise, filter, redact PII and deduplicate documents into a dataset artifact; resumable.

    Re-running the same command after an interruption (even SIGKILL) resumes and writes exactly the
    output an uninterrupted run would have written.

    Example: deshi curate run corpus.jsonl --out workspace/curated --workers 2
    Example: deshi curate run corpus.jsonl --out workspace/curated --config curate.yaml --set dedup.threshold=0.85
    Example: deshi curate run export_sjis.jsonl --out curated --encoding cp932 --text-field body --keep-field url
    """
    from deshi.data.executor import make_executor
    from deshi.data.worker_init import limit_native_threads

    # This process runs work units too (one process per core): one BLAS/OpenMP thread, set before
    # NumPy is imported below (see deshi.data.worker_init).
    limit_native_threads()
    cfg = load_stage_config(CurateConfig, config, {"workers": workers, "engine": engine, "output_format": output_format,
                                                   "shard_size": shard_size, "text_field": text_field, "id_field": id_field,
                                                   "encoding": encoding, "keep_fields": keep_field or None}, set_)
    # Workers start now, before the heavy imports below, so their start-up overlaps ours.
    executor = make_executor(cfg.workers, cfg.engine, cfg.model_dump_json()).start()
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from deshi.data.runner import curate

        console = Console()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counting]}"),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            tasks: dict[str, int] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total, counting=PROGRESS_COUNTS.get(phase, ""))
                bar.update(tasks[phase], completed=done)

            result = curate(input, out, cfg, progress, executor, release_executor=True)
    finally:
        executor.close()
    stats = result.stats
    console.print(
        f"[green]done[/green] {stats['output']['documents']} documents kept of {stats['input']['records']} "
        f"({stats['input']['quarantined']} quarantined) → {out} ({result.artifact_id})"
    )
    console.print(f"stats: {out / 'stats.json'}   report: {result.report}")
    # result.hints (e.g. --text-field, --encoding) were logged as warnings by curate()


def pii_eval(
    corpus: Path = typer.Argument(..., help="corpus.jsonl with the documents (id, text)."),
    labels: Path = typer.Option(..., "--labels", help="labels.jsonl: doc_id, start, end, type per PII span."),
    decoys: Path = typer.Option(None, "--decoys", help="decoys.jsonl: spans that must NOT be detected."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the report (JSON) here."),
    text_field: str = typer.Option("text", "--text-field", help="Corpus field holding each document's text."),
    id_field: str = typer.Option("id", "--id-field", help="Corpus field holding the id that labels' doc_id names."),
) -> None:
    """Precision, recall and F1 per PII type of deshi's recognisers against labelled spans.

    Example: deshi curate pii-eval workspace/demo_data/corpus.jsonl --labels workspace/demo_data/labels.jsonl
    """
    from deshi.data.pii.cli_eval import pii_eval_command

    pii_eval_command(corpus, labels, decoys, out, text_field, id_field)


def register(app: typer.Typer) -> None:
    curate_app = typer.Typer(
        help="Curate raw documents into a clean, deduplicated, PII-free dataset (run, pii-eval).",
        no_args_is_help=True,
    )
    curate_app.command("run")(curate_command)
    curate_app.command("pii-eval")(pii_eval)
    app.add_typer(curate_app, name="curate")
