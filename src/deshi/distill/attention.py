"""The student's attention kernel during training, chosen by measurement on the machine that trains.

On GPUs ``sdpa`` (flash / memory-efficient kernels) is the right answer and is left alone. On CPUs the
answer depends on the dtype and the instruction set: on the AVX512-BF16 EPYC this project measures on,
PyTorch 2.13's CPU flash-attention kernel (what ``sdpa`` dispatches to) takes ~36-41 ms for one layer's
causal forward+backward of the demo student in bf16 (batch 8, 5 heads, seq 256, head dim 64) while
transformers' ``eager`` attention (two matrix multiplies and a softmax) takes ~21 ms; in fp32 the flash
kernel wins (33 vs 38-42 ms). So ``attention: auto`` trains a CPU bf16 run with transformers' ``eager``
attention and leaves everything else on the model's own (``choose``); ``sdpa`` or ``eager`` force one.
``measure`` times both on a run's shapes (the benchmark records it, so the rule is re-checked on the
machine it reports from). The model is handed back with the implementation it came with, so saved
models and later inference are unaffected.

A hand-written CPU kernel (scale on the query, in-place causal fill, softmax in bf16) was measured too:
within ~10 % of ``eager`` on the attention alone (~1 % of a training step), not worth owning.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import torch

from deshi.log import get_logger

log = get_logger("distill.attention")

CHOICES = ("auto", "sdpa", "eager")


def _attention_module(model):
    for module in model.modules():
        if hasattr(module, "num_key_value_groups") and hasattr(module, "head_dim") and hasattr(module, "scaling"):
            return module
    return None


def _causal_mask(seq_len: int, dtype: torch.dtype, device) -> torch.Tensor:
    """The additive causal mask transformers builds for ``eager`` (its ``sdpa`` path needs none)."""
    mask = torch.zeros(seq_len, seq_len, dtype=dtype, device=device)
    return mask.masked_fill(torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).triu(1), torch.finfo(dtype).min)


def _time(fn, module, q, k, v, mask, repeats: int) -> float:
    grad = torch.randn(q.size(0), q.size(2), q.size(1), q.size(3), generator=torch.Generator().manual_seed(1)).to(q)
    times = []
    for _ in range(repeats + 1):  # the first call is a warm-up (allocations, kernel selection)
        for t in (q, k, v):
            t.grad = None
        start = time.process_time()
        out, _ = fn(module, q, k, v, mask, dropout=0.0, scaling=module.scaling, is_causal=True)
        out.backward(grad)
        times.append(time.process_time() - start)
    return min(times[1:])  # the least-disturbed call: robust to other jobs on a shared machine


def measure(model, batch_size: int, seq_len: int, dtype: torch.dtype, repeats: int = 5) -> dict[str, float]:
    """CPU seconds of one layer's causal attention forward+backward per candidate, at the run's shapes.

    Each candidate gets the mask transformers would give it (``sdpa``: none, ``is_causal``; ``eager``:
    the additive float mask), so the timing is that of the model's real attention call.
    """
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS
    from transformers.models.llama.modeling_llama import eager_attention_forward

    module = _attention_module(model)
    config = model.config
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(0)  # the run's own RNG stream is left untouched

    def rand(h):
        x = torch.randn(batch_size, h, seq_len, module.head_dim, generator=gen)
        return x.to(device=device, dtype=dtype).requires_grad_(True)

    q, k, v = rand(heads), rand(kv_heads), rand(kv_heads)
    mask = _causal_mask(seq_len, dtype, device)[None, None].expand(batch_size, 1, seq_len, seq_len)
    functions = {"sdpa": (ALL_ATTENTION_FUNCTIONS["sdpa"], None), "eager": (eager_attention_forward, mask)}
    with torch.autocast(device.type, enabled=False):
        return {name: _time(fn, module, q, k, v, m, repeats) for name, (fn, m) in functions.items()}


def choose(model, requested: str, dtype: torch.dtype) -> str | None:
    """The ``attn_implementation`` to train with, or None to keep the model's own (``requested`` is one of
    ``CHOICES``, checked where the training config is built).

    ``auto`` is a fixed rule, not a timing taken at start-up, so that the same config trains the same
    model bit for bit on every run: a CPU model on ``sdpa`` that trains in bf16 switches to ``eager``
    (measured ~2x faster attention here; ``measure`` re-checks it on any machine and the benchmark
    reports it); everything else (fp32, GPUs, flash-attention or other kernels) keeps its own.
    """
    current = getattr(model.config, "_attn_implementation", None)
    if requested == "auto":
        device = next(model.parameters()).device
        cpu_bf16 = device.type == "cpu" and dtype == torch.bfloat16
        requested = "eager" if cpu_bf16 and current == "sdpa" and _attention_module(model) is not None else current
    return None if requested == current else requested


@contextmanager
def using(model, implementation: str | None):
    """Train with ``implementation``; give the model back with the attention it came with (None or the
    model's own: nothing to switch)."""
    original = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if implementation is None or implementation == original:
        yield
        return
    model.set_attn_implementation(implementation)
    try:
        yield
    finally:
        model.set_attn_implementation(original)
