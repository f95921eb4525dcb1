"""Pre-train a small Llama-architecture causal LM from scratch — the demo's teacher (and test fixtures).

This exists so the demo has a real teacher that knows the demo corpus: real deployments bring their
own teacher (any Hugging Face causal-LM directory works everywhere in deshi). The model is trained on
the curated documents with the deshi tokenizer, plus optional question/answer pairs rendered in the
shared prompt format so the teacher can *answer* questions, not only continue documents.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deshi.dataset import iter_texts
from deshi.distill.packing import pack, render_example
from deshi.distill.trainer import PackedSource, TrainConfig, TrainResult, train


@dataclass
class Architecture:
    hidden_size: int = 256
    num_hidden_layers: int = 6
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 704
    tie_word_embeddings: bool = True
    max_position_embeddings: int = 1024
    rope_theta: float = 10000.0


def llama_config(tokenizer, arch: Architecture):
    """A LlamaConfig sized to the tokenizer (vocab = len(tokenizer), special ids from it)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=arch.hidden_size,
        intermediate_size=arch.intermediate_size,
        num_hidden_layers=arch.num_hidden_layers,
        num_attention_heads=arch.num_attention_heads,
        num_key_value_heads=arch.num_key_value_heads,
        max_position_embeddings=arch.max_position_embeddings,
        tie_word_embeddings=arch.tie_word_embeddings,
        rope_parameters={"rope_type": "default", "rope_theta": arch.rope_theta},
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    )


def split_documents(dataset: Path, heldout_fraction: float, max_docs: int | None = None) -> tuple[list[str], list[str]]:
    """Documents → (train, held-out) by a stable hash of the text, so the split never depends on order."""
    train_docs, heldout = [], []
    for text in iter_texts(dataset, max_docs):
        bucket = zlib.crc32(text.encode("utf-8")) % 10_000
        (heldout if bucket < heldout_fraction * 10_000 else train_docs).append(text)
    return train_docs, heldout


def pretrain(
    tokenizer,
    documents: list[str],
    qa_pairs: list[tuple[str, str]],
    heldout: list[str],
    arch: Architecture,
    cfg: TrainConfig,
    seq_len: int,
    run_dir: Path,
    qa_repeat: int = 4,
    show_progress: bool = True,
    stop_after: int | None = None,
    epochs: float | None = None,
) -> tuple[Any, TrainResult, dict[str, int]]:
    """Train a fresh model; returns (model, result, counts). Resumes from ``run_dir`` checkpoints.

    With ``epochs`` the step count is derived from the packed data (documents + repeated QA pairs).
    """
    import dataclasses
    import math

    import torch
    from transformers import AutoModelForCausalLM

    rng = random.Random(cfg.seed)
    examples: list[str | tuple[str, str]] = list(documents)
    for _ in range(qa_repeat):
        examples += [render_example(q, a) for q, a in qa_pairs]
    rng.shuffle(examples)
    packed = pack(tokenizer, examples, seq_len)
    eval_packed = pack(tokenizer, heldout, seq_len) if heldout else None
    if epochs is not None:
        steps = max(1, math.ceil(epochs * len(packed) / (cfg.batch_size * cfg.grad_accum)))
        cfg = dataclasses.replace(cfg, max_steps=steps, warmup_steps=min(cfg.warmup_steps, steps // 2))
    import hashlib

    digest = hashlib.sha256(packed.input_ids.tobytes())
    digest.update(repr(dataclasses.asdict(arch)).encode())
    cfg = dataclasses.replace(cfg, fingerprint=digest.hexdigest())  # resume only the same data + model
    torch.manual_seed(cfg.seed)
    model = AutoModelForCausalLM.from_config(llama_config(tokenizer, arch))
    result = train(
        model,
        PackedSource(packed),
        run_dir,
        cfg,
        eval_source=PackedSource(eval_packed) if eval_packed is not None else None,
        eos_id=tokenizer.eos_token_id,
        show_progress=show_progress,
        description="pretrain",
        stop_after=stop_after,
        on_mismatch="restart",
    )
    counts = {
        "documents": len(documents),
        "qa_pairs": len(qa_pairs),
        "heldout_documents": len(heldout),
        "train_blocks": len(packed),
        "train_tokens_per_epoch": packed.tokens,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return model, result, counts
