"""``isolate_examples``: packed examples seen each on its own by the teacher's cache and the student."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from deshi.distill.logit_cache import CacheError, CacheSpec, LogitCache, build_cache
from deshi.distill.packing import (
    block_position_ids,
    example_position_ids,
    isolation_kwargs,
    isolation_plan,
    pack,
)
from deshi.distill.trainer import PackedSource, TrainConfig, TrainError, evaluate, train
from distill_fixtures import SENTENCES, single_thread, tiny_llama, tiny_tokenizer

single_thread()


@pytest.fixture(scope="module")
def world():
    tok = tiny_tokenizer()
    pairs = [(f"質問: {SENTENCES[i % 8]}\n回答: ", SENTENCES[(i + 3) % 8]) for i in range(12)]
    packed = pack(tok, pairs, 256, completion_only=True, whole_examples=True)  # 3-4 examples a block
    teacher = tiny_llama(len(tok), 32, 2, seed=5).eval()
    return tok, pairs, packed, teacher


def _second_example(tok, packed):
    """(block index, start, end) of the second example of block 0: after the first EOS, up to its own EOS."""
    row = packed.input_ids[0]
    eos_at = np.flatnonzero(row == tok.eos_token_id)
    return int(eos_at[0]) + 1, int(eos_at[1]) + 1


def test_positions_restart_after_every_eos():
    eos = 3
    x = torch.tensor([[5, 6, eos, 7, 8, 9, eos, eos, eos], [eos, 4, 4, 4, 4, eos, 5, 5, 5]])
    assert example_position_ids(x, eos).tolist() == [[0, 1, 2, 0, 1, 2, 3, 0, 0], [0, 0, 1, 2, 3, 4, 0, 1, 2]]


def test_a_share_of_blocks_is_isolated_the_same_way_every_time():
    plan = isolation_plan(138, 0.5)
    assert plan.sum() == 69 and np.array_equal(plan, isolation_plan(138, 0.5))
    assert isolation_plan(10, 0.0).sum() == 0 and isolation_plan(10, 1.0).all()
    eos = 3
    x = torch.tensor([[5, eos, 6, 7], [5, eos, 6, 7]])
    assert block_position_ids(x, eos, np.array([True, False])).tolist() == [[0, 1, 0, 1], [0, 1, 2, 3]]


@pytest.mark.parametrize("attn", ["sdpa", "eager"])  # eager: what `attention: auto` trains bf16 CPU runs with
def test_an_isolated_example_gets_the_logits_it_gets_alone(world, attn):
    tok, _, packed, teacher = world
    teacher = copy.deepcopy(teacher)
    teacher.set_attn_implementation(attn)
    start, end = _second_example(tok, packed)
    block = torch.from_numpy(packed.input_ids[:1].astype(np.int64))
    alone = block[:, start:end]
    with torch.no_grad():
        reference = teacher(input_ids=alone).logits
        isolated = teacher(input_ids=block, **isolation_kwargs(example_position_ids(block, tok.eos_token_id))).logits
        packed_plain = teacher(input_ids=block).logits
    torch.testing.assert_close(isolated[:, start:end], reference, atol=1e-5, rtol=1e-5)
    # without isolation the earlier example changes what the model predicts for this one
    assert (packed_plain[:, start:end] - reference).abs().max() > 1e-3


def test_isolated_cache_holds_each_examples_own_teacher_targets(world, tmp_path):
    tok, _, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "iso", CacheSpec(k=8), isolate_eos=tok.eos_token_id)
    build_cache(teacher, packed, tmp_path / "plain", CacheSpec(k=8))
    start, end = _second_example(tok, packed)
    alone = torch.from_numpy(packed.input_ids[:1, start:end].astype(np.int64))
    with torch.no_grad():
        top = torch.log_softmax(teacher(input_ids=alone).logits[:, :-1], -1).topk(8, -1)
    iso = LogitCache(tmp_path / "iso")
    got = iso.get([0])
    assert torch.equal(got["ids"][:, start : end - 1], top.indices)
    assert torch.allclose(got["values"][:, start : end - 1], top.values, atol=2e-3)
    # a run that wants isolation refuses a cache built without it (or with another share), and the other way round
    iso.check({"isolate_examples": 1.0})
    with pytest.raises(CacheError, match="isolate_examples=0.0"):
        LogitCache(tmp_path / "plain").check({"isolate_examples": 1.0})
    with pytest.raises(CacheError, match="isolate_examples=1.0"):
        iso.check({"isolate_examples": 0.5})


def test_half_isolated_cache_isolates_exactly_the_planned_blocks(world, tmp_path):
    tok, _, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "half", CacheSpec(k=4), isolate_eos=tok.eos_token_id, isolate_fraction=0.5)
    cache = LogitCache(tmp_path / "half")
    assert cache.info["isolate_examples"] == 0.5
    plan = isolation_plan(len(packed), 0.5)
    x = torch.from_numpy(packed.input_ids.astype(np.int64))
    with torch.no_grad():
        plain = torch.log_softmax(teacher(input_ids=x).logits[:, :-1], -1).topk(4, -1).indices
        alone = torch.log_softmax(
            teacher(input_ids=x, **isolation_kwargs(example_position_ids(x, tok.eos_token_id))).logits[:, :-1], -1
        ).topk(4, -1).indices
    got = cache.get(list(range(len(packed))))["ids"]
    for i in range(len(packed)):
        assert torch.equal(got[i], alone[i] if plan[i] else plain[i])


def test_caches_from_before_the_setting_count_as_not_isolated(world, tmp_path):
    tok, _, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "old", CacheSpec(k=4))
    cache = LogitCache(tmp_path / "old")
    cache.info.pop("isolate_examples")  # what a cache written by an older deshi has
    cache.check({"isolate_examples": 0.0})
    with pytest.raises(CacheError):
        cache.check({"isolate_examples": 1.0})


@pytest.mark.parametrize("precision", ["fp32", "bf16"])  # bf16 on CPU trains with eager attention (`attention: auto`)
def test_isolated_training_learns_answers_without_the_neighbouring_examples(world, tmp_path, precision):
    """Trained isolated, the model's loss on an example no longer depends on what was packed before it."""
    tok, _, packed, _ = world
    student = tiny_llama(len(tok), 32, 2, seed=1)
    cfg = TrainConfig(mode="ce", max_steps=30, batch_size=2, lr=3e-3, warmup_steps=2, isolate_examples=1.0, eval_every=10, precision=precision)
    result = train(student, PackedSource(packed), tmp_path / "run", cfg, eos_id=tok.eos_token_id, eval_source=PackedSource(packed), show_progress=False)
    assert result.history[-1]["ce"] < result.history[0]["ce"]
    # the eval loss of an isolated run is the isolated loss
    isolated = evaluate(student, PackedSource(packed), 2, 8, isolate_eos=tok.eos_token_id)
    assert result.final_eval_loss == pytest.approx(isolated, rel=1e-4)  # bf16 runs train with eager attention: kernel rounding
    assert evaluate(student, PackedSource(packed), 2, 8) != pytest.approx(isolated, rel=1e-3)


def test_isolation_without_an_eos_id_is_a_clear_error(world, tmp_path):
    tok, _, packed, _ = world
    with pytest.raises(TrainError, match="eos_id"):
        train(tiny_llama(len(tok), 32, 1), PackedSource(packed), tmp_path / "r", TrainConfig(mode="ce", max_steps=1, isolate_examples=1.0), show_progress=False)


def test_a_checkpoint_resumes_only_with_the_same_share(world, tmp_path):
    tok, _, packed, _ = world
    student = tiny_llama(len(tok), 32, 1)
    cfg = TrainConfig(mode="ce", max_steps=4, batch_size=2, checkpoint_every=1)
    train(student, PackedSource(packed), tmp_path / "r", cfg, eos_id=tok.eos_token_id, stop_after=1, show_progress=False)
    with pytest.raises(TrainError, match="other settings"):
        train(student, PackedSource(packed), tmp_path / "r", TrainConfig(**{**cfg.__dict__, "isolate_examples": 0.5}),
              eos_id=tok.eos_token_id, show_progress=False)
    resumed = train(student, PackedSource(packed), tmp_path / "r", cfg, eos_id=tok.eos_token_id, show_progress=False)
    assert resumed.resumed_from == 1
