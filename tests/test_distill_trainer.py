"""Training loop: offline without the teacher, vocabulary checks, accumulation, on-policy, student init."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from deshi.distill import student_init as SI
from deshi.distill.logit_cache import CacheSpec, LogitCache, build_cache
from deshi.distill.losses import LossError, LossSpec
from deshi.distill.packing import pack
from deshi.distill.trainer import PackedSource, TrainConfig, TrainError, evaluate, train
from distill_fixtures import SENTENCES, save_model, single_thread, tiny_llama, tiny_tokenizer

single_thread()


@pytest.fixture(scope="module")
def world():
    tok = tiny_tokenizer()
    packed = pack(tok, SENTENCES * 8, 32)
    teacher = tiny_llama(len(tok), 48, 3, seed=7)
    # make the teacher opinionated: a few CE steps so its distribution is far from uniform
    train(teacher, PackedSource(packed), _tmp("teacher-run"), TrainConfig(mode="ce", max_steps=30, batch_size=8, lr=3e-3), show_progress=False)
    teacher.eval()
    return tok, packed, teacher


def _tmp(name):
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp()) / name


def _kd_to_teacher(student, teacher, packed) -> float:
    x = torch.from_numpy(packed.input_ids[:8].astype(np.int64))
    with torch.no_grad():
        s = torch.log_softmax(student(input_ids=x).logits, -1)
        t = torch.log_softmax(teacher(input_ids=x).logits, -1)
    return float((t.exp() * (t - s)).sum(-1).mean())


def test_offline_distillation_moves_student_towards_teacher_without_loading_it(world, tmp_path, monkeypatch):
    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=16))
    from transformers import AutoModelForCausalLM

    def forbidden(*a, **k):
        raise AssertionError("offline training must not load the teacher")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", forbidden)
    student = tiny_llama(len(tok), 32, 2, seed=1)
    before = _kd_to_teacher(student, teacher, packed)
    result = train(student, LogitCache(tmp_path / "cache"), tmp_path / "run", TrainConfig(mode="offline", max_steps=40, batch_size=8, lr=3e-3, warmup_steps=2), show_progress=False)
    after = _kd_to_teacher(student, teacher, packed)
    assert after < 0.6 * before
    assert result.history[-1]["kd"] < result.history[0]["kd"]
    assert (tmp_path / "run" / "metrics.jsonl").read_text().count("\n") == 40


@pytest.mark.parametrize("loss", ["reverse_kl", "generalized_jsd", "skew_kl", "taid"])
def test_every_named_loss_trains_offline_and_online(world, tmp_path, loss):
    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=16))
    for mode, source in (("offline", LogitCache(tmp_path / "cache")), ("online", PackedSource(packed))):
        student = tiny_llama(len(tok), 32, 2, seed=1)
        before = _kd_to_teacher(student, teacher, packed)
        cfg = TrainConfig(mode=mode, loss=LossSpec(loss, temperature=2.0, alpha=0.2), max_steps=15, batch_size=8, lr=3e-3, warmup_steps=1)
        train(student, source, tmp_path / f"run-{mode}", cfg, teacher=teacher if mode == "online" else None, show_progress=False)
        assert _kd_to_teacher(student, teacher, packed) < before, (loss, mode)


def test_vocabulary_mismatch_names_both_sizes(world, tmp_path):
    tok, packed, teacher = world
    student = tiny_llama(len(tok) + 5, 32, 2)
    with pytest.raises(LossError, match=f"teacher has {len(tok)} tokens, student has {len(tok) + 5}"):
        train(student, PackedSource(packed), tmp_path / "r", TrainConfig(mode="online", max_steps=1), teacher=teacher, show_progress=False)


def test_gradient_accumulation_matches_one_big_batch(world, tmp_path):
    tok, packed, teacher = world
    a = tiny_llama(len(tok), 32, 2, seed=2)
    b = copy.deepcopy(a)
    common = dict(mode="ce", max_steps=1, lr=1e-2, warmup_steps=0, grad_clip=0)
    train(a, PackedSource(packed), tmp_path / "a", TrainConfig(batch_size=8, grad_accum=1, **common), show_progress=False)
    train(b, PackedSource(packed), tmp_path / "b", TrainConfig(batch_size=4, grad_accum=2, **common), show_progress=False)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-5)


def test_on_policy_batches_are_scored_by_the_teacher(world, tmp_path):
    tok, packed, teacher = world
    student = tiny_llama(len(tok), 32, 2, seed=1)
    cfg = TrainConfig(mode="offline", on_policy_fraction=1.0, on_policy_prefix=8, max_steps=3, batch_size=2)
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=8))
    result = train(student, LogitCache(tmp_path / "cache"), tmp_path / "r", cfg, teacher=teacher, eos_id=tok.eos_token_id, show_progress=False)
    assert all(h.get("on_policy") for h in result.history)
    with pytest.raises(TrainError, match="needs the teacher"):
        train(student, LogitCache(tmp_path / "cache"), tmp_path / "r2", cfg, show_progress=False)


def test_sampled_cache_requires_forward_kl_at_its_temperature(world, tmp_path):
    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "s", CacheSpec(method="sampled", k=16, temperature=1.5))
    cache = LogitCache(tmp_path / "s")
    student = tiny_llama(len(tok), 32, 2, seed=1)
    with pytest.raises(TrainError, match="temperature 1.5"):
        train(student, cache, tmp_path / "r", TrainConfig(mode="offline", max_steps=1), show_progress=False)
    with pytest.raises(TrainError, match="forward KL only"):
        train(student, cache, tmp_path / "r", TrainConfig(mode="offline", loss=LossSpec("reverse_kl", temperature=1.5), max_steps=1), show_progress=False)
    before = _kd_to_teacher(student, teacher, packed)
    train(student, cache, tmp_path / "r3", TrainConfig(mode="offline", loss=LossSpec(temperature=1.5), max_steps=25, batch_size=8, lr=3e-3), show_progress=False)
    assert _kd_to_teacher(student, teacher, packed) < before


def test_depth_pruned_student_is_a_loadable_model(world, tmp_path):
    tok, packed, teacher = world
    layers = SI.every_kth(3, 2)
    assert layers == [0, 2]
    student = SI.prune_depth(teacher, layers)
    assert student.config.num_hidden_layers == 2 and teacher.config.num_hidden_layers == 3
    assert torch.equal(student.model.embed_tokens.weight, teacher.model.embed_tokens.weight)
    assert torch.equal(student.model.layers[1].mlp.up_proj.weight, teacher.model.layers[2].mlp.up_proj.weight)
    assert torch.equal(student.lm_head.weight, teacher.lm_head.weight)
    save_model(student, tok, tmp_path / "s")
    from transformers import AutoModelForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "s")
    x = torch.from_numpy(packed.input_ids[:2].astype(np.int64))
    with torch.no_grad():
        assert torch.allclose(loaded(input_ids=x).logits, student(input_ids=x).logits, atol=1e-5)
        out = loaded.generate(input_ids=x[:, :5], max_new_tokens=4, do_sample=False, pad_token_id=0)
    assert out.shape == (2, 9)


def test_block_influence_keeps_the_layers_that_change_the_state(world):
    tok, packed, teacher = world
    x = torch.from_numpy(packed.input_ids[:4].astype(np.int64))
    model = copy.deepcopy(teacher)
    # make layer 1 an identity (zero output projections): its Block Influence must be ~0, so it is dropped
    with torch.no_grad():
        model.model.layers[1].self_attn.o_proj.weight.zero_()
        model.model.layers[1].mlp.down_proj.weight.zero_()
    layers, scores = SI.by_importance(model, x, keep=2)
    assert scores[1] < 1e-6 < min(scores[0], scores[2])
    assert layers == [0, 2]
    with pytest.raises(SI.StudentInitError, match="keep_layers"):
        SI.every_kth(3, 5)


def test_eval_loss_is_reported(world, tmp_path):
    tok, packed, teacher = world
    student = tiny_llama(len(tok), 32, 2, seed=1)
    result = train(student, PackedSource(packed), tmp_path / "r", TrainConfig(mode="ce", max_steps=10, eval_every=5, batch_size=4), eval_source=PackedSource(packed), show_progress=False)
    evals = [h["eval_loss"] for h in result.history if "eval_loss" in h]
    assert len(evals) == 2 and evals[1] < evals[0]
    assert result.final_eval_loss == pytest.approx(evaluate(student, PackedSource(packed), 4, 8), rel=1e-5)


def test_bf16_autocast_trains(world, tmp_path):
    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=16))
    student = tiny_llama(len(tok), 32, 2, seed=1)
    before = _kd_to_teacher(student, teacher, packed)
    cfg = TrainConfig(mode="offline", precision="bf16", max_steps=15, batch_size=8, lr=3e-3, warmup_steps=1)
    result = train(student, LogitCache(tmp_path / "cache"), tmp_path / "r", cfg, show_progress=False)
    assert all(np.isfinite(h["loss"]) for h in result.history)
    assert _kd_to_teacher(student, teacher, packed) < before
    assert next(student.parameters()).dtype == torch.float32  # master weights stay fp32


def test_checkpoints_of_other_data_are_never_resumed(world, tmp_path):
    tok, packed, teacher = world
    cfg = TrainConfig(mode="ce", max_steps=4, batch_size=4, checkpoint_every=2, fingerprint="data-a")
    train(tiny_llama(len(tok), 32, 2), PackedSource(packed), tmp_path / "r", cfg, show_progress=False)
    other = dataclasses.replace(cfg, fingerprint="data-b", max_steps=6)
    with pytest.raises(TrainError, match="other settings or data"):
        train(tiny_llama(len(tok), 32, 2), PackedSource(packed), tmp_path / "r", other, show_progress=False)
    fresh = train(tiny_llama(len(tok), 32, 2), PackedSource(packed), tmp_path / "r", other, show_progress=False, on_mismatch="restart")
    assert fresh.resumed_from is None and [h["step"] for h in fresh.history] == list(range(1, 7))
    same = train(tiny_llama(len(tok), 32, 2), PackedSource(packed), tmp_path / "r", other, show_progress=False)
    assert same.resumed_from == 6


def _compile_failing_everywhere(real_compile):
    def broken_compile(module, *a, **k):
        def call(*args, **kwargs):
            raise RuntimeError("inductor: no C++ compiler")
        return call
    return broken_compile


def _compile_failing_on_backward(real_compile):
    from torch._dynamo.backends.common import aot_autograd

    def failing_backward(gm, example_inputs):
        raise RuntimeError("inductor: no C++ compiler for the backward graph")

    backend = aot_autograd(fw_compiler=lambda gm, example_inputs: gm, bw_compiler=failing_backward)
    return lambda module, **k: real_compile(module, backend=backend)


@pytest.mark.parametrize("failing", [_compile_failing_everywhere, _compile_failing_on_backward], ids=["forward", "backward-only"])
def test_compile_falls_back_to_eager_when_compilation_fails(world, tmp_path, monkeypatch, caplog, failing):
    """compile: true must never break a run: a compiler that fails on the forward graph, or only on the backward
    graph (compiled lazily by default, outside the forward call), trains eagerly with the same result."""
    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=16))
    cfg = TrainConfig(mode="offline", max_steps=3, batch_size=8, lr=3e-3, warmup_steps=1, checkpoint_every=0)
    eager = tiny_llama(len(tok), 32, 2, seed=1)
    train(eager, LogitCache(tmp_path / "cache"), tmp_path / "eager", cfg, show_progress=False)

    monkeypatch.setattr(torch, "compile", failing(torch.compile))
    torch._dynamo.reset()
    compiled = tiny_llama(len(tok), 32, 2, seed=1)
    result = train(compiled, LogitCache(tmp_path / "cache"), tmp_path / "compiled", dataclasses.replace(cfg, compile=True), show_progress=False)
    torch._dynamo.reset()
    assert result.steps == 3 and "torch.compile failed" in caplog.text
    for a, b in zip(eager.parameters(), compiled.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_decode_speeds_time_every_model_with_one_harness_and_restore_threads(world):
    from deshi.distill.quality import decode_speeds

    tok, _, teacher = world
    student = tiny_llama(len(tok), 32, 1, seed=1)
    threads = torch.get_num_threads()
    speeds = decode_speeds({"teacher": teacher, "student": student}, tok, new_tokens=6, rounds=3, threads=1)
    assert set(speeds) == {"teacher", "student"} and all(v > 0 for v in speeds.values())
    assert torch.get_num_threads() == threads


def test_whole_examples_packing_never_cuts_an_instruction_pair():
    """Stream packing cuts examples at block boundaries; ``whole_examples`` starts a new block instead."""
    tok = tiny_tokenizer()
    pairs = [(f"q{i} " + SENTENCES[i % len(SENTENCES)], SENTENCES[(i + 1) % len(SENTENCES)]) for i in range(20)]
    seq = 96  # longer than every example (longer ones would still be cut)
    eos = tok.eos_token_id

    def examples_per_block(packed):
        # every whole example in a block ends with an EOS that is trained on (completion mask = 1)
        return [int(((row == eos) & (m == 1)).sum()) for row, m in zip(packed.input_ids, packed.loss_mask, strict=True)]

    stream = pack(tok, pairs, seq, completion_only=True)
    whole = pack(tok, pairs, seq, completion_only=True, whole_examples=True)
    # the same answer tokens are trained on, none lost
    assert int(whole.loss_mask.sum()) == int(stream.loss_mask.sum())
    assert sum(examples_per_block(whole)) == len(pairs)
    # each block of the whole-example packing starts with a prompt, i.e. with a masked (context) token
    # that is the first token of a prompt, never mid-answer
    firsts = {tok(p, add_special_tokens=False)["input_ids"][0] for p, _ in pairs}
    assert all(int(row[0]) in firsts for row in whole.input_ids)
    assert not all(int(row[0]) in firsts for row in stream.input_ids)  # the default stream packing does cut
    assert len(whole) >= len(stream)


def test_bf16_cpu_run_trains_with_eager_attention_and_hands_the_model_back_unchanged(world, tmp_path, monkeypatch):
    """attention: auto switches a CPU bf16 run to eager (same losses as sdpa) and restores sdpa after."""
    from transformers.models.llama import modeling_llama

    tok, packed, teacher = world
    build_cache(teacher, packed, tmp_path / "cache", CacheSpec(k=16))
    used = []
    real = modeling_llama.eager_attention_forward
    monkeypatch.setattr(modeling_llama, "eager_attention_forward", lambda *a, **k: used.append(1) or real(*a, **k))
    cfg = TrainConfig(mode="offline", precision="bf16", max_steps=3, batch_size=8, lr=3e-3, warmup_steps=1, checkpoint_every=0)
    auto = tiny_llama(len(tok), 32, 2, seed=1)
    assert auto.config._attn_implementation == "sdpa"
    result = train(auto, LogitCache(tmp_path / "cache"), tmp_path / "auto", cfg, show_progress=False)
    assert used and auto.config._attn_implementation == "sdpa"  # trained eagerly, handed back on sdpa
    used.clear()
    sdpa = tiny_llama(len(tok), 32, 2, seed=1)
    forced = train(sdpa, LogitCache(tmp_path / "cache"), tmp_path / "sdpa", dataclasses.replace(cfg, attention="sdpa"), show_progress=False)
    assert not used
    np.testing.assert_allclose([h["loss"] for h in result.history], [h["loss"] for h in forced.history], rtol=0.02)
    with pytest.raises(TrainError, match="attention must be one of"):
        TrainConfig(attention="flash")


def test_fp32_run_keeps_the_models_attention(world, tmp_path, monkeypatch):
    from transformers.models.llama import modeling_llama

    tok, packed, _ = world
    used = []
    real = modeling_llama.eager_attention_forward
    monkeypatch.setattr(modeling_llama, "eager_attention_forward", lambda *a, **k: used.append(1) or real(*a, **k))
    cfg = TrainConfig(mode="ce", max_steps=2, batch_size=4, checkpoint_every=0)
    train(tiny_llama(len(tok), 32, 2), PackedSource(packed), tmp_path / "r", cfg, show_progress=False)
    assert not used
