"""Quality: length bounds, character and line repetition, symbol ratio, advertising keywords.

The advertising/boilerplate keyword list starts with HojiChar's (``dict/advertisement_keywords_ja.txt``,
used by its ``DiscardAds``; copied with attribution so the core install does not import HojiChar) plus
common Japanese e-commerce/spam phrases; hits are counted with one Aho-Corasick pass instead of
HojiChar's regex alternation. Mojibake (UTF-8 read as Shift_JIS or Latin-1, replacement characters)
is measured as the share of characters that almost never occur in real Japanese text. The character repetition ratio is the BigScience/HojiChar measure
(``CharRepetitionRatioFilter``: share of all n-grams taken by the sqrt(#distinct) most frequent ones),
computed here on NumPy rolling hashes because HojiChar's pure-Python dict version cost ~145 µs per
1,000-character document on this machine — a quarter of our per-document budget; the test suite checks
that both give the same ratio.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np

from deshi.data.chars import codepoints, doc_char_counts
from deshi.data.config import QualityConfig
from deshi.data.document import Document
from deshi.data.keywords import KeywordScanner, SharedScan
from deshi.data.steps import Step

_MULT = np.uint64(0x9E3779B97F4A7C15)


def ngram_hashes(text: str, n: int) -> np.ndarray:
    """64-bit rolling hashes of every character n-gram (collisions are ~2^-64 per pair).

    h = c0, then h = h * M ^ ck for k = 1 … n-1 in uint64 arithmetic; the first product makes the
    result array (no separate copy)."""
    cp = codepoints(text).astype(np.uint64)  # code points are < 2^21: same values
    count = len(cp) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    if n == 1:
        return cp
    h = cp[:count] * _MULT
    h ^= cp[1 : 1 + count]
    for k in range(2, n):
        h *= _MULT
        h ^= cp[k : k + count]
    return h


def _first_of_runs(ordered: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of every run of equal values in a sorted array."""
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _run_lengths(first: np.ndarray) -> np.ndarray:
    starts = np.flatnonzero(first)
    counts = np.empty(starts.size, dtype=np.intp)
    np.subtract(starts[1:], starts[:-1], out=counts[:-1])
    counts[-1] = first.size - starts[-1]
    return counts


def sorted_distinct(hashes: np.ndarray) -> np.ndarray:
    """Distinct values ascending: :func:`sorted_counts` without the counts (dedup's shingles need none)."""
    if hashes.size == 0:
        return hashes
    ordered = np.sort(hashes)
    return ordered[_first_of_runs(ordered)]


def sorted_counts(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values ascending, occurrences of each) — ``np.unique(hashes, return_counts=True)``.

    Written out (sort, boundary mask) because NumPy 2.3's ``np.unique`` takes a hash-table path for
    plain calls that costs ~30 µs on a 450-element array against ~8 µs for sort + mask."""
    if hashes.size == 0:
        return hashes, np.zeros(0, dtype=np.intp)
    ordered = np.sort(hashes)
    first = _first_of_runs(ordered)
    return ordered[first], _run_lengths(first)


def char_repetition_ratio(text: str, n: int) -> float:
    """Share of n-gram occurrences taken by the top sqrt(#distinct) n-grams that repeat."""
    hashes = ngram_hashes(text, n)
    if hashes.size == 0:
        return 0.0
    hashes.sort()
    return _top_share(hashes.size, _first_of_runs(hashes))


def _top_share(total: int, first: np.ndarray) -> float:
    counts = _run_lengths(first)
    repeated = np.count_nonzero(counts - 1)  # n-grams seen more than once
    # int(sqrt) of an int below 2^52 is the same in math and NumPy (both correctly rounded).
    top = min(int(math.sqrt(counts.size)), repeated)
    if top <= 0:
        return 0.0
    counts.sort()
    # Integer sums below 2^53 divide to the same float in Python and in NumPy.
    return int(counts[-top:].sum()) / total


def char_repetition_exceeds(text: str, n: int, limit: float) -> bool:
    """``char_repetition_ratio(text, n) > limit``, usually without counting every n-gram.

    The top k n-grams (k <= sqrt(#distinct)) cover at most ``total - (#distinct - k)`` occurrences,
    since every other distinct n-gram occurs at least once; when that bound is within ``limit`` the
    answer is no (most documents: ~6 µs of NumPy calls saved per document). Otherwise the exact share
    is computed as in :func:`char_repetition_ratio`."""
    hashes = ngram_hashes(text, n)
    total = int(hashes.size)
    if total == 0:
        return 0.0 > limit
    hashes.sort()
    distinct = int(np.count_nonzero(hashes[1:] != hashes[:-1])) + 1  # run starts: the first is one
    # Same denominator on both sides: a smaller numerator never divides to a larger float.
    if (total - distinct + int(math.sqrt(distinct))) / total <= limit:
        return False
    return _top_share(total, _first_of_runs(hashes)) > limit


def duplicate_line_ratio(text: str) -> float:
    """Share of non-empty lines that repeat an earlier line (menus, footers, spam)."""
    parts = text.split("\n")
    distinct = set(parts)
    empty = "" in distinct
    # No line other than "" occurs twice (most documents): no non-blank line repeats, so the share is
    # 0.0 (as it is for fewer than 3 lines) without stripping and collecting every line.
    if len(distinct) - empty == len(parts) - (parts.count("") if empty else 0):
        return 0.0
    lines = [line for line in parts if line.strip()]
    if len(lines) < 3:
        return 0.0
    return 1 - len(set(lines)) / len(lines)


@lru_cache(maxsize=1)
def ad_keywords() -> tuple[str, ...]:
    """HojiChar's advertising/boilerplate keywords (plus ours), in file order."""
    words = resources.files("deshi.data").joinpath("wordlists", "advertisement_ja.txt").read_text(encoding="utf-8")
    return tuple(w for w in (line.strip() for line in words.splitlines()) if w and not w.startswith("#"))


@lru_cache(maxsize=1)
def ad_scanner() -> KeywordScanner[str]:
    """The advertising keywords' automaton, one per process."""
    return KeywordScanner((w, w) for w in ad_keywords())


def ad_keyword_hits(text: str) -> int:
    """Number of *distinct* keywords present: one boilerplate line repeated (■, よくある質問) is not an ad,
    many different selling phrases are."""
    return len(ad_scanner().distinct(text))


class QualityFilter(Step):
    name = "quality"

    def __init__(self, config: QualityConfig) -> None:
        super().__init__()
        self.config = config
        self.shared: SharedScan | None = None  # set by deshi.data.content.share_keyword_scan

    def _ad_keywords(self, doc: Document) -> int:
        if self.shared is None:
            return ad_keyword_hits(doc.text)
        return len({key for _, _, key in self.shared.hits(doc, "ads")})  # distinct keywords, as ad_keyword_hits

    @property
    def checks_ad_keywords(self) -> bool:
        """Whether the advertising rule is on (``max_ad_keywords: null`` turns it off)."""
        return self.config.max_ad_keywords is not None

    def apply(self, doc: Document) -> Document:
        # A share threshold of 1.0 can never be exceeded (a share is at most 1), so such a rule is
        # skipped rather than computed: a team that turns rules off does not pay for them.
        cfg = self.config
        text = doc.text
        if len(text) < cfg.min_chars:
            doc.reject(self.name, "too_short")
        elif len(text) > cfg.max_chars:
            doc.reject(self.name, "too_long")
        # the mojibake and symbol shares from the counts the language step left on the document
        # (an empty text has zero counts: 0 / 1 is their 0.0)
        elif cfg.max_mojibake_ratio < 1 and doc_char_counts(doc)[4] / (len(text) or 1) > cfg.max_mojibake_ratio:
            doc.reject(self.name, "mojibake")
        elif cfg.max_symbol_ratio < 1 and doc_char_counts(doc)[3] / (len(text) or 1) > cfg.max_symbol_ratio:
            doc.reject(self.name, "symbol_ratio")
        elif cfg.max_duplicate_line_ratio < 1 and duplicate_line_ratio(text) > cfg.max_duplicate_line_ratio:
            doc.reject(self.name, "line_repetition")
        elif cfg.max_char_repetition < 1 and char_repetition_exceeds(text, cfg.char_ngram, cfg.max_char_repetition):
            doc.reject(self.name, "char_repetition")
        elif cfg.max_ad_keywords is not None and self._ad_keywords(doc) > cfg.max_ad_keywords:
            doc.reject(self.name, "advertising")
        return doc
