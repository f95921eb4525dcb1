"""Tables shipped with the package instead of built at every process's start-up, each stored under the
key of what it was built from, so a stale one is never used.

Why one format for both (the character table of :mod:`deshi.data.chars`, the NFKC fold map of
:mod:`deshi.data.normalise`): the rule is the same — a file is used only when its first line equals
the key the running interpreter and definitions give; otherwise (another Unicode database, a changed
definition, a missing or damaged file) the caller builds the table as before. A file is the key, a
newline, then the payload.
"""

from __future__ import annotations

from pathlib import Path


def read_keyed(path: Path, key: str) -> bytes | None:
    """The payload of ``path`` when its first line is ``key``; None otherwise or when it cannot be read."""
    try:
        head, _, payload = path.read_bytes().partition(b"\n")
    except OSError:
        return None
    return payload if head == key.encode() else None


def write_keyed(path: Path, key: str, payload: bytes) -> None:
    """Store ``payload`` under ``key`` (what :func:`read_keyed` reads back)."""
    path.write_bytes(key.encode() + b"\n" + payload)
