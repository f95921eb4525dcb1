"""Content filter: adult, discrimination and violence word lists, matched on morpheme boundaries.

Substring matching (HojiChar's ``NgWordsFilterJa``) drops ordinary industrial text: ``イク`` inside
``サイクル``, ``不具`` inside ``不具合``, ``893`` inside a part number. Here a listed word matches only
when it is one or more *whole* morphemes of the text:

1. a fast pre-check: one Aho-Corasick pass (``deshi.data.keywords``, a Rust DFA) finds candidate
   hits; most documents have none and cost only that pass;
2. for each candidate hit, fugashi (MeCab + unidic-lite) segments a window around it and the hit must
   start and end on morpheme boundaries (MeCab reports only the byte offsets where morphemes start
   and end; a window seen recently reuses its offsets);
3. entries containing ASCII letters or digits additionally need non-alphanumeric neighbours, so a
   listed code never matches inside a part number, date or longer English word.

The bundled lists (``deshi/data/wordlists/*.txt``) are ours, written for this purpose and kept free of
industrial-safety vocabulary; add your own with ``content.extra_words``/``content.words_file`` and
silence bundled entries with ``content.allow_words``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from deshi.data.config import ContentConfig
from deshi.data.document import Document
from deshi.data.keywords import KeywordScanner, SharedScan
from deshi.data.steps import Step
from deshi.errors import DeshiError

if TYPE_CHECKING:
    from deshi.data.quality import QualityFilter

_LISTS = {
    "adult": ("adult_ja.txt", "adult_en.txt"),
    "discrimination": ("discrimination_ja.txt",),
    "violence": ("violence_ja.txt",),
}
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
# Characters that continue a code/number/word: a hit next to one of these is part of something longer.
_CODE_NEIGHBOUR = re.compile(r"[A-Za-z0-9\-_/.:#]")
_WINDOW = 32  # characters of context each side given to MeCab (its segmentation is local)


class ContentListError(DeshiError):
    """A content word file could not be read."""


def _read_words(text: str) -> list[str]:
    words = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(unicodedata.normalize("NFKC", line))
    return words


def bundled_words(category: str) -> list[str]:
    """The bundled list(s) of one category (NFKC-normalised, as documents are)."""
    words: list[str] = []
    for name in _LISTS[category]:
        words += _read_words(resources.files("deshi.data").joinpath("wordlists", name).read_text(encoding="utf-8"))
    return words


@lru_cache(maxsize=1)
def _tagger():  # noqa: ANN202 - fugashi.Tagger, imported lazily (loads the dictionary once per process)
    import fugashi

    return fugashi.Tagger()


def morpheme_boundaries(text: str) -> set[int]:
    """Character offsets in ``text`` where a morpheme starts or ends (whitespace is skipped by MeCab)."""
    bounds = {0, len(text)}
    pos = 0
    for word in _tagger()(text):
        pos += len(word.white_space)
        bounds.add(pos)
        pos += len(word.surface)
        bounds.add(pos)
    return bounds


# The same MeCab analysis (same dictionary, same best path; only the output format differs), printed
# as each morpheme's start and end *byte* offset (%ps %pe) instead of fugashi node objects. Why: the
# boundary test needs only those offsets, and fugashi builds a Python node (surface, white space,
# features) per morpheme, ~40 per window: 31 -> 19 µs per window here. -O "" drops unidic-lite's
# dicrc output format, which would override -F/-U.
_OFFSETS_ARGS = '-O "" -F "%ps %pe " -U "%ps %pe " -E ""'


@lru_cache(maxsize=1)
def _offsets_tagger():  # noqa: ANN202 - fugashi.Tagger with the offsets-only output format
    import fugashi

    return fugashi.Tagger(_OFFSETS_ARGS)


@lru_cache(maxsize=2048)
def _byte_bounds(window: str) -> str:
    """" o1 o2 … ": the UTF-8 byte offsets where the morphemes of ``window`` start and end, space-padded
    so that ``f" {offset} " in`` it tests membership. Cached: a window repeats when documents share a
    phrase (templates, quoted boilerplate), and its analysis does not depend on anything else."""
    return f" {_offsets_tagger().parse(window)} "


def on_boundaries(window: str, start: int, end: int) -> bool:
    """Whether ``window[start:end]`` starts and ends on morpheme boundaries: exactly
    ``start in morpheme_boundaries(window) and end in morpheme_boundaries(window)``.

    Character offsets map one-to-one to UTF-8 byte offsets, and MeCab's morphemes (with the white
    space it skips) tile the window, so the byte test answers the character one. A window with a NUL
    takes the node path: MeCab's node list stops at the NUL (a C string), its printed offsets do not."""
    if "\x00" in window:
        bounds = morpheme_boundaries(window)
        return start in bounds and end in bounds
    head = len(window[:start].encode("utf-8"))
    tail = head + len(window[start:end].encode("utf-8"))
    bounds = _byte_bounds(window)
    return (start == 0 or f" {head} " in bounds) and (end == len(window) or f" {tail} " in bounds)


class WordMatcher:
    """Aho-Corasick pre-check + morpheme-boundary confirmation over a fixed set of words."""

    def __init__(self, words: Iterable[tuple[str, str]]) -> None:
        variants: list[tuple[str, tuple[str, bool]]] = []
        for word, category in words:
            forms = {word, word.lower(), word.upper(), word.capitalize()} if word.isascii() else {word}
            variants += [(form, (category, bool(_ASCII_ALNUM.search(form)))) for form in forms]
        self.variants = variants
        self._scanner: KeywordScanner[tuple[str, bool]] | None = None

    @property
    def scanner(self) -> KeywordScanner[tuple[str, bool]]:
        """This matcher's own automaton, built on first use: with a shared scan (lists of up to
        ``SHARED_SCAN_MAX_WORDS`` forms) it is never needed."""
        if self._scanner is None:
            self._scanner = KeywordScanner(self.variants)
        return self._scanner

    def matches(self, text: str, candidates: list[tuple[int, int, tuple[str, bool]]] | None = None) -> list[tuple[int, int, str]]:
        """Confirmed hits as (start, end, category); only offsets, never the matched text, leave here.
        ``candidates``: ``self.scanner.find(text)`` when the caller has it already (a shared scan)."""
        if candidates is None:
            candidates = self.scanner.find(text)
        if not candidates:
            return []
        confirmed = []
        for start, end, (category, has_code) in candidates:
            if has_code and (
                (start > 0 and _CODE_NEIGHBOUR.match(text[start - 1]))
                or (end < len(text) and _CODE_NEIGHBOUR.match(text[end]))
            ):
                continue
            lo = max(0, start - _WINDOW)
            if on_boundaries(text[lo : end + _WINDOW], start - lo, end - lo):
                confirmed.append((start, end, category))
        return confirmed


def build_matcher(config: ContentConfig) -> WordMatcher:
    allow = {unicodedata.normalize("NFKC", w) for w in config.allow_words}
    pairs: dict[str, str] = {}
    for category in config.categories:
        for word in bundled_words(category):
            if word not in allow:
                pairs.setdefault(word, category)
    extra = [unicodedata.normalize("NFKC", w) for w in config.extra_words]
    if config.words_file:
        path = Path(config.words_file)
        try:
            extra += _read_words(path.read_text(encoding="utf-8-sig"))  # Notepad writes a BOM
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentListError(f"content.words_file {path}: cannot read ({exc})") from None
    for word in extra:
        if word.strip():
            pairs.setdefault(word.strip(), "custom")
    return WordMatcher(pairs.items())


class ContentFilter(Step):
    """Drop documents containing listed words; reason = the category (``content:adult`` …)."""

    name = "content"

    def __init__(self, config: ContentConfig) -> None:
        super().__init__()
        self.config = config
        self.matcher = build_matcher(config)
        self.shared: SharedScan | None = None  # set by share_keyword_scan

    def apply(self, doc: Document) -> Document:
        candidates = self.shared.hits(doc, "content") if self.shared is not None else None
        hits = self.matcher.matches(doc.text, candidates)
        if len(hits) > self.config.max_hits:
            # The first category in document order names the reason; all categories are counted.
            for _, _, category in hits:
                self.stats.counters[f"hits.{category}"] += 1
            doc.reject(self.name, hits[0][2])
        return doc


# Word forms up to which the content words and the ad keywords share one automaton. Past a few thousand
# words the merged DFA held about twice the memory of the content words' own (a reviewer's measurement:
# 20,000 words 69 MB alone, 141 MB with the 64 ad keywords; 2,000 custom words 9 vs 19 MB; the bundled
# lists, 355 forms, and HojiChar's, 2,050, +3 MB at most), in every worker process.
SHARED_SCAN_MAX_WORDS = 2_500


def share_keyword_scan(quality: QualityFilter, content: ContentFilter) -> None:
    """Let the quality step's advertising keywords and the content step's words be found in one
    automaton pass per document (:class:`deshi.data.keywords.SharedScan`); answers unchanged.
    Nothing is shared when the ad-keyword rule is off or the content list is long (see
    ``SHARED_SCAN_MAX_WORDS``): each step then scans with its own automaton."""
    if not quality.checks_ad_keywords or len(content.matcher.variants) > SHARED_SCAN_MAX_WORDS:
        return
    from deshi.data.quality import ad_keywords

    shared = SharedScan({"ads": [(w, w) for w in ad_keywords()], "content": content.matcher.variants})
    quality.shared = content.shared = shared
