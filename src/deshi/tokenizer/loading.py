"""Load any tokenizer the report compares: a Hugging Face directory or a SentencePiece ``.model``.

Both are wrapped in one small interface (encode / decode / pieces / byte-token test) so metrics are
computed the same way for every tokenizer, with no special tokens added.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deshi.tokenizer.errors import TokenizerError

_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


@dataclass
class LoadedTokenizer:
    name: str
    path: Path
    kind: str  # "sentencepiece", "hf" or "hf-byte-level"
    impl: Any
    vocab_size: int

    def encode(self, text: str) -> list[int]:
        if self.kind == "sentencepiece":
            return list(self.impl.encode(text))
        return list(self.impl.encode(text, add_special_tokens=False))

    def decode(self, ids: list[int]) -> str:
        if self.kind == "sentencepiece":
            return self.impl.decode(ids)
        return self.impl.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)

    def byte_tokens(self, ids: list[int]) -> int:
        """Tokens that stand for a raw byte rather than text.

        SentencePiece/HF byte fallback: ``<0xNN>`` pieces. Byte-level BPE has no fallback pieces; its
        analogue is a token that is not valid UTF-8 on its own (a fragment of a character).
        """
        if self.kind == "sentencepiece":
            return sum(1 for i in ids if self.impl.is_byte(i))
        tokens = self.impl.convert_ids_to_tokens(ids)
        if self.kind == "hf":
            return sum(1 for t in tokens if t and _BYTE_PIECE.match(t))
        count = 0
        for token in tokens:
            raw = bytes(_BYTE_DECODER.get(ch, 0) for ch in token or "")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                count += 1
        return count


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte <-> printable-character table used by every byte-level BPE."""
    from tokenizers.pre_tokenizers import ByteLevel

    alphabet = ByteLevel.alphabet()
    # ByteLevel.alphabet() is unordered; rebuild GPT-2's canonical mapping to pair bytes with chars.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = {b: chr(c) for b, c in zip(bs, cs, strict=True)}
    assert set(table.values()) == set(alphabet)
    return table


_BYTE_DECODER = {ch: b for b, ch in _bytes_to_unicode().items()}


def parse_spec(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` or ``PATH`` (name: the directory or file stem)."""
    if "=" in spec and not Path(spec).exists():
        name, _, path = spec.partition("=")
        return name, Path(path)
    path = Path(spec)
    return (path.stem if path.is_file() else path.name), path


def load_tokenizer(spec: str) -> LoadedTokenizer:
    name, path = parse_spec(spec)
    if path.is_file() and path.suffix == ".model":
        import sentencepiece as spm

        processor = spm.SentencePieceProcessor(model_file=str(path))
        return LoadedTokenizer(name, path, "sentencepiece", processor, processor.get_piece_size())
    if path.is_dir() and (path / "tokenizer.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path))
        tokenizer.model_max_length = 1 << 40  # measuring whole documents, not feeding a model: no length warning
        spec_json = json.loads(tokenizer.backend_tokenizer.to_str())
        byte_level = "ByteLevel" in json.dumps([spec_json.get("pre_tokenizer"), spec_json.get("decoder")])
        return LoadedTokenizer(name, path, "hf-byte-level" if byte_level else "hf", tokenizer, len(tokenizer))
    if path.is_dir() and (path / "tokenizer_config.json").is_file():
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path))
        return LoadedTokenizer(name, path, "hf", tokenizer, len(tokenizer))
    if not path.exists():
        raise TokenizerError(f"tokenizer {path} does not exist")
    raise TokenizerError(f"{path}: not a tokenizer (expected a Hugging Face tokenizer directory or a SentencePiece .model file)")
