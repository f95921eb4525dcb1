"""The distil stage's own quality/speed measurements: golden-set score, held-out perplexity, decode speed.

These are deliberately small and transparent (the eval stage owns the full benchmark suite and the
gate): a greedy generation after the shared prompt format, scored by whether the reference answer (or
one of its aliases) appears in it; perplexity over packed held-out text; wall-clock ms per generated
token at batch size 1 with a KV cache — what a user of a served model waits for.
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from deshi.dataset import read_json_objects
from deshi.distill.packing import pack, render_prompt
from deshi.errors import DeshiError


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "").lower()


def load_qa(path: Path | str, limit: int | None = None) -> list[dict[str, Any]]:
    """Question/answer records from JSONL: ``question``/``answer`` (or ``prompt``/``response``), optional ``aliases``."""
    path = Path(path)
    items = []
    for number, record in read_json_objects(path, DeshiError, "QA file"):
        question = record.get("question", record.get("prompt"))
        answer = record.get("answer", record.get("response"))
        if not isinstance(question, str) or not isinstance(answer, str):
            raise DeshiError(f"{path}:{number}: expected string fields 'question' and 'answer'")
        aliases = [a for a in record.get("aliases", []) if isinstance(a, str)]
        items.append({"id": record.get("id", f"q{number}"), "question": question, "answer": answer, "aliases": aliases})
        if limit is not None and len(items) >= limit:
            break
    return items


def answer_matches(generated: str, answer: str, aliases: Iterable[str] = ()) -> bool:
    """True when the reference answer (or an alias) occurs in the generation, after NFKC normalisation."""
    text = _norm(generated)
    return any(_norm(a) and _norm(a) in text for a in [answer, *aliases])


@torch.no_grad()
def golden_score(model, tokenizer, items: list[dict[str, Any]], max_new_tokens: int = 24, batch_size: int = 16) -> dict[str, Any]:
    """Share of questions whose greedy answer contains the reference answer; per-item records too."""
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    records = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        prompts = [render_prompt(item["question"]) for item in chunk]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        out = model.generate(
            **enc,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
        for item, row in zip(chunk, out[:, enc["input_ids"].shape[1] :], strict=True):
            text = tokenizer.decode(row, skip_special_tokens=True).split("\n")[0]
            records.append({"id": item["id"], "answer": item["answer"], "generated": text, "correct": answer_matches(text, item["answer"], item["aliases"])})
    correct = sum(r["correct"] for r in records)
    return {"score": correct / max(len(records), 1), "correct": correct, "n": len(records), "records": records}


@torch.no_grad()
def perplexity(model, tokenizer, texts: list[str], seq_len: int, batch_size: int = 8, max_blocks: int = 64) -> float:
    """exp(mean next-token cross-entropy) over packed held-out text."""
    from deshi.distill.trainer import PackedSource, evaluate

    packed = pack(tokenizer, texts, seq_len)
    return math.exp(evaluate(model, PackedSource(packed), batch_size, math.ceil(max_blocks / batch_size)))


@torch.no_grad()
def decode_speeds(
    models: dict[str, Any], tokenizer, prompt: str = "質問: 点検間隔は？\n回答: ", new_tokens: int = 48, rounds: int = 5, threads: int = 1
) -> dict[str, float]:
    """Median ms per generated token for each model, all measured by the same harness, interleaved.

    Greedy, batch 1, KV cache, EOS ignored: what one user of a served model waits for. Why interleaved
    rounds (teacher, student, teacher, student, …) and one intra-op thread: on a shared machine a
    burst of load from other processes then hits every model alike instead of whichever happened to be
    measured at that moment, and batch-1 decoding of a small model gains nothing from more threads
    (it only adds contention noise). The thread count is restored afterwards.
    """
    enc = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for model in models.values():
            model.eval()
            model.generate(**enc, **{**kwargs, "max_new_tokens": 4, "min_new_tokens": 4})  # warm-up
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(rounds):
            for name, model in models.items():
                t0 = time.perf_counter()
                model.generate(**enc, **kwargs)
                times[name].append((time.perf_counter() - t0) * 1000 / new_tokens)
    finally:
        torch.set_num_threads(before)
    return {name: sorted(values)[len(values) // 2] for name, values in times.items()}
