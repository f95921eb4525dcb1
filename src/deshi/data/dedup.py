"""Deduplication: exact (hash of the normalised text) then near-duplicate MinHash LSH, global and deterministic.

**Signatures (phase 1, in workers).** MinHash over character n-gram shingles with ``rensa`` (Rust).
Chosen by measurement on this machine (800-character Japanese documents, 128 permutations,
``benchmarks/curate_bench.py`` repeats it): rensa ≈ 11,000 signatures/s, vectorised NumPy
(rolling n-gram hashes × 128 multiply-shift permutations) ≈ 1,100/s, datasketch ≈ 1,300/s. rensa is
also what HojiChar 0.18 uses. We feed it pre-hashed shingles (NumPy rolling hashes) for a whole
batch at once, which removes the per-document Python token list. Each worker also stores, per document, a 128-bit exact hash and one
64-bit key per LSH band, so the single-process phase 2 reads only small integer arrays.

**Clustering (phase 2, led by one process; with several workers it hands steps to the pool, see
:func:`find_clusters`).** Documents are numbered in input order (shard order, then line
order) regardless of how many workers produced them. Exact duplicates: the first occurrence of each
hash is kept. Near duplicates: for every band, documents with equal band keys are candidates; each
candidate pair is verified with the *exact* Jaccard similarity of its shingle sets (≥ threshold) —
the MinHash estimate with 128 permutations has a standard deviation of ~0.03 at 0.85, which
rejected one true pair in ten near the threshold in our tests. The estimate still pre-screens:
pairs more than 0.15 below the threshold (templated documents that share a band) are not read. Verified pairs are merged with union-find whose root is always the smallest index,
so the kept document of every cluster is the earliest in the input. Phase 2 reads the phase-1
files a unit or a candidate pair at a time (no memory maps), sorts hash partitions of bounded size
(scattered once to partition files on disk when there are several, so every row is read twice, not
once per partition), keeps the candidate pairs on disk and no per-document array of the corpus: what it holds follows
the number of duplicates (see :func:`find_clusters`).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import xxhash

from deshi.data.config import DedupConfig

# rensa hashes batches on a rayon thread pool sized to all cores. deshi parallelises with one worker
# process per core, so extra threads only oversubscribe the CPU (and make "per core" numbers lie);
# must be set before rensa's pool starts, i.e. before the first signature in this process.
os.environ.setdefault("RAYON_NUM_THREADS", "1")

KEEP, EXACT, NEAR = 0, 1, 2
# Candidates whose MinHash estimate is this far below the threshold are not verified: with 128
# permutations that is > 4 standard deviations, so a true duplicate is skipped with p < 1e-4.
ESTIMATE_MARGIN = 0.15
# Candidate pairs whose signatures are gathered at once: 1 MiB of rows at 128 permutations. Larger
# chunks were no faster (measured at 200,000 documents) and added their size to the peak RSS.
PAIR_CHUNK = 1_024
# Documents sorted at once in phase 2. Larger corpora are processed in passes over hash partitions
# (equal hashes and equal band keys always fall in the same partition, so every pass finds whole
# buckets), which caps the sort arrays (~35 bytes per document of a pass: ~2 MB) whatever the
# corpus size; with several partitions the band keys are scattered once to partition files (_Scatter).
PASS_DOCS = 1 << 16
# Documents whose exact hashes are sorted at once (~35 bytes each: ~0.6 MB).
EXACT_PASS_DOCS = 1 << 14
# Repeated band keys turned into candidate pairs at once (≤ 2 pairs each: ≤ 2 MiB of pairs).
PAIR_SLICE = 1 << 16
# Failed verifications remembered across bands (8 bytes each: 8 MiB).
FAILED_MAX = 1 << 20
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def lsh_params(threshold: float, num_perm: int, bands: int | None = None) -> tuple[int, int]:
    """(bands, rows). Default: the most rows per band that still make a pair at the threshold a
    candidate with probability ≥ 0.98 — recall-first, since every candidate is verified afterwards."""
    if bands is not None:
        return bands, max(1, num_perm // bands)
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        b = num_perm // rows
        if b < 1:
            break
        if 1 - (1 - threshold**rows) ** b >= 0.98:
            best = (b, rows)
    return best


class Signer:
    """Computes exact hash, MinHash signature and band keys for one document's final text."""

    def __init__(self, config: DedupConfig) -> None:
        from rensa import RMinHash  # imported here: workers load it, phase 2 does not need it

        self._minhash = RMinHash
        self.config = config
        self.bands, self.rows = lsh_params(config.threshold, config.num_perm, config.bands)
        rng = np.random.default_rng(config.seed)
        self._band_mult = (rng.integers(1, 2**63, size=(self.rows,), dtype=np.uint64) | np.uint64(1))

    def exact_hash(self, text: str) -> tuple[int, int]:
        digest = xxhash.xxh3_128_intdigest(text.encode("utf-8"))
        return digest >> 64, digest & 0xFFFFFFFFFFFFFFFF

    def signature(self, text: str) -> np.ndarray:
        return self.signatures([text])[0]

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """(n, num_perm) uint32 MinHash signatures of a batch of texts.

        Shingles are hashed by the same vectorised 64-bit rolling hash used for verification
        (``shingle_hashes``) and handed to rensa as one flat buffer: ~3× faster than building a
        Python list of substring tokens per document (measured: 35 µs vs 115 µs per document)."""
        if not texts:
            return np.zeros((0, self.config.num_perm), dtype=np.uint32)
        # MinHash is a minimum over the shingles, so repeated shingles change nothing: rensa gets
        # every n-gram hash as is (no per-document sort/unique; same signatures, tested).
        hashes, offsets = batch_shingle_hashes(texts, self.config.ngram)
        matrix = self._minhash.digest_matrix_from_flat_token_hashes(
            hashes, offsets, num_perm=self.config.num_perm, seed=self.config.seed
        )
        return np.asarray(matrix.to_rows(), dtype=np.uint32)

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """(n, bands) uint64: a 64-bit hash of each band's rows (collisions only add verified candidates)."""
        n = signatures.shape[0]
        used = signatures[:, : self.bands * self.rows].astype(np.uint64).reshape(n, self.bands, self.rows)
        keys = (used * self._band_mult).sum(axis=2, dtype=np.uint64)
        keys ^= keys >> np.uint64(31)
        keys *= _BAND_MIX
        return keys


class _UnionFind:
    """Union by smallest index: the root of a cluster is always its earliest document."""

    def __init__(self, n: int, dtype: type = np.int64) -> None:
        self.parent = np.arange(n, dtype=dtype)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:
            parent[x], x = root, int(parent[x])
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


@dataclass
class ShardArrays:
    """One shard's phase-1 files: ``hashes`` (n,2) uint64, ``bands`` (n,b) uint64, ``signatures``
    (n,P) uint32, ``docs`` (JSONL of the surviving documents) and ``offsets`` (n,) uint64 byte offset
    of each document's line."""

    hashes: Path
    bands: Path
    signatures: Path
    docs: Path
    offsets: Path
    count: int


def shingle_hashes(text: str, n: int, distinct: bool = True) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the character n-gram shingles (the whole text when shorter);
    with ``distinct=False`` every shingle's hash in text order (enough for MinHash)."""
    from deshi.data.quality import ngram_hashes, sorted_distinct

    hashes = ngram_hashes(text, n) if len(text) >= n else ngram_hashes(text.ljust(n, "\0"), n)
    return sorted_distinct(hashes) if distinct else hashes


# Characters hashed in one joined piece by batch_shingle_hashes: bounds its temporary arrays (~3 int64
# arrays of this length, ~25 MB) whatever the documents' sizes.
BATCH_CHARS = 1 << 20


def batch_shingle_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every text's ``shingle_hashes(text, n, distinct=False)``, concatenated, and the offsets (len + 1,
    uint64) where each text's hashes start.

    Why: the rolling hash is ~9 NumPy calls, ~8 µs per 450-character document when run text by text;
    over joined texts the same calls cost once per ~1M characters. The hash of an n-gram depends only
    on its n code points, so hashing the joined text gives each text's values; the n - 1 n-grams that
    cross into the next text are dropped (texts shorter than n are padded with NUL, as one text alone is)."""
    padded = [t if len(t) >= n else t.ljust(n, "\0") for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    offsets = np.zeros(len(padded) + 1, dtype=np.uint64)
    np.cumsum(lengths - (n - 1), out=offsets[1:])
    parts: list[np.ndarray] = []
    lo = 0
    while lo < len(padded):
        hi, size = lo, 0
        while hi < len(padded) and (hi == lo or size + lengths[hi] <= BATCH_CHARS):
            size += int(lengths[hi])
            hi += 1
        parts.append(_joined_ngram_hashes(padded[lo:hi], lengths[lo:hi], n))
        lo = hi
    return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)), offsets


def _joined_ngram_hashes(texts: Sequence[str], lengths: np.ndarray, n: int) -> np.ndarray:
    from deshi.data.quality import ngram_hashes

    joined = ngram_hashes("".join(texts), n)
    if len(texts) > 1 and n > 1:
        ends = np.cumsum(lengths)[:-1]  # where each text but the last ends in the joined text
        keep = np.ones(joined.size, dtype=bool)
        keep[(ends[:, None] - np.arange(1, n, dtype=np.int64)[None, :]).ravel()] = False
        joined = joined[keep]
    return joined


def jaccard_hashed(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of distinct values (as :func:`shingle_hashes` gives).

    Counted by binary search of one array in the other, which is ``np.intersect1d``'s answer
    without its concatenate-and-sort of both arrays."""
    if a.size < b.size:
        a, b = b, a
    if not b.size:
        return 0.0 if a.size else 1.0
    at = np.searchsorted(a, b)
    np.minimum(at, a.size - 1, out=at)
    inter = int(np.count_nonzero(a[at] == b))
    return inter / (a.size + b.size - inter)


def jaccard(a: str, b: str, n: int) -> float:
    """Exact Jaccard similarity of two texts' character n-gram sets (64-bit hashed: collisions ~2^-64)."""
    return jaccard_hashed(shingle_hashes(a, n), shingle_hashes(b, n))


class _NpyRows:
    """Rows of a C-ordered ``.npy`` file, read by ``os.pread`` so that only the rows asked for enter memory.

    Hand-written rather than ``np.load(mmap_mode="r")``: every page a memory map touches stays
    resident (and counts in the process's RSS) until the map is closed, and kernel read-ahead
    brings in its neighbours too. Gathering the signature rows of candidate pairs scattered over a
    200,000-document corpus through memory maps made nearly all signature files resident: phase 2's
    peak grew with the corpus (225 MB at 200,000 documents, 82 MB at 20,000)."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(handle)
            self.data_offset = handle.tell()
        if fortran_order:
            raise ValueError(f"{path}: Fortran-ordered arrays are not supported")
        self.dtype = np.dtype(dtype)
        self.length = int(shape[0]) if shape else 1
        self.width = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
        self.row_bytes = self.width * self.dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)

    def span(self, index: int, end: int) -> tuple[int, int]:
        """Elements ``index`` and ``index + 1`` of a 1-D unsigned integer array (a line's start and the
        next line's), in one read; ``end`` stands in for the element after the last."""
        values = np.frombuffer(os.pread(self.fd, 2 * self.row_bytes, self.data_offset + index * self.row_bytes),
                               dtype=self.dtype).tolist()
        return values[0], values[1] if len(values) > 1 else end

    def rows(self, index: Sequence[int]) -> np.ndarray:
        """(len(index), width) array of the rows at these positions (one ``pread`` each; one ``pread`` of
        the whole array when a quarter of its rows or more are wanted: a unit's file is at most a shard,
        ~2.5 MB of signatures, and the many small units of a multi-worker run are often wanted that much)."""
        if len(index) * 4 >= self.length:
            data = os.pread(self.fd, self.length * self.row_bytes, self.data_offset)
            whole = np.frombuffer(data, dtype=self.dtype).reshape(self.length, self.width)
            return whole[np.asarray(index, dtype=np.int64)]
        pread, fd, size, base = os.pread, self.fd, self.row_bytes, self.data_offset
        data = b"".join([pread(fd, size, base + i * size) for i in index])
        return np.frombuffer(data, dtype=self.dtype).reshape(len(index), self.width)

    def close(self) -> None:
        os.close(self.fd)


class _ShingleReader:
    """Shingle hashes of documents by global index, read by byte offset from the shard JSONL files.

    A small cache serves the repeated look-ups of one LSH bucket (pairs arrive sorted by their first
    member); it is bounded in bytes (``cache_bytes``), so it does not grow with the corpus. 1 MiB
    (~160 documents of 800 characters) ran phase 2 as fast as 8 MiB at 200,000 documents, which
    held 7 MB more at its peak."""

    def __init__(self, shards: Sequence[ShardArrays], offsets: np.ndarray, n: int, cache_bytes: int = 1 << 20) -> None:
        self.shards = shards
        self.n = n
        self.cache_bytes = cache_bytes
        self.starts = offsets.tolist()  # bisect on a list: ~10x cheaper per look-up than np.searchsorted
        self.units: dict[int, tuple[int, int, _NpyRows]] = {}  # unit -> (docs fd, docs size, line offsets)
        self.cache: dict[int, np.ndarray] = {}
        self.cached_bytes = 0

    def __call__(self, index: int) -> np.ndarray:
        if index in self.cache:
            return self.cache[index]
        shingles = shingle_hashes(self.text(index), self.n)
        while self.cache and self.cached_bytes + shingles.nbytes > self.cache_bytes:
            self.cached_bytes -= self.cache.pop(next(iter(self.cache))).nbytes  # oldest first
        self.cache[index] = shingles
        self.cached_bytes += shingles.nbytes
        return shingles

    def text(self, index: int) -> str:
        """The final text of document ``index`` (its line in the unit's JSONL file).

        Two ``pread`` calls: the line's start and the next line's (its end), then exactly its bytes. A
        buffered ``seek`` + ``readline`` read 8 KiB for each ~1 KiB line and cost twice as much."""
        shard = bisect_right(self.starts, index) - 1
        unit = self.units.get(shard)
        if unit is None:
            fd = os.open(self.shards[shard].docs, os.O_RDONLY)
            unit = self.units[shard] = (fd, os.fstat(fd).st_size, _NpyRows(self.shards[shard].offsets))
        fd, size, lines = unit
        start, end = lines.span(index - self.starts[shard], size)
        return orjson.loads(os.pread(fd, end - start, start))["text"]

    def many(self, indices: Sequence[int], max_chars: int) -> dict[int, np.ndarray] | None:
        """``{index: self(index)}`` for a batch, the n-gram hashes computed over the joined texts
        (:func:`batch_shingle_hashes`: one set of NumPy calls instead of ~9 per document); None, having
        read at most ``max_chars`` characters, when the texts are longer than that (memory stays
        bounded: ~24 bytes per character). Not cached."""
        from deshi.data.quality import sorted_distinct

        texts: list[str] = []
        chars = 0
        for i in indices:
            texts.append(self.text(i))
            chars += len(texts[-1])
            if chars > max_chars:
                return None
        hashes, bounds = batch_shingle_hashes(texts, self.n)
        cut = bounds.astype(np.int64).tolist()
        return {i: sorted_distinct(hashes[cut[k] : cut[k + 1]]) for k, i in enumerate(indices)}

    def close(self) -> None:
        for fd, _, lines in self.units.values():
            os.close(fd)
            lines.close()
        self.units = {}


class _SignatureRows:
    """Signature rows by global document index, read from the per-shard ``sig.npy`` files (see :class:`_NpyRows`)."""

    def __init__(self, shards: Sequence[ShardArrays], offsets: np.ndarray) -> None:
        self.offsets = offsets
        self.shards = shards
        # Opened when first wanted: opening a file and parsing its header costs ~50-90 µs here, and a
        # bucket of candidate pairs may not touch every unit.
        self.files: dict[int, _NpyRows] = {}
        first = next((k for k, s in enumerate(shards) if s.count), None)
        self.width = self._file(first).width if first is not None else 0

    def _file(self, shard: int) -> _NpyRows:
        rows = self.files.get(shard)
        if rows is None:
            rows = self.files[shard] = _NpyRows(self.shards[shard].signatures)
        return rows

    def __call__(self, index: np.ndarray) -> np.ndarray:
        """Rows for ``index`` (any order, repeats allowed); each distinct row is read once."""
        unique, inverse = np.unique(index, return_inverse=True)
        shard_of = np.searchsorted(self.offsets, unique, side="right") - 1
        # unique is sorted, so each unit's rows are one slice of it (a mask per unit cost ~4 µs × units per call)
        parts = []
        for lo, hi in _runs(shard_of):
            shard = int(shard_of[lo])
            parts.append(self._file(shard).rows((unique[lo:hi] - self.offsets[shard]).tolist()))
        return np.concatenate(parts)[inverse]

    def close(self) -> None:
        for rows in self.files.values():
            rows.close()
        self.files = {}


def _run_firsts(same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a sorted sequence where ``same[i]`` says element i+1 equals element i: the positions of
    the elements that repeat an earlier one, and for each the position of the first of its run.

    Works on the repeats only (a few per cent of the documents), so no second corpus-sized index
    array is needed."""
    later = np.flatnonzero(same) + 1
    prev_is_first = np.ones(len(later), dtype=bool)
    prev_is_first[1:] = later[1:] - 1 != later[:-1]  # the element before is not itself a repeat
    run_first = np.maximum.accumulate(np.where(prev_is_first, later - 1, 0))
    return later, run_first


def _roots(parent: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Union-find roots of ``index`` without changing ``parent`` (follows pointers until they stop)."""
    root = parent[index]
    while True:
        nxt = parent[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def _passes(n: int) -> int:
    """How many hash-partition passes phase 2 makes over ``n`` documents (see ``PASS_DOCS``)."""
    return max(1, -(-n // PASS_DOCS))


def _stable_order(group: np.ndarray) -> np.ndarray:
    """``np.argsort(group, kind="stable")`` for small non-negative group numbers, taken as 16-bit integers
    when they fit: NumPy sorts those stably by radix, ~4x faster than 64-bit ones (same order)."""
    if group.dtype.itemsize > 2 and len(group) and int(group.min()) >= 0 and int(group.max()) < 1 << 15:
        group = group.astype(np.int16)
    return np.argsort(group, kind="stable")


def _runs(values: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of equal values in ``values`` (sorted, or grouped), in order."""
    cuts = (np.flatnonzero(values[1:] != values[:-1]) + 1).tolist()
    return zip([0, *cuts], [*cuts, len(values)], strict=True)


def _by_group(rows: np.ndarray, group: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(group, its rows) for each group of ``group`` (one number per row), in ascending order; within a
    group, rows keep their order (a stable sort). Gathered one group at a time: no second copy of ``rows``."""
    if not len(rows):
        return
    order = _stable_order(group)
    sorted_group = group[order]
    for lo, hi in _runs(sorted_group):
        yield int(sorted_group[lo]), rows[order[lo:hi]]


def append_by_group(path_of: Callable[[int], str | Path], rows: np.ndarray, group: np.ndarray) -> None:
    """Append each row of ``rows`` to the file ``path_of(group[row])`` (see :func:`_by_group`)."""
    for key, part in _by_group(rows, group):
        fd = os.open(path_of(key), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, part.tobytes())
        finally:
            os.close(fd)


# Bucket files a _BucketFiles keeps open (beyond this, ~8 buckets per 65,536 documents, i.e. corpora of
# millions of documents, the others are opened per write), well under a 1,024-descriptor limit.
OPEN_BUCKETS_MAX = 256


class _BucketFiles:
    """Candidate pair codes (a * n + b) appended to one file per bucket, ``path_of(bucket)``; buckets are
    ranges of a (``a * buckets // n``), so reading the buckets in order gives the codes in order of a.
    Within a bucket, codes keep the order they were added in.

    Files stay open between writes (opening one per write cost ~45 µs here, several writes per band),
    up to ``OPEN_BUCKETS_MAX`` of them; beyond that (corpora of millions of documents) a bucket's file is
    opened for each write and closed, staying well under a 1,024-descriptor limit. Used by the one-process
    path (:func:`_estimated_pairs`) and by the shared one's tasks (:func:`_pair_codes_task`)."""

    def __init__(self, path_of: Callable[[int], str], buckets: int, n: int) -> None:
        self.path_of, self.buckets, self.n = path_of, buckets, n
        self.files: dict[int, Any] = {}

    def add(self, pairs: np.ndarray) -> None:
        codes = pairs[:, 0] * self.n + pairs[:, 1]
        if self.buckets == 1:
            self._write(0, codes)
            return
        for k, part in _by_group(codes, pairs[:, 0] * self.buckets // self.n):
            self._write(k, part)

    def _write(self, k: int, codes: np.ndarray) -> None:
        handle = self.files.get(k)
        if handle is None and len(self.files) >= OPEN_BUCKETS_MAX:  # very many buckets: append and close
            with open(self.path_of(k), "ab") as extra:
                extra.write(codes.tobytes())
            return
        if handle is None:
            handle = self.files[k] = open(self.path_of(k), "wb")
        handle.write(codes.tobytes())

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        self.files.clear()


def _distinct_codes(paths: Sequence[str]) -> np.ndarray:
    """The distinct codes of a bucket's files (those that exist), sorted; the files are removed.

    np.unique, without its copies (the input flattened, then the distinct values gathered while both
    are held): sorted in place, the repeats dropped in place. The first buckets hold the most codes,
    and this runs in the coordinator too: its peak was phase 2's."""
    parts = [np.fromfile(p, dtype=np.int64) for p in paths if os.path.exists(p)]
    codes = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    del parts
    codes.sort()
    if len(codes) > 1:
        keep = np.flatnonzero(codes[1:] != codes[:-1]) + 1
        distinct = 1 + len(keep)
        codes[1:distinct] = codes[keep]
        del keep
        codes = codes[:distinct]
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)
    return codes


class _WindowFiles:
    """(document, value) int64 pairs kept on disk, one file per window of ``PASS_DOCS`` document indices,
    read back a window at a time, sorted by document.

    Why: the duplicates of a corpus (with their keepers) follow its size — 16 bytes each, 745,068 exact
    duplicates (12 MB, ~37 MB with the sorts) in a 925,015-document test — so phase 2 writes them here as
    it finds them and reads only the window it is working on."""

    def __init__(self, directory: Path, name: str, size: int | None = None) -> None:
        self.directory, self.name = directory, name
        # The window size is fixed when the files are made and travels with them (a task in another
        # process reads them with this size, whatever its own PASS_DOCS).
        self.size = size or PASS_DOCS
        self.count = 0
        self._cached: tuple[int, np.ndarray] | None = None

    def reference(self) -> tuple[str, str, int, int]:
        """What a task in another process needs to read these files (:meth:`reopen`): not the cached window."""
        return str(self.directory), self.name, self.size, self.count

    @classmethod
    def reopen(cls, reference: tuple[str, str, int, int]) -> _WindowFiles:
        """The files of :meth:`reference`, with their window size and count of rows."""
        directory, name, size, count = reference
        files = cls(Path(directory), name, size)
        files.count = count
        return files

    def _path(self, window: int) -> Path:
        return self.directory / f"{self.name}-{window}.i64"

    def add(self, docs: np.ndarray, values: np.ndarray) -> None:
        if not len(docs):
            return
        append_by_group(self._path, np.stack([docs, values], axis=1).astype(np.int64), docs // self.size)
        self.count += len(docs)
        self._cached = None

    def window(self, window: int) -> np.ndarray:
        """(m, 2) rows of this window, sorted by document (the last window read is kept)."""
        if self._cached is None or self._cached[0] != window:
            path = self._path(window)
            rows = np.fromfile(path, dtype=np.int64).reshape(-1, 2) if path.exists() else np.zeros((0, 2), np.int64)
            self._cached = (window, rows[np.argsort(rows[:, 0], kind="stable")])
        return self._cached[1]

    def between(self, lo: int, hi: int) -> np.ndarray:
        """(m, 2) rows with ``lo <= document < hi``, sorted by document."""
        if hi <= lo:
            return np.zeros((0, 2), np.int64)
        parts = []
        for window in range(lo // self.size, (hi - 1) // self.size + 1):
            rows = self.window(window)
            a, b = np.searchsorted(rows[:, 0], [lo, hi])
            parts.append(rows[a:b])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


class _Scatter:
    """Rows appended to one file per partition (``{name}-{partition}.bin`` in ``directory``), gathered in a
    buffer of about ``SCATTER_BYTES`` first and written a partition slice at a time, then read back a
    partition at a time (each file deleted as it is read).

    Why: phase 2 used to make one pass over every unit's hash (or band-key) file per partition, keeping
    the rows of that partition: the bytes read and filtered grew with the square of the corpus (57
    exact passes over 1,025 hash files at 925,015 documents). Scattered once, each row is read twice in
    all (unit file, partition file). Appends keep input order: the buffer is filled in input order and
    split by a stable sort, so a partition's file lists its rows in input order, as the filtering did."""

    def __init__(self, directory: str, name: str, parts: int, width: int) -> None:
        self.directory, self.name, self.parts, self.width = directory, name, parts, width

    def path(self, part: int) -> str:
        # A str, not a Path: pathlib interns every new name part for the life of the process.
        return os.path.join(self.directory, f"{self.name}-{part}.bin")

    def write(self, part_of: np.ndarray, rows: np.ndarray) -> None:
        """Append each row of ``rows`` ((m, width) uint64, input order) to partition ``part_of[row]``."""
        append_by_group(self.path, rows, part_of)

    def read(self, part: int) -> np.ndarray:
        """(m, width) uint64 rows of this partition, in the order written; the file is removed."""
        return _take_rows(self.path(part), self.width)


def _take_rows(path: str, width: int) -> np.ndarray:
    """The (m, width) uint64 rows of a scatter file, in the order written (none if it was never made);
    the file is removed."""
    if not os.path.exists(path):
        return np.zeros((0, width), dtype=np.uint64)
    rows = np.fromfile(path, dtype=np.uint64).reshape(-1, width)
    os.unlink(path)
    return rows


# Temporary directories phase 2 makes next to the unit files (tempfile prefixes): a resumed run removes
# those a killed one left.
PHASE2_TMP_PREFIXES = ("scatter-", "pairs-", "clusters-")
# Rows of unit files (hashes, band keys) gathered before they are appended to their partitions' files
# (the buffer is allocated once; the write adds ~16 bytes per row of it). Each flush writes up to one
# slice per partition, so larger buffers make fewer, larger writes.
SCATTER_BYTES = 1 << 20


def _exact_duplicates(shards: Sequence[ShardArrays], offsets: np.ndarray, found: _WindowFiles) -> None:
    """(duplicate, first occurrence) global indices of all exact duplicates, added to ``found``, a hash
    partition of at most ``EXACT_PASS_DOCS`` documents at a time. With several partitions the hash files
    are read once and scattered to partition files on disk (:class:`_Scatter`)."""
    n = int(offsets[-1])
    parts = max(1, -(-n // EXACT_PASS_DOCS))
    headers: dict[Path, tuple[int, tuple[int, ...], np.dtype]] = {}
    if parts == 1:
        # All documents in input order: positions are the indices.
        hashes = np.empty((n, 2), dtype=np.uint64)
        for shard, start in zip(shards, offsets[:-1].tolist(), strict=True):
            if shard.count:
                hashes[start : start + shard.count] = _load_npy(shard.hashes, headers)
        _add_exact(hashes, None, found)
        return
    with tempfile.TemporaryDirectory(prefix="scatter-", dir=Path(shards[0].docs).parent) as tmp:
        scatter = _Scatter(tmp, "exact", parts, 3)
        buffer = np.empty((max(1, SCATTER_BYTES // 24), 3), dtype=np.uint64)  # high, low, document index
        size = 0
        for shard, start in zip(shards, offsets[:-1].tolist(), strict=True):
            if not shard.count:
                continue
            if size and size + shard.count > len(buffer):
                scatter.write(buffer[:size, 0] % np.uint64(parts), buffer[:size])
                size = 0
            rows = buffer if shard.count <= len(buffer) else np.empty((shard.count, 3), dtype=np.uint64)
            rows[size : size + shard.count, :2] = _load_npy(shard.hashes, headers)
            rows[size : size + shard.count, 2] = np.arange(start, start + shard.count, dtype=np.uint64)
            if rows is buffer:
                size += shard.count
            else:  # a unit larger than the buffer goes alone
                scatter.write(rows[:, 0] % np.uint64(parts), rows)
                del rows
        if size:
            scatter.write(buffer[:size, 0] % np.uint64(parts), buffer[:size])
        del buffer
        for part in range(parts):
            rows = scatter.read(part)
            _add_exact(rows[:, :2], rows[:, 2].astype(np.int64), found)
            del rows


def _add_exact(hashes: np.ndarray, index: np.ndarray | None, found: _WindowFiles) -> None:
    """The exact duplicates among ``hashes`` (rows in input order; ``index`` their document numbers, None
    when positions are the numbers), each with its first occurrence, added to ``found``."""
    # lexsort is stable: equal hashes stay in input order, so the first of a run is the earliest.
    order = np.lexsort((hashes[:, 1], hashes[:, 0]))
    column = hashes[:, 0][order]
    same = column[1:] == column[:-1]
    column = hashes[:, 1][order]
    same &= column[1:] == column[:-1]
    del column, hashes
    later, run_first = _run_firsts(same)
    del same
    dup, first = order[later], order[run_first]
    del order
    found.add(dup if index is None else index[dup], first if index is None else index[first])


def _load_npy(path: Path, headers: dict[Path, tuple[int, tuple[int, ...], np.dtype]]) -> np.ndarray:
    """``np.load(path)`` of a C-ordered array, its header parsed once per path (``headers`` caches it):
    phase 2 reads each unit's band file several times, and ``np.load`` parses the header with
    ``ast.literal_eval`` every time (~50 µs; ~3,000 reads at 200,000 documents)."""
    if path not in headers:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = read_header(handle)
            if fortran_order:
                raise ValueError(f"{path}: Fortran-ordered arrays are not supported")
            headers[path] = (handle.tell(), shape, np.dtype(dtype))
    offset, shape, dtype = headers[path]
    count = int(np.prod(shape, dtype=np.int64))
    return np.fromfile(path, dtype=dtype, count=count, offset=offset).reshape(shape)


def _active_rows(shard: ShardArrays, lo: int, exact: _WindowFiles) -> np.ndarray:
    """Positions in the unit (whose first document is ``lo``) of its documents that are not exact duplicates."""
    dups = exact.between(lo, lo + shard.count)[:, 0]
    local = np.arange(shard.count, dtype=np.int64)
    return np.delete(local, dups - lo) if len(dups) else local


def _scatter_band_keys(shards: Sequence[ShardArrays], starts: Sequence[int], exact: _WindowFiles,
                       scatters: Sequence[_Scatter], headers: dict[Path, tuple[int, tuple[int, ...], np.dtype]]) -> None:
    """Each band's (document, key) rows of the units ``shards`` (first documents ``starts``), less the exact
    duplicates, appended in input order to ``scatters[band]``'s partition files (partition: key mod parts)."""
    n_bands = len(scatters)
    parts = scatters[0].parts if scatters else 1
    # Column 0: document index; 1..n_bands: its key in each band. Written a band at a time as
    # (document, key) rows, through a (rows, 2) array allocated once.
    buffer = np.empty((max(1, SCATTER_BYTES // (8 * (n_bands + 1))), n_bands + 1), dtype=np.uint64)
    pair = np.empty((len(buffer), 2), dtype=np.uint64)

    def flush(block: np.ndarray, pair: np.ndarray) -> None:
        rows = pair[: len(block)] if len(block) <= len(pair) else np.empty((len(block), 2), dtype=np.uint64)
        rows[:, 0] = block[:, 0]
        for j, scatter in enumerate(scatters):
            rows[:, 1] = block[:, j + 1]
            scatter.write(rows[:, 1] % np.uint64(parts), rows)

    size = 0
    for shard, lo in zip(shards, starts, strict=True):
        if not shard.count:
            continue
        local = _active_rows(shard, lo, exact)
        if size and size + len(local) > len(buffer):
            flush(buffer[:size], pair)
            size = 0
        block = buffer if len(local) <= len(buffer) else np.empty((len(local), n_bands + 1), dtype=np.uint64)
        block[size : size + len(local), 0] = local + lo
        block[size : size + len(local), 1:] = _load_npy(shard.bands, headers)[local]
        if block is buffer:
            size += len(local)
        else:  # a unit larger than the buffer goes alone
            flush(block, pair)
    if size:
        flush(buffer[:size], pair)


def _band_key_groups(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                     n_active: int, bands: range | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(members, keys) of every LSH band and hash partition: the documents that are not exact duplicates
    and whose key in that band falls in the partition, in input order, with their keys.

    Why this shape: no per-document array of the corpus is held (the documents that take part are
    found per unit from the sorted exact duplicates). A pass holds one partition (``PASS_DOCS``
    documents, at most) of one band. With one partition, each unit's band file is read once per group
    of bands fitting ``ALL_KEYS_BYTES``; with several, each unit's band file is read once and its keys
    scattered to one file per band and partition (:class:`_Scatter`), each read back once. Equal keys
    always fall in the same partition, so every partition holds whole buckets. Order: groups of bands,
    then partitions, then the bands of the group (as when every pass filtered the unit files).

    ``bands``: only these bands (a corpus of one partition: :func:`_split_estimated_pairs`)."""
    parts = _passes(n_active)
    if bands is not None and parts > 1:
        raise ValueError("a range of bands is read from the unit files: corpora of one partition only")
    bands = bands or range(n_bands)
    per_band = max(1, -(-n_active // parts))
    group = max(1, min(n_bands, ALL_KEYS_BYTES // (16 * per_band)))
    starts = offsets[:-1].tolist()
    headers: dict[Path, tuple[int, tuple[int, ...], np.dtype]] = {}

    if parts == 1:
        for first_band in range(bands.start, bands.stop, group):
            these = range(first_band, min(bands.stop, first_band + group))
            members: list[list[np.ndarray]] = [[] for _ in these]
            keys: list[list[np.ndarray]] = [[] for _ in these]
            for shard, lo in zip(shards, starts, strict=True):
                if not shard.count:
                    continue
                local = _active_rows(shard, lo, exact)
                block = _load_npy(shard.bands, headers)[local, these.start : these.stop]
                for j in range(len(these)):
                    members[j].append(local + lo)
                    keys[j].append(np.ascontiguousarray(block[:, j]))
                del block
            for j in range(len(these)):
                band_members = np.concatenate(members[j]) if members[j] else np.zeros(0, dtype=np.int64)
                band_keys = np.concatenate(keys[j]) if keys[j] else np.zeros(0, dtype=np.uint64)
                members[j] = keys[j] = []
                yield band_members, band_keys
        return
    with tempfile.TemporaryDirectory(prefix="scatter-", dir=Path(shards[0].docs).parent) as tmp:
        scatters = [_Scatter(tmp, f"band{j}", parts, 2) for j in range(n_bands)]
        _scatter_band_keys(shards, starts, exact, scatters, headers)
        for first_band, part in itertools.product(range(0, n_bands, group), range(parts)):
            for j in range(first_band, min(n_bands, first_band + group)):
                rows = scatters[j].read(part)
                yield rows[:, 0].astype(np.int64), np.ascontiguousarray(rows[:, 1])
                del rows


def _band_pairs(members: np.ndarray, keys: np.ndarray, n: int) -> Iterator[np.ndarray]:
    """Candidate pairs (a < b, distinct) of one LSH band among ``members`` (in input order) with these
    ``keys``, in arrays of at most ``2 * PAIR_SLICE`` pairs."""
    # Stable: equal keys stay in input order (what a lexsort on (key, index) gives).
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    same = keys[1:] == keys[:-1]
    del keys
    if not same.any():
        return
    later, run_first = _run_firsts(same)
    del same
    # Pairs are made for a slice of the repeated keys at a time: a heavily duplicated corpus has
    # several candidate pairs per document in every band, and holding them all (plus np.unique's
    # copies) was what grew with the corpus once the memory maps were gone.
    for lo in range(0, len(later), PAIR_SLICE):
        here, firsts = later[lo : lo + PAIR_SLICE], run_first[lo : lo + PAIR_SLICE]
        later_members = members[order[here]]
        # Pair each later member with its bucket's first member and with its predecessor, so chains
        # of similar documents inside one bucket are found even when the ends differ more.
        first = np.concatenate([members[order[firsts]], members[order[here - 1]]]).astype(np.int64)
        second = np.concatenate([later_members, later_members]).astype(np.int64)
        # Distinct pairs sorted by (a, b), as np.unique(axis=0) on the sorted pairs gives, through
        # one int64 code a * n + b per pair (a 1-D unique: ~5× faster than the row-wise one).
        codes = np.unique(np.minimum(first, second) * n + np.maximum(first, second))
        pairs = np.stack([codes // n, codes % n], axis=1)
        yield pairs[pairs[:, 0] != pairs[:, 1]]


def _all_band_pairs(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles,
                    n_bands: int, bands: range | None = None) -> Iterator[np.ndarray]:
    """Every band's candidate pairs, or those of ``bands`` (see :func:`_band_key_groups` and :func:`_band_pairs`)."""
    n = int(offsets[-1])
    for members, keys in _band_key_groups(shards, offsets, exact, n_bands, n - exact.count, bands):
        yield from _band_pairs(members, keys, n)


def _verify_sequential(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                       uf: _UnionFind, config: DedupConfig) -> None:
    """Every band's candidate pairs, pre-screened by the MinHash estimate and verified by exact Jaccard,
    merged into ``uf`` in this process (memory bounded whatever the corpus; see :func:`cluster`)."""
    n = int(offsets[-1])
    shingles_of = _ShingleReader(shards, offsets, config.ngram)
    sig_rows = _SignatureRows(shards, offsets)
    # Pairs that failed exact verification (estimate within 0.15 of the threshold but below
    # it), so a pair sharing many bands is read once: sorted codes a * n + b, 8 bytes each
    # (a Python set of tuples took ~120 bytes per pair and was what grew on a heavily
    # duplicated corpus), forgotten past FAILED_MAX pairs, which only costs re-verification.
    # The clusters do not depend on the order pairs are judged in (connected components of the
    # verified pairs; roots are the smallest index), so passes and slices may split a band freely.
    failed = np.zeros(0, dtype=np.int64)
    all_pairs = _all_band_pairs(shards, offsets, exact, n_bands)
    for pairs in all_pairs:
        new_failed: list[int] = []  # pairs are distinct within one array of pairs
        for lo in range(0, len(pairs), PAIR_CHUNK):
            chunk = pairs[lo : lo + PAIR_CHUNK]
            # Pairs already in one cluster would be skipped below anyway (clusters only grow):
            # leave them out, and the known failures, before reading their signatures.
            todo = _roots(uf.parent, chunk[:, 0]) != _roots(uf.parent, chunk[:, 1])
            if len(failed):
                codes = chunk[:, 0] * n + chunk[:, 1]
                at = np.minimum(np.searchsorted(failed, codes), len(failed) - 1)
                todo &= failed[at] != codes
            chunk = chunk[todo]
            if not len(chunk):
                continue
            rows = sig_rows(chunk.ravel()).reshape(len(chunk), 2, -1)
            estimate = (rows[:, 0] == rows[:, 1]).mean(axis=1)
            del rows
            # The MinHash estimate (sd ~0.04) only rules out clear non-duplicates; the decision
            # is the exact Jaccard, so pairs near the threshold are judged exactly.
            for a, b in chunk[estimate >= config.threshold - ESTIMATE_MARGIN].tolist():
                if uf.find(a) == uf.find(b):
                    continue
                if jaccard_hashed(shingles_of(a), shingles_of(b)) >= config.threshold:
                    uf.union(a, b)
                else:
                    new_failed.append(a * n + b)
        if new_failed:
            if len(failed) + len(new_failed) > FAILED_MAX:
                failed = failed[:0]
            failed = np.union1d(failed, np.array(new_failed, dtype=np.int64))
    shingles_of.close()
    sig_rows.close()


ParallelMap = Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]]
# The pair path holds every candidate pair that passes the MinHash estimate (an 8-byte code, ~2 copies
# while they are split between the processes: ~16 MB at this cap); past this many it leaves the corpus
# to the sequential path, whose memory does not follow the number of pairs.
PARALLEL_PAIRS_MAX = 1 << 20
# With one hash partition, band keys are read for as many bands at once as fit in this (16 bytes per
# document and band, at least one band): one read of each unit's band file per group of bands.
# 4 MiB held ~2 MB more at 200,000 documents for no measurable speed.
ALL_KEYS_BYTES = 2 << 20
# Pairs whose documents' shingles verify_pairs computes in one batch, if their texts hold at most
# VERIFY_CHARS characters together (~24 bytes per character at the batch's peak: ~3 MB). 256 pairs
# and 512k characters (~12 MB) were no faster at 200,000 documents, and that batch was most of
# phase 2's rise above the memory phase 1 had used.
VERIFY_PAIRS = 64
VERIFY_CHARS = 1 << 17
# Below this many pairs to verify, handing them to other processes costs more than it saves.
PARALLEL_PAIRS_MIN = 256


def _passes_estimate(codes: np.ndarray, n: int, sig_rows: _SignatureRows, threshold: float) -> np.ndarray:
    """Mask of the candidate pairs (codes a * n + b) whose MinHash estimate is within ``ESTIMATE_MARGIN``
    of ``threshold``, computed ≤ 2 × PAIR_CHUNK pairs at a time (≤ 4,096 rows of 512 bytes, 2 MiB; the
    gather holds ~3 copies): each document read once per chunk."""
    keep = np.zeros(len(codes), dtype=bool)
    chunk = 2 * PAIR_CHUNK
    for lo in range(0, len(codes), chunk):
        part = codes[lo : lo + chunk]
        rows = sig_rows(np.stack([part // n, part % n], axis=1).ravel()).reshape(-1, 2, sig_rows.width)
        keep[lo : lo + chunk] = (rows[:, 0] == rows[:, 1]).mean(axis=1) >= threshold - ESTIMATE_MARGIN
        del rows
    return keep


def _estimated_pairs(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                     config: DedupConfig, bands: range | None = None) -> np.ndarray | None:
    """All distinct candidate pairs of all bands whose MinHash estimate is within ``ESTIMATE_MARGIN``
    of the threshold, as an (m, 2) array sorted by (a, b); None when more than ``PARALLEL_PAIRS_MAX``.

    Only the pairs that pass the estimate are held. The candidates (a pair recurs in many bands) are
    written to disk as 8-byte codes a * n + b, spread over buckets (ranges of a) of ~``PASS_DOCS`` codes;
    each bucket is then made distinct, estimated and dropped. Holding every distinct candidate in
    memory kept all of them (302,478 codes at 200,000 documents, ~2 copies while merging: ~5 MB, of
    which 53,145 pass); estimating each band's candidates before merging held only the survivors but
    estimated a failing pair again in every band it recurs in (+0.7 CPU s at 200,000 documents).

    ``bands``: the candidates of these bands only (corpora of one partition, see :func:`_band_key_groups`)."""
    n = int(offsets[-1])
    buckets = max(1, -(-4 * (n - exact.count) // PASS_DOCS))  # ~3 distinct candidates per document seen
    with tempfile.TemporaryDirectory(prefix="pairs-", dir=Path(shards[0].docs).parent) as tmp:
        files = _BucketFiles(lambda k: os.path.join(tmp, f"{k}.i64"), buckets, n)
        try:
            for pairs in _all_band_pairs(shards, offsets, exact, n_bands, bands):
                files.add(pairs)
                del pairs
        finally:
            files.close()
        survivors: list[np.ndarray] = []
        held = 0
        sig_rows = _SignatureRows(shards, offsets)
        try:
            for k in range(buckets):
                codes = _distinct_codes([os.path.join(tmp, f"{k}.i64")])
                survivors.append(codes[_passes_estimate(codes, n, sig_rows, config.threshold)])
                held += len(survivors[-1])
                del codes
                if held > PARALLEL_PAIRS_MAX:
                    return None
        finally:
            sig_rows.close()
    codes = np.concatenate(survivors) if survivors else np.zeros(0, dtype=np.int64)  # buckets are in order
    del survivors
    return np.stack([codes // n, codes % n], axis=1)


# Below this many documents (less exact duplicates) a one-partition corpus makes its candidate pairs in
# one process: splitting the bands costs two task hand-offs and estimates some pairs twice.
SPLIT_BANDS_MIN = 4096


def _split_estimated_pairs(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                           config: DedupConfig, parallel: ParallelMap, processes: int) -> np.ndarray | None:
    """:func:`_estimated_pairs` (the same pairs, or None) for a corpus of one partition, its bands split
    into ``processes`` contiguous ranges, each range's candidates made and estimated by a task
    (:func:`_estimate_bands_task`); the union of their survivors, made distinct, is the result.

    Why: on such a corpus (up to ``PASS_DOCS`` documents) this was phase 2's serial part while the pool
    waited (0.06 of its 0.17 s at 20,000 documents with 2 workers). The pairs are the same: a pair's
    estimate does not depend on the band that proposed it, so a pair survives in a range's task exactly
    when it survives in the whole. A pair proposed in two ranges is estimated twice."""
    ranges = [r.tolist() for r in np.array_split(np.arange(n_bands), min(n_bands, processes)) if len(r)]
    found = parallel(_estimate_bands_task, [(list(shards), offsets, exact.reference(), n_bands, r[0], r[-1] + 1, config)
                                            for r in ranges])
    if any(codes is None for codes in found):
        return None
    n = int(offsets[-1])
    codes = np.unique(np.concatenate(found))
    del found
    if len(codes) > PARALLEL_PAIRS_MAX:
        return None
    return np.stack([codes // n, codes % n], axis=1)


def _estimate_bands_task(shards: list[ShardArrays], offsets: np.ndarray, exact: tuple[str, str, int, int], n_bands: int,
                         lo: int, hi: int, config: DedupConfig) -> np.ndarray | None:
    """Codes a * n + b of the pairs of bands ``lo``..``hi`` that pass the estimate (runs in a worker; ``exact``:
    the exact duplicates' :meth:`_WindowFiles.reference`, whose count decides the partitions, as here)."""
    pairs = _estimated_pairs(shards, offsets, _WindowFiles.reopen(exact), n_bands, config, range(lo, hi))
    return None if pairs is None else pairs[:, 0] * int(offsets[-1]) + pairs[:, 1]


_MALLOC_TRIM: Any = None  # glibc's malloc_trim, looked up once; False where there is none


def release_free_memory() -> None:
    """Give the C heap's free pages back to the operating system (glibc ``malloc_trim``; elsewhere nothing).

    Why: a phase frees its buffers (documents, MeCab and NumPy batches) into the C heap, where glibc
    keeps them, counted in the process's RSS, for later allocations of fitting size; the next phase
    allocates other sizes and grew the RSS on top of them (+11 MB at 200,000 documents, the
    coordinator's peak). Called between curate's phases and after each map phase 2 shares with the
    pool (curate's ``parallel``: the coordinator runs its share of those tasks, and each step's peak landed on top of the
    last: +8 MB over the steps at 400,000 documents). The same call as Dask's worker memory trimming."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        import ctypes
        import ctypes.util

        try:
            _MALLOC_TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


class PairFiles:
    """Candidate pairs (a < b, sorted by (a, b)) kept on disk as int64 codes a * n + b: ``paths[k]`` holds
    ``counts[k]`` of them, the files in order. ``pairs[lo:hi]`` is another PairFiles naming only that
    range (a few numbers: what a verification task is sent); :meth:`load` reads its (m, 2) pairs.

    Why: phase 2's coordinator held every surviving pair (16 bytes each as an (m, 2) array, plus the
    codes they were made from and the pickled slices sent to the verification tasks) while the
    verification ran: what grew its peak with the corpus (+5 MB above phase 1's at 400,000 documents).
    Each task now reads its own slice."""

    def __init__(self, paths: list[str], counts: list[int], n: int, lo: int = 0, hi: int | None = None) -> None:
        self.paths, self.counts, self.n = paths, counts, n
        self.lo, self.hi = lo, sum(counts) if hi is None else hi

    def __len__(self) -> int:
        return self.hi - self.lo

    def __getitem__(self, part: slice) -> PairFiles:
        lo, hi, _ = part.indices(len(self))
        return PairFiles(self.paths, self.counts, self.n, self.lo + lo, self.lo + max(lo, hi))

    def load(self) -> np.ndarray:
        parts = []
        start = 0
        for path, count in zip(self.paths, self.counts, strict=True):
            a, b = max(self.lo, start), min(self.hi, start + count)
            if b > a:
                parts.append(np.fromfile(path, dtype=np.int64, count=b - a, offset=8 * (a - start)))
            start += count
        codes = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        del parts
        return np.stack([codes // self.n, codes % self.n], axis=1)


def _shared_estimated_pairs(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                            config: DedupConfig, parallel: ParallelMap, processes: int, tmp: str) -> PairFiles | None:
    """:func:`_estimated_pairs` (the same pairs, or None), its three steps shared by ``processes``
    processes through ``parallel``, passing their rows through files in ``tmp`` (the caller's temporary
    directory); the surviving pairs stay there, in files (:class:`PairFiles`), never loaded here:

    1. the units' band keys (less exact duplicates) scattered to one file per band, hash partition and
       task, each task a contiguous range of units (:func:`_scatter_task`);
    2. each band partition's candidate pairs (its tasks' files read in task order, so the members are
       in input order, as :func:`_band_pairs` needs), written as codes to one file per bucket and task
       (:func:`_pair_codes_task`);
    3. each bucket's distinct codes estimated (:func:`_estimate_task`), the survivors written to a file.

    Why: at 200,000 documents these steps were ~1.05 CPU s of the coordinator alone while the pool
    waited for the verification. The pairs are the same: a band's pairs depend only on its members'
    order and keys, and each bucket is made distinct whatever order its codes arrive in. The memory
    bound holds: each task holds one unit range's buffer, one band partition or one bucket, and the
    survivors are counted before any is loaded here (past ``PARALLEL_PAIRS_MAX``: None)."""
    n = int(offsets[-1])
    n_active = n - exact.count
    parts = _passes(n_active)
    # Ranges of a (rows read near each other), twice as many as the sequential path's (~1.5 distinct
    # candidates per document seen each): the first documents pair with many later ones (they are the
    # first member of many LSH buckets), so the first ranges hold the most codes (at 200,000 documents
    # 160,540 down to 6,805 in 11 buckets), and smaller buckets can be dealt out more evenly.
    buckets = max(1, -(-8 * n_active // PASS_DOCS))
    # 1. Contiguous unit ranges of about equal document counts, two per process (for balance).
    counts = np.array([s.count for s in shards], dtype=np.int64)
    cuts = np.searchsorted(np.cumsum(counts), np.linspace(0, counts.sum(), 2 * processes + 1)[1:-1], side="right")
    ranges = [(a, b) for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), len(shards)], strict=True) if b > a]
    starts = offsets[:-1].tolist()
    parallel(_scatter_task, [(list(shards[a:b]), starts[a:b], exact.reference(), tmp,
                              f"s{t}", parts, n_bands) for t, (a, b) in enumerate(ranges)])
    # 2. Band partitions, dealt round-robin to four tasks per process.
    groups = [[_Scatter(tmp, f"b{j}.s{t}", parts, 2).path(part) for t in range(len(ranges))]
              for j in range(n_bands) for part in range(parts)]
    tasks = min(len(groups), 4 * processes)
    parallel(_pair_codes_task, [(groups[t::tasks], n, buckets, tmp, f"p{t}") for t in range(tasks)])
    # 3. Buckets, dealt by size (largest first, to the least loaded) to two tasks per process.
    work = [([os.path.join(tmp, f"{k}.p{t}.i64") for t in range(tasks)], os.path.join(tmp, f"{k}.kept"))
            for k in range(buckets)]
    sizes = [sum(os.path.getsize(p) for p in paths if os.path.exists(p)) for paths, _ in work]
    shares: list[list[int]] = [[] for _ in range(min(buckets, 2 * processes))]
    load = [0] * len(shares)
    for k in sorted(range(buckets), key=lambda k: -sizes[k]):
        g = min(range(len(shares)), key=load.__getitem__)
        shares[g].append(k)
        load[g] += sizes[k]
    kept = parallel(_estimate_task, [(list(shards), offsets, [work[k] for k in share], n, config.threshold)
                                     for share in shares if share])
    if sum(sum(k) for k in kept) > PARALLEL_PAIRS_MAX:
        return None
    count = dict(zip((k for share in shares for k in share), (c for per in kept for c in per), strict=True))
    # Buckets are ranges of a: in bucket order, the codes are sorted.
    return PairFiles([os.path.join(tmp, f"{k}.kept") for k in range(buckets)], [count[k] for k in range(buckets)], n)


def _scatter_task(shards: list[ShardArrays], starts: list[int], exact: tuple[str, str, int, int],
                  tmp: str, tag: str, parts: int, n_bands: int) -> None:
    """Step 1 of :func:`_shared_estimated_pairs` for one range of units (runs in a worker)."""
    scatters = [_Scatter(tmp, f"b{j}.{tag}", parts, 2) for j in range(n_bands)]
    _scatter_band_keys(shards, starts, _WindowFiles.reopen(exact), scatters, {})



def _pair_codes_task(groups: list[list[str]], n: int, buckets: int, tmp: str, tag: str) -> None:
    """Step 2 of :func:`_shared_estimated_pairs` for some band partitions (each given as its tasks' files,
    in input order); the codes a * n + b go to ``{bucket}.{tag}.i64`` (:class:`_BucketFiles`)."""
    files = _BucketFiles(lambda k: os.path.join(tmp, f"{k}.{tag}.i64"), buckets, n)
    try:
        for paths in groups:
            parts = [rows for rows in (_take_rows(p, 2) for p in paths) if len(rows)]
            if not parts:
                continue
            rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
            del parts
            members, keys = rows[:, 0].astype(np.int64), np.ascontiguousarray(rows[:, 1])
            del rows
            for pairs in _band_pairs(members, keys, n):
                files.add(pairs)
                del pairs
    finally:
        files.close()


def _estimate_task(shards: list[ShardArrays], offsets: np.ndarray, buckets: list[tuple[list[str], str]], n: int,
                   threshold: float) -> list[int]:
    """Step 3 of :func:`_shared_estimated_pairs` for some buckets (each: its input files, its output file):
    each bucket's distinct codes that pass the MinHash estimate, sorted, written to its output; returns
    how many per bucket. One signature reader serves the task's buckets (its files opened once)."""
    sig_rows = _SignatureRows(shards, offsets)
    kept: list[int] = []
    try:
        for paths, out in buckets:
            codes = _distinct_codes(paths)
            passed = codes[_passes_estimate(codes, n, sig_rows, threshold)]
            passed.tofile(out)
            kept.append(len(passed))
            del codes, passed
    finally:
        sig_rows.close()
    return kept


def verify_pairs(shards: Sequence[ShardArrays], offsets: np.ndarray, pairs: np.ndarray | PairFiles, ngram: int,
                 threshold: float) -> np.ndarray:
    """The pairs (of ``pairs``, sorted) whose exact Jaccard reaches ``threshold``, skipping pairs that the
    ones found so far already connect: a spanning forest of the duplicate graph on these pairs. Runs in
    a worker; module-level so that it pickles by name.

    The union-find spans only the documents of ``pairs`` (numbered 0.. in ``local``), not the corpus:
    each worker would otherwise allocate 4-8 bytes per corpus document for a handful of clusters.
    ``pairs`` may be a :class:`PairFiles` (then read here)."""
    if isinstance(pairs, PairFiles):
        pairs = pairs.load()
    nodes = np.unique(pairs)  # local numbers by binary search, a slice at a time: no (m, 2) inverse array
    uf = _UnionFind(len(nodes), np.int32 if len(nodes) < 2**31 else np.int64)
    reader = _ShingleReader(shards, offsets, ngram)
    found = array("q")  # 8 bytes per value (a list of tuples took ~100 bytes per verified pair)
    try:
        for lo in range(0, len(pairs), VERIFY_PAIRS):
            chunk = pairs[lo : lo + VERIFY_PAIRS]
            # The shingles of the slice's documents at once, unless they are long (then one at a time,
            # through the byte-bounded cache), so the batch stays within VERIFY_CHARS characters.
            batch = reader.many(np.unique(chunk).tolist(), VERIFY_CHARS)
            for (a, b), (la, lb) in zip(chunk.tolist(), np.searchsorted(nodes, chunk).tolist(), strict=True):
                if uf.find(la) == uf.find(lb):
                    continue
                sa, sb = (batch[a], batch[b]) if batch is not None else (reader(a), reader(b))
                if jaccard_hashed(sa, sb) >= threshold:
                    uf.union(la, lb)
                    found.extend((a, b))
    finally:
        reader.close()
    return np.frombuffer(found, dtype=np.int64).reshape(-1, 2).copy()


def _verify_parallel(shards: Sequence[ShardArrays], offsets: np.ndarray, exact: _WindowFiles, n_bands: int,
                     config: DedupConfig, parallel: ParallelMap | None, processes: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Verification shared by ``processes`` processes: the (document, root) of every near duplicate
    (:func:`_near_roots`); None (nothing done) when the sequential path should run instead (too many
    pairs to hold). Without ``parallel``, or with fewer than ``PARALLEL_PAIRS_MIN`` pairs (not worth
    sending), the pairs are verified here.

    Why the clusters are the same: the sequential path merges the connected components of {candidate
    pairs whose estimate passes and whose exact Jaccard reaches the threshold}; skipping a pair that
    is already connected, or that failed before, changes no component. Here the same pair set is
    split into slices; each process returns a spanning forest of the verified pairs of its slice (it
    skips only pairs its own verified pairs already connect), and merging all forests gives the
    components of all verified pairs, with the smallest index as each root (union by smallest index)."""
    if parallel is not None and processes > 1 and _passes(int(offsets[-1]) - exact.count) > 1:
        with tempfile.TemporaryDirectory(prefix="pairs-", dir=Path(shards[0].docs).parent) as tmp:
            shared = _shared_estimated_pairs(shards, offsets, exact, n_bands, config, parallel, processes, tmp)
            return None if shared is None else _verify_shared(shards, offsets, shared, config, parallel, processes)
    if parallel is not None and processes > 1 and n_bands > 1 and int(offsets[-1]) - exact.count >= SPLIT_BANDS_MIN:
        pairs = _split_estimated_pairs(shards, offsets, exact, n_bands, config, parallel, processes)
    else:
        pairs = _estimated_pairs(shards, offsets, exact, n_bands, config)
    return None if pairs is None else _verify_shared(shards, offsets, pairs, config, parallel, processes)


def _verify_shared(shards: Sequence[ShardArrays], offsets: np.ndarray, pairs: np.ndarray | PairFiles,
                   config: DedupConfig, parallel: ParallelMap | None, processes: int) -> tuple[np.ndarray, np.ndarray]:
    """The verification step of :func:`_verify_parallel`: ``pairs`` (in memory, or on disk) verified here
    or in slices by ``parallel``; the (document, root) of every near duplicate."""
    if parallel is None or processes < 2 or len(pairs) < PARALLEL_PAIRS_MIN:
        forests = [verify_pairs(shards, offsets, pairs, config.ngram, config.threshold)]
    else:
        # Contiguous slices of equal pair counts (pairs are sorted by their first document, so a cluster's
        # pairs mostly stay together), two per process, taken as processes get free. Slices by connected
        # components of the candidate graph kept every cluster in one process but could not split a
        # giant component: templated documents that share bands made one of 32,203 pairs at 200,000
        # documents against 20,942 for all the rest, and one process verified for 0.3 s while the other waited.
        bounds = np.linspace(0, len(pairs), 2 * processes + 1).round().astype(np.int64).tolist()
        forests = parallel(verify_pairs, [(list(shards), offsets, pairs[lo:hi], config.ngram, config.threshold)
                                          for lo, hi in itertools.pairwise(bounds) if hi > lo])
        del pairs
    return _near_roots(forests)


def _near_roots(forests: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(document, root), sorted by document, of every document that the verified pairs ``forests`` join
    to an earlier one; the root is the earliest document of its cluster. The union-find spans only the
    documents of the pairs (O(duplicates), not a parent per corpus document)."""
    pairs = np.concatenate(forests) if forests else np.zeros((0, 2), np.int64)
    nodes = np.unique(pairs)
    uf = _UnionFind(len(nodes), np.int32 if len(nodes) < 2**31 else np.int64)
    # PAIR_CHUNK pairs made Python lists at a time: a slice of PAIR_SLICE made ~120 bytes of list and ints
    # per pair (~5 MB for the 40,000 of 400,000 documents, the coordinator's peak of phase 2).
    for lo in range(0, len(pairs), PAIR_CHUNK):
        for a, b in np.searchsorted(nodes, pairs[lo : lo + PAIR_CHUNK]).tolist():
            uf.union(a, b)  # local numbers follow the global order (nodes are sorted): the root is the earliest
    del pairs
    local = np.arange(len(nodes), dtype=uf.parent.dtype)
    root = _roots(uf.parent, local)
    merged = root != local
    return nodes[merged], nodes[root[merged]]


class Clusters:
    """Phase 2's result, on disk: the exact duplicates with the first occurrence of each, and the near
    duplicates with the earliest document of their cluster (:class:`_WindowFiles` in a temporary
    directory; :meth:`close` removes it). :meth:`drops` gives the dropped documents of a range of
    indices, so a caller goes through the corpus a window at a time (the run writes each unit's drops
    this way) and nothing held follows the corpus size."""

    def __init__(self, n: int, directory: Path) -> None:
        self.n = n
        self._tmp = tempfile.TemporaryDirectory(prefix="clusters-", dir=directory)
        self.exact = _WindowFiles(Path(self._tmp.name), "exact")
        self.near = _WindowFiles(Path(self._tmp.name), "near")

    def drops(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(index, kind, keeper) of every dropped document with ``lo <= index < hi``, by index: ``kind``
        EXACT or NEAR, ``keeper`` the index of the kept document of its cluster (always earlier)."""
        exact, near = self.exact.between(lo, hi), self.near.between(lo, hi)
        # Exact duplicates never join a near cluster (they are left out of the LSH): the two are disjoint.
        rows = np.concatenate([exact, near])
        kind = np.repeat(np.array([EXACT, NEAR], dtype=np.uint8), [len(exact), len(near)])
        order = np.argsort(rows[:, 0], kind="stable")
        return rows[order, 0], kind[order], rows[order, 1]

    def close(self) -> None:
        self._tmp.cleanup()


def find_clusters(shards: Sequence[ShardArrays], config: DedupConfig, parallel: ParallelMap | None = None,
                  processes: int = 1) -> Clusters:
    """Phase 2: exact duplicates, then near-duplicate clusters of the rest (the caller closes the result).

    Memory does not follow the size of the corpus: band keys are read a unit file at a time, signature
    rows and texts only for candidate pairs, by ``pread``; exact hashes and band keys are sorted a hash
    partition of bounded size at a time; candidate pairs wait on disk, and the duplicates found go to
    disk (:class:`Clusters`). What is held in memory follows the number of candidate pairs that pass
    the MinHash estimate (8 bytes each, plus the verification's union-find over their documents), i.e.
    the near duplicates (with several partitions and processes the pairs stay on disk, :class:`PairFiles`,
    and each verification task reads its slice: then only the verified forests and their union-find); past ``PARALLEL_PAIRS_MAX`` of them the sequential path runs instead, which
    keeps a union-find parent per document (4 bytes each) instead.

    With ``parallel`` (``map(fn, calls)``, e.g. the run's executor) and ``processes > 1``, the exact
    Jaccard verification, phase 2's main cost, is shared (:func:`_verify_parallel`), and on corpora of
    several hash partitions so are the candidate pairs and their MinHash estimates
    (:func:`_shared_estimated_pairs`). The clusters are the same either way.
    """
    offsets = np.cumsum([0] + [s.count for s in shards])
    n = int(offsets[-1])
    found = Clusters(n, Path(shards[0].docs).parent if shards else Path(tempfile.gettempdir()))
    try:
        if n and config.exact:
            _exact_duplicates(shards, offsets, found.exact)
        if n and config.near:
            n_bands = next((int(np.load(s.bands, mmap_mode="r").shape[1]) for s in shards if s.count), 0)
            # The pair list first (also with one process: each distinct pair is estimated once and verified
            # in batches, 5.99 -> 3.72 CPU s at 200,000 documents); past PARALLEL_PAIRS_MAX surviving pairs
            # the sequential path, whose memory does not follow the number of pairs.
            near = _verify_parallel(shards, offsets, found.exact, n_bands, config, parallel, processes)
            if near is not None:
                found.near.add(*near)
            else:
                uf = _UnionFind(n, np.int32 if n < 2**31 else np.int64)
                _verify_sequential(shards, offsets, found.exact, n_bands, uf, config)
                for lo in range(0, n, PASS_DOCS):  # a slice of documents at a time: no corpus-sized temporaries
                    here = np.arange(lo, min(n, lo + PASS_DOCS), dtype=uf.parent.dtype)
                    root = _roots(uf.parent, here)
                    merged = root != here
                    found.near.add(here[merged].astype(np.int64), root[merged].astype(np.int64))
                del uf
    except BaseException:
        found.close()
        raise
    return found


def cluster(shards: Sequence[ShardArrays], config: DedupConfig, parallel: ParallelMap | None = None,
            processes: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """:func:`find_clusters` as two per-document arrays (kind, keeper) over all documents in input order:
    ``kind[i]`` is KEEP, EXACT or NEAR; ``keeper[i]`` is the index of the kept document of i's cluster
    (``i`` itself when kept). For tests and small corpora: the run itself never makes these arrays."""
    found = find_clusters(shards, config, parallel, processes)
    kind = np.zeros(found.n, dtype=np.uint8)
    keeper = np.arange(found.n, dtype=np.int64)
    index, dropped_kind, dropped_keeper = found.drops(0, found.n)
    found.close()
    kind[index] = dropped_kind
    keeper[index] = dropped_keeper
    return kind, keeper
