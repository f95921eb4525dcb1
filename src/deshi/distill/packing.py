"""Text → fixed-length token blocks, the one training-data shape every deshi trainer and cache uses.

Examples are tokenised, each followed by EOS, concatenated and cut into blocks of ``seq_len`` tokens
(GPT-style packing: no padding, so every position trains and a top-k cache wastes no bytes on pads).
A parallel ``loss_mask`` marks tokens that should be predicted — all of them by default, or only the
answer part of prompt/answer pairs (``completion_only``).

The prompt format lives here too, so the teacher's pre-training, the synthetic set, the student and
the golden-set scoring all speak exactly the same format.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

QUESTION = "質問: "
ANSWER = "\n回答: "


def render_prompt(question: str) -> str:
    """The prompt a model sees; the answer follows directly after it."""
    return f"{QUESTION}{question.strip()}{ANSWER}"


def render_example(prompt: str, response: str) -> tuple[str, str]:
    """(prompt text, answer text) for one instruction example, in the shared format."""
    return render_prompt(prompt), response.strip()


@dataclass
class Packed:
    """Blocks of token ids and their loss mask: ``input_ids`` and ``loss_mask`` are [n_blocks, seq_len]."""

    input_ids: np.ndarray
    loss_mask: np.ndarray

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def tokens(self) -> int:
        return int(self.input_ids.size)


def _encode(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def pack(
    tokenizer,
    examples: Iterable[str | tuple[str, str]],
    seq_len: int,
    completion_only: bool = False,
    drop_last: bool = False,
    whole_examples: bool = False,
) -> Packed:
    """Pack plain texts or (prompt, answer) pairs into [n, seq_len] blocks.

    The final partial block is padded with EOS and masked out (kept unless ``drop_last``), so small
    synthetic sets still train. Raises ValueError when nothing could be tokenised.

    ``whole_examples``: an example that does not fit in what is left of the current block starts the
    next block instead (the gap is EOS, masked out), so no example is cut in two. Why: in plain stream
    packing every block boundary cuts one example, and with short instruction pairs (~3 per block at
    seq 128) about a third of them lose their prompt — the model then learns those answers without
    their question. Costs the padding; examples longer than ``seq_len`` are still cut.
    """
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no eos_token; deshi packs examples separated by EOS")
    stream: list[int] = []
    mask: list[int] = []
    for example in examples:
        if isinstance(example, tuple):
            prompt_ids = _encode(tokenizer, example[0])
            answer_ids = _encode(tokenizer, example[1]) + [eos]
            ids = prompt_ids + answer_ids
            example_mask = [0 if completion_only else 1] * len(prompt_ids) + [1] * len(answer_ids)
        else:
            ids = _encode(tokenizer, example) + [eos]
            example_mask = [1] * len(ids)
        used = len(stream) % seq_len
        if whole_examples and used and used + len(ids) > seq_len and len(ids) <= seq_len:
            stream += [eos] * (seq_len - used)
            mask += [0] * (seq_len - used)
        stream += ids
        mask += example_mask
    if not stream:
        raise ValueError("no tokens to pack (empty input)")
    full, rest = divmod(len(stream), seq_len)
    if rest and not drop_last:
        pad = seq_len - rest
        stream += [eos] * pad
        mask += [0] * pad
        full += 1
    n = full * seq_len
    ids = np.asarray(stream[:n], dtype=np.int64).reshape(full, seq_len)
    lm = np.asarray(mask[:n], dtype=np.uint8).reshape(full, seq_len)
    if len(ids) == 0:
        raise ValueError(f"fewer than seq_len={seq_len} tokens and drop_last=True: nothing to train on")
    return Packed(ids, lm)


def example_position_ids(input_ids, eos_id: int):
    """Position ids that restart at 0 after every EOS: each packed example gets its own positions.

    Given to a Hugging Face decoder as ``position_ids`` (with no ``attention_mask``), transformers'
    mask utilities read the restarts as sequence boundaries and build a block-diagonal causal mask
    (the "packed / padding-free" format of ``DataCollatorWithFlattening``), so a token attends only to
    its own example. Why: in a plain packed block an answer is learned in the context of unrelated
    earlier examples, but at inference its question stands alone. EOS separates examples (``pack``
    appends one to each); the EOS padding that ``whole_examples`` inserts becomes one-token sequences.
    """
    import torch

    n, length = input_ids.shape
    index = torch.arange(length, device=input_ids.device).expand(n, length)
    starts = torch.zeros_like(input_ids, dtype=torch.bool)
    starts[:, 0] = True
    starts[:, 1:] = input_ids[:, :-1] == eos_id
    last_start = torch.where(starts, index, torch.zeros_like(index)).cummax(dim=1).values
    return index - last_start


def isolation_plan(n_blocks: int, fraction: float) -> np.ndarray:
    """Which blocks (by index) are trained with isolated examples: ``round(fraction · n)`` of them.

    A fixed permutation (not the run's seed), so the teacher's cache and every training run of the same
    packed data agree on it. Why a share and not all-or-nothing: a model trained only on isolated
    examples never sees a question after unrelated text, and answers worse after few-shot examples or
    chat history; the non-isolated blocks keep that skill.
    """
    chosen = np.zeros(n_blocks, dtype=bool)
    chosen[np.random.default_rng(0x150).permutation(n_blocks)[: round(fraction * n_blocks)]] = True
    return chosen


def block_position_ids(input_ids, eos_id: int, isolated_rows):
    """Position ids for a batch: ``example_position_ids`` on the isolated rows, 0..L-1 on the others."""
    import torch

    positions = example_position_ids(input_ids, eos_id)
    plain = ~torch.as_tensor(isolated_rows, dtype=torch.bool, device=input_ids.device)
    positions[plain] = torch.arange(input_ids.shape[1], device=input_ids.device)
    return positions


def isolation_kwargs(position_ids) -> dict:
    """Forward arguments that make each packed example attend only to itself (none when not isolating).

    ``use_cache=False`` matters: transformers detects packed sequences from restarting position ids
    only when no KV cache is passed, and a CausalLM forward creates one when the config says
    ``use_cache: true`` (the saved default).
    """
    return {} if position_ids is None else {"position_ids": position_ids, "use_cache": False}


def block_isolation(input_ids, eos_id: int, isolated_rows) -> dict:
    """``isolation_kwargs`` for a batch whose ``isolated_rows`` (bool per row) are isolated; {} if none is."""
    if not isolated_rows.any():
        return {}
    return isolation_kwargs(block_position_ids(input_ids, eos_id, isolated_rows))


def labels_from(input_ids, loss_mask):
    """Next-token labels for positions 0..L-2 ([n, L-1]); -100 where the next token is masked out."""

    labels = input_ids[:, 1:].clone()
    labels[loss_mask[:, 1:] == 0] = -100
    return labels
