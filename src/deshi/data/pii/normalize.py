"""A matching *view* of a document: width and dash variants folded, offsets unchanged.

Japanese text writes the same phone number as ``03-1234-5678``, ``０３－１２３４－５６７８`` or
``03ー1234ー5678`` (a prolonged-sound mark typed for a dash). NFKC would fold most of that, but it
changes string length in places (``㈱`` → ``(株)``, ``㍻`` → ``平成``), and spans must point into
the original text. So we fold with a one-character-to-one-character table instead: every offset
in the view is the offset in the original.

Two folds exist for the name and address recognisers, whose dictionaries and character classes
are written in standard full-width forms: half-width katakana (ｽｽﾞｷ, typed by older systems and
bank/CSV exports) become full-width, the voiced marks ﾞﾟ becoming the spacing marks ゛゜ (one
character each: a one-to-one view cannot compose ｽﾞ into ズ; the name finder composes them itself);
and kanji variants written in personal names outside the basic CJK block (𠮷野, 山﨑, and the
CJK compatibility ideographs that have a canonical equivalent) become that standard kanji.
"""

from __future__ import annotations

import re
import unicodedata

from deshi.data.chars import replace_distinct

# Dash-like characters people type between digits. The katakana prolonged sound mark (ー) and the
# wave dash (〜～) are only folded next to a digit (below): inside words they are not dashes.
_DASHES = "‐‑‒–—―−－﹣"  # hyphen, nb-hyphen, figure, en, em, bar, minus, full-width, small
_SPACES = "\u3000\u00a0\u2002\u2003\u2009"
# Name-kanji variants outside the basic CJK block with no Unicode decomposition (so NFKC keeps them):
# 𠮷 (tsuchi-yoshi, U+20BB7), 﨑 (tatsu-saki, U+FA11), 𡈽 (U+2123D).
_NAME_VARIANTS = {"𠮷": "吉", "﨑": "崎", "𡈽": "土"}


def _build_table() -> dict[int, int]:
    table: dict[int, int] = {}
    # Full-width ASCII block ！..～ → ! .. ~ (digits, letters, ＠, ．, （）, ＋, ：, ／ ...).
    for code in range(0xFF01, 0xFF5F):
        table[code] = code - 0xFEE0
    for ch in _DASHES:
        table[ord(ch)] = ord("-")
    for ch in _SPACES:
        table[ord(ch)] = ord(" ")
    # Control and zero-width characters (BOM, ZWSP, stray BEL from broken exports) become spaces so
    # they cannot hide a value from the patterns ("担当 \x07上野", "作成者：\ufeff山田").
    for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]:
        table[code] = ord(" ")
    # Half-width katakana and punctuation (U+FF61..FF9F) → full width, one character each; the voiced
    # marks ﾞﾟ → the spacing marks ゛゜ (NFKC would give combining marks, which no pattern expects).
    for code in range(0xFF61, 0xFF9E):
        table[code] = ord(unicodedata.normalize("NFKC", chr(code)))
    table[0xFF9E] = ord("゛")
    table[0xFF9F] = ord("゜")
    # CJK compatibility ideographs with a canonical single-kanji equivalent, and _NAME_VARIANTS.
    for code in range(0xF900, 0xFB00):
        canonical = unicodedata.normalize("NFC", chr(code))
        if len(canonical) == 1 and canonical != chr(code):
            table[code] = ord(canonical)
    for variant, standard in _NAME_VARIANTS.items():
        if variant <= "\uffff":
            table[ord(variant)] = ord(standard)
    table[ord("（")] = ord("(")
    table[ord("）")] = ord(")")
    table[ord("＠")] = ord("@")
    table[ord("﹫")] = ord("@")
    return table


_TABLE = _build_table()
# Hand-rolled fast path (why: str.translate with a dict costs ~30 µs on a 450-character Japanese
# document because every non-ASCII character is a dict lookup through a Python int). Most documents
# hold only a handful of *distinct* foldable characters (（）, full-width space, a dash), so finding
# them with one compiled character class and folding each with str.replace is ~6x cheaper.
# (BMP characters only: one character outside the BMP in the class makes the regex engine test the
# class as a list of ranges instead of a bitmap, ~2 µs more per document; _ASTRAL_VARIANTS below.)
_FOLD_CHARS = re.compile("[" + re.escape("".join(map(chr, sorted(_TABLE)))) + "]")
_ASTRAL_VARIANTS = tuple((v, s) for v, s in _NAME_VARIANTS.items() if v > "\uffff")
for _variant, _standard in _ASTRAL_VARIANTS:
    _TABLE[ord(_variant)] = ord(_standard)  # (for the translate fallback)
_FOLD_STR = {chr(k): chr(v) for k, v in _TABLE.items()}
# A mark between two digits, one pattern per mark (ｰ: the half-width prolonged sound mark). The
# look-behind follows the mark, so each pattern starts with a literal the regex engine finds at
# memchr speed; one class ``[ーｰ〜~]`` would make it test every character of the text (ー is in most
# Japanese documents). The replacement ("-") is no digit, so folding one kind of mark after another
# folds the same marks as one pass over all four.
_DIGIT_DASH_BY_MARK = tuple((mark, re.compile(re.escape(mark) + r"(?<=[0-9].)(?=[0-9])")) for mark in "ーｰ〜~")


def matching_view(text: str) -> str:
    """Return ``text`` with full-width ASCII, dash and space variants folded to ASCII.

    ``len(matching_view(t)) == len(t)`` always holds, so a match at ``[i, j)`` in the view is the
    span ``[i, j)`` of the original.
    """
    # Folding maps to characters outside the set, so the order of the replacements cannot change the view.
    view, complete = replace_distinct(text, _FOLD_CHARS, _FOLD_STR)
    if not complete:
        view = view.translate(_TABLE)
    for variant, standard in _ASTRAL_VARIANTS:  # 𠮷野 → 吉野 (one character each: offsets unchanged)
        if variant in view:
            view = view.replace(variant, standard)
    # A prolonged-sound mark or wave dash *between digits* is a dash typed with the IME.
    for mark, between_digits in _DIGIT_DASH_BY_MARK:
        if mark in view:
            view = between_digits.sub("-", view)
    return view
