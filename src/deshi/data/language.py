"""Language: keep Japanese by script share (hiragana, katakana, kanji among letters).

Script counting is exact and fast for the one question asked (is this Japanese?), and needs no model
download (fastText's lid.176 would; deshi runs air-gapped). Kana share separates Japanese from Chinese,
which has kanji but no kana. HojiChar's ``AcceptJapanese`` looks only for a kana in the first 50
characters, which keeps an English page with one Japanese word; the share is the stricter test.
"""

from __future__ import annotations

from deshi.data.chars import doc_char_counts
from deshi.data.config import LanguageConfig
from deshi.data.document import Document
from deshi.data.steps import Step


def _shares(counts: tuple[int, int, int, int, int]) -> tuple[float, float]:
    """(Japanese share, kana share) among the letters counted; (0, 0) when there are none.

    Letters are what ``[\\W\\d_]`` does not match; kana and kanji are the classes in
    :mod:`deshi.data.chars` (one table lookup per character, shared with the quality step)."""
    kana, kanji, other, _, _ = counts
    letters = kana + kanji + other
    if letters == 0:
        return 0.0, 0.0
    return (kana + kanji) / letters, kana / letters


class JapaneseFilter(Step):
    name = "language"

    def __init__(self, config: LanguageConfig) -> None:
        super().__init__()
        self.config = config

    def apply(self, doc: Document) -> Document:
        share, kana = _shares(doc_char_counts(doc))
        if share < self.config.min_japanese_share:
            doc.reject(self.name, "not_japanese")
        elif kana < self.config.min_kana_share:
            doc.reject(self.name, "no_kana")
        return doc
