"""The offline teacher-logit cache: run the teacher once, train (and ablate) many times without it.

Layout of a cache directory::

    manifest.json             deshi artifact manifest; ``extra.cache`` holds method, k, dtype, seq_len,
                              teacher/dataset/tokenizer hashes, bytes per token
    shard-00000/              one shard = up to ``shard_blocks`` packed blocks, fixed-size .npy arrays
        tokens.npy            int32   [n, L]      the packed input ids (training needs nothing else)
        loss_mask.npy         uint8   [n, L]
        ids.npy               uint16|int32 [n, L-1, k]  teacher token ids per next-token position
        values.npy            float16|bfloat16(as uint16)|float32|uint8 [n, L-1, k]  teacher log-probs
        weights.npy           float16 [n, L-1, k]  (method=sampled) importance weights, 0 = padding

Two sparse methods:

* ``topk``: the k most likely ids with their log-probabilities at T = 1 (training can soften later);
* ``sampled``: Sparse Logit Sampling — ``k`` draws from the teacher softened at the cache temperature,
  duplicates merged into count/k weights; an unbiased estimate of the full distribution.

Shards are written to ``shard-N.tmp`` and renamed when complete, so a killed build resumes from the
last complete shard. Arrays are read back with ``np.load(mmap_mode="r")``: the cache can be far larger
than RAM. Why hand-written rather than DistillKit's format: DistillKit stores Parquet rows per sequence
and needs its trainer; plain fixed-shape arrays memory-map with zero parsing and zero copies.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deshi.artifacts import Manifest, load_manifest, write_manifest
from deshi.distill.packing import block_isolation, isolation_plan
from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("distill.cache")

# Manifest fields added after caches were already in use, and what an older cache without them means.
_INFO_DEFAULTS: dict[str, Any] = {"isolate_examples": 0.0}

VALUE_DTYPES = ("float16", "bfloat16", "float32", "uint8")
METHODS = ("topk", "sampled")
# uint8 quantisation of log-probs: 0 → 0.0, 255 → -QUANT_RANGE (tokens below that are ~e-16 anyway).
QUANT_RANGE = 16.0


class CacheError(DeshiError):
    """The logit cache is missing, incomplete, or was built for another teacher, data set or setting."""


@dataclass(frozen=True)
class CacheSpec:
    method: str = "topk"
    k: int = 64
    dtype: str = "float16"
    temperature: float = 1.0  # only for method=sampled: draws come from the teacher softened by this T
    shard_blocks: int = 256

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise CacheError(f"cache method must be one of {METHODS} (got {self.method!r})")
        if self.dtype not in VALUE_DTYPES:
            raise CacheError(f"cache dtype must be one of {VALUE_DTYPES} (got {self.dtype!r})")
        if not 1 <= self.k <= 4096:
            raise CacheError(f"cache k must be in [1, 4096] (got {self.k})")


def id_dtype(vocab_size: int) -> np.dtype:
    return np.dtype(np.uint16) if vocab_size <= 65536 else np.dtype(np.int32)


def encode_values(lp: torch.Tensor, dtype: str) -> np.ndarray:
    """Log-probs (float tensor) → the on-disk representation."""
    if dtype == "float16":
        return lp.clamp(min=-60000).to(torch.float16).numpy()
    if dtype == "float32":
        return lp.float().numpy()
    if dtype == "bfloat16":
        return lp.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    q = (-lp.float() / QUANT_RANGE * 255.0).round().clamp(0, 255)
    return q.to(torch.uint8).numpy()


def decode_values(arr: np.ndarray, dtype: str) -> torch.Tensor:
    """On-disk values → float32 log-probs."""
    if dtype == "bfloat16":
        return torch.from_numpy(np.ascontiguousarray(arr).view(np.int16)).view(torch.bfloat16).float()
    if dtype == "uint8":
        return torch.from_numpy(np.ascontiguousarray(arr)).float() * (-QUANT_RANGE / 255.0)
    return torch.from_numpy(np.ascontiguousarray(arr)).float()


def sparse_targets(logits: torch.Tensor, spec: CacheSpec, generator: torch.Generator | None = None):
    """Teacher logits [..., V] → (ids, log-probs, weights or None) with k entries per position."""
    if spec.method == "topk":
        lp = torch.log_softmax(logits.float(), dim=-1)
        top = lp.topk(spec.k, dim=-1)
        return top.indices, top.values, None
    flat = logits.float().reshape(-1, logits.size(-1))
    lp_t = torch.log_softmax(flat / spec.temperature, dim=-1)
    draws = torch.multinomial(lp_t.exp(), spec.k, replacement=True, generator=generator)
    draws, _ = draws.sort(dim=-1)
    first = torch.ones_like(draws, dtype=torch.bool)
    first[:, 1:] = draws[:, 1:] != draws[:, :-1]
    group = first.long().cumsum(-1) - 1  # slot of each draw after merging duplicates
    counts = torch.zeros_like(draws, dtype=torch.float32).scatter_add_(1, group, torch.ones_like(draws, dtype=torch.float32))
    ids = torch.zeros_like(draws).scatter_(1, group, draws)
    weights = counts / spec.k
    values = lp_t.gather(1, ids).masked_fill(weights == 0, 0.0)
    shape = (*logits.shape[:-1], spec.k)
    return ids.reshape(shape), values.reshape(shape), weights.reshape(shape)


def _shard_name(index: int) -> str:
    return f"shard-{index:05d}"


def build_cache(
    teacher,
    blocks,
    out: Path,
    spec: CacheSpec,
    *,
    batch_size: int = 8,
    lineage: dict[str, Any] | None = None,
    inputs: list | None = None,
    seed: int = 0,
    progress=None,
    isolate_eos: int | None = None,
    isolate_fraction: float = 1.0,
) -> dict[str, Any]:
    """Run ``teacher`` over packed ``blocks`` and write a sharded sparse cache to ``out``.

    ``lineage`` (teacher / dataset / tokenizer hashes) goes into the manifest and is what training
    checks before it trusts the cache. Complete shards from an interrupted build with the same settings
    are kept; returns the summary written to the manifest.

    ``isolate_eos``: in ``isolate_fraction`` of the blocks (``packing.isolation_plan``) the teacher scores
    each EOS-separated example on its own, as a student trained with ``isolate_examples`` sees it.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vocab = int(teacher.config.get_text_config().vocab_size)
    fraction = float(isolate_fraction) if isolate_eos is not None else 0.0
    plan = isolation_plan(len(blocks), fraction)
    key = {"spec": asdict(spec), "lineage": lineage or {}, "n_blocks": len(blocks), "seq_len": int(blocks.input_ids.shape[1])}
    if fraction:
        key["isolate_examples"] = fraction
    key_file = out / "build.json"
    if key_file.exists() and json.loads(key_file.read_text()) != key:
        log.info("cache settings changed; rebuilding %s", out)
        for child in out.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    key_file.write_text(json.dumps(key, sort_keys=True))
    (out / "manifest.json").unlink(missing_ok=True)

    n, L = blocks.input_ids.shape
    ids_dt = id_dtype(vocab)
    started = time.perf_counter()
    teacher.eval()
    device = next(teacher.parameters()).device
    built = 0
    for shard_index, start in enumerate(range(0, n, spec.shard_blocks)):
        stop = min(n, start + spec.shard_blocks)
        final = out / _shard_name(shard_index)
        if final.is_dir():
            if progress:
                progress(stop - start)
            continue
        tmp = out / (_shard_name(shard_index) + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        m = stop - start
        np.save(tmp / "tokens.npy", blocks.input_ids[start:stop].astype(np.int32))
        np.save(tmp / "loss_mask.npy", blocks.loss_mask[start:stop].astype(np.uint8))
        vdt = np.uint16 if spec.dtype == "bfloat16" else np.dtype(spec.dtype)
        ids_mm = np.lib.format.open_memmap(tmp / "ids.npy", "w+", ids_dt, (m, L - 1, spec.k))
        val_mm = np.lib.format.open_memmap(tmp / "values.npy", "w+", vdt, (m, L - 1, spec.k))
        wts_mm = (
            np.lib.format.open_memmap(tmp / "weights.npy", "w+", np.float16, (m, L - 1, spec.k))
            if spec.method == "sampled"
            else None
        )
        gen = torch.Generator().manual_seed(seed * 100003 + shard_index)
        for b0 in range(0, m, batch_size):
            b1 = min(m, b0 + batch_size)
            x = torch.from_numpy(blocks.input_ids[start + b0 : start + b1].astype(np.int64)).to(device)
            rows = plan[start + b0 : start + b1]
            isolation = block_isolation(x, isolate_eos, rows)
            with torch.inference_mode():
                logits = teacher(input_ids=x, **isolation).logits[:, :-1]
            ids, values, weights = sparse_targets(logits.cpu(), spec, gen)
            ids_mm[b0:b1] = ids.numpy().astype(ids_dt)
            val_mm[b0:b1] = encode_values(values, spec.dtype)
            if wts_mm is not None:
                wts_mm[b0:b1] = weights.to(torch.float16).numpy()
            if progress:
                progress(b1 - b0)
        for mm in (ids_mm, val_mm, wts_mm):
            if mm is not None:
                mm.flush()
        del ids_mm, val_mm, wts_mm
        os.replace(tmp, final)
        built += m
    seconds = time.perf_counter() - started
    summary = _summarise(out, spec, vocab, n, L)
    summary.update({"build_seconds": round(seconds, 3), "blocks_built_this_run": built, "isolate_examples": fraction, **(lineage or {})})
    write_manifest(
        out,
        Manifest("logit_cache", asdict(spec), inputs or [], {"blocks": n, "tokens": n * L}, {"build_s": seconds}, seed, {"cache": summary}),
    )
    return summary


def _summarise(out: Path, spec: CacheSpec, vocab: int, n: int, L: int) -> dict[str, Any]:
    """Sizes: payload bytes of the sparse arrays per next-token position, and everything on disk."""
    shards = [d for d in out.glob("shard-*") if d.is_dir() and not d.name.endswith(".tmp")]
    payload = sum(
        np.load(d / f"{name}.npy", mmap_mode="r").nbytes
        for d in shards for name in ("ids", "values", "weights") if (d / f"{name}.npy").exists()
    )
    on_disk = sum(f.stat().st_size for d in shards for f in d.iterdir())
    positions = n * (L - 1)
    return {
        **asdict(spec),
        "vocab_size": vocab,
        "seq_len": L,
        "blocks": n,
        "positions": positions,
        "bytes_per_token": round(payload / max(positions, 1), 2),  # == MB per million tokens
        "bytes_per_token_on_disk": round(on_disk / max(positions, 1), 2),  # + input tokens, mask, headers
    }


class LogitCache:
    """Read side: memory-mapped shards, random access by global block index."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not (self.path / "manifest.json").is_file():
            raise CacheError(
                f"{self.path}: no complete logit cache (manifest.json missing); build it with `deshi distill cache`"
            )
        self.info: dict[str, Any] = load_manifest(self.path).get("extra", {}).get("cache", {})
        if not self.info:
            raise CacheError(f"{self.path}: manifest.json is not a deshi logit-cache manifest")
        self.method = self.info["method"]
        self.dtype = self.info["dtype"]
        self.k = int(self.info["k"])
        self.seq_len = int(self.info["seq_len"])
        self.shards = []
        self.offsets = [0]
        index = 0
        while (self.path / _shard_name(index)).is_dir():
            d = self.path / _shard_name(index)
            shard = {name: np.load(d / f"{name}.npy", mmap_mode="r") for name in ("tokens", "loss_mask", "ids", "values")}
            if (d / "weights.npy").exists():
                shard["weights"] = np.load(d / "weights.npy", mmap_mode="r")
            self.shards.append(shard)
            self.offsets.append(self.offsets[-1] + shard["tokens"].shape[0])
            index += 1
        if self.offsets[-1] != int(self.info["blocks"]):
            raise CacheError(f"{self.path}: cache holds {self.offsets[-1]} blocks, manifest says {self.info['blocks']}")

    def __len__(self) -> int:
        return self.offsets[-1]

    def check(self, expected: dict[str, Any]) -> None:
        """Refuse a cache built for another teacher / data set / tokenizer / sequence length."""
        for key, want in expected.items():
            have = self.info.get(key, _INFO_DEFAULTS.get(key))
            if want is not None and have != want:
                raise CacheError(
                    f"{self.path} was built with {key}={have!r} but this run has {key}={want!r}; "
                    "rebuild it with `deshi distill cache` (or point --cache at the matching one)"
                )

    def get(self, indices) -> dict[str, torch.Tensor]:
        """Tensors for the given global block indices (sorted reads per shard, original order kept)."""
        parts: dict[str, list] = {}
        for i in indices:
            s = int(np.searchsorted(self.offsets, i, side="right") - 1)
            j = int(i) - self.offsets[s]
            for name, arr in self.shards[s].items():
                parts.setdefault(name, []).append(arr[j])
        out = {
            "input_ids": torch.from_numpy(np.stack(parts["tokens"]).astype(np.int64)),
            "loss_mask": torch.from_numpy(np.stack(parts["loss_mask"])),
            "ids": torch.from_numpy(np.stack(parts["ids"]).astype(np.int64)),
            "values": decode_values(np.stack(parts["values"]), self.dtype),
        }
        if "weights" in parts:
            out["weights"] = torch.from_numpy(np.stack(parts["weights"]).astype(np.float32))
        return out

    def blocks(self):
        """All packed blocks (tokens + mask) without the sparse arrays."""
        from deshi.distill.packing import Packed

        return Packed(
            np.concatenate([s["tokens"] for s in self.shards]).astype(np.int64),
            np.concatenate([s["loss_mask"] for s in self.shards]),
        )
