"""The three operations as artifact writers, shared by the CLI and the pipeline stage.

Each writes its files into one directory; the caller seals it with ``write_manifest`` last.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deshi.dataset import iter_texts
from deshi.log import get_logger
from deshi.tokenizer.errors import TokenizerError
from deshi.tokenizer.train import TrainOptions, TrainResult, train_from_dataset, write_tokenizer_dir

log = get_logger(__name__)

PARITY_SAMPLE = 200


@dataclass
class TrainSummary:
    out_dir: Path
    result: TrainResult
    parity_checked: int
    parity_mismatch: int
    timings: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {
            "documents_used": self.result.documents,
            "documents_seen": self.result.documents_seen,
            "characters": self.result.characters,
            "training_lines": self.result.lines,
            "hf_sp_parity_checked": self.parity_checked,
            "hf_sp_parity_mismatch": self.parity_mismatch,
        }


def train_tokenizer(dataset: Path | str, out_dir: Path, options: TrainOptions) -> TrainSummary:
    """Train, export the HF tokenizer and check that HF and SentencePiece ids agree on the data."""
    result = train_from_dataset(dataset, options)
    started = time.perf_counter()
    write_tokenizer_dir(result, out_dir)
    timings = {**result.timings, "export_s": time.perf_counter() - started}
    checked, mismatch = check_parity(out_dir, _sample(dataset, PARITY_SAMPLE, options.seed))
    if mismatch:
        log.warning("HF tokenizer and SentencePiece disagree on %d of %d documents", mismatch, checked)
    return TrainSummary(out_dir, result, checked, mismatch, timings)


def _sample(dataset: Path | str, count: int, seed: int) -> list[str]:
    texts = list(iter_texts(dataset, limit=count * 5))
    random.Random(seed).shuffle(texts)
    return texts[:count]


def check_parity(tokenizer_dir: Path, texts: Sequence[str]) -> tuple[int, int]:
    """(documents checked, documents where the HF ids differ from sentencepiece's)."""
    import sentencepiece as spm
    from transformers import AutoTokenizer

    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_dir / "sp.model"))
    hf = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    mismatch = sum(1 for t in texts if sp.encode(t) != hf.encode(t, add_special_tokens=False))
    return len(texts), mismatch


def read_texts(path: Path | str | None, limit: int | None = None) -> list[str]:
    if path is None:
        return []
    texts = list(iter_texts(path, limit=limit))
    if not texts:
        raise TokenizerError(f"held-out set {path} has no documents with text")
    return texts
