"""The tokens every deshi tokenizer reserves: control tokens, chat markers, PII placeholders, newline.

They are SentencePiece *user-defined symbols* (always one piece, never split, never merged into a
neighbour) so that a redacted ``<PHONE>`` costs one token and a chat turn boundary cannot be forged by
an unlucky segmentation. The same strings become Hugging Face added tokens on export.
"""

from __future__ import annotations

from deshi.data.pii import PLACEHOLDERS

# The placeholders written by the curate stage's PII redaction: reserved so that a redacted ``<PHONE>``
# stays one token (a placeholder split into pieces loses its meaning for the model).
PII_PLACEHOLDERS: tuple[str, ...] = tuple(dict.fromkeys(str(v) for v in PLACEHOLDERS.values()))

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
