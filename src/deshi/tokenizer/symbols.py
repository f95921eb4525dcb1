"""The tokens every deshi tokenizer reserves: control tokens, chat markers, PII placeholders, newline.

They are SentencePiece *user-defined symbols* (always one piece, never split, never merged into a
neighbour) so that a redacted ``<PHONE>`` costs one token and a chat turn boundary cannot be forged by
an unlucky segmentation. The same strings become Hugging Face added tokens on export.
"""

from __future__ import annotations

try:  # the PII recogniser package owns the placeholder spelling; use it when it is installed
    from deshi.data.pii import PLACEHOLDERS as _PII_PLACEHOLDERS
except ImportError:  # pragma: no cover - depends on which branches are merged
    _PII_PLACEHOLDERS = None

# Fallback copy of the placeholders written by the curate stage's PII redaction. They must match
# ``deshi.data.pii.PLACEHOLDERS`` exactly: a placeholder the tokenizer does not reserve is split
# into several pieces and loses its meaning for the model.
_LOCAL_PII_PLACEHOLDERS: tuple[str, ...] = (
    "<PHONE>",
    "<EMAIL>",
    "<MY_NUMBER>",
    "<CORPORATE_NUMBER>",
    "<POSTAL_CODE>",
    "<ADDRESS>",
    "<IP>",
    "<CARD>",
    "<NAME>",
)


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, dict):
        return tuple(str(v) for v in value.values())
    return tuple(str(v) for v in value)  # type: ignore[union-attr]


PII_PLACEHOLDERS: tuple[str, ...] = (
    _as_tuple(_PII_PLACEHOLDERS) if _PII_PLACEHOLDERS else _LOCAL_PII_PLACEHOLDERS
)

UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
CHAT_MARKERS: tuple[str, ...] = (IM_START, IM_END)

# "\n" is reserved so newlines survive training (SentencePiece trains on lines) and cost one token.
NEWLINE = "\n"


def user_defined_symbols() -> list[str]:
    """Symbols SentencePiece must keep whole, in id order after the four control tokens."""
    seen: dict[str, None] = {}
    for symbol in (*CHAT_MARKERS, *PII_PLACEHOLDERS, NEWLINE):
        seen.setdefault(symbol, None)
    return list(seen)


# ChatML, as used by Qwen and many Japanese instruction models: easy to parse and already known to
# vLLM / TGI. ``add_generation_prompt`` opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
