"""The offline logit cache: contents, sizes, lineage checks and resumable builds."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from deshi.distill.logit_cache import CacheError, CacheSpec, LogitCache, build_cache
from deshi.distill.packing import pack
from distill_fixtures import SENTENCES, single_thread, tiny_llama, tiny_tokenizer

single_thread()


@pytest.fixture(scope="module")
def setup():
    tok = tiny_tokenizer()
    teacher = tiny_llama(len(tok), 32, 2, seed=3).eval()
    packed = pack(tok, SENTENCES * 6, 32)
    return tok, teacher, packed


def test_topk_cache_holds_the_teachers_topk_logprobs(setup, tmp_path):
    tok, teacher, packed = setup
    info = build_cache(teacher, packed, tmp_path / "c", CacheSpec(k=8, shard_blocks=4), batch_size=3, lineage={"teacher_sha256": "t1"})
    cache = LogitCache(tmp_path / "c")
    assert len(cache) == len(packed) and len(list(tmp_path.glob("c/shard-*"))) == -(-len(packed) // 4)
    got = cache.get([5, 0, 7])
    x = torch.from_numpy(packed.input_ids[[5, 0, 7]].astype(np.int64))
    assert torch.equal(got["input_ids"], x)
    with torch.no_grad():
        lp = torch.log_softmax(teacher(input_ids=x).logits[:, :-1], -1)
    top = lp.topk(8, -1)
    assert torch.equal(got["ids"], top.indices)
    assert torch.allclose(got["values"], top.values, atol=2e-3)
    # uint16 ids + fp16 values: exactly 4 bytes per kept entry and position
    assert info["bytes_per_token"] == 8 * 4


@pytest.mark.parametrize("dtype,tol,size", [("bfloat16", 0.05, 4), ("uint8", 16 / 255, 3), ("float32", 1e-6, 6)])
def test_value_dtypes_trade_size_for_precision(setup, tmp_path, dtype, tol, size):
    tok, teacher, packed = setup
    info = build_cache(teacher, packed, tmp_path / dtype, CacheSpec(k=4, dtype=dtype))
    got = LogitCache(tmp_path / dtype).get([1])
    with torch.no_grad():
        lp = torch.log_softmax(teacher(input_ids=got["input_ids"]).logits[:, :-1], -1).topk(4, -1).values
    assert (got["values"] - lp).abs().max().item() <= tol + 1e-6
    assert info["bytes_per_token"] == pytest.approx(4 * size, abs=1)


def test_sampled_cache_weights_are_a_distribution(setup, tmp_path):
    tok, teacher, packed = setup
    build_cache(teacher, packed, tmp_path / "s", CacheSpec(method="sampled", k=16, temperature=2.0))
    got = LogitCache(tmp_path / "s").get([0, 1])
    w = got["weights"]
    assert torch.allclose(w.sum(-1), torch.ones_like(w.sum(-1)), atol=1e-3)
    assert ((w * 16).round() - w * 16).abs().max() < 1e-2  # counts / k
    # merged duplicates: every id with weight appears once per position
    ids = got["ids"].masked_fill(w == 0, -1)
    for row in ids.reshape(-1, 16):
        kept = row[row >= 0]
        assert len(kept) == len(set(kept.tolist()))


def test_cache_refuses_another_teacher_or_dataset(setup, tmp_path):
    tok, teacher, packed = setup
    build_cache(teacher, packed, tmp_path / "c", CacheSpec(k=4), lineage={"teacher_sha256": "aaa", "dataset_sha256": "ddd"})
    cache = LogitCache(tmp_path / "c")
    cache.check({"teacher_sha256": "aaa", "dataset_sha256": "ddd", "k": 4})
    with pytest.raises(CacheError, match="teacher_sha256='aaa'.*'bbb'"):
        cache.check({"teacher_sha256": "bbb"})
    with pytest.raises(CacheError, match="k=4"):
        cache.check({"k": 64})


def test_interrupted_build_resumes_from_complete_shards(setup, tmp_path):
    tok, teacher, packed = setup
    spec = CacheSpec(k=4, shard_blocks=3)
    full = build_cache(teacher, packed, tmp_path / "c", spec, lineage={"x": 1})
    reference = LogitCache(tmp_path / "c").get(list(range(len(packed))))
    # simulate a kill: no manifest, the last shard half-written
    (tmp_path / "c" / "manifest.json").unlink()
    last = sorted((tmp_path / "c").glob("shard-*"))[-1]
    shutil.move(last, str(last) + ".tmp")
    with pytest.raises(CacheError, match="no complete logit cache"):
        LogitCache(tmp_path / "c")
    again = build_cache(teacher, packed, tmp_path / "c", spec, lineage={"x": 1})
    assert 0 < again["blocks_built_this_run"] <= 3 < full["blocks_built_this_run"]
    resumed = LogitCache(tmp_path / "c").get(list(range(len(packed))))
    assert torch.equal(resumed["ids"], reference["ids"]) and torch.equal(resumed["values"], reference["values"])
