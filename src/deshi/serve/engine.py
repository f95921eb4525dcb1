"""In-process engine for a Hugging Face model directory: bounded queue + continuous batching.

The engine knows nothing of HTTP (vLLM's split). Requests enter a bounded queue; one worker thread
runs the model. New requests are admitted at every decode-step boundary (continuous batching): they
are prefilled together with left padding, their KV cache is left-aligned and concatenated onto the
running batch's ``DynamicCache``, and finished rows are dropped from it — so a request arriving while
others decode waits one step, not a whole batch. When the engine is idle it waits up to
``batch_wait_ms`` to gather up to ``max_batch_size`` requests first.

Per request: stop sequences, max_tokens, temperature/top_p with its own seeded ``torch.Generator``,
and JSON-schema constrained decoding through xgrammar's token bitmasks (CPU path). Tokens stream back
to the asyncio side as they are produced.
"""

from __future__ import annotations

import asyncio
import collections
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("deshi.serve.engine")

# Used only when the tokenizer ships no chat template (e.g. a freshly trained demo tokenizer).
DEFAULT_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


class EngineError(DeshiError):
    """The model directory cannot be served."""


class QueueFull(Exception):
    """The bounded queue is full: the HTTP layer answers 503 with Retry-After."""


class ContextTooLong(ValueError):
    pass


@dataclass
class GenRequest:
    prompt_ids: list[int]
    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stops: list[str] = field(default_factory=list)
    grammar: Any = None  # xgrammar CompiledGrammar
    # vLLM's SamplingParams.ignore_eos: keep generating past EOS until max_tokens (benchmarks, load tests).
    ignore_eos: bool = False
    # Filled by the engine
    loop: asyncio.AbstractEventLoop | None = None
    events: asyncio.Queue[tuple[str, Any]] | None = None
    cancelled: bool = False
    submitted: float = 0.0


@dataclass
class GenResult:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float
    total_s: float


@dataclass
class _Row:
    req: GenRequest
    gen: torch.Generator | None
    matcher: Any
    ids: list[int] = field(default_factory=list)
    text: str = ""
    sent: int = 0
    # Incremental detokenisation window (vLLM's prefix/read offsets): ids[prefix_off:read_off] were already
    # turned into text; only the tokens after them are decoded each step.
    prefix_off: int = 0
    read_off: int = 0
    position: int = 0
    last: int = 0
    first_at: float = 0.0


class Engine:
    def __init__(self, path: Path | str, max_batch_size: int = 16, batch_wait_ms: float = 5.0,
                 queue_size: int = 256, chat_template: str | None = None, device: str = "cpu",
                 dtype: str = "float32") -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").is_file():
            raise EngineError(f"{path}: not a Hugging Face model directory (no config.json)")
        self.path = path
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype)).to(device).eval()
        self.device = torch.device(device)
        self.chat_template = chat_template or getattr(self.tokenizer, "chat_template", None) or DEFAULT_CHAT_TEMPLATE
        self.max_context = int(getattr(self.model.config, "max_position_embeddings", 2048) or 2048)
        self.vocab_size = int(self.model.config.vocab_size)
        eos = self.model.generation_config.eos_token_id if self.model.generation_config else None
        eos = eos if eos is not None else self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) if eos is not None else set()
        self.max_batch_size = max_batch_size
        self.batch_wait = batch_wait_ms / 1000.0
        self.queue_size = queue_size
        self._pending: collections.deque[GenRequest] = collections.deque()
        self._cond = threading.Condition()
        self._rows: list[_Row] = []
        self._cache: Any = None
        self._mask: torch.Tensor | None = None
        self._stop = False
        self._grammar_compiler: Any = None
        self._control_token_ids: torch.Tensor | None = None
        self._grammars: dict[str, Any] = {}
        self._grammar_lock = threading.Lock()
        self.steps = 0
        # Events for the asyncio side, per event loop. The worker wakes a loop only when its box was empty:
        # while the loop is still busy with earlier steps, later steps' events join the same hand-off
        # instead of costing one more self-pipe write (and GIL hand-over) each.
        self._outbox: dict[Any, list[tuple[GenRequest, str, Any]]] = {}
        self._outbox_lock = threading.Lock()
        self._decode_ids = _fast_decoder(self.tokenizer)
        self._thread = threading.Thread(target=self._run, name=f"deshi-engine-{path.name}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ request side (any thread)
    def queue_depth(self) -> int:
        return len(self._pending)

    def render_chat(self, messages: list[dict[str, str]]) -> list[int]:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        if self.chat_template is DEFAULT_CHAT_TEMPLATE or not getattr(self.tokenizer, "chat_template", None):
            env = ImmutableSandboxedEnvironment(trim_blocks=False, lstrip_blocks=False)
            text = env.from_string(self.chat_template).render(messages=messages, add_generation_prompt=True)
            return self.encode(text)
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
        return list(ids["input_ids"] if isinstance(ids, dict) else ids)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=True)["input_ids"])

    def check_length(self, prompt_len: int, max_tokens: int) -> None:
        if prompt_len + max_tokens > self.max_context:
            raise ContextTooLong(
                f"this model's maximum context length is {self.max_context} tokens; the prompt has {prompt_len} "
                f"and max_tokens asks for {max_tokens} more"
            )

    def compile_schema(self, schema: dict[str, Any] | None) -> Any:
        """xgrammar grammar for a JSON schema (None: any JSON object). Cached per schema."""
        import orjson
        import xgrammar as xgr

        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode() if schema is not None else ""
        with self._grammar_lock:
            if self._grammar_compiler is None:
                info = xgr.TokenizerInfo.from_huggingface(
                    self.tokenizer, vocab_size=self.vocab_size, stop_token_ids=sorted(self.eos_ids) or None
                )
                self._grammar_compiler = xgr.GrammarCompiler(info)
                # xgrammar's string rule under maxLength/minLength is [^"\\\r\n], which admits raw control
                # characters that JSON forbids (seen: a \x07 byte token inside a "name"). Compact JSON
                # (any_whitespace=False) never needs a byte < 0x20, so such tokens are banned outright.
                self._control_token_ids = torch.tensor(
                    [i for i, b in enumerate(info.decoded_vocab) if i not in self.eos_ids and any(c < 0x20 for c in b)],
                    dtype=torch.long,
                )
            if key not in self._grammars:
                if schema is None:
                    grammar = self._grammar_compiler.compile_builtin_json_grammar()
                else:
                    # Compile the schema as written: property order is the order the output follows.
                    grammar = self._grammar_compiler.compile_json_schema(orjson.dumps(schema).decode(), any_whitespace=False)
                self._grammars[key] = grammar
            return self._grammars[key]

    def submit(self, req: GenRequest) -> None:
        """Queue a request (non-blocking); raises QueueFull when the bounded queue is full."""
        req.loop = asyncio.get_running_loop()
        req.events = asyncio.Queue()
        req.submitted = time.perf_counter()
        with self._cond:
            if len(self._pending) >= self.queue_size:
                raise QueueFull()
            self._pending.append(req)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=10)

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        # inference_mode, not just no_grad: no version counters or view tracking on the tensors the
        # forward creates, ~10% less CPU per decode step of a small model (vLLM does the same).
        with torch.inference_mode():
            self._loop()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not self._pending and not self._rows:
                    self._cond.wait()
                if self._stop:
                    break
                if not self._rows and len(self._pending) < self.max_batch_size and self.batch_wait > 0:
                    deadline = time.perf_counter() + self.batch_wait
                    while len(self._pending) < self.max_batch_size and not self._stop:
                        left = deadline - time.perf_counter()
                        if left <= 0:
                            break
                        self._cond.wait(left)
                admit: list[GenRequest] = []
                while self._pending and len(self._rows) + len(admit) < self.max_batch_size:
                    req = self._pending.popleft()
                    if not req.cancelled:
                        admit.append(req)
            try:
                if admit:
                    self._prefill(admit)
                if self._rows:
                    self._decode()
            except Exception as exc:  # a model error must not kill the worker: fail the affected requests
                log.exception("engine step failed")
                for row in self._rows:
                    self._emit([(row.req, "error", exc)])
                for req in admit:
                    if all(r.req is not req for r in self._rows):
                        self._emit([(req, "error", exc)])
                self._rows, self._cache, self._mask = [], None, None

    def _emit(self, events: list[tuple[GenRequest, str, Any]]) -> None:
        wake = []
        with self._outbox_lock:
            for ev in events:
                box = self._outbox.get(ev[0].loop)
                if box is None:
                    self._outbox[ev[0].loop] = [ev]
                    wake.append(ev[0].loop)
                else:
                    box.append(ev)
        for loop in wake:
            try:
                loop.call_soon_threadsafe(self._drain, loop)
            except RuntimeError:  # loop closed: the client is gone
                with self._outbox_lock:
                    self._outbox.pop(loop, None)

    def _drain(self, loop: Any) -> None:
        """Runs on the event loop: deliver everything the worker queued for it since the last wake-up."""
        with self._outbox_lock:
            events = self._outbox.pop(loop, [])
        _deliver(events)

    def _prefill(self, reqs: list[GenRequest]) -> None:
        from transformers import DynamicCache

        pad = self.tokenizer.pad_token_id or 0
        width = max(len(r.prompt_ids) for r in reqs)
        ids = torch.full((len(reqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(reqs), width), dtype=torch.long)
        for i, r in enumerate(reqs):
            n = len(r.prompt_ids)
            ids[i, width - n:] = torch.tensor(r.prompt_ids, dtype=torch.long)
            mask[i, width - n:] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                         position_ids=positions.to(self.device), past_key_values=DynamicCache(), use_cache=True,
                         logits_to_keep=1)  # only the last position's logits are sampled
        logits = out.logits[:, -1, :].float()
        new_rows = []
        for r in reqs:
            gen = None
            if r.temperature > 0:
                gen = torch.Generator(device="cpu").manual_seed(r.seed if r.seed is not None else random.getrandbits(63))
            matcher = None
            if r.grammar is not None:
                import xgrammar as xgr

                matcher = xgr.GrammarMatcher(r.grammar)
            new_rows.append(_Row(r, gen, matcher, position=len(r.prompt_ids)))
        self._merge(new_rows, out.past_key_values, mask.to(self.device))
        self._sample_and_emit(new_rows, logits, first=True)

    def _merge(self, rows: list[_Row], cache: Any, mask: torch.Tensor) -> None:
        from transformers import DynamicCache

        if not self._rows:
            self._rows, self._cache, self._mask = rows, cache, mask
            return
        old_t, new_t = self._mask.shape[1], mask.shape[1]
        width = max(old_t, new_t)

        def left_pad(t: torch.Tensor, n: int, dim: int) -> torch.Tensor:
            if n == 0:
                return t
            shape = list(t.shape)
            shape[dim] = n
            return torch.cat([t.new_zeros(shape), t], dim=dim)

        layers = []
        for old_layer, new_layer in zip(self._cache.layers, cache.layers, strict=True):
            k = torch.cat([left_pad(old_layer.keys, width - old_t, 2), left_pad(new_layer.keys, width - new_t, 2)], 0)
            v = torch.cat([left_pad(old_layer.values, width - old_t, 2), left_pad(new_layer.values, width - new_t, 2)], 0)
            layers.append((k, v))
        self._cache = DynamicCache(layers)
        self._mask = torch.cat([left_pad(self._mask, width - old_t, 1), left_pad(mask, width - new_t, 1)], 0)
        self._rows = self._rows + rows

    def _decode(self) -> None:
        rows = self._rows
        ids = torch.tensor([[r.last] for r in rows], dtype=torch.long, device=self.device)
        positions = torch.tensor([[r.position] for r in rows], dtype=torch.long, device=self.device)
        self._mask = torch.cat([self._mask, self._mask.new_ones((len(rows), 1))], dim=1)
        out = self.model(input_ids=ids, attention_mask=self._mask, position_ids=positions,
                         past_key_values=self._cache, use_cache=True)
        self._cache = out.past_key_values
        for r in rows:
            r.position += 1
        self.steps += 1
        self._sample_and_emit(rows, out.logits[:, -1, :].float(), first=False)

    def _sample_and_emit(self, rows: list[_Row], logits: torch.Tensor, first: bool) -> None:
        now = time.perf_counter()
        events: list[tuple[GenRequest, str, Any]] = []
        finished: set[int] = set()
        greedy = logits.argmax(-1).tolist()
        for i, row in enumerate(rows):
            req = row.req
            if req.cancelled:
                finished.add(id(row))
                continue
            if row.matcher is not None or req.temperature > 0:
                token = self._sample_row(row, logits[i])
            else:
                token = greedy[i]
            if first:
                row.first_at = now
            finish = None
            if row.matcher is not None:
                row.matcher.accept_token(token)
            if (token in self.eos_ids and not req.ignore_eos) or (row.matcher is not None and row.matcher.is_terminated()):
                finish = "stop"
                if row.read_off < len(row.ids):
                    self._detokenize(row, final=True)  # flush tokens held back as an incomplete character
            else:
                row.ids.append(token)
                row.last = token
                done = len(row.ids) >= req.max_tokens or row.position + 1 >= self.max_context
                self._detokenize(row, final=done)
                for stop in req.stops:
                    at = row.text.find(stop, max(0, row.sent - len(stop)))
                    if at >= 0:
                        row.text, finish = row.text[:at], "stop"
                if finish is None and done:
                    finish = "length"
            if finish is None:
                # Hold back a possible start of a stop sequence (incomplete UTF-8 is held by _detokenize).
                safe = len(row.text)
                for stop in req.stops:
                    for k in range(min(len(stop) - 1, safe), 0, -1):
                        if row.text[:safe].endswith(stop[:k]):
                            safe -= k
                            break
                if safe > row.sent:
                    events.append((req, "delta", row.text[row.sent:safe]))
                    row.sent = safe
            else:
                if len(row.text) > row.sent:
                    events.append((req, "delta", row.text[row.sent:]))
                    row.sent = len(row.text)
                events.append((req, "done", GenResult(row.text, finish, len(req.prompt_ids), len(row.ids),
                                                      row.first_at - req.submitted, now - req.submitted)))
                finished.add(id(row))
        if events:
            self._emit(events)
        if finished:
            keep = [i for i, r in enumerate(self._rows) if id(r) not in finished]
            self._select(keep)

    def _detokenize(self, row: _Row, final: bool) -> None:
        """Append the text of the row's new tokens to ``row.text``.

        Decoding the whole id list every step is O(n^2) over a completion. Like vLLM's
        ``detokenize_incrementally`` we decode a short window that starts a few tokens back (so decoders
        that strip a leading space or merge byte-fallback pieces see the same context) and take the part
        past the already-decoded prefix. While the window ends in an incomplete UTF-8 character (U+FFFD)
        the tokens are held back, unless ``final``.
        """
        decode = self._decode_ids
        prefix_text = decode(row.ids[row.prefix_off:row.read_off])
        new_text = decode(row.ids[row.prefix_off:])
        if len(new_text) > len(prefix_text) and (final or not new_text.endswith("\ufffd")):
            row.text += new_text[len(prefix_text):]
            row.prefix_off, row.read_off = row.read_off, len(row.ids)
        elif final:
            row.prefix_off = row.read_off = len(row.ids)

    def _sample_row(self, row: _Row, logits: torch.Tensor) -> int:
        req = row.req
        logits = logits.unsqueeze(0).clone()
        if row.matcher is not None:
            import xgrammar as xgr

            bitmask = xgr.allocate_token_bitmask(1, self.vocab_size)
            row.matcher.fill_next_token_bitmask(bitmask)
            xgr.apply_token_bitmask_inplace(logits, bitmask, vocab_size=self.vocab_size)
            if self._control_token_ids is not None and self._control_token_ids.numel():
                logits[0, self._control_token_ids] = float("-inf")
        if req.temperature <= 0:
            return int(logits.argmax(-1))
        probs = torch.softmax(logits / req.temperature, dim=-1)[0]
        if req.top_p < 1.0:
            sorted_p, order = probs.sort(descending=True)
            keep = sorted_p.cumsum(0) - sorted_p < req.top_p
            sorted_p = sorted_p * keep
            probs = torch.zeros_like(probs).scatter(0, order, sorted_p)
        return int(torch.multinomial(probs, 1, generator=row.gen))

    def _select(self, keep: list[int]) -> None:
        from transformers import DynamicCache

        if not keep:
            self._rows, self._cache, self._mask = [], None, None
            return
        self._rows = [self._rows[i] for i in keep]
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        mask = self._mask.index_select(0, index)
        # Drop leading columns that are padding for every remaining row (keeps attention cost bounded).
        first = int(mask.any(0).nonzero()[0]) if mask.any() else 0
        layers = [(layer.keys.index_select(0, index)[:, :, first:], layer.values.index_select(0, index)[:, :, first:])
                  for layer in self._cache.layers]
        self._cache = DynamicCache(layers)
        self._mask = mask[:, first:]


def _fast_decoder(tokenizer: Any) -> Any:
    """``ids -> text`` with special tokens skipped, straight through the Rust ``tokenizers`` object when
    that is exactly what the HF wrapper would do (a fast tokenizer without clean-up of spaces).

    Why: the wrapper's per-call argument handling cost ~4x the Rust decode itself, and the engine
    decodes twice per row per step.
    """
    backend = getattr(tokenizer, "_tokenizer", None)
    if backend is not None and hasattr(backend, "decode") and not getattr(tokenizer, "clean_up_tokenization_spaces", False):
        return lambda ids: backend.decode(ids, skip_special_tokens=True)
    return lambda ids: tokenizer.decode(ids, skip_special_tokens=True)


def _deliver(events: list[tuple[GenRequest, str, Any]]) -> None:
    for req, kind, payload in events:
        if req.events is not None:
            req.events.put_nowait((kind, payload))


async def generate(engine: Engine, req: GenRequest) -> GenResult:
    """Submit and wait for the whole completion."""
    engine.submit(req)
    assert req.events is not None
    try:
        while True:
            kind, payload = await req.events.get()
            if kind == "done":
                return payload
            if kind == "error":
                raise payload
    finally:
        req.cancelled = True


async def stream(engine: Engine, req: GenRequest):  # -> AsyncIterator[tuple[str, Any]]
    """Submit and yield ("delta", text) … then ("done", GenResult)."""
    engine.submit(req)
    assert req.events is not None
    try:
        while True:
            kind, payload = await req.events.get()
            if kind == "error":
                raise payload
            yield kind, payload
            if kind == "done":
                return
    finally:
        req.cancelled = True
