"""Distillation losses: small pure functions over tensors, chosen by name in YAML (mergekit style).

Every *divergence* takes student and teacher **log-probabilities normalised over the last dim** and
returns one value per position (no reduction), so the same function serves

* dense logits (online mode: the teacher's full distribution over the vocabulary), and
* sparse targets from the offline cache, once they are turned into a small normalised distribution
  over the kept support (top-k renormalised, or top-k plus one "tail" bucket holding the rest).

Temperature is applied to *both* distributions and the result is multiplied by T² (Hinton et al. 2015),
so gradient magnitudes stay comparable across temperatures (TRL's GKD loss divides by its temperature
in the signature but its trainer never passes one; here it is honoured).

Sampled-token targets (Sparse Logit Sampling, Anshumann et al., ACL 2025) are not a distribution over a
support but a Monte-Carlo estimate: ``sampled_forward_kl`` is an unbiased estimator of the full forward KL.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from deshi.errors import DeshiError


class LossError(DeshiError):
    """Unknown loss name or a parameter outside its range."""


# --------------------------------------------------------------------------------------------------
# Divergences over normalised log-probabilities (last dim), one value per position.
# --------------------------------------------------------------------------------------------------


def forward_kl(student_lp: torch.Tensor, teacher_lp: torch.Tensor) -> torch.Tensor:
    """KL(p_teacher || q_student): mode-covering, the classic Hinton KD objective."""
    p = teacher_lp.exp()
    return (p * (teacher_lp - student_lp)).sum(-1)


def reverse_kl(student_lp: torch.Tensor, teacher_lp: torch.Tensor) -> torch.Tensor:
    """KL(q_student || p_teacher): mode-seeking (MiniLLM)."""
    q = student_lp.exp()
    return (q * (student_lp - teacher_lp)).sum(-1)


def _mix(a_lp: torch.Tensor, b_lp: torch.Tensor, weight_a: float) -> torch.Tensor:
    """log(w·a + (1-w)·b) computed in log space (stable for tiny probabilities)."""
    return torch.logsumexp(
        torch.stack([a_lp + math.log(weight_a), b_lp + math.log1p(-weight_a)]), dim=0
    )


def generalized_jsd(student_lp: torch.Tensor, teacher_lp: torch.Tensor, beta: float = 0.5) -> torch.Tensor:
    """GKD's generalised JSD: β·KL(p||m) + (1-β)·KL(q||m) with m = β·p + (1-β)·q.

    Same convention as TRL: β = 0 is forward KL and β = 1 reverse KL (the JSD itself vanishes at both
    ends; JSD/β → forward KL as β → 0 and JSD/(1-β) → reverse KL as β → 1).
    """
    if not 0.0 <= beta <= 1.0:
        raise LossError(f"generalized_jsd: beta must be in [0, 1] (got {beta})")
    if beta == 0.0:
        return forward_kl(student_lp, teacher_lp)
    if beta == 1.0:
        return reverse_kl(student_lp, teacher_lp)
    mixture = _mix(teacher_lp, student_lp, beta)
    return beta * forward_kl(mixture, teacher_lp) + (1.0 - beta) * forward_kl(mixture, student_lp)


def skew_kl(student_lp: torch.Tensor, teacher_lp: torch.Tensor, skew: float = 0.1) -> torch.Tensor:
    """Skew forward KL (DistiLLM): KL(p || s·p + (1-s)·q); s = 0 is forward KL. Bounded for s > 0."""
    if not 0.0 <= skew < 1.0:
        raise LossError(f"skew_kl: skew must be in [0, 1) (got {skew})")
    if skew == 0.0:
        return forward_kl(student_lp, teacher_lp)
    return forward_kl(_mix(teacher_lp, student_lp, skew), teacher_lp)


def skew_reverse_kl(student_lp: torch.Tensor, teacher_lp: torch.Tensor, skew: float = 0.1) -> torch.Tensor:
    """Skew reverse KL (DistiLLM): KL(q || s·q + (1-s)·p); s = 0 is reverse KL."""
    if not 0.0 <= skew < 1.0:
        raise LossError(f"skew_reverse_kl: skew must be in [0, 1) (got {skew})")
    if skew == 0.0:
        return reverse_kl(student_lp, teacher_lp)
    return forward_kl(_mix(student_lp, teacher_lp, skew), student_lp)


def taid_target(student_lp: torch.Tensor, teacher_lp: torch.Tensor, t: float) -> torch.Tensor:
    """TAID's intermediate target: softmax((1-t)·stopgrad(log q) + t·log p), in log space.

    Interpolating log-probabilities instead of logits differs by a per-row constant, which the softmax
    removes, so this works on sparse supports too.
    """
    return torch.log_softmax((1.0 - t) * student_lp.detach() + t * teacher_lp, dim=-1)


def taid(student_lp: torch.Tensor, teacher_lp: torch.Tensor, t: float = 1.0) -> torch.Tensor:
    """TAID (Shing et al., ICLR 2025): forward KL to a target moving from the student (t=0) to the teacher (t=1)."""
    if not 0.0 <= t <= 1.0:
        raise LossError(f"taid: t must be in [0, 1] (got {t})")
    return forward_kl(student_lp, taid_target(student_lp, teacher_lp, t))


DIVERGENCES: dict[str, Callable[..., torch.Tensor]] = {
    "forward_kl": forward_kl,
    "reverse_kl": reverse_kl,
    "generalized_jsd": generalized_jsd,
    "jsd": generalized_jsd,
    "skew_kl": skew_kl,
    "skew_reverse_kl": skew_reverse_kl,
    "taid": taid,
}

_PARAMS = {"generalized_jsd": "beta", "jsd": "beta", "skew_kl": "skew", "skew_reverse_kl": "skew", "taid": "t"}


@dataclass(frozen=True)
class LossSpec:
    """A named divergence with its parameter (β, skew or TAID's t schedule), temperature and CE mix α."""

    name: str = "forward_kl"
    temperature: float = 1.0
    alpha: float = 0.0  # weight of cross-entropy on labels: loss = α·CE + (1-α)·KD
    beta: float = 0.5
    skew: float = 0.1
    taid_t_start: float = 0.2
    taid_t_end: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in DIVERGENCES and self.name != "ce":
            raise LossError(f"unknown loss '{self.name}'; choose one of: ce, {', '.join(sorted(DIVERGENCES))}")
        if self.temperature <= 0:
            raise LossError(f"temperature must be > 0 (got {self.temperature})")
        if not 0.0 <= self.alpha <= 1.0:
            raise LossError(f"alpha must be in [0, 1] (got {self.alpha})")

    def divergence(self, progress: float = 1.0) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        """The divergence with its parameter bound; ``progress`` in [0, 1] drives TAID's linear t schedule."""
        fn = DIVERGENCES[self.name]
        param = _PARAMS.get(self.name)
        if param is None:
            return fn
        if param == "t":
            value = self.taid_t_start + (self.taid_t_end - self.taid_t_start) * min(max(progress, 0.0), 1.0)
        else:
            value = getattr(self, param)
        return lambda s, t: fn(s, t, value)


# --------------------------------------------------------------------------------------------------
# From logits / sparse targets to per-position divergences (temperature, T² scaling).
# --------------------------------------------------------------------------------------------------


def dense_kd(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    divergence: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    temperature: float = 1.0,
) -> torch.Tensor:
    """Per-position divergence between full distributions softened by T on both sides, times T²."""
    s = F.log_softmax(student_logits.float() / temperature, dim=-1)
    t = F.log_softmax(teacher_logits.float() / temperature, dim=-1)
    return divergence(s, t) * temperature**2


class _LogSoftmaxGather(torch.autograd.Function):
    """log_softmax(logits / T) at a few ids per row, with a fused backward.

    Hand-written because the autograd composition (logsumexp + gather) materialises three
    vocabulary-sized tensors in backward (softmax, a zero tensor for gather's scatter, their sum);
    the gradient is simply ``(onehot-scatter(g) - softmax · Σg) / T``, which needs one: this keeps a
    cached-logit step as cheap as a plain cross-entropy step.
    """

    @staticmethod
    def forward(ctx, logits: torch.Tensor, ids: torch.Tensor, temperature: float) -> torch.Tensor:
        z = logits if logits.dtype == torch.float64 else logits.float()
        if temperature != 1.0:
            z = z / temperature
        lse = torch.logsumexp(z, dim=-1, keepdim=True)
        ctx.save_for_backward(logits, ids, lse)
        ctx.temperature = temperature
        return z.gather(-1, ids) - lse

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        logits, ids, lse = ctx.saved_tensors
        temperature = ctx.temperature
        z = logits if logits.dtype == torch.float64 else logits.float()
        if temperature != 1.0:
            z = z / temperature
        out = torch.sub(z, lse).exp_()  # softmax, one vocabulary-sized allocation
        out.mul_(-grad.sum(-1, keepdim=True)).scatter_add_(-1, ids, grad)
        if temperature != 1.0:
            out.div_(temperature)
        return out.to(logits.dtype), None, None


def log_softmax_gather(logits: torch.Tensor, ids: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``log_softmax(logits / T, -1).gather(-1, ids)`` without materialising the log-softmax."""
    return _LogSoftmaxGather.apply(logits, ids.long(), float(temperature))


def sparse_kd(
    student_logits: torch.Tensor,
    ids: torch.Tensor,
    teacher_lp: torch.Tensor,
    divergence: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    temperature: float = 1.0,
    tail: bool = False,
    valid: torch.Tensor | None = None,
    student_at: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-position divergence over the teacher's kept top-k support (offline cache), times T².

    ``ids``/``teacher_lp`` ([..., k]) are the teacher's top-k token ids and their log-probabilities under
    the full vocabulary at T = 1 (as the cache stores them). ``valid`` ([..., k] bool) marks real
    entries when fewer than k were kept. Two ways to make a distribution of the support:

    * ``tail=False``: renormalise both teacher and student over the k kept tokens;
    * ``tail=True``: k + 1 buckets, the last holding all remaining mass (1 - Σ top-k) on each side —
      exact at T = 1; at T ≠ 1 the teacher's tail is softened as if it were one token (an approximation,
      since the cache no longer knows how the tail mass is spread).

    Efficient by construction: one logsumexp over the vocabulary, one gather of k columns, a fused
    backward; no loops. ``student_at`` (log q_T at ``ids``) may be passed when the caller computed it.
    """
    if student_at is None:
        student_at = log_softmax_gather(student_logits, ids, temperature)  # log q_T(id), full vocabulary
    teacher = teacher_lp.float()
    neg = torch.finfo(torch.float32).min / 4
    if valid is not None:
        student_at = student_at.masked_fill(~valid, neg)
        teacher = teacher.masked_fill(~valid, neg)
    if tail:
        teacher_tail = torch.log1p(-teacher.exp().sum(-1, keepdim=True).clamp(max=1 - 1e-6))
        student_tail = torch.log1p(-student_at.exp().sum(-1, keepdim=True).clamp(max=1 - 1e-6))
        teacher_b = torch.cat([teacher, teacher_tail], dim=-1) / temperature
        teacher_b = torch.log_softmax(teacher_b, dim=-1)
        student_b = torch.cat([student_at, student_tail], dim=-1)
        value = divergence(student_b, teacher_b)
    else:
        teacher_k = torch.log_softmax(teacher / temperature, dim=-1)
        student_k = torch.log_softmax(student_at, dim=-1)
        value = divergence(student_k, teacher_k)
    return value * temperature**2


def sampled_forward_kl(
    student_logits: torch.Tensor,
    ids: torch.Tensor,
    teacher_lp: torch.Tensor,
    weights: torch.Tensor,
    temperature: float = 1.0,
    student_at: torch.Tensor | None = None,
) -> torch.Tensor:
    """Unbiased Monte-Carlo estimate of KL(p_T || q_T)·T² from tokens sampled from the teacher.

    Sparse Logit Sampling (Anshumann et al., ACL 2025): draw N tokens from a proposal r (here the
    teacher's own softened distribution p_T, so the importance weight p/r is 1) and keep, for each
    distinct id, weight = count/N · p/r. Then Σ_j w_j·(log p_j − log q_j) has expectation exactly
    Σ_i p_i·(log p_i − log q_i): the full-vocabulary KL, and its gradient, without the bias plain top-k
    truncation introduces. ``teacher_lp`` holds log p_T at the sampled ids (already softened at build
    time); padded entries carry weight 0.
    """
    if student_at is None:
        student_at = log_softmax_gather(student_logits, ids, temperature)
    w = weights.float()
    return (w * (teacher_lp.float() - student_at)).sum(-1) * temperature**2


def token_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-position cross-entropy on hard labels (ignore_index -100 gives 0 there)."""
    flat = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1), reduction="none", ignore_index=-100)
    return flat.reshape(labels.shape)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over positions where ``mask`` is true; 0 (with a gradient path) when nothing is masked in."""
    mask = mask.to(values.dtype)
    return (values * mask).sum() / mask.sum().clamp_min(1.0)


def check_vocab(student_vocab: int, teacher_vocab: int) -> None:
    """Logit losses compare distributions token by token: the vocabularies must be the same size."""
    if student_vocab != teacher_vocab:
        raise LossError(
            f"teacher and student vocabularies differ: teacher has {teacher_vocab} tokens, student has "
            f"{student_vocab}; logit distillation needs a shared tokenizer (train the student with the "
            "teacher's tokenizer, or use `loss: ce` on the synthetic set for sequence-level distillation)"
        )


# --------------------------------------------------------------------------------------------------
# Chunked fused LM head + loss (Liger-style): never materialise the (tokens × vocab) logits.
# --------------------------------------------------------------------------------------------------

#: Architectures whose logits are exactly ``lm_head(final hidden state)`` (no soft-capping, no logit
#: scale): only for these may the loss take the hidden states and the head weight directly.
FUSED_HEAD_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})


class _ChunkedHeadLoss(torch.autograd.Function):
    """Scalar loss of ``log_softmax(hidden @ W.T)`` gathered at a few ids per row, computed chunk by chunk.

    Hand-written (after Liger Kernel's fused linear cross-entropy) because the composition
    ``lm_head → slice → log-softmax-gather → loss`` keeps the full (tokens × vocab) logits alive for
    backward and sweeps them several times (logsumexp, softmax recomputation, the zero-filled slice
    gradient). Here each chunk of rows is handled once, while it is hot in cache: logits, one ``exp``,
    the gathered log-probabilities, the gradient of the (cheap, k-sized) loss w.r.t. them via autograd,
    and from it the gradient w.r.t. the logits — ``scatter(g) − softmax·Σg`` — which is immediately
    folded into the gradients of the hidden states and the head weight. Forward therefore already
    computes the gradients; backward only scales them by the incoming gradient (a scalar).
    """

    @staticmethod
    def forward(ctx, hidden, weight, ids, row_loss, chunk: int, parts: dict[str, torch.Tensor], matmul_dtype=None):
        n = hidden.size(0)
        grad_hidden = torch.empty(hidden.shape, dtype=torch.float32, device=hidden.device)
        grad_weight = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
        total = hidden.new_zeros((), dtype=torch.float32)
        low = matmul_dtype is not None and matmul_dtype != torch.float32
        # bf16: cast the head and the hidden states once; each product is accumulated in fp32 by the
        # kernel and only its output is rounded, the same numerics as an autocast ``lm_head``.
        w_mm = weight.detach().to(matmul_dtype) if low else weight.detach().float()
        h_all = hidden.detach().to(matmul_dtype) if low else hidden.detach().float()
        for start in range(0, n, chunk):
            end = min(n, start + chunk)
            h = h_all[start:end]
            z = (h @ w_mm.t()).float()
            top = z.amax(-1, keepdim=True)
            e = torch.sub(z, top).exp_()  # the chunk's only vocabulary-sized allocation besides z
            norm = e.sum(-1, keepdim=True)
            lse = top + norm.log()
            idx = ids[start:end]
            at = (z.gather(-1, idx) - lse).detach().requires_grad_(True)
            del z
            with torch.enable_grad():
                value, chunk_parts = row_loss(at, start, end)
                (g,) = torch.autograd.grad(value, at, allow_unused=True)
            if g is None:  # nothing in this chunk counts (all positions masked)
                g = torch.zeros_like(at)
            total += value.detach()
            for key, part in chunk_parts.items():  # summed as tensors: one host sync per key, at the end
                parts[key] = parts[key] + part if key in parts else part
            e.mul_(-(g.sum(-1, keepdim=True) / norm)).scatter_add_(-1, idx, g)  # d loss / d logits
            if low:
                e_mm = e.to(matmul_dtype)
                del e
                grad_hidden[start:end] = e_mm @ w_mm
                grad_weight += e_mm.t() @ h
            else:
                torch.mm(e, w_mm, out=grad_hidden[start:end])
                grad_weight.addmm_(e.t(), h)
        ctx.save_for_backward(grad_hidden.to(hidden.dtype), grad_weight.to(weight.dtype))
        return total

    @staticmethod
    def backward(ctx, grad_output):
        grad_hidden, grad_weight = ctx.saved_tensors
        return grad_hidden * grad_output, grad_weight * grad_output, None, None, None, None, None


def chunked_head_loss(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    ids: torch.Tensor,
    row_loss: Callable[[torch.Tensor, int, int], tuple[torch.Tensor, dict[str, torch.Tensor]]],
    chunk: int = 512,
    matmul_dtype: torch.dtype | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """``Σ_chunks row_loss(log_softmax(hidden @ weight.T).gather(-1, ids)[rows], rows)`` with fused gradients.

    ``hidden`` [N, H] and ``weight`` [V, H] (fp32); ``ids`` [N, m]. ``row_loss(at, start, end)`` gets the
    gathered log-probabilities of rows ``start:end`` (requires grad) and returns that chunk's share of
    the scalar loss (already divided by any global normaliser) plus detached parts for logging, summed
    over chunks. Equivalent, up to float rounding, to computing the full logits first.

    ``matmul_dtype=torch.bfloat16`` runs the three head matrix multiplies in bf16 (what autocast does
    to ``lm_head``) while the softmax, the loss and the gradients it returns stay fp32.
    """
    parts: dict[str, torch.Tensor] = {}
    loss = _ChunkedHeadLoss.apply(hidden, weight, ids.long(), row_loss, int(chunk), parts, matmul_dtype)
    return loss, {key: float(value) for key, value in parts.items()}
