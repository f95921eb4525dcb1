"""Byte-stable JSONL writing, and the malformed lines a robust reader must survive.

Output must be byte-identical for the same arguments, so serialisation is fixed here:
``ensure_ascii=False``, insertion-ordered keys, ``\\n`` line endings, and the three
characters that ``str.splitlines()`` treats as line breaks but JSON leaves raw (U+0085,
U+2028, U+2029: mojibake produces U+0085 often) are escaped, so every reader agrees on
where a line ends.
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

_LINE_BREAKS = (("\x85", "\\u0085"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))

MALFORMED_KINDS = ("truncated_json", "invalid_utf8", "missing_text", "json_array", "empty_text")


def dumps(obj: object) -> str:
    """One JSON line (no trailing newline)."""
    line = json.dumps(obj, ensure_ascii=False)
    for raw, escaped in _LINE_BREAKS:  # str.replace is far faster than translate() here
        if raw in line:
            line = line.replace(raw, escaped)
    return line


def encode_line(obj: object) -> bytes:
    return (dumps(obj) + "\n").encode("utf-8")


class JsonlWriter:
    """Streams lines to one file and counts them (so memory stays flat for big corpora)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("wb")

    def write(self, obj: object) -> None:
        self._f.write(encode_line(obj))
        self.lines += 1

    def write_raw(self, line: bytes) -> None:
        self._f.write(line if line.endswith(b"\n") else line + b"\n")
        self.lines += 1

    def close(self) -> int:
        """Close the file; returns its size in bytes."""
        size = self._f.tell()
        self._f.close()
        return size


def malformed_line(kind: str, n: int, rng: Random) -> bytes:
    """A corpus line that is broken in the way ``kind`` says.

    Ids (``doc-bad-NNNN``) never collide with real document ids, so a reader that skips
    them loses nothing that labels refer to.
    """
    bad_id = f"doc-bad-{n:04d}"
    meta = {"source": "demo", "domain": "maintenance", "language": "ja", "kind": "clean"}
    text = "設備点検の記録です。担当者が不具合対応を行い、サイクルタイムを確認した。"
    if kind == "truncated_json":
        full = dumps({"id": bad_id, "text": text, "meta": meta})
        cut = rng.randrange(len(full) // 3, len(full) - 2)
        return (full[:cut] + "\n").encode("utf-8")
    if kind == "invalid_utf8":
        # Shift_JIS bytes inside an otherwise UTF-8 line, plus a stray 0xFF.
        head = f'{{"id": "{bad_id}", "text": "'.encode()
        return head + text.encode("cp932") + b'\xff", "meta": {}}\n'
    if kind == "missing_text":
        return encode_line({"id": bad_id, "meta": meta})
    if kind == "json_array":
        return encode_line([bad_id, text, meta])
    if kind == "empty_text":
        return encode_line({"id": bad_id, "text": "", "meta": meta})
    raise ValueError(f"unknown malformed kind {kind!r}")
