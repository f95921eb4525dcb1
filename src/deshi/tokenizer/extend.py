"""Extend an existing Hugging Face tokenizer and model with Japanese tokens learned from a dataset.

Why not ``tokenizer.add_tokens``: added tokens are matched *before* the model, greedily, anywhere in
the text. An added ``京都`` would cut ``東京都`` into ``東`` + ``京都``, and the model would see token
sequences it was never trained on even for text the new tokens were not meant for. Instead the new
tokens go into the tokenizer's own model, with the same algorithm the base uses:

* **BPE** (GPT-2/Llama-3 byte-level or Llama-2 SentencePiece style): a BPE with the base's normaliser
  and pre-tokeniser is trained on the dataset; its merges that build a new token from two tokens the
  extended vocabulary already has are appended *after* all existing merges (lowest priority). BPE
  applies merges in rank order, so every old merge fires first: the new tokenization is the old one
  with some neighbouring tokens merged further, and text without the new tokens is unchanged.
* **Unigram** (SentencePiece unigram): a Unigram is trained on the dataset; its most probable pieces
  that the base lacks are appended with their learned log-probabilities.

New embedding rows (input embeddings and, when untied, the output layer) are initialised with the mean
of the rows of the base-tokenizer pieces that spell the new token (or the mean of all rows), which
keeps new tokens close to what the model already knows (the Swallow / "vocabulary expansion" recipe).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from deshi.dataset import iter_texts
from deshi.log import get_logger
from deshi.tokenizer.errors import TokenizerError
from deshi.tokenizer.loading import _BYTE_DECODER
from deshi.tokenizer.train import sample_documents

log = get_logger(__name__)

InitMethod = Literal["mean-of-pieces", "mean-of-all"]


@dataclass
class ExtendOptions:
    new_tokens: int = 8000
    init: InitMethod = "mean-of-pieces"
    sample_docs: int | None = 50_000
    japanese_only: bool = True
    seed: int = 0


@dataclass
class NewToken:
    token: str  # in the tokenizer model's own alphabet (byte-level characters, ``▁`` for spaces …)
    id: int
    pieces: list[int]  # ids of the base-tokenizer pieces that spell it


@dataclass
class ExtendSummary:
    out_dir: Path
    base_vocab: int
    new_vocab: int
    added: list[NewToken]
    model_type: str
    documents: int
    timings: dict[str, float] = field(default_factory=dict)


def _load_base(base: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not base.is_dir():
        raise TokenizerError(f"base model {base} does not exist or is not a directory")
    if not any((base / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        raise TokenizerError(f"base model {base} has no tokenizer (expected tokenizer.json); save one with tokenizer.save_pretrained")
    if not (base / "config.json").is_file():
        raise TokenizerError(f"base model {base} has no config.json; expected a save_pretrained model directory")
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    if not getattr(tokenizer, "is_fast", False) or not hasattr(tokenizer, "backend_tokenizer"):
        raise TokenizerError(f"base tokenizer in {base} is not a fast (tokenizers) tokenizer; extend needs tokenizer.json")
    model = AutoModelForCausalLM.from_pretrained(str(base))
    return tokenizer, model


def _token_text_bytes(token: str, byte_level: bool) -> bytes:
    if byte_level:
        return bytes(_BYTE_DECODER.get(ch, 0) for ch in token)
    return token.replace("▁", " ").encode("utf-8")


def _wanted(token: str, byte_level: bool, japanese_only: bool) -> bool:
    """Japanese-only mode keeps tokens with non-ASCII bytes (Japanese text and its UTF-8 fragments)."""
    if not japanese_only:
        return True
    return any(b >= 0x80 for b in _token_text_bytes(token, byte_level))


def _trainer_copy(spec: dict[str, Any], model: Any) -> Any:
    """A tokenizer with the base's normaliser and pre-tokeniser but a fresh model to train."""
    from tokenizers import Tokenizer

    shell = dict(spec)
    shell["added_tokens"] = []
    shell["post_processor"] = None
    tokenizer = Tokenizer.from_str(json.dumps(shell))
    tokenizer.model = model
    return tokenizer


def _merge_pair(merge: Any) -> tuple[str, str]:
    if isinstance(merge, str):
        left, _, right = merge.partition(" ")
        return left, right
    return merge[0], merge[1]


def _extend_bpe(spec: dict[str, Any], texts: Sequence[str], options: ExtendOptions, next_id: int, byte_level: bool) -> list[tuple[str, int]]:
    from tokenizers import models, pre_tokenizers, trainers

    model_spec = spec["model"]
    vocab: dict[str, int] = model_spec["vocab"]
    alphabet = pre_tokenizers.ByteLevel.alphabet() if byte_level else []
    trainer = trainers.BpeTrainer(
        vocab_size=len(alphabet) + options.new_tokens * 4 + 1000, initial_alphabet=alphabet, show_progress=False
    )
    learner = _trainer_copy(spec, models.BPE(unk_token=model_spec.get("unk_token"), byte_fallback=bool(model_spec.get("byte_fallback"))))
    learner.train_from_iterator(texts, trainer=trainer)
    learned = json.loads(learner.to_str())["model"]["merges"]
    string_merges = bool(model_spec["merges"]) and isinstance(model_spec["merges"][0], str)
    added: list[tuple[str, int]] = []
    for merge in learned:
        left, right = _merge_pair(merge)
        token = left + right
        if token in vocab or left not in vocab or right not in vocab or not _wanted(token, byte_level, options.japanese_only):
            continue
        vocab[token] = next_id
        model_spec["merges"].append(f"{left} {right}" if string_merges else [left, right])
        added.append((token, next_id))
        next_id += 1
        if len(added) >= options.new_tokens:
            break
    return added


def _extend_unigram(spec: dict[str, Any], texts: Sequence[str], options: ExtendOptions, next_id: int, byte_level: bool) -> list[tuple[str, int]]:
    from tokenizers import models, trainers

    model_spec = spec["model"]
    vocab: list[list[Any]] = model_spec["vocab"]
    if next_id != len(vocab):
        raise TokenizerError("this Unigram tokenizer has added tokens after its vocabulary; new pieces cannot be appended without renumbering them")
    known = {piece for piece, _ in vocab}
    trainer = trainers.UnigramTrainer(vocab_size=options.new_tokens * 3 + 500, show_progress=False, max_piece_length=16)
    learner = _trainer_copy(spec, models.Unigram())
    learner.train_from_iterator(texts, trainer=trainer)
    learned = json.loads(learner.to_str())["model"]["vocab"]
    candidates = sorted(
        ((piece, score) for piece, score in learned if piece not in known and len(piece) > 1 and _wanted(piece, byte_level, options.japanese_only)),
        key=lambda item: -item[1],
    )[: options.new_tokens]
    added = []
    for piece, score in candidates:
        vocab.append([piece, score])
        added.append((piece, next_id))
        next_id += 1
    return added


def extend_tokenizer_and_model(base: Path, dataset: Path, out_dir: Path, options: ExtendOptions) -> ExtendSummary:
    """Learn ``options.new_tokens`` tokens, add them to tokenizer and model, save both into ``out_dir``."""
    import torch
    from tokenizers import Tokenizer

    if options.new_tokens < 1:
        raise TokenizerError("--new-tokens must be at least 1")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    tokenizer, model = _load_base(base)
    texts, _ = sample_documents(iter_texts(dataset), options.sample_docs, options.seed)
    if not texts:
        raise TokenizerError(f"dataset {dataset} has no documents with text; nothing to learn new tokens from")
    timings["load_s"] = time.perf_counter() - started

    base_json = tokenizer.backend_tokenizer.to_str()
    spec = json.loads(base_json)
    model_type = spec["model"]["type"]
    byte_level = "ByteLevel" in json.dumps([spec.get("pre_tokenizer"), spec.get("decoder")])
    next_id = max(tokenizer.get_vocab().values()) + 1
    started = time.perf_counter()
    if model_type == "BPE":
        added = _extend_bpe(spec, texts, options, next_id, byte_level)
    elif model_type == "Unigram":
        added = _extend_unigram(spec, texts, options, next_id, byte_level)
    else:
        raise TokenizerError(f"extend supports BPE and Unigram tokenizers; {base} uses {model_type}")
    timings["learn_s"] = time.perf_counter() - started
    if not added:
        raise TokenizerError(f"the dataset {dataset} yielded no tokens the base tokenizer does not already have")

    base_model = Tokenizer.from_str(base_json).model
    new_tokens = [NewToken(token, tid, [t.id for t in base_model.tokenize(token)]) for token, tid in added]

    started = time.perf_counter()
    input_emb = model.get_input_embeddings()
    output_emb = model.get_output_embeddings()
    old_rows = input_emb.weight.shape[0]
    tied = output_emb is not None and output_emb.weight.data_ptr() == input_emb.weight.data_ptr()
    model.resize_token_embeddings(max(old_rows, max(n.id for n in new_tokens) + 1), mean_resizing=False)
    matrices = [model.get_input_embeddings().weight]
    output_emb = model.get_output_embeddings()
    if output_emb is not None and not tied:
        matrices.append(output_emb.weight)
    with torch.no_grad():
        for weight in matrices:
            all_mean = weight[:old_rows].mean(dim=0)
            for new in new_tokens:
                if options.init == "mean-of-all" or not new.pieces:
                    weight[new.id] = all_mean
                else:
                    weight[new.id] = weight[new.pieces].mean(dim=0)
        bias = getattr(output_emb, "bias", None) if output_emb is not None else None
        if bias is not None:
            for new in new_tokens:
                bias[new.id] = bias[new.pieces].mean() if new.pieces and options.init == "mean-of-pieces" else bias[:old_rows].mean()
    timings["init_s"] = time.perf_counter() - started

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    (out_dir / "tokenizer.json").write_text(Tokenizer.from_str(json.dumps(spec)).to_str(pretty=True), encoding="utf-8")
    (out_dir / "new_tokens.json").write_text(
        json.dumps([{"token": n.token, "id": n.id, "text": _token_text_bytes(n.token, byte_level).decode("utf-8", "replace"), "pieces": n.pieces} for n in new_tokens],
                   ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    log.info("added %d tokens (%s) to a %s tokenizer", len(new_tokens), options.init, model_type)
    return ExtendSummary(out_dir, old_rows, model.get_input_embeddings().weight.shape[0], new_tokens, model_type, len(texts), timings)
