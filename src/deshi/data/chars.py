"""Per-character facts shared by the language and quality steps: one lookup table, one pass.

The language step counts kana, kanji and other letters; the quality step counts symbols and mojibake
characters and hashes character n-grams. Each of these used to scan the text on its own (a
``str.translate`` pass, two regex substitutions, a UTF-32 encode). Here one UTF-32 encode gives the
code points as a NumPy array, one table lookup gives a bit set per character, and one ``bincount``
gives every count at once (~4 µs for a 450-character document instead of ~25 µs). The result for the
most recent text is cached by identity (a step asking twice about one text); across steps the counts
travel on the document (``doc_char_counts``), since the steps now run over blocks of documents.

Every bit is defined by the regex character class it replaces (the table is built by running that
class over all code points), so counts are exactly what the regexes gave. Characters at or above
``TABLE_SIZE`` (CJK extension planes beyond G, plane-14 tags, supplementary private use) are rare
enough that texts containing one take the regex path instead of widening the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deshi.data.shipped import read_keyed, write_keyed

if TYPE_CHECKING:
    from deshi.data.document import Document

# One bit per question. KANA, KANJI and OTHER_LETTER are exclusive (a letter has exactly one of
# them; digits, punctuation, symbols and spaces have none).
KANA, KANJI, OTHER_LETTER, SYMBOL, MOJIBAKE = 1, 2, 4, 8, 16
BEYOND = 32  # the one extra entry every code point past the table maps to (clip): take the regex path
TABLE_SIZE = 0x30000  # BMP plus the CJK extension planes 2 (SIP); the rest takes the regex path

# Language: letters of other scripts; digits, punctuation, symbols and spaces are not counted at all.
NOT_LETTER_RE = re.compile(r"[\W\d_]")
KANA_RE = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
KANJI_RE = re.compile(r"[\u3005\u3007\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002fa1f]")
# Quality: what counts as a symbol, and characters that almost never occur in real Japanese text —
# U+FFFD, Latin-1 letters (not × ÷ ° ±: those are real units), private use, and 縺繧繝 (UTF-8 lead
# bytes E3 81/82/83 read as Shift_JIS).
SYMBOL_RE = re.compile(r"[^\w\s。、，．・ー「」『』（）()［］\[\]【】！？!?.,:：;；/／〜~\-ー%％@＠#＃&＆+＋=＝'\"“”‘’]")
MOJIBAKE_RE = re.compile("[\ufffd\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\ue000-\uf8ff縺繧繝]")


def _all_code_points(size: int) -> str:
    """chr(0) … chr(size - 1) as one string, decoded from UTF-32 in one call (``"".join(map(chr, …))``
    took ~18 ms at start-up); surrogatepass lets the lone surrogates through, as chr gives them."""
    return np.arange(size, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


def _mark(table: np.ndarray, everything: str, pattern: re.Pattern[str], bit: int, clear: int = 0) -> None:
    """Set ``bit`` (after clearing ``clear``) on every code point that ``pattern`` (one character
    class) matches, finding runs of matching code points instead of testing each one in Python;
    the runs become one mask (+1 at each start, -1 at each end, cumulative sum) for two NumPy calls."""
    edges = np.zeros(len(table) + 1, dtype=np.int32)
    for m in re.finditer(f"(?:{pattern.pattern})+", everything):
        edges[m.start()] += 1
        edges[m.end()] -= 1
    inside = np.cumsum(edges[:-1]) > 0
    if clear:
        table[inside] &= ~np.uint8(clear)
    table[inside] |= np.uint8(bit)


def _build_table() -> np.ndarray:
    everything = _all_code_points(TABLE_SIZE)
    table = np.full(TABLE_SIZE + 1, OTHER_LETTER, dtype=np.uint8)
    # Precedence as in the language step: not-a-letter first, then kana, then kanji, else other.
    letters = KANA | KANJI | OTHER_LETTER
    _mark(table, everything, KANJI_RE, KANJI, clear=letters)
    _mark(table, everything, KANA_RE, KANA, clear=letters)
    _mark(table, everything, NOT_LETTER_RE, 0, clear=letters)
    _mark(table, everything, SYMBOL_RE, SYMBOL)
    _mark(table, everything, MOJIBAKE_RE, MOJIBAKE)
    table[TABLE_SIZE] = BEYOND
    # uint8: 192 KiB instead of 1.5 MiB of intp, so the lookups of a document stay in the L2 cache
    # (np.bincount converts the document's few hundred looked-up bytes, not the table).
    return table


# The table as built by _build_table, shipped with the package (zlib, 1.9 KB) because building it
# costs ~15-28 ms of every process's start-up (the coordinator's and each worker's, and every process
# that imports the PII recognisers). Used only when its key matches this interpreter's Unicode
# database and the definitions above, so it is always the table _build_table would give; otherwise the
# table is built. `python -m deshi.data.chars` rewrites it (tests check it equals a fresh build).
TABLE_FILE = Path(__file__).with_name("chars_table.zlib")


def table_key() -> str:
    """What the table depends on: the Unicode database (which code points ``\\w`` and ``\\d`` match),
    the table's size, the bits and the character classes that define them."""
    import hashlib
    import unicodedata

    parts = [unicodedata.unidata_version, TABLE_SIZE, KANA, KANJI, OTHER_LETTER, SYMBOL, MOJIBAKE, BEYOND,
             *(p.pattern for p in (NOT_LETTER_RE, KANA_RE, KANJI_RE, SYMBOL_RE, MOJIBAKE_RE))]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def load_table(path: Path = TABLE_FILE) -> np.ndarray | None:
    """The shipped table when its key matches (see :func:`table_key`), else None."""
    import zlib

    packed = read_keyed(path, table_key())
    try:
        table = np.frombuffer(zlib.decompress(packed), dtype=np.uint8) if packed is not None else None
    except zlib.error:
        return None
    return table if table is not None and len(table) == TABLE_SIZE + 1 else None


def write_table(path: Path = TABLE_FILE) -> None:
    """Build the table and store it with its key (run after changing a definition above)."""
    import zlib

    write_keyed(path, table_key(), zlib.compress(_build_table().tobytes(), 9))


_loaded = load_table()
TABLE = _loaded if _loaded is not None else _build_table()
# counts per bit pattern (64 bins) @ BITS -> (kana, kanji, other letters, symbols, mojibake, beyond)
BITS = np.array([[(v >> b) & 1 for b in range(6)] for v in range(64)], dtype=np.int64).T.copy()

_last: list = [None, None, None]  # [text, code points, counts]: the most recent text, by identity


def codepoints(text: str) -> np.ndarray:
    """The text's code points as uint32, read-only (cached for the most recent text object)."""
    if text is not _last[0]:
        cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        _last[0], _last[1], _last[2] = text, cp, None
    return _last[1]


def char_counts(text: str) -> tuple[int, int, int, int, int]:
    """(kana, kanji, other letters, symbols, mojibake characters) of ``text``."""
    cp = codepoints(text)
    if _last[2] is None:
        counts = BITS.dot(np.bincount(TABLE.take(cp, mode="clip"), minlength=64)).tolist()
        _last[2] = _counts_by_regex(text) if counts[5] else tuple(counts[:5])
    return _last[2]


def doc_char_counts(doc: Document) -> tuple[int, int, int, int, int]:
    """:func:`char_counts` of ``doc.text``, kept on the document for the next step that asks.

    The language and quality steps both need these counts; steps run over blocks of documents
    (:func:`deshi.data.steps.run_steps`), so the one-text cache above has moved on by the time the
    quality step sees the document the language step counted."""
    counts = doc.remembered("char_counts")
    if counts is None:
        counts = char_counts(doc.text)
        doc.remember("char_counts", counts)
    return counts


def _counts_by_regex(text: str) -> tuple[int, int, int, int, int]:
    """The same counts for texts with characters beyond the table (the definitions themselves).

    Code points beyond the table count as letters of another script, as they always have in the
    language step (its translate table stopped at the same place)."""
    kana = kanji = other = 0
    for ch in text:
        if ord(ch) >= TABLE_SIZE:
            other += 1
        elif NOT_LETTER_RE.match(ch):
            continue
        elif KANA_RE.match(ch):
            kana += 1
        elif KANJI_RE.match(ch):
            kanji += 1
        else:
            other += 1
    return kana, kanji, other, len(SYMBOL_RE.findall(text)), len(MOJIBAKE_RE.findall(text))


REPLACE_LIMIT = 12  # more distinct characters to map than this: one translate pass is cheaper


def replace_distinct(text: str, pattern: re.Pattern[str], mapping: dict[str, str],
                     limit: int = REPLACE_LIMIT) -> tuple[str, bool]:
    """Replace each distinct character ``pattern`` finds by ``mapping[ch]``, one ``str.replace`` each.

    (text, True) when every such character was replaced; (partly replaced text, False) once ``limit``
    distinct characters were, so the caller switches to one ``translate`` pass. One search per
    distinct character, resuming where the previous one stopped (everything earlier is replaced
    already): the mapping's images must lie outside the pattern's set.
    """
    pos = replaced = 0
    while (m := pattern.search(text, pos)) is not None:
        if replaced == limit:
            return text, False
        ch = m.group()
        text = text.replace(ch, mapping[ch])
        replaced += 1
        pos = m.start() + 1
    return text, True


if __name__ == "__main__":
    write_table()
    print(f"wrote {TABLE_FILE}")
