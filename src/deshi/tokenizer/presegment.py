"""Japanese pre-segmentation for tokenizer *training*: pieces must not cross word boundaries.

MeCab (through fugashi, with the bundled unidic-lite dictionary) splits each training line into
morphemes; they are joined with ``DELIMITER`` and SentencePiece is trained with
``pretokenization_delimiter=DELIMITER``, which splits on it and drops it. So pieces like ``東京`` are
learned while ``京都に`` (crossing 京都|に) is not. At encode time the delimiter is never inserted:
raw text is segmented by the learned model alone, which keeps encoding fast, dependency-free and
exactly invertible.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# A private-use code point: never produced by the curate stage's NFKC normalisation of ordinary text.
DELIMITER = "\ue000"


@lru_cache(maxsize=1)
def _tagger() -> Any:
    try:
        import fugashi
    except ImportError as exc:  # pragma: no cover - fugashi is a core dependency
        from deshi.tokenizer.errors import TokenizerError

        raise TokenizerError("pre-segmentation needs fugashi and unidic-lite: pip install fugashi unidic-lite") from exc
    return fugashi.Tagger()


def presegment(line: str) -> str:
    """``line`` with DELIMITER between morphemes; whitespace is kept, attached to the next morpheme."""
    if not line:
        return line
    words = _tagger()(line)
    out = DELIMITER.join(w.white_space + w.surface for w in words)
    # MeCab drops trailing whitespace; keep the line's text otherwise identical.
    stripped = line.rstrip()
    if len(stripped) != len(line):
        out += line[len(stripped):]
    return out


def morpheme_units(line: str) -> list[str]:
    """Morphemes of ``line``, each with the whitespace before it attached (concatenation == line)."""
    if not line:
        return []
    units = [w.white_space + w.surface for w in _tagger()(line)]
    stripped = line.rstrip()
    if len(stripped) != len(line):
        units.append(line[len(stripped):])
    return units


def morphemes(text: str) -> list[str]:
    """Morpheme surfaces of ``text`` (for tokens-per-word on Japanese)."""
    return [w.surface for w in _tagger()(text)]
