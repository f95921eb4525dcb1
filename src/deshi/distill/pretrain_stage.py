"""Pipeline stage ``pretrain``: the demo teacher, a small Llama trained from scratch on the curated corpus.

Output: ``workspace/pretrain/model`` — a self-contained ``save_pretrained`` directory (weights,
config, tokenizer files, manifest.json with lineage to the dataset and tokenizer). Checkpoints live in
``workspace/pretrain/run`` so an interrupted run resumes.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from pydantic import Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.stages import StageContext, StageError, StageResult


class Config(StageConfig):
    dataset: Path | None = Field(None, description="Dataset to train on (default: the curate stage's output).")
    tokenizer: Path | None = Field(None, description="Tokenizer directory (default: the tokenizer stage's output).")
    qa_file: str | None = Field(
        None,
        description="JSONL of question/answer pairs rendered in the prompt format and mixed in, so the teacher "
        "can answer questions; a relative path is looked up in the demo_data artifact.",
    )
    qa_repeat: int = Field(4, ge=0, description="How many times the QA pairs are repeated in the mix.")
    max_docs: int | None = Field(None, ge=1, description="Use at most this many documents.")
    heldout_fraction: float = Field(0.05, ge=0, lt=1, description="Documents held out for perplexity.")
    hidden_size: int = Field(256, ge=8)
    num_hidden_layers: int = Field(6, ge=1)
    num_attention_heads: int = Field(4, ge=1)
    num_key_value_heads: int = Field(2, ge=1)
    intermediate_size: int = Field(704, ge=8)
    tie_word_embeddings: bool = True
    seq_len: int = Field(256, ge=8, description="Tokens per training block.")
    batch_size: int = Field(8, ge=1)
    grad_accum: int = Field(1, ge=1)
    steps: int | None = Field(None, ge=1, description="Optimizer steps (default: `epochs` over the data).")
    epochs: float = Field(3.0, gt=0, description="Passes over the data when `steps` is not set.")
    lr: float = Field(2e-3, gt=0)
    warmup_steps: int = Field(30, ge=0)
    eval_every: int = Field(100, ge=1)
    checkpoint_every: int = Field(100, ge=1)
    precision: str = Field("fp32", pattern="^(fp32|bf16)$")
    seed: int | None = Field(None, description="Default: the pipeline seed.")


def run_pretrain(config: Config, dataset: Path, tokenizer_dir: Path, stage_dir: Path, seed: int, qa_base: Path | None = None, show_progress: bool = True):
    """Train and write the model artifact; returns (artifact_dir, summary dict)."""
    from deshi.distill.modelio import load_tokenizer, save_model_dir
    from deshi.distill.pretrain import Architecture, pretrain, split_documents
    from deshi.distill.quality import load_qa, perplexity
    from deshi.distill.reporting import loss_curve_html
    from deshi.distill.trainer import TrainConfig
    from deshi.report import table_html, write_html

    started = time.perf_counter()
    tokenizer = load_tokenizer(tokenizer_dir)
    documents, heldout = split_documents(dataset, config.heldout_fraction, config.max_docs)
    if not documents:
        raise StageError(f"pretrain: dataset {dataset} has no documents with text")
    qa_pairs: list[tuple[str, str]] = []
    qa_path = None
    if config.qa_file:
        qa_path = Path(config.qa_file)
        if not qa_path.is_absolute() and qa_base is not None and (qa_base / qa_path).is_file():
            qa_path = qa_base / qa_path
        qa_pairs = [(item["question"], item["answer"]) for item in load_qa(qa_path)]
    arch = Architecture(
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads,
        num_key_value_heads=config.num_key_value_heads,
        intermediate_size=config.intermediate_size,
        tie_word_embeddings=config.tie_word_embeddings,
        max_position_embeddings=max(1024, config.seq_len),
    )
    steps = config.steps or 1  # with `epochs`, pretrain() derives the step count from the packed data
    cfg = TrainConfig(
        mode="ce",
        batch_size=config.batch_size,
        grad_accum=config.grad_accum,
        max_steps=steps,
        lr=config.lr,
        warmup_steps=config.warmup_steps if config.steps is None else min(config.warmup_steps, steps // 2),
        eval_every=config.eval_every,
        checkpoint_every=config.checkpoint_every,
        precision=config.precision,
        seed=seed,
    )
    run_dir = stage_dir / "run"
    model, result, counts = pretrain(
        tokenizer, documents, qa_pairs, heldout, arch, cfg, config.seq_len, run_dir, config.qa_repeat, show_progress,
        epochs=None if config.steps is not None else config.epochs,
    )
    from deshi.distill.trainer import unwrap

    model = unwrap(model)
    out = stage_dir / "model"
    shutil.rmtree(out, ignore_errors=True)
    save_model_dir(model, tokenizer, out)
    ppl = perplexity(model, tokenizer, heldout, config.seq_len) if heldout else None
    seconds = time.perf_counter() - started
    counts = {**counts, "steps": result.steps, "tokens_seen": result.tokens}
    metrics = {
        "final_train_loss": result.final_train_loss,
        "final_eval_loss": result.final_eval_loss,
        "heldout_perplexity": ppl,
        "tokens_per_second": result.tokens_per_second,
    }
    inputs = [describe_input(dataset), describe_input(tokenizer_dir)] + ([describe_input(qa_path)] if qa_path else [])
    write_manifest(out, Manifest("pretrain", config, inputs, counts, {"train_s": seconds}, seed, {"metrics": metrics, "resumed_from_step": result.resumed_from}))
    report = write_html(
        stage_dir / "report.html",
        "deshi pretrain — demo teacher",
        [
            ("What this is", "<p>A small Llama trained from scratch on the curated corpus so the demo has a teacher that knows its facts. "
             "Real deployments bring their own teacher (any Hugging Face causal-LM directory).</p>"),
            ("Model", table_html(["field", "value"], [(k, v) for k, v in {**counts, **metrics}.items()])),
            ("Loss curves", loss_curve_html({"teacher": result.history}, "pretrain")),
        ],
    )
    return out, {"counts": counts, "metrics": metrics, "seconds": seconds, "report": report}


def run(config: Config, ctx: StageContext) -> StageResult:
    stage_dir = ctx.stage_dir("pretrain")
    dataset = config.dataset or ctx.require("curate")
    tokenizer_dir = config.tokenizer or ctx.require("tokenizer")
    qa_base = ctx.outputs.get("demo_data")
    seed = config.seed if config.seed is not None else ctx.seed
    out, summary = run_pretrain(config, Path(dataset), Path(tokenizer_dir), stage_dir, seed, qa_base)
    c, m = summary["counts"], summary["metrics"]
    ppl = f"{m['heldout_perplexity']:.1f}" if m["heldout_perplexity"] else "n/a"
    return StageResult(
        out,
        [
            f"teacher: {c['parameters'] / 1e6:.1f}M-parameter Llama, {c['steps']} steps over {c['documents']} documents "
            f"+ {c['qa_pairs']} QA pairs; held-out perplexity {ppl} ({summary['seconds']:.0f}s)"
        ],
        summary["report"],
        m,
    )
