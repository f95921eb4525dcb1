"""``deshi curate pii-eval``: score the PII recognisers on a labelled corpus.

Kept here, next to the evaluation logic, so the curate CLI only has to register it::

    app.command("pii-eval")(pii_eval_command)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from deshi.data.pii.evaluate import evaluate, format_report, to_json


def pii_eval_command(
    corpus: Path = typer.Argument(..., help="corpus JSONL: one {id, text} per line"),
    labels: Path = typer.Option(..., "--labels", help="labels JSONL: {doc_id, start, end, type, value} per PII occurrence"),
    decoys: Path | None = typer.Option(None, "--decoys", help="decoys JSONL (same shape): must NOT be flagged"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write the full JSON report (with misses) here"),
    # Annotated, so a direct call (tests, scripts) gets the plain defaults rather than typer's OptionInfo
    text_field: Annotated[str, typer.Option("--text-field", help="corpus field holding each document's text")] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="corpus field holding the id the labels' doc_id names")] = "id",
) -> None:
    """Score the PII recognisers: per-type precision/recall/F1, decoys flagged, misses.

    Example:
        deshi curate pii-eval workspace/demo_data/corpus.jsonl --labels workspace/demo_data/labels.jsonl \\
            --decoys workspace/demo_data/decoys.jsonl --out pii_eval.json
    """
    report = evaluate(corpus, labels, decoys, text_field=text_field, id_field=id_field)
    console = Console()
    console.print(format_report(report))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_json(report) + "\n", encoding="utf-8")
        console.print(f"report written to {out} ({len(report.misses)} misses, "
                      f"{len(report.false_positives)} false positives listed)")
