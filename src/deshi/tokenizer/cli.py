"""``deshi tokenizer train | extend | report``: each writes an artifact directory with a manifest."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from deshi.cli_config import ConfigOpt, SetOpt, load_stage_config

console = Console()
tokenizer_app = typer.Typer(help="Train, extend and compare Japanese tokenizers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tokenizer_app, name="tokenizer")


@tokenizer_app.command("train")
def train(
    dataset: Path = typer.Argument(..., help="Curated dataset: .jsonl/.jsonl.gz/.parquet file or artifact dir."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (a Hugging Face tokenizer dir)."),
    vocab_size: int = typer.Option(None, "--vocab-size", help="Vocabulary size [default: 8000; 32000 for large corpora]."),
    model_type: str = typer.Option(None, "--model-type", help="bpe (default) or unigram."),
    presegment: bool = typer.Option(None, "--presegment/--no-presegment", help="Train on MeCab morphemes so pieces never cross word boundaries [default: off, see docs/tokenizer.md]."),
    sample_docs: int = typer.Option(None, "--sample-docs", help="Train on a seeded sample of at most N documents."),
    character_coverage: float = typer.Option(None, "--character-coverage", help="Character coverage [default 0.9995]."),
    japanese_charset: bool = typer.Option(None, "--japanese-charset/--no-japanese-charset", help="Reserve kana + JIS level-1 kanji as pieces [default: on; needs vocab >= ~3500]."),
    seed: int = typer.Option(None, "--seed", help="Sampling seed [default 0]."),
    baseline_bpe: bool = typer.Option(False, "--baseline-bpe", help="Also train a byte-level BPE peer into OUT/baseline_bpe."),
    japanese: Path = typer.Option(None, "--japanese", help="Held-out Japanese set to report fertility on."),
    english: Path = typer.Option(None, "--english", help="Held-out English set to report fertility on."),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
) -> None:
    """Train a SentencePiece tokenizer on a dataset and export it as a Hugging Face tokenizer directory.

    Example: deshi tokenizer train workspace/curate --out tok --vocab-size 32000 --japanese heldout.jsonl
    Example: deshi tokenizer train workspace/curate --out tok --config tokenizer.yaml --set character_coverage=0.9999
    """
    from deshi.tokenizer.stage import Config, build_artifact

    overrides = {
        "vocab_size": vocab_size, "model_type": model_type, "presegment": presegment, "sample_docs": sample_docs,
        "character_coverage": character_coverage, "seed": seed, "japanese_charset": japanese_charset,
        # --baseline-bpe turns the peer on; without the flag a config file decides, and a bare command skips it.
        "baseline_bpe": True if baseline_bpe else (None if config else False),
    }
    cfg = load_stage_config(Config, config, overrides, set_)
    with console.status(f"training a {cfg.model_type} tokenizer (vocab {cfg.vocab_size}) on {dataset} …"):
        result = build_artifact(cfg, dataset, out, cfg.seed or 0, japanese, english)
    for line in result.summary:
        console.print(line)
    console.print(f"[green]wrote[/green] {out} (AutoTokenizer.from_pretrained('{out}'))")


@tokenizer_app.command("extend")
def extend(
    base: Path = typer.Option(..., "--base", help="Base model directory (save_pretrained model + tokenizer)."),
    dataset: Path = typer.Option(..., "--dataset", help="Dataset to learn the new Japanese tokens from."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory for the extended model and tokenizer."),
    new_tokens: int = typer.Option(8000, "--new-tokens", min=1, help="How many tokens to add."),
    init: str = typer.Option("mean-of-pieces", "--init", help="mean-of-pieces or mean-of-all."),
    sample_docs: int = typer.Option(50_000, "--sample-docs", help="Learn from a seeded sample of at most N documents."),
    all_scripts: bool = typer.Option(False, "--all-scripts", help="Also add ASCII-only tokens (default: Japanese/non-ASCII only)."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
) -> None:
    """Add Japanese tokens learned from a dataset to a HF tokenizer and model (embeddings resized and initialised).

    Example: deshi tokenizer extend --base models/base --dataset workspace/curate --out models/base-ja --new-tokens 8000
    """
    from deshi.artifacts import Manifest, describe_input, write_manifest
    from deshi.tokenizer.errors import TokenizerError
    from deshi.tokenizer.extend import ExtendOptions, extend_tokenizer_and_model

    if init not in ("mean-of-pieces", "mean-of-all"):
        raise TokenizerError(f"--init must be mean-of-pieces or mean-of-all (got {init!r})")
    options = ExtendOptions(new_tokens, init, sample_docs, not all_scripts, seed)  # type: ignore[arg-type]
    with console.status(f"learning {new_tokens} tokens from {dataset} …"):
        summary = extend_tokenizer_and_model(base, dataset, out, options)
    counts = {"base_rows": summary.base_vocab, "new_rows": summary.new_vocab, "added_tokens": len(summary.added), "documents": summary.documents}
    write_manifest(out, Manifest("tokenizer_extend", vars(options), [describe_input(base), describe_input(dataset)], counts, summary.timings, seed, {"model_type": summary.model_type}))
    console.print(f"added {len(summary.added)} tokens to the {summary.model_type} tokenizer: embeddings {summary.base_vocab} -> {summary.new_vocab} rows ({init})")
    console.print(f"[green]wrote[/green] {out}")


@tokenizer_app.command("report")
def report(
    tokenizers: list[str] = typer.Argument(..., help="Tokenizers: HF dirs or SentencePiece .model files, optionally NAME=PATH."),
    japanese: Path = typer.Option(None, "--japanese", help="Held-out Japanese dataset (.jsonl …)."),
    english: Path = typer.Option(None, "--english", help="Held-out English dataset (.jsonl …)."),
    out: Path = typer.Option(Path("tokenizer-report.html"), "--out", "-o", help="HTML report path; fertility.json and manifest.json go beside it in a directory named after it."),
    limit: int = typer.Option(2000, "--limit", help="At most N documents per language."),
) -> None:
    """Compare tokenizers side by side: chars/token, tokens/word, byte-token rate, round-trip exactness.

    Example: deshi tokenizer report workspace/tokenizer workspace/tokenizer/baseline_bpe --japanese heldout.jsonl --english heldout_en.jsonl --out report.html
    """
    from deshi.artifacts import Manifest, describe_input, write_manifest
    from deshi.tokenizer.build import read_texts
    from deshi.tokenizer.errors import TokenizerError
    from deshi.tokenizer.fertility import HEADERS, measure_all, rows, write_report
    from deshi.tokenizer.loading import load_tokenizer, parse_spec

    if japanese is None and english is None:
        raise TokenizerError("give at least one held-out set: --japanese FILE and/or --english FILE")
    started = time.perf_counter()
    loaded = [load_tokenizer(spec) for spec in tokenizers]
    corpora = {"ja": read_texts(japanese, limit), "en": read_texts(english, limit)}
    results = measure_all(loaded, corpora)
    artifact = out.with_suffix("") if out.suffix else out.with_name(out.name + "_report")
    artifact.mkdir(parents=True, exist_ok=True)
    write_report(results, artifact / "report.html", [f"held-out Japanese: {japanese}", f"held-out English: {english}"])
    (artifact / "fertility.json").write_text(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    inputs = [describe_input(parse_spec(s)[1]) for s in tokenizers] + [describe_input(p) for p in (japanese, english) if p]
    write_manifest(artifact, Manifest("tokenizer_report", {"tokenizers": tokenizers, "limit": limit}, inputs,
                                      {"tokenizers": len(loaded)}, {"report_s": time.perf_counter() - started}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes((artifact / "report.html").read_bytes())
    table = Table(title="tokenizer fertility")
    for header in HEADERS:
        table.add_column(header)
    for row in rows(results):
        table.add_row(*[str(c) for c in row])
    console.print(table)
    console.print(f"[green]wrote[/green] {out} (artifact: {artifact})")
