"""Normalise: NFKC, control characters, whitespace, HTML remnants.

Hand-written with ``unicodedata`` and ``re`` because each part is one line of the standard library
(HojiChar's ``DocumentNormalizer`` is exactly ``unicodedata.normalize("NFKC", …)``; its HTML remover
targets header/footer keywords, not markup). Cheap pre-checks (``"<" in text``) skip the regexes for
the common case of clean text.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from deshi.data.chars import replace_distinct
from deshi.data.config import NormaliseConfig
from deshi.data.document import Document
from deshi.data.shipped import read_keyed, write_keyed
from deshi.data.steps import Step

# C0/C1 controls except \t and \n, plus zero-width and bidi formatting characters (a BOM mid-text).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_SCRIPT_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>")
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,30});")
_SPACES = re.compile(r"[ \t\u3000]+")  # NFKC maps U+3000 to " ", kept here for nfkc=False
_LINE_END = re.compile(r" *\n *")
_BLANKS = re.compile(r"\n{3,}")


# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space are most of what NFKC changes in
# Japanese business text, then ℃, half-width katakana and stray Latin-1 compatibility characters.
# Replacing any character by its own NFKC image never changes the NFKC of the whole text (the image's
# compatibility decomposition is the character's, so the text's full decomposition is unchanged), so
# every such character is mapped first and the full NFKC runs only when ``unicodedata.is_normalized``
# says something is left (a combining sequence, a character beyond the BMP): exactly NFKC's result,
# without its ~45 µs on a 450-character document. A document holds few *distinct* such characters,
# so they are found one at a time and mapped with ``str.replace`` (a ``str.translate`` pass looks
# every non-ASCII character up through a Python-level table: ~17 µs on a 450-character document).
def _build_wide() -> str:
    """The translate table: U+FF01–U+FF5E -> U+0021–U+007E, U+3000 -> " ", every other BMP character
    itself (built as UTF-32 in NumPy: a 65,536-step Python loop took ~8 ms of start-up)."""
    codes = np.arange(0x10000, dtype="<u4")
    codes[0xFF01:0xFF5F] -= 0xFEE0
    codes[0x3000] = 0x20
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


_WIDE = _build_wide()


def _build_fold() -> dict[str, str]:
    fold = {}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        image = unicodedata.normalize("NFKC", chr(cp))
        if image != chr(cp):
            fold[chr(cp)] = image
    return fold


def _char_class(chars: list[str]) -> str:
    codes = sorted(map(ord, chars))
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in runs) + "]"


# _build_fold's result, shipped with the package (63 KB of ASCII JSON, read in ~1 ms) because building it
# costs ~8 ms of CPU in every process that normalises (the coordinator and each worker). Used only
# when its key (this interpreter's Unicode database) matches, so it is always what _build_fold would
# give; otherwise the map is built. `python -m deshi.data.normalise` rewrites it (a test checks it).
FOLD_FILE = Path(__file__).with_name("nfkc_fold.json")


def fold_key() -> str:
    """What the fold map depends on: the Unicode database's NFKC, over the BMP from U+0080."""
    return f"nfkc-bmp-0080/unicode-{unicodedata.unidata_version}"


def load_fold(path: Path = FOLD_FILE) -> dict[str, str] | None:
    """The shipped fold map when its key matches (see :func:`fold_key`), else None."""
    payload = read_keyed(path, fold_key())
    try:
        fold = json.loads(payload) if payload is not None else None
    except ValueError:
        return None
    return fold if isinstance(fold, dict) else None


def write_fold(path: Path = FOLD_FILE) -> None:
    """Build the fold map and store it with its key."""
    write_keyed(path, fold_key(), json.dumps(_build_fold(), ensure_ascii=True, sort_keys=True).encode() + b"\n")


_FOLD = load_fold() or _build_fold()  # every BMP character NFKC changes -> its NFKC image (~3,000)
_FOLD_CHARS = re.compile(_char_class(list(_FOLD)))


def nfkc(text: str) -> str:
    text, complete = replace_distinct(text, _FOLD_CHARS, _FOLD)
    if not complete:  # many distinct characters: the full-width block in one pass, then the rest
        text = text.translate(_WIDE)
        text, _ = replace_distinct(text, _FOLD_CHARS, _FOLD)  # still too many: the full NFKC below does it
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def strip_html(text: str) -> str:
    """Drop script/style blocks, comments and tags (block tags become newlines); unescape entities."""
    if "<" in text:
        text = _SCRIPT_STYLE.sub("", text)
        text = _COMMENT.sub("", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return text


def collapse_whitespace(text: str) -> str:
    """Each regex runs only when a substring test (a C-level scan) says it has work to do."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Unicode's line and paragraph separators (Word and JavaScript exports): raw in a JSONL line they
    # split it for any reader that uses str.splitlines, and a tokenizer sees them as rare symbols.
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    if "  " in text or "\t" in text or "\u3000" in text:
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_END.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANKS.sub("\n\n", text)
    return text.strip()


class Normalise(Step):
    """Make equal texts byte-equal, so exact dedup and every later filter see canonical text."""

    name = "normalise"

    def __init__(self, config: NormaliseConfig) -> None:
        super().__init__()
        self.config = config

    def apply(self, doc: Document) -> Document:
        text = doc.text
        cfg = self.config
        if cfg.strip_html:
            text = strip_html(text)
        if cfg.nfkc and not text.isascii():
            text = nfkc(text)
        if cfg.strip_control:
            text = _CONTROL.sub("", text)
        if cfg.collapse_whitespace:
            text = collapse_whitespace(text)
        doc.text = text
        if not text:
            doc.reject(self.name, "empty_after_normalise")
        return doc


if __name__ == "__main__":
    write_fold()
    print(f"wrote {FOLD_FILE}")
