"""Deduplication: exact (hash of the normalised text) then near-duplicate MinHash LSH, global and deterministic.

**Signatures (phase 1, in workers).** MinHash over character n-gram shingles with ``rensa`` (Rust).
Chosen by measurement on this machine (800-character Japanese documents, 128 permutations,
``benchmarks/curate_bench.py`` repeats it): rensa ≈ 11,000 signatures/s, vectorised NumPy
(rolling n-gram hashes × 128 multiply-shift permutations) ≈ 1,100/s, datasketch ≈ 1,300/s. rensa is
also what HojiChar 0.18 uses. Each worker also stores, per document, a 128-bit exact hash and one
64-bit key per LSH band, so the single-process phase 2 reads only small integer arrays.

**Clustering (phase 2, one process).** Documents are numbered in input order (shard order, then line
order) regardless of how many workers produced them. Exact duplicates: the first occurrence of each
hash is kept. Near duplicates: for every band, documents with equal band keys are candidates; each
candidate pair is verified with the *exact* Jaccard similarity of its shingle sets (≥ threshold) —
the MinHash estimate with 128 permutations has a standard deviation of ~0.03 at 0.85, which
rejected one true pair in ten near the threshold in our tests; reading the two texts by byte offset
costs far less. Verified pairs are merged with union-find whose root is always the smallest index,
so the kept document of every cluster is the earliest in the input. Memory is ~50 bytes per
document (keys, sort order, parent array); texts are read only for candidate pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import xxhash

from deshi.data.config import DedupConfig

KEEP, EXACT, NEAR = 0, 1, 2
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
        n = self.config.ngram
        shingles = [text[i : i + n] for i in range(len(text) - n + 1)] or [text]
        minhash = self._minhash(num_perm=self.config.num_perm, seed=self.config.seed)
        minhash.update(shingles)
        return np.asarray(minhash.digest(), dtype=np.uint32)

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

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

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
    """One shard's phase-1 files: ``hashes`` (n,2) uint64, ``bands`` (n,b) uint64, ``docs`` (JSONL of
    the surviving documents) and ``offsets`` (n,) uint64 byte offset of each document's line."""

    hashes: Path
    bands: Path
    docs: Path
    offsets: Path
    count: int


def shingle_set(text: str, n: int) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)} or {text}


def jaccard(a: str, b: str, n: int) -> float:
    sa, sb = shingle_set(a, n), shingle_set(b, n)
    return len(sa & sb) / len(sa | sb)


class _TextReader:
    """Random access to documents' texts by global index (byte offsets into the shard JSONL files)."""

    def __init__(self, shards: Sequence[ShardArrays], offsets: np.ndarray) -> None:
        self.shards = shards
        self.offsets = offsets
        self.line_offsets = [np.load(s.offsets, mmap_mode="r") if s.count else None for s in shards]
        self.handles: dict[int, Any] = {}
        self.cache: dict[int, str] = {}

    def __call__(self, index: int) -> str:
        if index in self.cache:
            return self.cache[index]
        shard = int(np.searchsorted(self.offsets, index, side="right") - 1)
        handle = self.handles.get(shard)
        if handle is None:
            handle = self.handles[shard] = open(self.shards[shard].docs, "rb")
        handle.seek(int(self.line_offsets[shard][index - self.offsets[shard]]))  # type: ignore[index]
        text = orjson.loads(handle.readline())["text"]
        if len(self.cache) > 50_000:
            self.cache.clear()
        self.cache[index] = text
        return text

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def cluster(shards: Sequence[ShardArrays], config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """Phase 2. Returns (kind, keeper) over all documents in input order.

    ``kind[i]`` is KEEP, EXACT or NEAR; ``keeper[i]`` is the index of the kept document of i's
    cluster (``i`` itself when kept).
    """
    offsets = np.cumsum([0] + [s.count for s in shards])
    n = int(offsets[-1])
    kind = np.zeros(n, dtype=np.uint8)
    keeper = np.arange(n, dtype=np.int64)
    if n == 0:
        return kind, keeper

    if config.exact:
        hashes = np.concatenate([np.load(s.hashes) for s in shards if s.count]) if n else np.zeros((0, 2), np.uint64)
        order = np.lexsort((np.arange(n), hashes[:, 1], hashes[:, 0]))
        sorted_h = hashes[order]
        same = np.all(sorted_h[1:] == sorted_h[:-1], axis=1)
        run_start = np.concatenate([[True], ~same])
        first = order[np.maximum.accumulate(np.where(run_start, np.arange(n), 0))]
        dup = ~run_start
        kind[order[dup]] = EXACT
        keeper[order[dup]] = first[dup]
        del hashes, sorted_h, order

    if config.near:
        active = np.flatnonzero(kind == KEEP)
        text_of = _TextReader(shards, offsets)
        band_files = [np.load(s.bands, mmap_mode="r") if s.count else None for s in shards]
        n_bands = next((b.shape[1] for b in band_files if b is not None), 0)
        uf = _UnionFind(n)
        checked: set[tuple[int, int]] = set()
        for band in range(n_bands):
            keys = np.concatenate([b[:, band] for b in band_files if b is not None])[active]
            order = np.lexsort((active, keys))
            sorted_keys = keys[order]
            members = active[order]
            same = sorted_keys[1:] == sorted_keys[:-1]
            if not same.any():
                continue
            starts = np.concatenate([[True], ~same])
            first = members[np.maximum.accumulate(np.where(starts, np.arange(len(members)), 0))]
            later = np.flatnonzero(~starts)
            # Pair each later member with its run's first member and with its predecessor, so chains
            # of similar documents inside one bucket are found even when the ends differ more.
            pairs = np.concatenate([
                np.stack([first[later], members[later]], axis=1),
                np.stack([members[later - 1], members[later]], axis=1),
            ])
            pairs = np.unique(np.sort(pairs, axis=1), axis=0)
            fresh = [(int(a), int(b)) for a, b in pairs if a != b and (int(a), int(b)) not in checked]
            if not fresh:
                continue
            checked.update(fresh)
            for a, b in fresh:
                if uf.find(a) == uf.find(b):
                    continue  # already in one cluster: nothing to learn
                if jaccard(text_of(a), text_of(b), config.ngram) >= config.threshold:
                    uf.union(a, b)
        text_of.close()
        for i in active:
            root = uf.find(int(i))
            if root != i:
                kind[i] = NEAR
                keeper[i] = root
    return kind, keeper
