"""Exact-match response cache: same normalised request, same deterministic answer.

Only deterministic requests are cached (temperature 0, or a fixed seed): caching a sampled answer
would silently turn sampling into a constant. Entries live in an in-memory LRU and, optionally, in a
SQLite table so a restarted gateway keeps its hit rate.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

# Fields that do not change the answer: they are left out of the key.
_IGNORED = frozenset({"stream", "stream_options", "user", "metadata", "store", "service_tier"})


def request_key(kind: str, body: dict[str, Any], key_scope: str | None = None) -> str:
    """sha256 of the request with ignored fields dropped and keys sorted (the normalised request).

    The key id is part of the key so one tenant never receives another tenant's cached answer.
    """
    normal = {k: v for k, v in body.items() if k not in _IGNORED and v is not None}
    blob = orjson.dumps([kind, key_scope, normal], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


class ResponseCache:
    def __init__(self, max_entries: int = 10_000, sqlite_path: Path | None = None) -> None:
        self.max_entries = max_entries
        self._lru: OrderedDict[str, bytes] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        if sqlite_path is not None:
            Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(sqlite_path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value BLOB NOT NULL)")

    def get(self, key: str) -> dict[str, Any] | None:
        blob = self._lru.get(key)
        if blob is not None:
            self._lru.move_to_end(key)
        elif self._db is not None:
            row = self._db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            blob = row[0]
            self._remember(key, blob)
        else:
            return None
        return orjson.loads(blob)

    def put(self, key: str, value: dict[str, Any]) -> None:
        blob = orjson.dumps(value)
        self._remember(key, blob)
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)", (key, blob))

    def _remember(self, key: str, blob: bytes) -> None:
        self._lru[key] = blob
        self._lru.move_to_end(key)
        while len(self._lru) > self.max_entries:
            self._lru.popitem(last=False)

    def __len__(self) -> int:
        return len(self._lru)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
