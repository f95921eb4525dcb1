"""Fertility report: how many tokens a tokenizer spends on held-out Japanese and English text.

Metrics per tokenizer and language (higher chars/token = cheaper requests, longer effective context):

* ``chars_per_token``: characters / tokens (llm-jp-tokenizer v3 reaches about 2.0 on Japanese);
* ``tokens_per_word``: tokens / words, words being MeCab morphemes for Japanese and whitespace words
  for English;
* ``byte_rate``: share of tokens that are raw bytes (see ``LoadedTokenizer.byte_tokens``);
* ``roundtrip``: share of documents with ``decode(encode(x)) == x``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from deshi.tokenizer.loading import LoadedTokenizer
from deshi.tokenizer.presegment import morphemes


@dataclass
class Fertility:
    tokenizer: str
    language: str
    documents: int
    characters: int
    tokens: int
    words: int
    byte_tokens: int
    roundtrip_ok: int
    vocab_size: int

    @property
    def chars_per_token(self) -> float:
        return self.characters / self.tokens if self.tokens else 0.0

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0

    @property
    def byte_rate(self) -> float:
        return self.byte_tokens / self.tokens if self.tokens else 0.0

    @property
    def roundtrip(self) -> float:
        return self.roundtrip_ok / self.documents if self.documents else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "chars_per_token": round(self.chars_per_token, 4),
            "tokens_per_word": round(self.tokens_per_word, 4),
            "byte_rate": round(self.byte_rate, 6),
            "roundtrip": self.roundtrip,
        }


def count_words(text: str, language: str) -> int:
    if language == "ja":
        return sum(1 for m in morphemes(text) if m.strip())
    return len(text.split())


def measure(tokenizer: LoadedTokenizer, texts: Sequence[str], language: str) -> Fertility:
    characters = tokens = words = byte_tokens = roundtrip_ok = 0
    for text in texts:
        ids = tokenizer.encode(text)
        characters += len(text)
        tokens += len(ids)
        words += count_words(text, language)
        byte_tokens += tokenizer.byte_tokens(ids)
        roundtrip_ok += tokenizer.decode(ids) == text
    return Fertility(tokenizer.name, language, len(texts), characters, tokens, words, byte_tokens, roundtrip_ok,
                     tokenizer.vocab_size)


def measure_all(tokenizers: Iterable[LoadedTokenizer], corpora: dict[str, Sequence[str]]) -> list[Fertility]:
    return [measure(t, texts, lang) for t in tokenizers for lang, texts in corpora.items() if texts]


HEADERS = ["tokenizer", "lang", "vocab", "docs", "chars/token", "tokens/word", "byte-token rate", "round-trip exact"]


def rows(results: Sequence[Fertility]) -> list[list[Any]]:
    return [
        [r.tokenizer, r.language, r.vocab_size, r.documents, f"{r.chars_per_token:.3f}", f"{r.tokens_per_word:.3f}",
         f"{r.byte_rate:.2%}", f"{r.roundtrip:.2%}"]
        for r in results
    ]


def plot(results: Sequence[Fertility]) -> Any:
    """Grouped bars: chars/token per tokenizer, one group per language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    languages = list(dict.fromkeys(r.language for r in results))  # in the order given (ja first)
    names = list(dict.fromkeys(r.tokenizer for r in results))
    value = {(r.tokenizer, r.language): r.chars_per_token for r in results}
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(names) * len(languages)), 3.6))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        xs = [j + i * width for j in range(len(languages))]
        ys = [value.get((name, lang), 0.0) for lang in languages]
        bars = ax.bar(xs, ys, width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(languages))], languages)
    ax.set_ylabel("characters per token (higher is better)")
    ax.legend(fontsize=8)
    return fig


def write_report(results: Sequence[Fertility], out: Path, notes: Sequence[str] = ()) -> Path:
    from deshi.report import esc, img_html, table_html, write_html

    intro = "".join(f"<p>{esc(n)}</p>" for n in notes)
    intro += (
        "<p>chars/token: characters per token (higher = cheaper). tokens/word: words are MeCab "
        "morphemes for Japanese, whitespace-separated words for English. byte-token rate: tokens that "
        "are raw bytes (&lt;0xNN&gt; fallback pieces, or byte-level tokens that are a fragment of a "
        "character). round-trip exact: documents with decode(encode(x)) == x.</p>"
    )
    return write_html(
        out,
        "deshi tokenizer report",
        [
            ("Fertility", intro + table_html(HEADERS, rows(results))),
            ("Characters per token", img_html(plot(results), "characters per token by tokenizer and language")),
        ],
    )
