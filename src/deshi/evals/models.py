"""Models under test: a Hugging Face directory (optionally plus a PEFT adapter) or an OpenAI endpoint.

Every backend answers two batched questions — ``generate`` and ``loglikelihood`` — and times what it
does, so latency and cost come out of the same run as quality. A failure on one example is returned
as that example's ``error`` (the runner counts and reports it) instead of aborting or being skipped.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deshi.errors import DeshiError
from deshi.evals.continuous import Unsupported, greedy_continuous, supports_continuous_batching
from deshi.evals.shared_context import pack, packed_length
from deshi.evals.tasks import Prompt
from deshi.log import get_logger

log = get_logger("deshi.evals.models")


class ModelError(DeshiError):
    """The model could not be loaded or reached at all (per-example failures are not raised)."""


@dataclass
class Generation:
    """One generated answer and how long it took (seconds)."""

    text: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    ttft_s: float | None = None
    latency_s: float | None = None
    error: str | None = None


@dataclass
class LogLikelihood:
    """Sum of log-probabilities of a continuation given a context, and how many tokens it spans."""

    logprob: float = float("nan")
    tokens: int = 0
    error: str | None = None


class ModelUnderTest(Protocol):
    name: str

    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int, stop: Sequence[str] = ()) -> list[Generation]: ...

    def loglikelihood(self, requests: Sequence[tuple[Prompt, str]]) -> list[LogLikelihood]: ...

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[LogLikelihood]: ...

    def describe(self) -> dict[str, Any]: ...


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """Cut a generation at the first stop sequence (the stop itself is not part of the answer)."""
    cut = len(text)
    for s in stop:
        if s:
            found = text.find(s)
            if found != -1:
                cut = min(cut, found)
    return text[:cut]


# ---------------------------------------------------------------------------------------------------
# Hugging Face, in process
# ---------------------------------------------------------------------------------------------------
class _StepClock:
    """A LogitsProcessor that only records when each decoding step's logits arrive.

    The first call happens right after the prefill forward pass, so its timestamp minus the start is
    the batch's time to first token; later calls give the time per output token. (TextIteratorStreamer
    would do the same but only for batch size 1.)
    """

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        self.times.append(time.perf_counter())
        return scores


class HFModel:
    """A ``save_pretrained`` directory evaluated in-process, batched with left padding."""

    def __init__(self, path: Path | str, adapter: Path | str | None = None, batch_size: int = 32,
                 device: str = "cpu", dtype: str = "float32", max_length: int | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = Path(path)
        self.adapter = Path(adapter) if adapter else None
        self.batch_size = max(1, batch_size)
        self.device = device
        self.name = self.path.name + (f"+{self.adapter.name}" if self.adapter else "")
        if not (self.path / "config.json").is_file():
            raise ModelError(f"{self.path}: not a Hugging Face model directory (no config.json)")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            model = AutoModelForCausalLM.from_pretrained(self.path, dtype=getattr(torch, dtype))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.path}: cannot load model or tokenizer ({exc})") from exc
        if self.adapter:
            from peft import PeftModel

            if not (self.adapter / "adapter_config.json").is_file():
                raise ModelError(f"{self.adapter}: not a PEFT adapter directory (no adapter_config.json)")
            model = PeftModel.from_pretrained(model, self.adapter)
        self.model = model.to(device).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.max_length = max_length or int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        self._torch = torch
        self._split: Any = None
        # Continuous batching and shared-context packing: decided per model (None = not yet checked).
        self._continuous: bool | None = None
        self._packing: bool | None = None

    def describe(self) -> dict[str, Any]:
        params = sum(p.numel() for p in self.model.parameters())
        return {"backend": "hf", "path": str(self.path), "adapter": str(self.adapter) if self.adapter else None,
                "parameters": params, "batch_size": self.batch_size, "device": self.device}

    def render(self, prompt: Prompt) -> str:
        """Chat messages through the tokenizer's chat template; plain text stays as it is."""
        if isinstance(prompt, str):
            return prompt
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
        # No template: a plain, documented fallback rather than an error, so base models stay testable.
        lines = [f"{m['role']}: {m['content']}" for m in prompt]
        return "\n".join(lines) + "\nassistant:"

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=True)["input_ids"]

    # ---- generation ------------------------------------------------------------------------------
    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int, stop: Sequence[str] = ()) -> list[Generation]:
        texts = [self.render(p) for p in prompts]
        ids = [self._encode(t)[-(self.max_length - max_new_tokens):] for t in texts]
        if self.batch_size > 1 and len(ids) > 1 and self._continuous_batching():
            try:
                return self._generate_continuous(ids, max_new_tokens, stop)
            except Unsupported as exc:
                self._continuous = False
                log.info("continuous batching not supported by this model (%s); using static batches", exc)
            except Exception as exc:  # noqa: BLE001 - the static path below isolates the failing example(s)
                log.warning("continuous batching failed (%s); generating in static batches", type(exc).__name__)
        # Static batches through `generate` (batch size 1: plain one-at-a-time generation). Sorted by length
        # so a batch holds similar lengths (less padding); the order is restored.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        results: list[Generation | None] = [None] * len(ids)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            try:
                outs = self._generate_batch([ids[i] for i in chunk], max_new_tokens, stop)
            except Exception as exc:  # noqa: BLE001 - isolate the failing example(s) below
                if len(chunk) == 1:
                    outs = [Generation(prompt_tokens=len(ids[chunk[0]]), error=f"{type(exc).__name__}: {exc}")]
                else:
                    outs = [self._generate_one_safely(ids[i], max_new_tokens, stop) for i in chunk]
            for i, out in zip(chunk, outs, strict=True):
                results[i] = out
        return [r for r in results if r is not None]

    def _continuous_batching(self) -> bool:
        if self._continuous is None:
            base = self.model.get_base_model() if self.adapter else self.model
            self._continuous = supports_continuous_batching(base)
        return self._continuous

    def _generate_continuous(self, ids: list[list[int]], max_new_tokens: int, stop: Sequence[str]) -> list[Generation]:
        """Greedy answers with a fixed number of rows in flight, each refilled as soon as its answer ends
        (EOS, a stop string, or ``max_new_tokens``): same answers as ``generate``, fewer wasted steps."""
        pad, eos = self.tokenizer.pad_token_id, self.tokenizer.eos_token_id
        stopped = None
        if any(stop):
            def stopped(tokens: list[int]) -> bool:
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                return truncate_at_stop(text, stop) != text

        finished = greedy_continuous(self.model, ids, self.batch_size, max_new_tokens, eos, pad, self.device, stopped)
        gens = []
        for prompt_ids, item in zip(ids, finished, strict=True):
            tokens = item.tokens
            while tokens and tokens[-1] == pad and pad != eos:  # as _generate_batch strips `generate`'s padding
                tokens = tokens[:-1]
            text = truncate_at_stop(self.tokenizer.decode(tokens, skip_special_tokens=True), stop)
            # Timed from the prompt's admission to its own last token (it leaves as soon as it is done).
            gens.append(Generation(text, len(prompt_ids), len(tokens), item.ttft_s, item.latency_s))
        return gens

    def _generate_one_safely(self, ids: list[int], max_new_tokens: int, stop: Sequence[str]) -> Generation:
        try:
            return self._generate_batch([ids], max_new_tokens, stop)[0]
        except Exception as exc:  # noqa: BLE001 - recorded per example
            return Generation(prompt_tokens=len(ids), error=f"{type(exc).__name__}: {exc}")

    def _generate_batch(self, batch: list[list[int]], max_new_tokens: int, stop: Sequence[str]) -> list[Generation]:
        from transformers import LogitsProcessorList

        torch = self._torch
        pad = self.tokenizer.pad_token_id
        width = max(len(x) for x in batch)
        input_ids = torch.tensor([[pad] * (width - len(x)) + x for x in batch], device=self.device)
        attention = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in batch], device=self.device)
        clock = _StepClock()
        started = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids, attention_mask=attention, max_new_tokens=max_new_tokens, do_sample=False,
                pad_token_id=pad, eos_token_id=self.tokenizer.eos_token_id,
                logits_processor=LogitsProcessorList([clock]),
            )
        finished = time.perf_counter()
        ttft = (clock.times[0] - started) if clock.times else finished - started
        new = out[:, width:].tolist()
        eos = self.tokenizer.eos_token_id
        gens = []
        for prompt_ids, tokens in zip(batch, new, strict=True):
            if eos is not None and eos in tokens:
                tokens = tokens[: tokens.index(eos)]
            while tokens and tokens[-1] == pad and pad != eos:
                tokens = tokens[:-1]
            text = truncate_at_stop(self.tokenizer.decode(tokens, skip_special_tokens=True), stop)
            # Every example of a batch waits for the whole batch: that is the latency a caller sees.
            gens.append(Generation(text, len(prompt_ids), len(tokens), ttft, finished - started))
        return gens

    # ---- log-likelihood --------------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[tuple[Prompt, str]]) -> list[LogLikelihood]:
        pairs = []
        contexts: dict[str, list[int]] = {}  # multiple choice repeats each context once per choice
        for context, continuation in requests:
            text = self.render(context)
            if text not in contexts:
                contexts[text] = self._encode(text)
            ctx = contexts[text]
            cont = self.tokenizer(continuation, add_special_tokens=False)["input_ids"]
            pairs.append((ctx, cont))
        if self.batch_size > 1 and self._packing is not False:
            return self._score_shared_contexts(pairs)
        return self._score_pairs(pairs)

    def _score_shared_contexts(self, pairs: list[tuple[list[int], list[int]]]) -> list[LogLikelihood]:
        """Score all continuations of the same context in one packed row (the context runs once).

        The first packed batch is checked against pair-by-pair scoring of its first context; a model
        whose numbers differ (e.g. it ignores custom 4D attention masks) keeps the pair path."""
        members: dict[tuple[int, ...], list[int]] = {}
        for index, (ctx, _) in enumerate(pairs):
            members.setdefault(tuple(ctx), []).append(index)
        groups: list[tuple[list[int], list[int]]] = []
        rest: list[int] = []
        for ctx, indices in members.items():
            conts = [pairs[i][1] for i in indices]
            if ctx and all(conts) and len(ctx) + max(len(c) for c in conts) <= self.max_length:
                groups.append((list(ctx), indices))
            else:  # empty or over-long: the pair path handles (and reports) those
                rest.extend(indices)
        results: list[LogLikelihood | None] = [None] * len(pairs)
        lengths = [packed_length(ctx, [pairs[i][1] for i in indices]) for ctx, indices in groups]
        order = sorted(range(len(groups)), key=lambda g: lengths[g])
        for chunk in _length_buckets(order, lengths, self.batch_size):
            batch = [(groups[g][0], [pairs[i][1] for i in groups[g][1]]) for g in chunk]
            try:
                scored = self._score_packed(batch)
            except Exception as exc:  # noqa: BLE001 - the pair path isolates failing examples
                log.warning("packed scoring failed (%s); scoring %d contexts pair by pair", type(exc).__name__, len(chunk))
                rest.extend(i for g in chunk for i in groups[g][1])
                continue
            if self._packing is None:
                ctx, conts = batch[0]
                reference = [item.logprob for item in self._score_batch([(ctx, cont) for cont in conts])]
                self._packing = all(abs(a.logprob - b) <= 1e-3 + 1e-4 * abs(b)
                                    for a, b in zip(scored[0], reference, strict=True))
                if not self._packing:
                    log.warning("shared-context scoring differs from pair-by-pair scoring on this model; "
                                "scoring pair by pair")
                    return self._score_pairs(pairs)
            for g, items in zip(chunk, scored, strict=True):
                for i, item in zip(groups[g][1], items, strict=True):
                    results[i] = item
        if rest:
            for i, item in zip(rest, self._score_pairs([pairs[i] for i in rest]), strict=True):
                results[i] = item
        return [r if r is not None else LogLikelihood(error="not scored") for r in results]

    def _score_packed(self, groups: list[tuple[list[int], list[list[int]]]]) -> list[list[LogLikelihood]]:
        """One forward pass over packed (context, continuations) rows; see :mod:`deshi.evals.shared_context`."""
        torch = self._torch
        dtype = next(self.model.parameters()).dtype
        packed = pack(groups, self.tokenizer.pad_token_id, self.device, dtype)
        width = packed.input_ids.shape[1]
        rows = [row for row, per in enumerate(packed.positions) for spots in per for _ in spots]
        cols = [col for per in packed.positions for spots in per for col in spots]
        targets = torch.tensor([t for _, conts in groups for cont in conts for t in cont], device=self.device)
        with torch.inference_mode():
            parts = self._decoder_and_head()
            if parts is not None:
                # Only the predicting positions go through the LM head (hidden × vocabulary each).
                decoder, head = parts
                hidden = decoder(input_ids=packed.input_ids, attention_mask=packed.attention_mask,
                                 position_ids=packed.position_ids, use_cache=False).last_hidden_state
                logits = head(hidden[rows, cols])
            else:
                keep = width - min(cols)
                logits = self.model(input_ids=packed.input_ids, attention_mask=packed.attention_mask,
                                    position_ids=packed.position_ids, logits_to_keep=keep).logits
                logits = logits[rows, [c - (width - keep) for c in cols]]
            nll = torch.nn.functional.cross_entropy(logits.float(), targets, reduction="none").tolist()
        out, at = [], 0
        for _, conts in groups:
            items = []
            for cont in conts:
                items.append(LogLikelihood(-float(sum(nll[at:at + len(cont)])), len(cont)))
                at += len(cont)
            out.append(items)
        return out

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[LogLikelihood]:
        """Whole-text log-likelihood in non-overlapping windows of the model's context length."""
        bos = self.tokenizer.bos_token_id
        window = self.max_length - 1
        pairs, owners = [], []
        for index, text in enumerate(texts):
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            prefix = [bos] if bos is not None else ids[:1]
            body = ids if bos is not None else ids[1:]
            for start in range(0, max(len(body), 1), window):
                ctx = prefix if start == 0 else body[start - 1:start]
                pairs.append((ctx, body[start:start + window]))
                owners.append(index)
        scored = self._score_pairs(pairs)
        totals = [LogLikelihood(0.0, 0) for _ in texts]
        for owner, item in zip(owners, scored, strict=True):
            total = totals[owner]
            if item.error:
                total.error = item.error
            else:
                total.logprob += item.logprob
                total.tokens += item.tokens
        return totals

    def _score_pairs(self, pairs: list[tuple[list[int], list[int]]]) -> list[LogLikelihood]:
        results: list[LogLikelihood | None] = [None] * len(pairs)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for chunk in _length_buckets(order, [len(p[0]) + len(p[1]) for p in pairs], self.batch_size):
            try:
                outs = self._score_batch([pairs[i] for i in chunk])
            except Exception as exc:  # noqa: BLE001 - per example below
                outs = []
                for i in chunk:
                    try:
                        outs.extend(self._score_batch([pairs[i]]))
                    except Exception as inner:  # noqa: BLE001
                        outs.append(LogLikelihood(error=f"{type(inner).__name__}: {inner}"))
                log.warning("batch scoring failed (%s); scored %d examples one by one", type(exc).__name__, len(chunk))
            for i, out in zip(chunk, outs, strict=True):
                results[i] = out
        return [r for r in results if r is not None]

    def _score_batch(self, batch: list[tuple[list[int], list[int]]]) -> list[LogLikelihood]:
        """Score continuations in one forward pass.

        Left padding puts every continuation at the end of its row, so the LM head (the biggest matmul
        of a small model: hidden × vocabulary per position) runs only on the last ``max(len(cont))``
        positions (``logits_to_keep``) instead of on the whole context. Position ids come from the
        attention mask so padded rows see the same positions as unpadded ones.
        """
        torch = self._torch
        seqs, conts = [], []
        for ctx, cont in batch:
            if not cont:
                raise ValueError("empty continuation")
            full = (ctx + cont)[-(self.max_length + 1):]  # keep the end: the continuation matters
            n = min(len(cont), len(full) - 1)
            seqs.append(full[:-1])
            conts.append(full[len(full) - n:])
        width = max(len(s) for s in seqs)
        keep = max(len(c) for c in conts)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(s)) + s for s in seqs], device=self.device)
        attention = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=self.device)
        positions = (attention.cumsum(-1) - 1).clamp(min=0)
        out = []
        with torch.inference_mode():
            # Small logits (short continuations, e.g. multiple choice) are fastest in one head call.
            big = len(batch) * keep * int(getattr(self.model.config, "vocab_size", 0) or 0) > _BIG_LOGITS
            parts = self._decoder_and_head() if big else None
            if parts is not None:
                # Hidden states only, then the LM head per row in slices of positions: never materialise a
                # (batch × positions × vocabulary) logits tensor (hundreds of MB for long texts, allocated
                # and page-faulted on every batch, memory-bound on CPU); each slice's logits stay in cache.
                decoder, head = parts
                hidden = decoder(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                                 use_cache=False).last_hidden_state[:, width - keep:, :]
                for row, cont in enumerate(conts):
                    target = torch.tensor(cont, device=self.device)
                    states = hidden[row, keep - len(cont):, :]
                    nll = 0.0
                    for a in range(0, len(cont), _HEAD_SLICE):
                        logits = head(states[a:a + _HEAD_SLICE]).float()
                        nll += torch.nn.functional.cross_entropy(logits, target[a:a + _HEAD_SLICE], reduction="sum").item()
                    out.append(LogLikelihood(-nll, len(cont)))
                return out
            logits = self.model(input_ids=input_ids, attention_mask=attention, position_ids=positions,
                                logits_to_keep=keep).logits  # (batch, keep, vocab)
            # Row by row: a (batch × positions × vocab) log-softmax is hundreds of MB for long texts
            # and memory-bound on CPU; one row at a time stays in cache. cross_entropy fuses the
            # log-softmax and the gather.
            for row, cont in enumerate(conts):
                target = torch.tensor(cont, device=self.device)
                nll = torch.nn.functional.cross_entropy(logits[row, keep - len(cont):, :].float(), target, reduction="sum")
                out.append(LogLikelihood(-nll.item(), len(cont)))
        return out

    def _decoder_and_head(self) -> tuple[Any, Any] | None:
        """(decoder, lm_head) when logits are exactly ``lm_head(decoder(...).last_hidden_state)``: plain
        decoder-only families, no adapter (LoRA may wrap the head). Otherwise None: the generic path."""
        if self._split is None:
            split: tuple[Any, Any] | bool = False
            config = self.model.config
            if (self.adapter is None and getattr(config, "model_type", "") in _PLAIN_HEAD_FAMILIES
                    and not getattr(config, "final_logit_softcapping", None) and not getattr(config, "logit_scale", None)):
                decoder = getattr(self.model, "model", None)
                head = self.model.get_output_embeddings()
                if decoder is not None and head is not None:
                    split = (decoder, head)
            self._split = split
        return self._split or None


# Model families whose causal-LM logits are the output embedding applied to the decoder's last hidden state.
_PLAIN_HEAD_FAMILIES = frozenset({"llama", "mistral", "qwen2", "qwen3"})
_HEAD_SLICE = 128
_BIG_LOGITS = 8_000_000  # elements (32 MB of float32 logits)


def _length_buckets(order: list[int], lengths: list[int], batch_size: int, slack: float = 1.25,
                    tokens_per_row: int = 256) -> list[list[int]]:
    """Split length-sorted indices into batches whose longest member is at most ``slack`` × the shortest
    (scoring is compute-bound on CPU, so padding is pure waste) and whose padded size stays within a
    token budget of ``batch_size × tokens_per_row``: short requests (multiple-choice continuations) fill
    many rows, long texts few. ``batch_size`` 1 keeps one request per batch."""
    budget = batch_size * tokens_per_row
    batches: list[list[int]] = []
    for index in order:
        if batches and batch_size > 1:
            batch = batches[-1]
            width = max(lengths[index], lengths[batch[-1]])
            if lengths[index] <= slack * max(lengths[batch[0]], 8) and (len(batch) + 1) * width <= budget:
                batch.append(index)
                continue
        batches.append([index])
    return batches


# ---------------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint (deshi gateway, vLLM, …)
# ---------------------------------------------------------------------------------------------------
class OpenAIEndpoint:
    """An OpenAI-compatible HTTP server. Generation streams, so TTFT is the first content chunk."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120.0,
                 transport: Any = None, concurrency: int = 1) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/v1"):
            self.base_url += "/v1"
        self.model = model
        self.name = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s, transport=transport)
        self.concurrency = concurrency

    def describe(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.base_url, "model": self.model}

    def generate(self, prompts: Sequence[Prompt], max_new_tokens: int, stop: Sequence[str] = ()) -> list[Generation]:
        if self.concurrency <= 1:
            return [self._generate_one(p, max_new_tokens, stop) for p in prompts]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.concurrency) as pool:
            return list(pool.map(lambda p: self._generate_one(p, max_new_tokens, stop), prompts))

    def _generate_one(self, prompt: Prompt, max_new_tokens: int, stop: Sequence[str]) -> Generation:
        import httpx

        chat = not isinstance(prompt, str)
        body: dict[str, Any] = {"model": self.model, "max_tokens": max_new_tokens, "temperature": 0.0, "stream": True,
                                "stream_options": {"include_usage": True}}
        if stop:
            body["stop"] = list(stop)[:4]
        body["messages" if chat else "prompt"] = prompt
        path = "/chat/completions" if chat else "/completions"
        started = time.perf_counter()
        ttft = None
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        chunks = 0
        try:
            with self.client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    return Generation(error=f"HTTP {response.status_code}: {_error_message(response)}",
                                      latency_s=time.perf_counter() - started)
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        break
                    event = json.loads(payload)
                    usage = event.get("usage") or usage
                    for choice in event.get("choices", []):
                        piece = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                        if piece:
                            if ttft is None:
                                ttft = time.perf_counter() - started
                            pieces.append(piece)
                            chunks += 1
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            return Generation(error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - started)
        latency = time.perf_counter() - started
        text = truncate_at_stop("".join(pieces), stop)
        return Generation(text, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", chunks)),
                          ttft if ttft is not None else latency, latency)

    def loglikelihood(self, requests: Sequence[tuple[Prompt, str]]) -> list[LogLikelihood]:
        """Via /v1/completions with ``echo`` and ``logprobs`` (vLLM and the deshi gateway support it)."""
        out = []
        for context, continuation in requests:
            if not isinstance(context, str):
                out.append(LogLikelihood(error="log-likelihood needs a text prompt; chat tasks cannot be scored "
                                               "by log-likelihood on an endpoint"))
                continue
            out.append(self._echo_logprob(context, continuation))
        return out

    def loglikelihood_rolling(self, texts: Sequence[str]) -> list[LogLikelihood]:
        return [self._echo_logprob("", text) for text in texts]

    def _echo_logprob(self, context: str, continuation: str) -> LogLikelihood:
        import httpx

        body = {"model": self.model, "prompt": context + continuation, "max_tokens": 0, "echo": True,
                "logprobs": 1, "temperature": 0.0}
        try:
            response = self.client.post("/completions", json=body)
            if response.status_code >= 400:
                return LogLikelihood(error=f"HTTP {response.status_code}: {_error_message(response)}")
            logprobs = response.json()["choices"][0]["logprobs"]
            offsets, values = logprobs["text_offset"], logprobs["token_logprobs"]
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            return LogLikelihood(error=f"endpoint does not return echo log-probabilities ({type(exc).__name__}: {exc})")
        picked = [v for off, v in zip(offsets, values, strict=False) if off >= len(context) and v is not None]
        if not picked:
            return LogLikelihood(error="endpoint returned no log-probabilities for the continuation")
        return LogLikelihood(float(sum(picked)), len(picked))


def _error_message(response: Any) -> str:
    try:
        return str(response.json().get("error", {}).get("message", response.text))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


def load_model(model: str, adapter: str | None = None, batch_size: int = 32, endpoint: str | None = None,
               api_key: str | None = None) -> ModelUnderTest:
    """A model from CLI arguments: ``--endpoint URL --model NAME`` or an HF directory (+ ``--adapter``)."""
    if endpoint:
        return OpenAIEndpoint(endpoint, model, api_key)
    return HFModel(model, adapter=adapter, batch_size=batch_size)


def perplexity_from(logprob_sum: float, tokens: int) -> float:
    return math.exp(-logprob_sum / tokens) if tokens else float("nan")
