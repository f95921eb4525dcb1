"""Append-only, hash-chained audit trail: one record per request, durable before the response leaves.

Why group commit on the event loop instead of a writer thread: every request that got a response must
have its record after a SIGKILL, so the response has to wait for the write. Records that reach the
audit point in the same event-loop iteration are written together, so a burst of N concurrent requests
costs one write, and no thread hand-off or GIL ping-pong sits on the hot path. PostgreSQL (by URL,
through SQLAlchemy) commits on a single worker thread instead, because a network round trip must not
block the loop.

SQLite: records are made durable by one ``write()`` of their finished rows (JSON lines, hash included)
to an append-only journal beside the database (``audit.db.deshi-journal``), and an ingest thread moves
them into the ``audit`` table in batches (``INSERT OR IGNORE`` by sequence number, so replaying a row
twice is harmless), then empties the journal. Why: a SQLite autocommit per request (WAL,
``synchronous=NORMAL``) was a 4 KiB WAL frame, six ``fcntl`` lock calls and two ``pwrite`` per record,
~60 µs of the gateway's ~380 µs of CPU per request at one client; the journal line is one ``write()``
(~3 µs). The guarantee is the same as the WAL commit's: both sit in the OS page cache once the call
returns, so they survive a killed process (neither is fsynced; neither survives power loss). Every
reader deshi offers (``verify``, ``request_ids``, ``deshi audit``, the gateway's own start) first
replays whatever the journal still holds, so after ``kill -9`` every answered request has its record;
only a raw SQL client on a *live* gateway's database sees the newest records ~``INGEST_INTERVAL_S``
late.

The chain: ``hash = sha256(prev_hash || canonical JSON of the record)``, computed in sequence order by
the single writer. ``verify`` recomputes it: an edited, deleted or reordered record breaks the chain.
Truncating the newest records is detectable only against a head hash kept elsewhere (``head()``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("deshi.serve.audit")
GENESIS = "0" * 64
# Order matters: it is the order the chain hashes them in.
FIELDS = (
    "ts", "kind", "request_id", "key_id", "model", "status", "prompt_tokens", "completion_tokens",
    "cost", "latency_ms", "cache_hit", "guard", "request_hash", "prompt", "completion", "detail",
)
_DDL = """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY,
  ts DOUBLE PRECISION NOT NULL,
  kind TEXT NOT NULL,
  request_id TEXT,
  key_id TEXT,
  model TEXT,
  status INTEGER,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  cost DOUBLE PRECISION,
  latency_ms DOUBLE PRECISION,
  cache_hit INTEGER,
  guard TEXT,
  request_hash TEXT,
  prompt TEXT,
  completion TEXT,
  detail TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
)
"""
_INSERT = f"INSERT OR IGNORE INTO audit (seq, {', '.join(FIELDS)}, prev_hash, hash) VALUES ({', '.join(['?'] * (len(FIELDS) + 3))})"
# How often the ingest thread moves journal rows into the table (and how stale a raw SQL view of a live
# gateway's database can be). Small batches: the ingest competes with the event loop for the CPU; the
# gateway's p99 at one client was 0.67 ms with 10 ms batches, 1.1 ms with 50 ms and 2.3 ms with 1 s
# (interleaved A/B runs; p50 the same, CPU per request +4 µs for 10 ms; 5 ms was no better). A module
# constant so tests can stop ingestion to exercise the replay.
INGEST_INTERVAL_S = 0.01
# The journal is emptied once everything in it is in the table and it has grown past this (not after
# every batch: one ftruncate per batch was most of a small batch's cost). Replaying rows that are
# already in the table is harmless (INSERT OR IGNORE), and bounded by this size.
TRUNCATE_BYTES = 1 << 20
CHECKPOINT_INTERVAL_S = 1.0
JOURNAL_SUFFIX = ".deshi-journal"


class AuditError(DeshiError):
    """The audit store cannot be opened or written."""


def record_hash(prev_hash: str, seq: int, values: tuple[Any, ...]) -> str:
    body = orjson.dumps([seq, *values])
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if "://" not in url:
        return Path(url)
    return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _SqliteStore:
    """Raw sqlite3 (not SQLAlchemy) because this runs on every request; see the module docstring for
    the journal. ``owner``: the gateway's writer (appends to the journal, runs the ingest thread,
    empties the journal); every other opener only replays the journal into the table."""

    def __init__(self, path: Path, owner: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.execute(_DDL)
        # Checkpoints fsync the database file: keep them off the request path, on the ingest thread's
        # own connection (sqlite releases the GIL during I/O), instead of SQLite's inline autocheckpoint.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._path = path
        self.journal_path = path.with_name(path.name + JOURNAL_SUFFIX)
        self._closing = threading.Event()
        self._jlock = threading.Lock()  # journal writes vs the ingest thread's hand-over and truncation
        self._queue: list[tuple[Any, ...]] = []  # rows in the journal, not yet in the table
        self._jbytes = 0
        self._fd: int | None = None
        self._replay(self.conn)
        if owner:
            self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.ftruncate(self._fd, 0)  # everything in it was just replayed into the table
            self._ingester = threading.Thread(target=self._ingest_loop, name="deshi-audit-ingest", daemon=True)
            self._ingester.start()

    def _replay(self, conn: sqlite3.Connection) -> None:
        """Insert the journal's rows that the table lacks (after a kill, or while the owner runs)."""
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return
        rows = []
        for line in data.split(b"\n"):
            if not line:
                continue
            try:
                rows.append(tuple(orjson.loads(line)))
            except orjson.JSONDecodeError:
                continue  # a line cut short by the kill: its request was never answered
        if rows:
            self._insert_rows(conn, rows)

    @staticmethod
    def _insert_rows(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_INSERT, rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _ingest_loop(self) -> None:
        conn = sqlite3.connect(str(self._path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA synchronous=NORMAL")  # the rows are durable in the journal already
        last_checkpoint = time.monotonic()
        try:
            while not self._closing.wait(INGEST_INTERVAL_S):
                try:
                    self._ingest(conn)
                    if time.monotonic() - last_checkpoint >= CHECKPOINT_INTERVAL_S:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        last_checkpoint = time.monotonic()
                except Exception:  # keep ingesting: the rows stay in the journal and the queue meanwhile
                    log.exception("audit ingest failed; retrying")
        finally:
            conn.close()

    def _ingest(self, conn: sqlite3.Connection) -> None:
        with self._jlock:
            rows, self._queue = self._queue, []
        if rows:
            try:
                self._insert_rows(conn, rows)
            except sqlite3.Error:
                with self._jlock:  # still in the journal: try again next time
                    self._queue[:0] = rows
                return
        with self._jlock:
            # Empty queue: every row written to the journal so far is in the table.
            if not self._queue and self._jbytes > TRUNCATE_BYTES and self._fd is not None:
                os.ftruncate(self._fd, 0)
                self._jbytes = 0

    def tail(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """Durable once this returns: the rows are in the journal (ingested into the table later)."""
        if self._fd is None:  # only the gateway's writer appends; readers replay and read
            raise AuditError(f"{self._path}: this audit store was opened for reading (or is closed)")
        data = b"".join([orjson.dumps(r) + b"\n" for r in rows])
        with self._jlock:
            try:
                _write_all(self._fd, data)
            except OSError:
                os.ftruncate(self._fd, self._jbytes)  # no partial line for the next record to run into
                raise
            self._queue += rows
            self._jbytes += len(data)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        cols = ", ".join(("seq", *FIELDS, "prev_hash", "hash"))
        yield from self.conn.execute(f"SELECT {cols} FROM audit ORDER BY seq")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql).fetchall()

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        if self._fd is not None:  # the writer: hand the last rows to the table, then drop the journal
            self._ingester.join(timeout=15)
            with self._jlock:
                rows, self._queue = self._queue, []
            if rows:
                self._insert_rows(self.conn, rows)
            os.close(self._fd)
            self._fd = None
            self.journal_path.unlink(missing_ok=True)  # every row is in the table now
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class _SqlAlchemyStore:
    """PostgreSQL (or any SQLAlchemy URL): same table, same chain."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine, text

        self._text = text
        self.engine = create_engine(url, future=True)
        with self.engine.begin() as conn:
            conn.execute(text(_DDL.replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")))

    def tail(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(self._text("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        names = ("seq", *FIELDS, "prev_hash", "hash")
        stmt = self._text(f"INSERT INTO audit ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})")
        with self.engine.begin() as conn:
            conn.execute(stmt, [dict(zip(names, r, strict=True)) for r in rows])

    def rows(self) -> Iterator[tuple[Any, ...]]:
        cols = ", ".join(("seq", *FIELDS, "prev_hash", "hash"))
        with self.engine.connect() as conn:
            yield from conn.execute(self._text(f"SELECT {cols} FROM audit ORDER BY seq"))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return list(conn.execute(self._text(sql)))

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, owner: bool = False) -> _SqliteStore | _SqlAlchemyStore:
    """``owner``: the gateway's writer (SQLite: appends through the journal); readers leave it alone."""
    path = _sqlite_path(url)
    try:
        return _SqliteStore(path, owner) if path is not None else _SqlAlchemyStore(url)
    except Exception as exc:  # sqlite3.Error, SQLAlchemy errors, missing driver
        raise AuditError(f"cannot open audit store {url}: {exc}") from exc


@dataclass
class AuditLog:
    """The writer: assigns sequence numbers, chains hashes, commits in groups."""

    url: str
    store_prompts: bool = False
    _pending: list[tuple[dict[str, Any], asyncio.Future[None] | None]] = field(default_factory=list)
    _scheduled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.store = open_store(self.url, owner=True)
        self.seq, self.head_hash = self.store.tail()
        self._inline = isinstance(self.store, _SqliteStore)
        self._executor = None if self._inline else ThreadPoolExecutor(1, thread_name_prefix="deshi-audit")
        self.records_written = 0

    def _rows(self, records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        rows = []
        for rec in records:
            self.seq += 1
            values = tuple(map(rec.get, FIELDS))
            digest = record_hash(self.head_hash, self.seq, values)
            rows.append((self.seq, *values, self.head_hash, digest))
            self.head_hash = digest
        return rows

    def _commit(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            seq, head = self.seq, self.head_hash
            try:
                self.store.insert(self._rows(records))
            except Exception:
                self.seq, self.head_hash = seq, head  # nothing was written: keep the chain contiguous
                raise
            self.records_written += len(records)

    def write_sync(self, record: dict[str, Any]) -> None:
        """Append one record now (startup events, CLI use)."""
        self._commit([self._normalise(record)])

    def _normalise(self, record: dict[str, Any]) -> dict[str, Any]:
        record.setdefault("ts", time.time())
        for key in ("guard", "detail"):
            value = record.get(key)
            if value is not None and not isinstance(value, str):
                record[key] = orjson.dumps(value).decode()
        if not self.store_prompts:
            record["prompt"] = None
            record["completion"] = None
        return record

    def append(self, record: dict[str, Any], alone: bool = False) -> asyncio.Future[None]:
        """Queue a record; the returned future resolves once it is durable. Call from the event loop.

        ``alone``: the caller knows no other request is in flight, so no record can join this one's
        group; it is committed right here (same transaction, same durability) instead of one loop
        iteration later, and the returned future is already done.
        """
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        if alone and self._inline and not self._pending:
            self._finish([(record, fut)], self._try_commit([self._normalise(record)]))
            return fut
        self._pending.append((self._normalise(record), fut))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush, loop)
        return fut

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._pending, self._scheduled = self._pending, [], False
        if not batch:
            return
        records = [rec for rec, _ in batch]
        if self._inline:
            self._finish(batch, self._try_commit(records))
        else:
            task = loop.run_in_executor(self._executor, self._try_commit, records)
            task.add_done_callback(lambda t: self._finish(batch, t.result()))

    def _try_commit(self, records: list[dict[str, Any]]) -> BaseException | None:
        try:
            self._commit(records)
        except Exception as exc:
            return exc
        return None

    @staticmethod
    def _finish(batch: list[tuple[dict[str, Any], asyncio.Future[None] | None]], error: BaseException | None) -> None:
        for _, fut in batch:
            if fut is None or fut.done():
                continue
            if error is None:
                fut.set_result(None)
            else:
                fut.set_exception(AuditError(f"audit write failed: {error}"))

    def spent_by_key(self) -> dict[str, tuple[int, float]]:
        """Tokens and cost already charged to each key (budgets survive restarts)."""
        rows = self.store.query(
            "SELECT key_id, COALESCE(SUM(prompt_tokens + completion_tokens), 0), COALESCE(SUM(cost), 0) "
            "FROM audit WHERE kind = 'request' AND key_id IS NOT NULL GROUP BY key_id"
        )
        return {r[0]: (int(r[1]), float(r[2])) for r in rows}

    def close(self) -> None:
        if self._pending:
            records = [rec for rec, _ in self._pending]
            self._finish(self._pending, self._try_commit(records))
            self._pending = []
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.store.close()  # idempotent: the app's lifespan and its owner may both close


@dataclass
class VerifyResult:
    records: int
    problems: list[str]
    head: str

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(url: str, max_problems: int = 20) -> VerifyResult:
    """Walk the chain: sequence numbers contiguous from 1, each prev_hash the previous hash, each hash right."""
    store = open_store(url)
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    try:
        for row in store.rows():
            count += 1
            seq, values, prev_hash, digest = row[0], tuple(row[1:-2]), row[-2], row[-1]
            if seq != expected_seq:
                problems.append(f"record {seq}: expected sequence number {expected_seq} (a record was deleted or inserted)")
            if prev_hash != prev:
                problems.append(f"record {seq}: prev_hash does not match record {seq - 1}'s hash (deleted or reordered)")
            if record_hash(prev_hash, seq, values) != digest:
                problems.append(f"record {seq}: contents do not match its hash (edited)")
            prev, expected_seq = digest, seq + 1
            if len(problems) >= max_problems:
                problems.append("… stopping after too many problems")
                break
    finally:
        store.close()
    return VerifyResult(count, problems, prev)


def request_ids(url: str) -> set[str]:
    store = open_store(url)
    try:
        return {r[0] for r in store.query("SELECT request_id FROM audit WHERE request_id IS NOT NULL")}
    finally:
        store.close()
