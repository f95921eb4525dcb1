"""Teacher → synthetic instruction set: batched sampling, then filters, with provenance on every record.

Two backends behind one interface (``generate(prompts) -> [[Sample]]``):

* ``HFBackend``: the teacher in-process with ``transformers`` (batched, left-padded sampling, several
  samples per prompt), quality scored by re-scoring each sample with one teacher forward;
* ``OpenAIBackend``: any OpenAI-compatible ``/v1/completions`` endpoint by base URL — typically a vLLM
  server of the teacher — using the returned token log-probs as the quality score.

Filters follow HojiChar's pattern: a sample is *marked* rejected with a reason rather than dropped, so
rejected samples land in ``rejected.jsonl`` (PII-bearing ones redacted) and ``stats.json`` counts every
reason. Raw generations are appended to ``raw.jsonl`` per batch, so a killed run resumes without
re-asking the teacher for prompts it already answered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from deshi.distill.curriculum import Prompt
from deshi.distill.packing import ANSWER, QUESTION, render_prompt
from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("distill.generate")

DEFAULT_NG_WORDS = (
    "申し訳ありません",
    "申し訳ございません",
    "お答えできません",
    "回答できません",
    "AIアシスタントとして",
    "I'm sorry",
    "I cannot",
    "As an AI",
)


class GenerateError(DeshiError):
    """Generation cannot run (unreachable endpoint, bad settings)."""


@dataclass
class Sampling:
    temperature: float = 0.8  # 0 = greedy decoding: one sample per prompt, the teacher's best guess
    top_p: float = 0.95
    max_new_tokens: int = 96
    samples_per_prompt: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise GenerateError(f"temperature must be >= 0 (got {self.temperature})")
        if self.temperature == 0:
            self.samples_per_prompt = 1  # greedy samples are identical: a second one would only be a duplicate

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def with_overrides(self, overrides: dict[str, Any]) -> Sampling:
        """These settings with a curriculum task's overrides applied."""
        return dataclasses.replace(self, **overrides) if overrides else self


@dataclass
class Sample:
    response: str
    mean_logprob: float | None
    tokens: int


def clean_response(text: str) -> str:
    """Cut a continuation where the model starts a new example (the prompt format's next question)."""
    for marker in (QUESTION.strip(), ANSWER.strip()):
        index = text.find("\n" + marker)
        if index >= 0:
            text = text[:index]
    return text.strip()


class HFBackend:
    """The teacher in-process. ``batch_size`` prompts × ``samples_per_prompt`` sequences per generate call."""

    def __init__(self, model, tokenizer, batch_size: int = 8):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    @torch.no_grad()
    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Sample]]:
        tok = self.tokenizer
        texts = [render_prompt(p) for p in prompts]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        torch.manual_seed(sampling.seed)
        decoding = {"do_sample": False} if sampling.greedy else {"do_sample": True, "temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": 0}
        out = self.model.generate(
            **enc,
            **decoding,
            max_new_tokens=sampling.max_new_tokens,
            num_return_sequences=sampling.samples_per_prompt,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
        width = enc["input_ids"].shape[1]
        generated = out[:, width:]
        # Quality: mean log-prob of each sample's tokens under the teacher at T = 1 (one forward pass),
        # not the warped sampling distribution generate() would report.
        attention = enc["attention_mask"].repeat_interleave(sampling.samples_per_prompt, 0)
        gen_mask = torch.ones_like(generated)
        is_eos = generated == tok.eos_token_id
        after_eos = (is_eos.cumsum(1) - is_eos.long()) > 0  # tokens after the first EOS are padding
        gen_mask[after_eos] = 0
        full_mask = torch.cat([attention, gen_mask], dim=1)
        logits = self.model(input_ids=out, attention_mask=full_mask).logits[:, width - 1 : -1].float()
        lp = torch.log_softmax(logits, -1).gather(-1, generated.unsqueeze(-1)).squeeze(-1)
        mask = gen_mask.float()
        mean_lp = ((lp * mask).sum(1) / mask.sum(1).clamp_min(1)).tolist()
        results: list[list[Sample]] = []
        n = sampling.samples_per_prompt
        for i in range(len(prompts)):
            group = []
            for j in range(n):
                row = i * n + j
                ids = generated[row][gen_mask[row].bool()]
                text = clean_response(tok.decode(ids, skip_special_tokens=True))
                group.append(Sample(text, float(mean_lp[row]), int(gen_mask[row].sum())))
            results.append(group)
        return results


class OpenAIBackend:
    """Any OpenAI-compatible completions endpoint (vLLM, TGI, llama.cpp server) by base URL."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 120.0, transport=None, batch_size: int = 8):
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model = model
        self.batch_size = batch_size
        self.client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport)

    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Sample]]:
        import httpx

        body = {
            "model": self.model,
            "prompt": [render_prompt(p) for p in prompts],
            "n": sampling.samples_per_prompt,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_new_tokens,
            "logprobs": 1,
            "seed": sampling.seed,
            "stop": ["\n" + QUESTION.strip()],
        }
        try:
            response = self.client.post("/completions", json=body)
        except httpx.HTTPError as exc:
            raise GenerateError(f"teacher endpoint {self.client.base_url} unreachable: {exc}") from None
        if response.status_code >= 400:
            raise GenerateError(f"teacher endpoint returned HTTP {response.status_code}: {response.text[:300]}")
        choices = sorted(response.json().get("choices", []), key=lambda c: c.get("index", 0))
        n = sampling.samples_per_prompt
        if len(choices) != len(prompts) * n:
            raise GenerateError(f"teacher endpoint returned {len(choices)} choices for {len(prompts)} prompts × n={n}")
        results = []
        for i in range(len(prompts)):
            group = []
            for choice in choices[i * n : (i + 1) * n]:
                token_lps = [x for x in ((choice.get("logprobs") or {}).get("token_logprobs") or []) if x is not None]
                mean = sum(token_lps) / len(token_lps) if token_lps else None
                group.append(Sample(clean_response(choice.get("text", "")), mean, len(token_lps)))
            results.append(group)
        return results


# ------------------------------------------------------------------------------------------------ filters


@dataclass
class Filters:
    min_chars: int = 2
    max_chars: int = 2000
    ng_words: tuple[str, ...] = DEFAULT_NG_WORDS
    pii: bool = True
    dedup: bool = True
    min_mean_logprob: float | None = -3.0
    max_repeat_ratio: float = 0.5  # reject degenerate loops: share of the text taken by its most repeated 4-gram


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


def _repeat_ratio(text: str, n: int = 4) -> float:
    if len(text) < 2 * n:
        return 0.0
    grams = Counter(text[i : i + n] for i in range(len(text) - n + 1))
    return grams.most_common(1)[0][1] * n / len(text)


def reject_reason(prompt: str, sample: Sample, filters: Filters, seen: set[str]) -> str | None:
    """Why a sample is rejected (first failing filter), or None. Cheap checks run first."""
    text = sample.response
    if len(text) < filters.min_chars:
        return "too_short"
    if len(text) > filters.max_chars:
        return "too_long"
    lowered = text.lower()
    if any(word.lower() in lowered for word in filters.ng_words):
        return "refusal_or_ng_word"
    if _repeat_ratio(text) > filters.max_repeat_ratio:
        return "repetitive"
    if filters.min_mean_logprob is not None and sample.mean_logprob is not None and sample.mean_logprob < filters.min_mean_logprob:
        return "low_quality"
    if filters.pii:
        from deshi.data.pii import find_pii

        if find_pii(text):
            return "pii"
    if filters.dedup:
        key = hashlib.sha256((_normal(prompt) + "\x1f" + _normal(text)).encode("utf-8")).hexdigest()
        if key in seen:
            return "duplicate"
        seen.add(key)
    return None


# ------------------------------------------------------------------------------------------------ driver


@dataclass
class GenerateResult:
    kept: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    prompts: int = 0
    samples: int = 0
    resumed_prompts: int = 0


def _read_raw(path: Path) -> dict[str, dict[str, Any]]:
    done: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill: that prompt is asked again
        done[record["prompt_id"]] = record
    return done


def _batches(prompts: list[Prompt], sampling: Sampling, size: int) -> list[list[Prompt]]:
    """Batches of up to ``size`` prompts that share their effective sampling settings (in prompt order
    within each setting), since one generate call takes one set of settings."""
    groups: dict[str, list[Prompt]] = {}
    for prompt in prompts:
        key = json.dumps(sampling.with_overrides(prompt.sampling).as_dict(), sort_keys=True)
        groups.setdefault(key, []).append(prompt)
    return [group[i : i + size] for group in groups.values() for i in range(0, len(group), size)]


def run_generation(
    backend,
    prompts: list[Prompt],
    sampling: Sampling,
    filters: Filters,
    out_dir: Path,
    work_dir: Path,
    provenance: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Generate for every prompt (resuming from ``work_dir/raw.jsonl``), filter, write the set."""
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir.mkdir(parents=True, exist_ok=True)
    raw_path = work_dir / "raw.jsonl"
    settings_key = json.dumps({"sampling": sampling.as_dict(), "teacher": provenance.get("teacher")}, sort_keys=True)
    key_path = work_dir / "settings.json"
    if key_path.is_file() and key_path.read_text() != settings_key:
        raw_path.unlink(missing_ok=True)  # other teacher or sampling: earlier answers do not apply
    key_path.write_text(settings_key)
    done = _read_raw(raw_path)
    resumed = sum(1 for p in prompts if p.id in done)
    todo = [p for p in prompts if p.id not in done]
    if progress and resumed:
        progress(resumed)
    batch_size = getattr(backend, "batch_size", 8)
    with open(raw_path, "a", encoding="utf-8") as raw:
        for batch in _batches(todo, sampling, batch_size):
            seed = int(hashlib.sha256(batch[0].id.encode()).hexdigest()[:8], 16) ^ sampling.seed
            settings = sampling.with_overrides(batch[0].sampling)
            groups = backend.generate([p.text for p in batch], dataclasses.replace(settings, seed=seed))
            for prompt, group in zip(batch, groups, strict=True):
                record = {"prompt_id": prompt.id, "samples": [s.__dict__ for s in group]}
                raw.write(json.dumps(record, ensure_ascii=False) + "\n")
                done[prompt.id] = record
            raw.flush()
            os.fsync(raw.fileno())
            if progress:
                progress(len(batch))

    from deshi.data.pii import redact

    seen: set[str] = set()
    reasons: Counter[str] = Counter()
    kept = rejected = samples = 0
    data_dir = out_dir / "data"
    data_dir.mkdir(exist_ok=True)
    with open(data_dir / "synthetic.jsonl", "w", encoding="utf-8") as good, open(out_dir / "rejected.jsonl", "w", encoding="utf-8") as bad:
        for prompt in prompts:
            for index, raw_sample in enumerate(done[prompt.id]["samples"]):
                sample = Sample(**raw_sample)
                samples += 1
                reason = reject_reason(prompt.text, sample, filters, seen)
                meta = {
                    **prompt.meta,
                    "prompt_id": prompt.id,
                    "sample_index": index,
                    "mean_logprob": sample.mean_logprob,
                    "tokens": sample.tokens,
                    **provenance,
                    "sampling": sampling.with_overrides(prompt.sampling).as_dict(),
                }
                if reason is None:
                    kept += 1
                    record = {
                        "id": f"{prompt.id}-{index}",
                        "text": render_prompt(prompt.text) + sample.response,
                        "prompt": prompt.text,
                        "response": sample.response,
                        "meta": meta,
                    }
                    good.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    rejected += 1
                    reasons[reason] += 1
                    response = sample.response
                    if reason == "pii":
                        response = redact(response).text  # never write found PII back to disk
                    bad.write(json.dumps({"id": f"{prompt.id}-{index}", "reason": reason, "prompt_id": prompt.id, "response": response, "meta": meta}, ensure_ascii=False) + "\n")
    return GenerateResult(kept, rejected, dict(reasons), len(prompts), samples, resumed)
