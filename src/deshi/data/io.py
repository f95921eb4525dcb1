"""Streaming input and output: JSONL, JSONL.gz and Parquet, split into shards, bad records quarantined.

Input may be a file, a glob or a directory. :func:`plan_shards` makes one streaming pass over the
input (JSONL: byte offsets every ``shard_size`` lines, and of the work units they are split into, see
:func:`plan_pieces`; Parquet: row groups from the footer) so each
worker later reads only its own shard — memory is bounded by the shard, never by the corpus.

Lines are read as bytes and decoded one by one, so one line of invalid UTF-8 costs that line, not the
file. Every record that cannot become a document (invalid UTF-8, malformed JSON, not an object, text
missing, empty or not a string) becomes a quarantine entry with source file, line number and reason —
but never the line's content, which may hold personal data.

Files written by other tools are read as they are (see :func:`parse_line`): a UTF-8 byte-order mark,
CRLF line ends, Python's ``json.dumps`` extensions (``NaN``, raw control characters inside strings),
a legacy encoding (``encoding``: CP932/Shift_JIS, EUC-JP), Parquet strings stored as plain binary.
A ``.jsonl.gz`` cut short or damaged loses only what cannot be decompressed: the lines before the
damage are read and the damage is one quarantine entry; a file that cannot be opened at all (not gzip,
not Parquet) is an :class:`InputError` naming it, before any work starts.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import io
import json
import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from deshi.data.document import Document
from deshi.errors import DeshiError

SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
OUTPUT_SUFFIX = {"jsonl": ".jsonl", "jsonl.gz": ".jsonl.gz", "parquet": ".parquet"}


class InputError(DeshiError):
    """The input path, glob or directory names no readable data files."""


# What a damaged .jsonl.gz raises while it is decompressed: cut short (EOFError), corrupt deflate data
# (zlib.error), a bad header or CRC (gzip.BadGzipFile, an OSError).
GZIP_ERRORS = (EOFError, zlib.error, OSError)


@dataclass(frozen=True)
class RecordFormat:
    """How input records are read: which fields hold the text and the id, the byte encoding of JSONL
    lines, and which other fields are carried into ``meta`` (config: ``text_field``, ``id_field``,
    ``encoding``, ``keep_fields``)."""

    text_field: str = "text"
    id_field: str = "id"
    encoding: str = "utf-8"
    keep_fields: tuple[str, ...] = ()

    @property
    def utf8(self) -> bool:
        return codecs.lookup(self.encoding).name in ("utf-8", "utf-8-sig")

    @property
    def bad_bytes_reason(self) -> str:
        """Quarantine reason of a line that does not decode (``invalid_utf8`` as before for UTF-8)."""
        return "invalid_utf8" if self.utf8 else "invalid_encoding"


def check_encoding(name: str) -> str:
    """``name`` if JSONL lines in it can be split at the byte ``\n`` and parsed after decoding (UTF-8,
    CP932/Shift_JIS, EUC-JP, Latin-1 …); else ValueError. UTF-16/32 put zero bytes beside every
    ``\n`` and ``{``, so a byte-wise line split would cut characters: those files need converting."""
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown encoding {name!r} (e.g. utf-8, cp932, shift_jis, euc-jp)") from None
    if '{"a": 1}\n'.encode(name, errors="strict").removeprefix(codecs.BOM_UTF8) != b'{"a": 1}\n':
        raise ValueError(f"encoding {name!r} is not ASCII-compatible; convert the files to UTF-8 first "
                         f"(e.g. iconv -f {name} -t utf-8)")
    return name


@dataclass(frozen=True)
class ShardSpec:
    """A contiguous slice of one input file: lines [start_line, start_line + count) or Parquet row groups."""

    index: int
    path: str
    kind: str  # "jsonl" | "parquet"
    start_line: int  # 1-based line (or row) number of the first record
    count: int  # lines (or rows) in this shard
    offset: int = 0  # byte offset of the first line (uncompressed for .gz)
    row_groups: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["row_groups"] = list(self.row_groups)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardSpec:
        return cls(**{**data, "row_groups": tuple(data.get("row_groups", ()))})


@dataclass(frozen=True)
class Quarantined:
    source: str
    line: int
    reason: str
    detail: str = ""

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"source": self.source, "line": self.line, "reason": self.reason}
        if self.detail:
            record["detail"] = self.detail
        return record


def _is_data_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES)


def input_files(spec: str | Path, exclude: Path | None = None) -> list[Path]:
    """Resolve a file, a glob or a directory (its ``data/`` if present, else all data files below it).
    ``exclude``: a directory whose files are left out of a directory or glob (the run's own output
    directory, when it lies inside the input directory)."""
    path = Path(spec)
    outside = _outside(exclude)
    if path.is_file():
        if not path.name.endswith(SUFFIXES):
            raise InputError(f"{path}: expected a .jsonl, .jsonl.gz or .parquet file")
        return [path]
    if path.is_dir():
        base = path / "data" if (path / "data").is_dir() else path
        # Hidden files and folders (.git, .cache, macOS's ._x.jsonl) and unzip's __MACOSX copies are
        # not data: a macOS "._part.jsonl" is binary metadata that would quarantine as invalid UTF-8.
        found = [p for p in base.rglob("*") if p.is_file() and outside(p)
                 and not any(part.startswith(".") or part == "__MACOSX" for part in p.relative_to(base).parts)]
        files = sorted(p for p in found if p.name.endswith(SUFFIXES))
        if not files:
            raise InputError(f"{path}: no .jsonl, .jsonl.gz or .parquet files in this directory")
        skipped = sorted(p for p in found if not p.name.endswith(SUFFIXES))
        if skipped:  # e.g. .json or .csv exports a user expected to be read: say so instead of silence
            from deshi.log import get_logger

            get_logger("deshi.data").warning(
                "%s: %d file(s) skipped, not .jsonl/.jsonl.gz/.parquet (e.g. %s)", path, len(skipped),
                ", ".join(p.name for p in skipped[:3]))
        return files
    if any(ch in str(spec) for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(str(spec), recursive=True)
                       if _is_data_file(Path(p)) and outside(Path(p)))
        if not files:
            raise InputError(f"{spec}: the glob matches no .jsonl, .jsonl.gz or .parquet files")
        return files
    raise InputError(f"input {spec} does not exist")


def _outside(directory: Path | None) -> Callable[[Path], bool]:
    """A test: is a path outside ``directory`` (always true without one)?"""
    if directory is None:
        return lambda path: True
    root = directory.resolve()
    return lambda path: not path.resolve().is_relative_to(root)


# Buffer sizes of the per-line readers and writers: lines are ~1-3 KB, so Python's 8 KiB default
# meant a system call every few lines; 256 KiB makes it one per ~100-200 lines.
READ_BUFFER = 1 << 18
WRITE_BUFFER = 1 << 18


def _open_binary(path: Path, buffering: int = -1) -> io.BufferedIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb", buffering=buffering)


def plan_shards(files: list[Path], shard_size: int) -> list[ShardSpec]:
    """Split the input into shards in a fixed order (file order, then line order)."""
    return [shard for shard, _ in plan_pieces(files, shard_size)]


def plan_pieces(files: list[Path], shard_size: int,
                parts_of: Callable[[int], int] | None = None) -> list[tuple[ShardSpec, list[ShardSpec]]]:
    """:func:`plan_shards`, each shard with its :func:`split_shard` slices into ``parts_of(shard.count)``
    parts (none given: one), found in the same pass over the input.

    Why one pass of chunks: the plan is serial work before any worker can start. Iterating a file's
    lines in Python and then reading every shard again to split it cost 0.27 s of the coordinator's
    CPU at 200,000 documents (250 MB); counting newlines in 1 MiB chunks in C (``bytes.count``) and
    locating only the wanted lines reads the file once, at a fraction of that. A slice boundary of a
    full shard is known in advance (its count is ``shard_size``); only a file's last, shorter shard is
    read a second time (one shard per file, so the extra read does not grow with the corpus)."""
    parts_of = parts_of or (lambda count: 1)
    planned: list[tuple[ShardSpec, list[ShardSpec]]] = []
    for path in files:
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            try:
                meta = pq.ParquetFile(path).metadata
            except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, …: all mean "cannot open"
                with open(path, "rb") as handle:
                    if handle.read(len(LFS_POINTER)) == LFS_POINTER:
                        raise InputError(f"{path} {LFS_ADVICE}") from None
                raise InputError(f"{path}: not a readable Parquet file ({str(exc)[:120]})") from None
            groups: list[int] = []
            rows = 0
            start = 1
            for rg in range(meta.num_row_groups):
                groups.append(rg)
                rows += meta.row_group(rg).num_rows
                if rows >= shard_size:
                    shard = ShardSpec(len(planned), str(path), "parquet", start, rows, 0, tuple(groups))
                    planned.append((shard, [shard]))
                    start += rows
                    groups, rows = [], 0
            if groups:
                shard = ShardSpec(len(planned), str(path), "parquet", start, rows, 0, tuple(groups))
                planned.append((shard, [shard]))
            continue
        _plan_jsonl(path, shard_size, parts_of, planned)
    return planned


# Bytes read at a time while planning (one reused buffer).
PLAN_CHUNK = 1 << 20


def _slice_starts(count: int, parts: int) -> list[int]:
    """First line of each :func:`split_shard` slice, counted from the shard's start."""
    if parts <= 1 or count <= parts:
        return [0]
    return list(range(0, count, -(-count // parts)))


def _slices(shard: ShardSpec, starts: list[int], offsets: list[int]) -> list[ShardSpec]:
    """The slices of ``shard`` that begin at lines ``starts`` (from :func:`_slice_starts`), at byte ``offsets``."""
    size = starts[1] if len(starts) > 1 else shard.count  # lines per slice, but the last
    return [ShardSpec(k, shard.path, "jsonl", shard.start_line + first, min(size, shard.count - first), offset)
            for k, (first, offset) in enumerate(zip(starts, offsets, strict=True))]


def _plan_jsonl(path: Path, shard_size: int, parts_of: Callable[[int], int],
                planned: list[tuple[ShardSpec, list[ShardSpec]]]) -> None:
    """The shards (and slices) of one JSONL or JSONL.gz file, appended to ``planned``.

    Lines end at ``\n`` (as iterating the file splits them); an unterminated last line counts."""
    import numpy as np

    splittable = not path.name.endswith(".gz")  # a .gz slice would decompress everything before it
    if splittable:
        _check_plain_jsonl(path)
    full_starts = _slice_starts(shard_size, parts_of(shard_size)) if splittable else [0]
    buffer = bytearray(PLAN_CHUNK)  # one buffer for all reads (a fresh 1 MiB bytes each time page-faults)
    data = np.frombuffer(buffer, dtype=np.uint8)
    is_newline = np.empty(len(buffer), dtype=bool)
    first = len(planned)
    try:
        _plan_jsonl_chunks(path, shard_size, parts_of, planned, splittable, full_starts, buffer, data, is_newline)
    except GZIP_ERRORS:
        if not path.name.endswith(".gz"):
            raise
        del planned[first:]  # planned again, line by line, as the reader will see the file
        _plan_damaged_gz(path, shard_size, planned)


# A Git LFS pointer: what a dataset repository cloned without `git lfs pull` holds instead of the data.
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
LFS_ADVICE = "is a Git LFS pointer, not the data: fetch it (git lfs pull, or huggingface-cli download)"

# First bytes of files that are not JSON Lines text in an ASCII-compatible encoding, and what to do.
_NOT_JSONL = ((b"\x1f\x8b", "is gzip-compressed: name it .jsonl.gz"),
              (b"\x28\xb5\x2f\xfd", "is zstd-compressed: decompress it first (zstd -d)"),
              (b"\xff\xfe", "is UTF-16 (e.g. PowerShell's Out-File): convert it (iconv -f utf-16 -t utf-8)"),
              (b"\xfe\xff", "is UTF-16 (e.g. PowerShell's Out-File): convert it (iconv -f utf-16 -t utf-8)"),
              (b"PAR1", "is a Parquet file: name it .parquet"),
              (LFS_POINTER, LFS_ADVICE))


def _check_plain_jsonl(path: Path) -> None:
    """An :class:`InputError` for a .jsonl that is compressed, UTF-16 or Parquet: read as JSON Lines, each
    of its lines would be quarantined as invalid UTF-8 and the one useful fact lost."""
    with open(path, "rb") as handle:
        head = handle.read(len(LFS_POINTER))
    for magic, what in _NOT_JSONL:
        if head.startswith(magic):
            raise InputError(f"{path} {what}")


def _plan_jsonl_chunks(path: Path, shard_size: int, parts_of: Callable[[int], int],
                       planned: list[tuple[ShardSpec, list[ShardSpec]]], splittable: bool,
                       full_starts: list[int], buffer: bytearray, data: Any, is_newline: Any) -> None:
    """The chunked pass of :func:`_plan_jsonl` (raises what decompressing a damaged .gz raises)."""
    import numpy as np

    with _open_binary(path) as handle:
        seen = position = 0  # newlines before the chunk, byte offset of the chunk
        shard_line, shard_offset = 0, 0  # lines before the current shard, its byte offset
        offsets = [0]  # byte offsets of the current shard's slices found so far
        wanted = [*full_starts[1:], shard_size]  # lines (from the shard's start) whose end is wanted
        ends_in_newline = True
        while True:
            size_read = handle.readinto(buffer)
            if not size_read:
                break
            ends_in_newline = buffer[size_read - 1] == 10
            # Newlines counted with NumPy (SIMD): bytes.count(b"\n") took ~3x as long on 250 MB.
            found = np.equal(data[:size_read], 10, out=is_newline[:size_read])
            newlines = int(np.count_nonzero(found))
            at: np.ndarray | None = None  # positions of the chunk's newlines, when one is wanted
            while wanted and seen + newlines >= shard_line + wanted[0]:
                if at is None:
                    at = np.flatnonzero(found)
                target = shard_line + wanted.pop(0)
                end = position + int(at[target - seen - 1]) + 1  # just after that line
                if wanted:  # a slice boundary inside the shard
                    offsets.append(end)
                    continue
                shard = ShardSpec(len(planned), str(path), "jsonl", shard_line + 1, shard_size, shard_offset)
                planned.append((shard, [shard] if len(offsets) == 1 else _slices(shard, full_starts, offsets)))
                shard_line, shard_offset = target, end
                offsets, wanted = [shard_offset], [*full_starts[1:], shard_size]
            seen += newlines
            position += size_read
    count = seen + (0 if ends_in_newline else 1) - shard_line
    if count:
        shard = ShardSpec(len(planned), str(path), "jsonl", shard_line + 1, count, shard_offset)
        planned.append((shard, split_shard(shard, parts_of(count)) if splittable else [shard]))


def _plan_damaged_gz(path: Path, shard_size: int, planned: list[tuple[ShardSpec, list[ShardSpec]]]) -> None:
    """Shards of a .jsonl.gz that cannot be decompressed to its end (cut short by an interrupted copy or
    download, or corrupt): its lines are counted with ``readline`` exactly as :func:`read_shard` will
    read them (a chunked read loses the last partial chunk), plus one line for the damage, which the
    reader turns into a quarantine entry. A file that yields no line at all is an :class:`InputError`
    (not gzip, or damaged from the start): nothing of it could be read."""
    lines, position, starts = 0, 0, [(1, 0)]  # (first line, uncompressed offset) of each shard
    error: BaseException | None = None
    try:
        with _open_binary(path) as handle:
            while raw := handle.readline():
                lines += 1
                position += len(raw)
                if lines % shard_size == 0:
                    starts.append((lines + 1, position))
    except GZIP_ERRORS as exc:
        error = exc  # (none: read to the end this time, though the chunked pass failed; nothing is missing)
    if lines == 0 and error is not None:
        raise InputError(f"{path}: cannot decompress this .gz file ({str(error)[:120]})") from None
    total = lines + (1 if error is not None else 0)
    for first, offset in starts:
        count = min(shard_size, total - first + 1)
        if count > 0:
            shard = ShardSpec(len(planned), str(path), "jsonl", first, count, offset)
            planned.append((shard, [shard]))


def split_shard(shard: ShardSpec, parts: int) -> list[ShardSpec]:
    """``shard`` as up to ``parts`` consecutive slices of about equal line counts (indices 0..k-1, to be
    renumbered by the caller), so several processes can share one output shard's work.

    Only plain JSONL is split (a slice starts at a byte offset found by one pass over the shard's
    lines); a .jsonl.gz slice would have to decompress everything before it, and Parquet shards are
    whole row groups, so those come back as one slice."""
    starts = _slice_starts(shard.count, parts)
    if len(starts) == 1 or shard.kind != "jsonl" or shard.path.endswith(".gz"):
        return [shard]
    with open(shard.path, "rb") as handle:
        offsets = [shard.offset, *_offsets_after_lines(handle, shard.offset, starts[1:])]
    return _slices(shard, starts, offsets)


def _offsets_after_lines(handle: io.BufferedIOBase, start: int, counts: list[int]) -> list[int]:
    """Byte offset just after the first ``c`` lines that begin at ``start``, for each ``c`` of the sorted
    ``counts``. Reads 1 MiB at a time and counts newlines in C (``bytes.count``), locating a line only
    in a chunk that holds a wanted one: ~4× faster than a ``readline`` per line, which cost ~0.04 s per
    20,000 lines of the coordinator's start-up. A line ends at ``\n``, as ``readline`` splits it (a
    wanted line is never the file's unterminated last line: another slice starts after it)."""
    handle.seek(start)
    found: list[int] = []
    wanted = iter(counts)
    target = next(wanted, None)
    seen, position = 0, start
    while target is not None:
        chunk = handle.read(1 << 20)
        if not chunk:
            raise ValueError(f"{getattr(handle, 'name', 'input')}: fewer lines than planned (changed during the run?)")
        newlines = chunk.count(b"\n")
        at = 0
        while target is not None and seen + newlines >= target:
            for _ in range(target - seen):
                at = chunk.index(b"\n", at) + 1
            newlines -= target - seen
            seen = target
            found.append(position + at)
            target = next(wanted, None)
        seen += newlines
        position += len(chunk)
    return found


@dataclass(frozen=True)
class _Bad:
    """A line :func:`parse_line` could not turn into a JSON value: quarantine reason and detail."""

    reason: str
    detail: str


def parse_line(raw: bytes, fmt: RecordFormat) -> Any:
    """The JSON value of one input line that orjson did not parse from the bytes (or any line of a
    non-UTF-8 ``fmt.encoding``), else a :class:`_Bad`.

    Decoded with ``fmt.encoding`` and parsed again; a leading byte-order mark (U+FEFF: Windows tools
    write one at the start of a file, and ``cat`` of such files puts it mid-file) is dropped first. What
    orjson still refuses is given to the standard library's parser in its lenient mode, which reads what
    Python's ``json.dumps`` writes (``NaN``/``Infinity``) and raw control characters inside strings (tabs
    from hand-written exporters); a value orjson cannot write back (a lone surrogate ``\\ud800``, an
    integer beyond 64 bits) stays quarantined with orjson's reason. Only lines orjson refuses come here,
    so valid JSONL costs nothing more."""
    try:
        text = raw.decode(fmt.encoding)
    except UnicodeDecodeError as exc:
        return _Bad(fmt.bad_bytes_reason, f"byte {exc.start}" if fmt.utf8 else f"{fmt.encoding}: byte {exc.start}")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        refused = _Bad("malformed_json", str(exc).split(":")[0][:80])
    try:
        value = json.loads(text, strict=False)
        orjson.dumps(value)  # what phase 1 will write must be writable
    except (ValueError, TypeError, RecursionError):  # JSONDecodeError and orjson's errors are among these
        return refused
    return value


def _document_id(raw_id: Any) -> str | None:
    """The id as a string: strings and integers as they are, integral floats as integers (pandas writes
    an integer id column holding a null as float64: 7.0 is document 7), other finite floats as written."""
    if isinstance(raw_id, bool) or raw_id is None:
        return None
    if isinstance(raw_id, str | int):
        return str(raw_id) or None
    if isinstance(raw_id, float) and math.isfinite(raw_id):
        return str(int(raw_id)) if raw_id.is_integer() else repr(raw_id)
    return None


def _meta(value: Any) -> dict[str, Any]:
    """``meta`` as a dict: a JSON-object string is decoded (curated Parquet stores meta so); any other
    non-null value is kept under ``value`` rather than dropped."""
    if isinstance(value, dict):
        return dict(value)
    if value is None:
        return {}
    if isinstance(value, str):
        return _maybe_json(value)
    return {"value": value}


def _to_document(record: Any, source: str, line: int, fmt: RecordFormat) -> Document | Quarantined:
    if not isinstance(record, dict):
        return Quarantined(source, line, "not_an_object", type(record).__name__)
    text = record.get(fmt.text_field)
    if text is None:
        return Quarantined(source, line, "missing_text", f"no '{fmt.text_field}' field")
    if isinstance(text, bytes):  # Parquet written by tools that store strings as plain BINARY
        try:
            text = text.decode(fmt.encoding)
        except UnicodeDecodeError as exc:
            return Quarantined(source, line, fmt.bad_bytes_reason, f"byte {exc.start}")
    if not isinstance(text, str):
        return Quarantined(source, line, "text_not_string", type(text).__name__)
    if not text.strip():
        return Quarantined(source, line, "empty_text")
    doc_id = _document_id(record.get(fmt.id_field)) or f"{Path(source).name}:{line}"
    meta = _meta(record.get("meta"))
    for name in fmt.keep_fields:
        if name in record and name not in meta:
            meta[name] = record[name]
    return Document(doc_id, text, meta, source, line)


def display_path(path: str) -> str:
    """``path`` as text that can be written as UTF-8. A file name in a legacy encoding (a Windows zip
    unpacked without ``-O cp932``: 議事録.jsonl in Shift_JIS bytes) comes from the OS as lone surrogates,
    which no UTF-8 output (quarantine.jsonl, ids) can hold; its bytes are shown as ``\\x8b`` escapes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def read_shard(shard: ShardSpec, text_field: str = "text", id_field: str = "id",
               fmt: RecordFormat | None = None) -> Iterator[Document | Quarantined]:
    """Yield the shard's documents and quarantine entries in input order (``fmt``: how records are read;
    default: ``text_field`` and ``id_field``, UTF-8)."""
    fmt = fmt or RecordFormat(text_field, id_field)
    source = display_path(shard.path)
    if shard.kind == "parquet":
        yield from _read_parquet(shard, fmt)
        return
    utf8 = fmt.utf8
    number = shard.start_line
    with _open_binary(Path(shard.path), READ_BUFFER) as handle:
        try:
            if shard.offset and shard.path.endswith(".gz"):
                # Skipped line by line, as _plan_damaged_gz counted them: a seek decompresses in other
                # chunk sizes, and where deflate data is corrupt, how much comes out before the error
                # depends on them. (Any .gz seek decompresses everything before the offset anyway.)
                for _ in range(shard.start_line - 1):
                    handle.readline()
            elif shard.offset:
                handle.seek(shard.offset)
            for number in range(shard.start_line, shard.start_line + shard.count):
                raw = handle.readline()
                if not raw:
                    break
                if not raw.strip():
                    continue  # blank lines are layout, not records
                # orjson parses the bytes directly (it validates UTF-8 itself): ~2.4 µs instead of a
                # decode (~1.6 µs) plus parsing the str (~3.7 µs). Any line it refuses is judged again
                # (parse_line), so bad lines get the same reasons and details as before.
                try:
                    record = orjson.loads(raw) if utf8 else parse_line(raw, fmt)
                except orjson.JSONDecodeError:
                    record = parse_line(raw, fmt)
                if isinstance(record, _Bad):
                    yield Quarantined(source, number, record.reason, record.detail)
                    continue
                yield _to_document(record, source, number, fmt)
        except GZIP_ERRORS as exc:
            if not shard.path.endswith(".gz"):
                raise
            # the plan counted this line for the damage (see _plan_damaged_gz); what follows is lost
            reason = "truncated_gzip" if isinstance(exc, EOFError) else "corrupt_gzip"
            yield Quarantined(source, number, reason, " ".join(str(exc).split())[:80])


def _read_parquet(shard: ShardSpec, fmt: RecordFormat) -> Iterator[Document | Quarantined]:
    """The rows of a Parquet shard, one row group at a time; only the columns a document uses are read
    (wide exports carry embeddings or HTML we would convert and drop). A row group that cannot be read
    (a corrupt page) quarantines its remaining rows, one entry per row, and the shard goes on."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(shard.path)
    source = display_path(shard.path)
    wanted = {fmt.text_field, fmt.id_field, "meta", *fmt.keep_fields}
    columns = [name for name in parquet.schema_arrow.names if name in wanted]
    row = shard.start_line
    for group in shard.row_groups:
        end = row + parquet.metadata.row_group(group).num_rows
        try:
            for batch in parquet.iter_batches(batch_size=1024, row_groups=[group], columns=columns):
                for record in batch.to_pylist():
                    yield _to_document(record, source, row, fmt)
                    row += 1
        except (OSError, pa.ArrowException) as exc:
            detail = f"row group {group}: {' '.join(str(exc).split())[:80]}"
            for lost in range(row, end):
                yield Quarantined(source, lost, "unreadable_parquet", detail)
            row = end


def _maybe_json(value: str) -> Any:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return {"value": value}
    return parsed if isinstance(parsed, dict) else {"value": value}


# ---------------------------------------------------------------- writers


def atomic_path(path: Path) -> Path:
    """A private temporary name: a worker orphaned by a killed run and the resumed run may write the
    same shard at once; each writes its own complete file and the atomic rename picks one (they are
    byte-identical, the pipeline being deterministic)."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


class RecordWriter:
    """Write ``{"id","text","meta"}`` records to JSONL, JSONL.gz or Parquet, atomically (tmp + rename).

    Output is byte-for-byte reproducible: gzip headers carry no timestamp or file name; Parquet gets
    a fixed schema (``meta`` stored as a JSON string, since documents' meta keys differ).
    """

    def __init__(self, path: Path, fmt: str, row_group: int = 5000) -> None:
        self.path = path
        self.fmt = fmt
        self.tmp = atomic_path(path)
        self.count = 0
        self.row_group = row_group
        self._rows: list[dict[str, Any]] = []
        self._pq_writer: Any = None
        if fmt == "parquet":
            import pyarrow as pa

            self._schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("meta", pa.string())])
            self._handle: Any = None
        elif fmt == "jsonl.gz":
            self._raw = open(self.tmp, "wb")
            self._handle = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        else:
            self._handle = open(self.tmp, "wb", buffering=WRITE_BUFFER)

    def write(self, record: dict[str, Any]) -> None:
        self.count += 1
        if self.fmt == "parquet":
            self._rows.append(
                {"id": record["id"], "text": record["text"], "meta": orjson.dumps(record.get("meta") or {}).decode()}
            )
            if len(self._rows) >= self.row_group:
                self._flush()
            return
        self._handle.write(orjson.dumps(record) + b"\n")

    def write_line(self, line: bytes) -> None:
        """Write one record given as its JSONL line (``orjson.dumps(record) + b"\\n"``, as phase 1
        wrote it): JSONL outputs take the bytes as they are, with no parse and re-serialise."""
        if self.fmt == "parquet":
            self.write(orjson.loads(line))
            return
        self.count += 1
        self._handle.write(line)

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._pq_writer is None:
            self._pq_writer = pq.ParquetWriter(self.tmp, self._schema, compression="zstd")
        if self._rows:
            self._pq_writer.write_table(pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        if self.fmt == "parquet":
            self._flush()
            self._pq_writer.close()
        else:
            self._handle.close()
            if self.fmt == "jsonl.gz":
                self._raw.close()
        os.replace(self.tmp, self.path)


def write_jsonl_atomic(path: Path, records: list[dict[str, Any]] | Iterator[dict[str, Any]]) -> None:
    tmp = atomic_path(path)
    with open(tmp, "wb", buffering=WRITE_BUFFER) as handle:
        for record in records:
            handle.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))  # dumps + b"\n", one copy
    os.replace(tmp, path)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = atomic_path(path)
    tmp.write_bytes(data)
    os.replace(tmp, path)
