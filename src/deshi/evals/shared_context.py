"""Multiple-choice scoring with the shared context computed once.

A multiple-choice example asks for ``log p(choice | context)`` for every choice, and the context is most
of each request's tokens (the 2-shot prompt vs a few tokens of answer). Scoring each (context, choice)
pair separately runs the context once per choice. Here the choices of one context are *packed* into one
sequence ``context + choice₁ + choice₂ + …`` with a block attention mask: every choice token sees the
context and the earlier tokens of its own choice, never another choice, and its position ids continue
from the end of the context as if it were alone. So the context's keys and values are computed once and
every choice reads them, which is what a shared-prefix KV cache does, in one forward pass and without
copying caches. (Hand-written because transformers has no multiple-choice scorer; lm-evaluation-harness
scores pairs one by one and only shares the context through its request cache.)

The mask is a 4D additive float mask, which transformers passes to the attention kernels as given. A
model family that ignores custom 4D masks would give different numbers, so the caller checks the packed
scores of the first context against pair-by-pair scores once per model and keeps the pair path if they
differ (:meth:`deshi.evals.models.HFModel.loglikelihood`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Packed:
    """Model inputs for a batch of packed groups, and where each continuation's predictions sit."""

    input_ids: Any  # (rows, width) long, left-padded
    attention_mask: Any  # (rows, 1, width, width) float, 0 = attend, dtype min = masked
    position_ids: Any  # (rows, width) long
    # Per group, per continuation: the sequence positions whose outputs predict its tokens.
    positions: list[list[list[int]]]


def packed_length(context: list[int], continuations: list[list[int]]) -> int:
    """Tokens in the packed sequence: the context, then each continuation without its last token
    (the last token is predicted, never used to predict)."""
    return len(context) + sum(len(c) - 1 for c in continuations)


def pack(groups: list[tuple[list[int], list[list[int]]]], pad_id: int, device: str, dtype: Any) -> Packed:
    """Pack each (context, continuations) group into one left-padded row with a block-causal mask."""
    import torch

    width = max(packed_length(ctx, conts) for ctx, conts in groups)
    ids, segments, positions, where = [], [], [], []
    for ctx, conts in groups:
        row_ids, row_seg, row_pos = list(ctx), [0] * len(ctx), list(range(len(ctx)))
        offsets: list[list[int]] = []
        pad = width - packed_length(ctx, conts)
        last_context = pad + len(ctx) - 1
        for k, cont in enumerate(conts, start=1):
            body = cont[:-1]
            start = pad + len(row_ids)
            # Token j of the continuation is predicted by the context's last position (j = 0) or by
            # the continuation's own token j - 1.
            offsets.append([last_context, *range(start, start + len(body))])
            row_ids += body
            row_seg += [k] * len(body)
            row_pos += range(len(ctx), len(ctx) + len(body))
        ids.append([pad_id] * pad + row_ids)
        segments.append([-1] * pad + row_seg)
        positions.append([0] * pad + row_pos)
        where.append(offsets)
    seg = torch.tensor(segments, device=device)
    n = seg.shape[1]
    causal = torch.ones(n, n, dtype=torch.bool, device=device).tril()
    key_seg, query_seg = seg[:, None, :], seg[:, :, None]
    allowed = causal[None] & (key_seg >= 0) & ((key_seg == 0) | (key_seg == query_seg))
    # Padding queries see themselves only: a fully masked row would be NaN, and NaN values times a zero
    # attention weight are still NaN in the next layer.
    allowed |= torch.eye(n, dtype=torch.bool, device=device)[None] & (query_seg < 0)
    mask = torch.zeros(allowed.shape, dtype=dtype, device=device)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return Packed(torch.tensor(ids, device=device), mask[:, None], torch.tensor(positions, device=device), where)
