"""Pipeline stage ``tokenizer``: train on the curated dataset, compare with a byte-level BPE, report.

The artifact directory *is* the Hugging Face tokenizer directory (``AutoTokenizer.from_pretrained``
on it works), plus ``sp.model``, ``baseline_bpe/`` (the peer), ``fertility.json``, ``report.html``
and ``manifest.json``. Later stages (the demo teacher and student) load it from
``ctx.require("tokenizer")``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Literal

from pydantic import Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.stages import StageContext, StageResult
from deshi.tokenizer.train import TrainOptions


class Config(StageConfig):
    vocab_size: int = Field(8000, ge=300, description="Vocabulary size. The demo corpus (a few MB) supports ~8k; use 32k+ on real corpora.")
    model_type: Literal["unigram", "bpe"] = Field("bpe", description="SentencePiece model type (bpe: measured 1.51 vs 1.22 chars/token for unigram on independent Japanese at 32k).")
    presegment: bool = Field(False, description="Train on MeCab morphemes so pieces never cross word boundaries (off by default: measured 1.50 vs 2.86 chars/token on demo held-out text).")
    sample_docs: int | None = Field(200_000, ge=1, description="Train on a seeded sample of at most this many documents (null: all).")
    character_coverage: float = Field(0.9995, gt=0.9, le=1.0, description="Share of characters covered by single-character pieces; the rest use byte fallback.")
    japanese_charset: bool = Field(True, description="Always give kana and the 2,965 JIS level-1 kanji their own piece, seen in training or not (needs vocab_size >= ~3,600).")
    seed: int | None = Field(None, description="Sampling seed (default: the pipeline seed).")
    baseline_bpe: bool = Field(True, description="Also train a byte-level BPE of the same size on the same data and report it side by side.")
    heldout_docs: int = Field(2000, ge=1, description="At most this many held-out documents per language in the report.")

    def train_options(self, seed: int) -> TrainOptions:
        return TrainOptions(
            vocab_size=self.vocab_size,
            model_type=self.model_type,
            presegment=self.presegment,
            sample_docs=self.sample_docs,
            character_coverage=self.character_coverage,
            japanese_charset=self.japanese_charset,
            seed=self.seed if self.seed is not None else seed,
        )


def build_artifact(config: Config, dataset: Path, out: Path, seed: int, japanese: Path | None, english: Path | None) -> StageResult:
    """Train, optionally train the peer, report on held-out text and seal the artifact."""
    from deshi.tokenizer.baseline import train_byte_level_bpe
    from deshi.tokenizer.build import read_texts, train_tokenizer
    from deshi.tokenizer.fertility import measure_all, write_report
    from deshi.tokenizer.loading import load_tokenizer

    _prepare_output(out)
    options = config.train_options(seed)
    started = time.perf_counter()
    summary = train_tokenizer(dataset, out, options)
    timings = {**summary.timings, "total_train_s": time.perf_counter() - started}
    name = f"deshi-{config.model_type}-{config.vocab_size}"
    tokenizers = [load_tokenizer(f"{name}={out}")]
    if config.baseline_bpe:
        started = time.perf_counter()
        train_byte_level_bpe(summary.result.docs, config.vocab_size, out / "baseline_bpe")
        timings["baseline_bpe_s"] = time.perf_counter() - started
        tokenizers.append(load_tokenizer(f"byte-level-bpe-{config.vocab_size}={out / 'baseline_bpe'}"))
    corpora = {"ja": read_texts(japanese, config.heldout_docs), "en": read_texts(english, config.heldout_docs)}
    lines = [
        f"trained {name} on {summary.result.documents} documents ({summary.result.characters:,} chars) "
        f"in {timings['total_train_s']:.1f}s; HF ids == SentencePiece ids on "
        f"{summary.parity_checked - summary.parity_mismatch}/{summary.parity_checked} documents"
    ]
    report = None
    metrics: dict[str, float] = {}
    if any(corpora.values()):
        started = time.perf_counter()
        results = measure_all(tokenizers, corpora)
        timings["report_s"] = time.perf_counter() - started
        (out / "fertility.json").write_text(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        report = write_report(results, out / "report.html", [f"held-out Japanese: {japanese}", f"held-out English: {english}"])
        for r in results:
            metrics[f"{r.tokenizer}/{r.language}/chars_per_token"] = round(r.chars_per_token, 4)
            metrics[f"{r.tokenizer}/{r.language}/roundtrip"] = r.roundtrip
            lines.append(
                f"{r.tokenizer} on held-out {r.language}: {r.chars_per_token:.2f} chars/token, "
                f"{r.tokens_per_word:.2f} tokens/word, round trip {r.roundtrip:.1%}"
            )
    else:
        lines.append("no held-out text given: fertility report skipped")
    inputs = [describe_input(dataset)] + [describe_input(p) for p in (japanese, english) if p is not None]
    counts = {**summary.counts(), "vocab_size": config.vocab_size}
    write_manifest(out, Manifest("tokenizer", config, inputs, counts, timings, options.seed, {"metrics": metrics}))
    return StageResult(out, lines, report, metrics)


def _prepare_output(out: Path) -> None:
    """Empty ``out`` if it is a previous tokenizer artifact (stale files would enter the manifest).

    Any other non-empty directory is refused rather than deleted: ``--out .`` must not wipe a checkout.
    """
    from deshi.tokenizer.errors import TokenizerError

    if out.is_dir() and any(out.iterdir()):
        manifest = out / "manifest.json"
        try:
            previous = json.loads(manifest.read_text(encoding="utf-8")).get("stage") if manifest.is_file() else None
        except json.JSONDecodeError:
            previous = None
        if previous != "tokenizer":
            raise TokenizerError(f"{out} exists and is not a tokenizer artifact; choose an empty or new --out directory")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def run(config: Config, ctx: StageContext) -> StageResult:
    dataset = ctx.require("curate")
    demo = ctx.outputs.get("demo_data")
    japanese = demo / "heldout.jsonl" if demo and (demo / "heldout.jsonl").is_file() else None
    english = demo / "heldout_en.jsonl" if demo and (demo / "heldout_en.jsonl").is_file() else None
    return build_artifact(config, Path(dataset), ctx.stage_dir("tokenizer"), ctx.seed, japanese, english)
