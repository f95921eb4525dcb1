"""PIIRecognizer: runs the enabled recognisers over one text and resolves their overlaps.

Each recogniser proposes spans independently; :meth:`PIIRecognizer.find` then keeps a
non-overlapping subset, preferring (1) the more *specific* type (a checksum-validated number over a
phone over an address over a name), then (2) the longer span, then (3) the higher score. Cheap
pre-checks (does the text contain a digit, an @, a prefecture, an honorific?) skip whole passes on
the many documents that cannot contain that kind of PII: curation runs this on every document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache
from operator import attrgetter

from deshi.data.pii.address import ADDRESS_START_RE, find_addresses, find_romanised_addresses
from deshi.data.pii.names import NameFinder
from deshi.data.pii.normalize import matching_view
from deshi.data.pii.numbers import (
    find_cards,
    find_corporate_numbers,
    find_emails,
    find_ips,
    find_my_numbers,
    find_obfuscated_emails,
    find_phones,
    find_postal_codes,
)
from deshi.data.pii.types import PIISpan, PIIType

# Higher wins an overlap. Validated identifiers beat looser patterns that may cover the same digits.
PRIORITY: dict[PIIType, int] = {
    PIIType.EMAIL: 90,
    PIIType.CREDIT_CARD: 85,
    PIIType.MY_NUMBER: 80,
    PIIType.CORPORATE_NUMBER: 80,
    PIIType.IP_ADDRESS: 70,
    PIIType.PHONE: 60,
    PIIType.POSTAL_CODE: 55,
    PIIType.ADDRESS: 50,
    PIIType.PERSON: 40,
}

_HAS_DIGIT = re.compile(r"[0-9０-９]")
# Pre-scan on the view (full-width digits already folded). Every pattern of a 12/13-digit number
# (My Number, corporate number) or a card lies inside a run of 12+ digits joined by at most one space
# or dash between digits, and every bare postal code inside a run of 7. One scan finds the maximal
# such runs of 7+ digits (greedy from a run's first digit: a shorter run fails there and at every later
# digit of it); documents without one skip those recognisers (most documents carry dates and
# quantities, few a 7-digit run), and the others scan only these runs, not the whole text.
# ASCII digits only (the view has full-width ones folded already): a run of other Unicode digits
# (Arabic-Indic, Devanagari) is no Japanese identifier, and the check-digit functions refuse them.
# The look-behind after the first digit fails at once inside a run (a cheaper failed attempt).
_RUN7 = re.compile(r"[0-9](?<![0-9].)(?:[ -]?[0-9]){6,}")
_START = attrgetter("start")


def digit_runs(view: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans of the maximal runs of 7+ digits (joined by at most one space or dash), and of those
    with 12+ digits: the only places a bare postal code, a My Number, a corporate number or a card
    can be (the recognisers of those scan these spans only)."""
    runs7 = [m.span() for m in _RUN7.finditer(view)]
    # (A run shorter than 12 characters cannot hold 12 digits: no separator count needed.)
    runs12 = [(s, e) for s, e in runs7 if e - s >= 12 and run_digits(view, s, e) >= 12]
    return runs7, runs12


def run_digits(view: str, start: int, end: int) -> int:
    """Digits in a run of :func:`digit_runs` (its characters less the single spaces/dashes joining them)."""
    return end - start - view.count(" ", start, end) - view.count("-", start, end)


def resolve_overlaps(spans: Iterable[PIISpan]) -> list[PIISpan]:
    """Keep a non-overlapping subset (priority, then length, then score) sorted by position."""
    spans = list(spans)
    # Common case: no two spans overlap and none is empty; then every one is kept, sorted by start
    # (two non-empty spans with the same start overlap, so that order has no ties).
    by_start = sorted(spans, key=_START)
    prev_end = -1
    for span in by_start:
        if span.start < prev_end or span.end <= span.start:
            break
        prev_end = span.end
    else:
        return by_start
    ordered = sorted(spans, key=lambda s: (-PRIORITY[s.type], -(s.end - s.start), -s.score, s.start))
    # Kept spans never overlap, so sorted by start they are also sorted by end: a new span can only
    # collide with its two neighbours (bisect keeps this O(n log n) on pathological documents).
    starts: list[int] = []
    kept: list[PIISpan] = []
    for span in ordered:
        if span.end <= span.start:
            continue
        i = bisect.bisect_left(starts, span.start)
        if i > 0 and kept[i - 1].end > span.start:
            continue
        if i < len(kept) and kept[i].start < span.end:
            continue
        starts.insert(i, span.start)
        kept.insert(i, span)
    return kept


class PIIRecognizer:
    """Finds PII of the enabled ``types`` in Japanese (and English) text.

    ``types``: which types to report (default: all). ``use_ner``: add PERSON spans from GiNZA
    (needs ``pip install 'deshi[ner]'``). ``extra_names``: names a deployment wants found verbatim
    (full names like "山田太郎" are matched as written; single words extend the surname list).
    ``names``: set False to turn person-name detection off entirely (it is the least precise pass).
    """

    def __init__(
        self,
        types: Iterable[PIIType | str] | None = None,
        use_ner: bool = False,
        extra_names: Iterable[str] | None = None,
        names: bool = True,
    ) -> None:
        self.types: frozenset[PIIType] = (
            frozenset(PIIType) if types is None else frozenset(PIIType.parse(t) for t in types)
        )
        self._all_types = len(self.types) == len(PIIType)
        # Per-type switches as plain attributes: find() runs per document (a frozenset look-up of
        # an enum member each time is measurable there).
        want = self.types
        self._email = PIIType.EMAIL in want
        self._phone = PIIType.PHONE in want
        self._my_number = PIIType.MY_NUMBER in want
        self._corporate = PIIType.CORPORATE_NUMBER in want
        self._card = PIIType.CREDIT_CARD in want
        self._long_numbers = self._my_number or self._corporate or self._card
        self._postal = PIIType.POSTAL_CODE in want
        self._address = PIIType.ADDRESS in want
        self._ip = PIIType.IP_ADDRESS in want
        self.detect_names = names and PIIType.PERSON in self.types
        self.use_ner = use_ner and self.detect_names
        self._names = NameFinder(extra_names) if self.detect_names else None
        self._ner = None
        if self.use_ner:
            from deshi.data.pii.ner import GinzaPersonFinder

            self._ner = GinzaPersonFinder()

    def find(self, text: str) -> list[PIISpan]:
        """Non-overlapping PII spans of ``text``, sorted by start offset."""
        if not text:
            return []
        view = matching_view(text)
        spans: list[PIISpan] = []
        if self._email:
            if "@" in view:
                spans.extend(find_emails(text, view))
            # (two substring tests, ~1 µs per document, before the [at] / (at) pattern: a regex search of
            # every document for the bracketed mark cost ~3 µs, 3% of find_pii)
            if "at" in view or "AT" in view:
                spans.extend(find_obfuscated_emails(text, view))
        if _HAS_DIGIT.search(view) is not None:
            if self._phone:
                spans.extend(find_phones(text, view))
            if self._long_numbers or self._postal:
                runs7, runs12 = digit_runs(view)
                if runs12:
                    if self._my_number:
                        spans.extend(find_my_numbers(text, view, runs12))
                    # A corporate number has 13 digits, a card 13 to 19: a 12-digit run (a My
                    # Number) holds neither.
                    runs13 = [(s, e) for s, e in runs12 if run_digits(view, s, e) >= 13]
                    if runs13:
                        if self._corporate:
                            spans.extend(find_corporate_numbers(text, view, runs13))
                        if self._card:
                            spans.extend(find_cards(text, view, runs13))
                if runs7 and self._postal:
                    spans.extend(find_postal_codes(text, view, ADDRESS_START_RE, runs7))
            if self._address:
                spans.extend(find_addresses(text, view))
                spans.extend(find_romanised_addresses(text, view))
            # IPv4 needs three dots; IPv6 three colons or a "::".
            if self._ip and (view.count(".") >= 3 or view.count(":") >= 2):
                spans.extend(find_ips(text, view))
        elif self._address:
            spans.extend(find_addresses(text, view))  # 三丁目五番地: kanji numerals only
        if self._names is not None:
            spans.extend(self._names.find(text, view))
        if self._ner is not None:
            spans.extend(self._ner.find(text))
        if not spans:
            return []
        if not self._all_types:
            want = self.types
            spans = [s for s in spans if s.type in want]
        return resolve_overlaps(spans)

    __call__ = find


@lru_cache(maxsize=16)
def _default(types: frozenset[PIIType] | None) -> PIIRecognizer:
    return PIIRecognizer(types)


def default_recognizer() -> PIIRecognizer:
    """The shared all-types recogniser (built once per process; the name lists load once)."""
    return _default(None)


def find_pii(text: str, types: Iterable[PIIType | str] | None = None) -> list[PIISpan]:
    """Find PII in ``text`` with a cached default recogniser (optionally limited to ``types``)."""
    key = None if types is None else frozenset(PIIType.parse(t) for t in types)
    return _default(key).find(text)
