"""Distillation losses checked against hand computations on small tensors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from deshi.distill import losses as L


@pytest.fixture()
def logits():
    g = torch.Generator().manual_seed(0)
    student = torch.randn(3, 5, 11, generator=g)
    teacher = torch.randn(3, 5, 11, generator=g) * 2
    return student, teacher


def test_forward_kl_with_temperature_matches_kl_div_times_t_squared(logits):
    student, teacher = logits
    T = 2.5
    ours = L.dense_kd(student, teacher, L.forward_kl, T)
    ref = F.kl_div(
        F.log_softmax(student / T, -1), F.log_softmax(teacher / T, -1), reduction="none", log_target=True
    ).sum(-1) * T**2
    assert torch.allclose(ours, ref, atol=1e-5)
    # the temperature really changes the value (TRL's GKD loss silently uses T = 1)
    assert not torch.allclose(ours, L.dense_kd(student, teacher, L.forward_kl, 1.0))


def test_reverse_kl_by_hand():
    q = torch.tensor([0.5, 0.25, 0.25])
    p = torch.tensor([0.25, 0.5, 0.25])
    expected = 0.5 * math.log(2) + 0.25 * math.log(0.5) + 0
    assert L.reverse_kl(q.log(), p.log()).item() == pytest.approx(expected, abs=1e-6)
    assert L.forward_kl(q.log(), p.log()).item() == pytest.approx(0.25 * math.log(0.5) + 0.5 * math.log(2), abs=1e-6)


def test_jsd_endpoints_and_limits(logits):
    student, teacher = logits
    s, t = F.log_softmax(student, -1), F.log_softmax(teacher, -1)
    assert torch.allclose(L.generalized_jsd(s, t, 0.0), L.forward_kl(s, t))
    assert torch.allclose(L.generalized_jsd(s, t, 1.0), L.reverse_kl(s, t))
    eps = 1e-4
    assert torch.allclose(L.generalized_jsd(s, t, eps) / eps, L.forward_kl(s, t), rtol=2e-2, atol=1e-3)
    assert torch.allclose(L.generalized_jsd(s, t, 1 - eps) / eps, L.reverse_kl(s, t), rtol=2e-2, atol=1e-3)
    # symmetric JSD at 0.5 is bounded by log 2 and symmetric in its arguments
    mid = L.generalized_jsd(s, t, 0.5)
    assert (mid <= math.log(2) + 1e-6).all() and (mid >= 0).all()
    assert torch.allclose(mid, L.generalized_jsd(t, s, 0.5), atol=1e-6)


def test_jsd_matches_trl_formula(logits):
    student, teacher = logits
    beta = 0.3
    s, t = F.log_softmax(student, -1), F.log_softmax(teacher, -1)
    m = torch.log((1 - beta) * s.exp() + beta * t.exp())
    ref = beta * F.kl_div(m, t, reduction="none", log_target=True).sum(-1) + (1 - beta) * F.kl_div(
        m, s, reduction="none", log_target=True
    ).sum(-1)
    assert torch.allclose(L.generalized_jsd(s, t, beta), ref, atol=1e-6)


def test_skew_kl_zero_is_forward_and_skew_is_bounded(logits):
    student, teacher = logits
    s, t = F.log_softmax(student, -1), F.log_softmax(teacher, -1)
    assert torch.allclose(L.skew_kl(s, t, 0.0), L.forward_kl(s, t))
    assert torch.allclose(L.skew_reverse_kl(s, t, 0.0), L.reverse_kl(s, t))
    # KL(p || a p + (1-a) q) <= log(1/a)
    assert (L.skew_kl(s, t, 0.2) <= math.log(1 / 0.2) + 1e-6).all()
    assert (L.skew_kl(s, t, 0.2) < L.forward_kl(s, t)).all()


def test_taid_interpolates_between_student_and_teacher(logits):
    student, teacher = logits
    s, t = F.log_softmax(student, -1), F.log_softmax(teacher, -1)
    assert torch.allclose(L.taid(s, t, 1.0), L.forward_kl(s, t), atol=1e-6)
    assert torch.allclose(L.taid(s, t, 0.0), torch.zeros(3, 5), atol=1e-6)
    # the target is detached from the student: the gradient flows only through log q
    student = student.clone().requires_grad_(True)
    L.taid(F.log_softmax(student, -1), t, 0.5).sum().backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    spec = L.LossSpec("taid", taid_t_start=0.2, taid_t_end=1.0)
    assert torch.allclose(spec.divergence(0.0)(s, t), L.taid(s, t, 0.2))
    assert torch.allclose(spec.divergence(0.5)(s, t), L.taid(s, t, 0.6))


def test_sparse_full_support_equals_dense(logits):
    student, teacher = logits
    V = teacher.size(-1)
    lp = F.log_softmax(teacher, -1)
    ids = torch.arange(V).expand(3, 5, V)
    for name in ("forward_kl", "reverse_kl", "generalized_jsd"):
        div = L.LossSpec(name).divergence()
        dense = L.dense_kd(student, teacher, div, 2.0)
        sparse = L.sparse_kd(student, ids, lp, div, 2.0)
        assert torch.allclose(dense, sparse, atol=1e-5), name


def test_sparse_topk_renormalised_and_tail_by_hand():
    student = torch.tensor([[2.0, 1.0, 0.0, -1.0]])
    teacher = torch.tensor([[3.0, 0.5, 0.0, -2.0]])
    lp = F.log_softmax(teacher, -1)
    ids = torch.tensor([[0, 1]])
    kept = lp.gather(-1, ids)
    # renormalised over {0, 1}
    p = kept.exp() / kept.exp().sum()
    qs = F.softmax(student, -1)[0, :2]
    q = qs / qs.sum()
    expected = (p * (p.log() - q.log())).sum()
    got = L.sparse_kd(student, ids, kept, L.forward_kl, 1.0)
    assert got.item() == pytest.approx(expected.item(), abs=1e-6)
    # tail bucket: 3 buckets, exact at T = 1
    pt = torch.cat([kept.exp()[0], 1 - kept.exp().sum(-1)])
    qt = torch.cat([qs, 1 - qs.sum(-1, keepdim=True)])
    expected_tail = (pt * (pt.log() - qt.log())).sum()
    got_tail = L.sparse_kd(student, ids, kept, L.forward_kl, 1.0, tail=True)
    assert got_tail.item() == pytest.approx(expected_tail.item(), abs=1e-5)


def test_sparse_invalid_entries_are_ignored():
    student = torch.randn(2, 7)
    lp = F.log_softmax(torch.randn(2, 7), -1)
    ids = torch.tensor([[0, 3, 5], [1, 2, 2]])
    valid = torch.tensor([[True, True, True], [True, True, False]])
    got = L.sparse_kd(student, ids, lp.gather(-1, ids), L.forward_kl, 1.0, valid=valid)
    ref_row = L.sparse_kd(student[1:], ids[1:, :2], lp[1:].gather(-1, ids[1:, :2]), L.forward_kl, 1.0)
    assert got[1].item() == pytest.approx(ref_row.item(), abs=1e-5)


def test_sampled_estimator_is_unbiased_monte_carlo():
    """Mean of the Sparse-Logit-Sampling estimate over many draws equals the full-vocabulary KL."""
    g = torch.Generator().manual_seed(1)
    V, n_draws, reps = 12, 8, 20000
    student = torch.randn(V, generator=g)
    teacher = torch.randn(V, generator=g) * 1.5
    T = 1.5
    p_T = F.softmax(teacher / T, -1)
    lp_T = F.log_softmax(teacher / T, -1)
    exact = L.dense_kd(student, teacher, L.forward_kl, T).item()
    draws = torch.multinomial(p_T.expand(reps, V), n_draws, replacement=True, generator=g)  # [reps, n]
    counts = F.one_hot(draws, V).sum(1).float()  # [reps, V]
    weights = counts / n_draws
    ids = torch.arange(V).expand(reps, V)
    estimates = L.sampled_forward_kl(student.expand(reps, V), ids, lp_T.expand(reps, V), weights, T)
    stderr = estimates.std().item() / math.sqrt(reps)
    assert abs(estimates.mean().item() - exact) < 4 * stderr + 1e-4
    # whereas top-k truncation with the same number of kept ids is biased
    k = n_draws
    top = lp_T.topk(k)
    biased = L.sparse_kd(student, top.indices, teacher.log_softmax(-1)[top.indices], L.forward_kl, T).item()
    assert abs(biased - exact) > 4 * stderr


def test_ce_and_masked_mean():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 2.0]]])
    labels = torch.tensor([[0, -100]])
    ce = L.token_cross_entropy(logits, labels)
    assert ce[0, 0].item() == pytest.approx(-math.log(math.exp(2) / (math.exp(2) + 1)), abs=1e-6)
    assert ce[0, 1].item() == 0.0
    assert L.masked_mean(ce, labels != -100).item() == pytest.approx(ce[0, 0].item())


def test_errors_name_the_problem():
    with pytest.raises(L.LossError, match="unknown loss 'fkl'"):
        L.LossSpec("fkl")
    with pytest.raises(L.LossError, match="beta"):
        L.generalized_jsd(torch.zeros(2), torch.zeros(2), 1.5)
    with pytest.raises(L.LossError, match="teacher has 100 tokens, student has 90"):
        L.check_vocab(90, 100)


@pytest.mark.parametrize("T", [1.0, 2.0])
def test_fused_log_softmax_gather_matches_autograd(T):
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 3, 50, generator=g, dtype=torch.float64, requires_grad=True)
    ids = torch.randint(0, 50, (2, 3, 6), generator=g)
    assert torch.autograd.gradcheck(lambda z: L.log_softmax_gather(z, ids, T), (logits,))
    ref = F.log_softmax(logits / T, -1).gather(-1, ids)
    assert torch.allclose(L.log_softmax_gather(logits, ids, T), ref)


@pytest.mark.parametrize(
    "mode,loss,alpha,method",
    [("ce", "forward_kl", 0.0, "topk"), ("offline", "forward_kl", 0.5, "topk"), ("offline", "generalized_jsd", 0.0, "topk"),
     ("offline", "taid", 0.3, "topk"), ("offline", "forward_kl", 0.2, "sampled")],
)
def test_chunked_fused_head_gives_the_same_loss_and_gradients(mode, loss, alpha, method):
    """The fused path (no full logits) must be the same objective as logits → log-softmax → loss."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from deshi.distill.trainer import TrainConfig, compute_loss, fused_head_ok

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True))
    x = torch.randint(0, 300, (3, 20))
    mask = torch.ones_like(x, dtype=torch.uint8)
    mask[:, :5] = 0  # completion-only style: masked positions must not count
    values, ids = torch.log_softmax(torch.randn(3, 19, 300), -1).topk(8, -1)
    batch = {"input_ids": x, "loss_mask": mask, "ids": ids, "values": values, "weights": torch.rand(3, 19, 8)}
    cfg = TrainConfig(mode=mode, loss=L.LossSpec(loss, alpha=alpha), fused_chunk=7)  # chunks that do not divide the rows
    assert fused_head_ok(model, cfg)
    results = []
    for body in (None, model.model):
        model.zero_grad()
        value, parts = compute_loss(model, batch, cfg, progress=0.4, cache_method=method, body=body)
        value.backward()
        results.append((value.item(), {k: float(v) for k, v in parts.items()}, [p.grad.clone() for p in model.parameters()]))
    (ref, ref_parts, ref_grads), (fused, fused_parts, fused_grads) = results
    assert fused == pytest.approx(ref, rel=1e-5)
    assert fused_parts == pytest.approx(ref_parts, rel=1e-5)
    for a, b in zip(ref_grads, fused_grads, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("mode,loss,alpha", [("ce", "forward_kl", 0.0), ("offline", "generalized_jsd", 0.3)])
def test_bf16_fused_head_matches_the_autocast_model_path(mode, loss, alpha):
    """``precision: bf16`` through the fused head trains the same objective as the autocast model + loss.

    Both round the head's products to bf16, in different orders, so they agree to bf16 precision (not
    bit-for-bit); both stay close to the fp32 objective, and the gradients point the same way.
    """
    from transformers import LlamaConfig, LlamaForCausalLM

    from deshi.distill.trainer import TrainConfig, compute_loss, fused_head_ok

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True))
    x = torch.randint(0, 300, (3, 20))
    values, ids = torch.log_softmax(2 * torch.randn(3, 19, 300), -1).topk(8, -1)
    batch = {"input_ids": x, "loss_mask": torch.ones_like(x, dtype=torch.uint8), "ids": ids, "values": values}
    results = {}
    for name, precision, body in (("fp32", "fp32", None), ("autocast", "bf16", None), ("fused", "bf16", model.model)):
        cfg = TrainConfig(mode=mode, loss=L.LossSpec(loss, alpha=alpha), fused_chunk=7, precision=precision)
        assert fused_head_ok(model, cfg)
        model.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            value, _ = compute_loss(model, batch, cfg, progress=0.4, body=body)
            value.backward()
        assert value.dtype == torch.float32
        grads = torch.cat([p.grad.flatten() for p in model.parameters()])
        assert grads.dtype == torch.float32 and torch.isfinite(grads).all()
        results[name] = (value.item(), grads)
    (ref, g_ref), (auto, g_auto), (fused, g_fused) = results["fp32"], results["autocast"], results["fused"]
    assert fused == pytest.approx(auto, rel=2e-2)
    assert fused == pytest.approx(ref, rel=2e-2)
    assert F.cosine_similarity(g_fused, g_auto, dim=0) > 0.99
    assert F.cosine_similarity(g_fused, g_ref, dim=0) > 0.99


def test_fused_head_is_only_used_where_it_is_exact():
    from transformers import LlamaConfig, LlamaForCausalLM

    from deshi.distill.trainer import TrainConfig, fused_head_ok

    model = LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
    assert fused_head_ok(model, TrainConfig(mode="offline"))
    assert not fused_head_ok(model, TrainConfig(mode="offline", loss=L.LossSpec("forward_kl", temperature=2.0)))
    assert fused_head_ok(model, TrainConfig(mode="offline", precision="bf16"))  # bf16 head matmuls, fp32 loss
    assert not fused_head_ok(model, TrainConfig(mode="offline", fused_head=False))
    model.config.model_type = "gemma2"  # soft-capped logits: lm_head(hidden) is not the whole story
    assert not fused_head_ok(model, TrainConfig(mode="offline"))
