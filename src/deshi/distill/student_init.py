"""Student initialisation: a fresh model from a config, or a depth-pruned copy of the teacher.

Depth pruning (Minitron; ShortGPT) keeps a subset of the teacher's decoder layers and copies the
embeddings, final norm and LM head unchanged, so the student starts from the teacher's representation
space instead of noise. Layers are chosen either every k-th, or by *Block Influence* (ShortGPT):
BI_i = 1 − mean cos(h_in, h_out) of layer i on a calibration batch — layers that barely change the
hidden state are the ones to drop.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from deshi.errors import DeshiError


class StudentInitError(DeshiError):
    """The student cannot be built as configured (bad layer selection, unsupported architecture)."""


def from_config(teacher_config, overrides: dict[str, Any], vocab_size: int | None = None):
    """A randomly initialised model of the teacher's architecture with ``overrides`` applied.

    The vocabulary is forced to the teacher's (or ``vocab_size``): logit distillation needs it shared.
    """
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(teacher_config)
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise StudentInitError(f"student config: {type(config).__name__} has no field '{key}'")
        setattr(config, key, value)
    if vocab_size is not None:
        config.vocab_size = vocab_size
    if getattr(config, "head_dim", None) is not None and "head_dim" not in overrides:
        config.head_dim = config.hidden_size // config.num_attention_heads
    if config.hidden_size % config.num_attention_heads:
        raise StudentInitError(
            f"student hidden_size {config.hidden_size} is not divisible by num_attention_heads {config.num_attention_heads}"
        )
    return AutoModelForCausalLM.from_config(config)


def _decoder_layers(model) -> torch.nn.ModuleList:
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if not isinstance(layers, torch.nn.ModuleList):
        raise StudentInitError(
            f"depth pruning supports decoder-only models with model.layers (Llama, Mistral, Qwen…); "
            f"{type(model).__name__} has none"
        )
    return layers


def every_kth(num_layers: int, keep: int) -> list[int]:
    """``keep`` layers spread evenly, always including the first and the last."""
    if not 1 <= keep <= num_layers:
        raise StudentInitError(f"keep_layers must be in [1, {num_layers}] (got {keep})")
    if keep == 1:
        return [num_layers - 1]
    return sorted({round(i * (num_layers - 1) / (keep - 1)) for i in range(keep)})


@torch.no_grad()
def block_influence(model, input_ids: torch.Tensor) -> list[float]:
    """ShortGPT's Block Influence per layer: 1 − mean cosine similarity of its input and output states."""
    out = model(input_ids=input_ids, output_hidden_states=True)
    hidden = out.hidden_states  # embeddings, then after each layer (the last one is post-norm in HF)
    scores = []
    n = len(_decoder_layers(model))
    for i in range(n):
        h_in, h_out = hidden[i].float(), hidden[i + 1].float()
        cos = torch.nn.functional.cosine_similarity(h_in, h_out, dim=-1)
        scores.append(float(1.0 - cos.mean()))
    return scores


def by_importance(model, input_ids: torch.Tensor, keep: int) -> tuple[list[int], list[float]]:
    """Keep the ``keep`` layers with the highest Block Influence (order preserved)."""
    scores = block_influence(model, input_ids)
    if not 1 <= keep <= len(scores):
        raise StudentInitError(f"keep_layers must be in [1, {len(scores)}] (got {keep})")
    ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:keep]
    return sorted(ranked), scores


def prune_depth(teacher, layers: list[int]):
    """A copy of ``teacher`` with only ``layers`` (teacher indices), embeddings/norm/head copied.

    ``config.num_hidden_layers`` (and ``layer_types`` where the architecture has it) are updated and
    each kept attention module gets its new ``layer_idx`` so the KV cache indexes correctly; the result
    saves with ``save_pretrained`` and loads with ``AutoModelForCausalLM.from_pretrained``.
    """
    source_layers = _decoder_layers(teacher)
    if not layers or sorted(set(layers)) != sorted(layers) or min(layers) < 0 or max(layers) >= len(source_layers):
        raise StudentInitError(f"layers must be distinct indices in [0, {len(source_layers) - 1}] (got {layers})")
    student = copy.deepcopy(teacher)
    kept = torch.nn.ModuleList([student.model.layers[i] for i in sorted(layers)])
    for new_index, layer in enumerate(kept):
        attn = getattr(layer, "self_attn", None)
        if attn is not None and hasattr(attn, "layer_idx"):
            attn.layer_idx = new_index
        if hasattr(layer, "layer_idx"):
            layer.layer_idx = new_index
    student.model.layers = kept
    config = student.config
    config.num_hidden_layers = len(kept)
    if isinstance(getattr(config, "layer_types", None), list):
        config.layer_types = [config.layer_types[i] for i in sorted(layers)]
    return student


def parameter_count(model, exclude_embeddings: bool = False) -> int:
    total = sum(p.numel() for p in model.parameters())
    if exclude_embeddings:
        total -= model.get_input_embeddings().weight.numel()
    return total
