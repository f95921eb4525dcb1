"""Find every occurrence of any of many keywords in a text: the word lists' first pass.

Why ahocorasick-rs (Rust ``aho-corasick`` crate, DFA): the content and advertising word lists are
matched against every document, and HojiChar-sized lists (1,800 words) are what users bring.
pyahocorasick walked ~70 ns per character of a Japanese ``str`` even when nothing matched (~45 µs
on a 450-character document), which deshi used to hide behind a hand-written prefix gate; the DFA
scans the same document with all 1,800 words in ~6 µs, so one call replaces gate and automaton.
Offsets are code points (Python string indices), also past the BMP.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import ahocorasick_rs

if TYPE_CHECKING:
    from deshi.data.document import Document

V = TypeVar("V")


class KeywordScanner(Generic[V]):
    """Overlapping occurrences of keywords, each carrying the value it was added with.

    A keyword given twice keeps the last value (as a dict would). Occurrences come in document order
    of their end, the longer first where two end together (Aho-Corasick's natural order).
    """

    def __init__(self, keywords: Iterable[tuple[str, V]]) -> None:
        table = {key: value for key, value in keywords if key}
        self.keys = list(table)
        self.values = [table[k] for k in self.keys]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(self.keys, matchkind=ahocorasick_rs.MatchKind.Standard,
                                       implementation=ahocorasick_rs.Implementation.DFA)
            if self.keys else None
        )

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, text: str) -> list[tuple[int, int, V]]:
        """Every occurrence as (start, end, value), overlapping ones included."""
        if self._automaton is None or not text:
            return []
        values = self.values
        return [(start, end, values[i]) for i, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True)]

    def distinct(self, text: str) -> set[str]:
        """The distinct keywords that occur in ``text``."""
        if self._automaton is None or not text:
            return set()
        keys = self.keys
        return {keys[i] for i, _, _ in self._automaton.find_matches_as_indexes(text, overlapping=True)}


class SharedScan:
    """Several keyword sets that look at the same documents, found with one automaton pass.

    The quality step counts advertising keywords and the content step looks for listed words in the
    same text (neither changes it): one scan with both sets costs ~4 µs per document less than two
    (~8 vs ~12 µs on 450-character documents). The hits are kept on the document
    (:meth:`Document.remember`) for the other step; ``hits(doc, name)`` gives exactly what
    ``KeywordScanner(pairs_of_name).find(doc.text)`` gives: the same occurrences with the same values,
    in the same order (by end, the longer first where two end together: an order of the matched words
    themselves, which other sets' words in the automaton do not change).
    """

    def __init__(self, sets: dict[str, Iterable[tuple[str, Any]]]) -> None:
        table: dict[str, dict[str, Any]] = {}
        for name, pairs in sets.items():
            for key, value in pairs:
                if key:
                    table.setdefault(key, {})[name] = value  # a key given twice keeps its last value
        self.scanner: KeywordScanner[dict[str, Any]] = KeywordScanner(table.items())

    def hits(self, doc: Document, name: str) -> list[tuple[int, int, Any]]:
        found = doc.remembered("keyword_hits")
        if found is None:
            found = self.scanner.find(doc.text)
            doc.remember("keyword_hits", found)
        return [(start, end, values[name]) for start, end, values in found if name in values]
