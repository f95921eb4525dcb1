"""The training loop, in one readable file (nanoGPT style): CE pre-training, online and offline distillation.

Everything a run does is visible below, top to bottom:

* data: packed blocks (``packing.Packed``) or a logit cache (``logit_cache.LogitCache``), read in a
  deterministic order — epoch permutations from the seed, sliced by a global sample cursor, each
  process of ``accelerate launch`` taking its own disjoint slice;
* loss per micro-batch: cross-entropy on labels (``mode=ce``), or α·CE + (1-α)·KD where KD compares
  the student with the teacher's full logits (``online``: a teacher forward per batch) or with the
  cached sparse targets (``offline``: the teacher is never loaded); with probability λ a batch is
  on-policy — the student continues the block's prefix and the teacher scores what it wrote (GKD);
* AdamW, linear warm-up then cosine decay, gradient accumulation, gradient clipping;
* evaluation loss every ``eval_every`` steps, a checkpoint every ``checkpoint_every`` steps
  (model, optimizer, scheduler and RNG via ``Accelerator.save_state`` plus the data cursor), written
  to ``step-N.tmp`` and renamed, so a SIGKILL at any moment leaves the last complete checkpoint intact.
  Re-running the same command continues from it; per-step seeding makes the continuation identical.

Why hand-written and not ``transformers.Trainer``: offline sparse targets, on-policy batches and a
loss chosen by name need a loop you can read and change; Trainer would hide all of it in callbacks.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from deshi.distill import attention
from deshi.distill import losses as L
from deshi.distill.packing import (
    Packed,
    block_isolation,
    block_position_ids,
    isolation_kwargs,
    isolation_plan,
    labels_from,
)
from deshi.errors import DeshiError
from deshi.log import get_logger

log = get_logger("distill.trainer")

MODES = ("ce", "online", "offline")


class TrainError(DeshiError):
    """A training run cannot start or continue as configured."""


@dataclass
class TrainConfig:
    mode: str = "offline"
    loss: L.LossSpec = field(default_factory=L.LossSpec)
    tail: bool = True  # offline top-k: k kept ids + one bucket for the rest (exact at T=1); False renormalises over the k
    batch_size: int = 8
    grad_accum: int = 1
    max_steps: int = 100
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 10
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    eval_every: int = 50
    eval_batches: int = 8
    checkpoint_every: int = 50  # 0: never (benchmarks)
    keep_checkpoints: int = 2
    precision: str = "fp32"  # fp32 | bf16
    on_policy_fraction: float = 0.0  # λ: share of batches the student writes and the teacher scores
    on_policy_prefix: int = 32  # tokens of the block kept as prompt in an on-policy batch
    on_policy_temperature: float = 1.0
    seed: int = 0
    fused_head: bool = True  # chunked fused LM head + loss where supported (same loss, less memory traffic)
    fused_chunk: int = 512  # rows (token positions) per chunk of the fused head
    compile: bool = False  # torch.compile the student's decoder (falls back to eager if compilation fails)
    attention: str = "auto"  # student attention while training: auto (eager for bf16 on CPU, else the model's) | sdpa | eager
    log_every: int = 1
    isolate_examples: float = 0.0  # share of blocks whose examples attend only to themselves (packing.isolation_plan)
    fingerprint: str = ""  # identity of model init + data (+ teacher): a checkpoint resumes only the same run

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise TrainError(f"mode must be one of {MODES} (got {self.mode!r})")
        if self.precision not in ("fp32", "bf16"):
            raise TrainError(f"precision must be fp32 or bf16 (got {self.precision!r})")
        if not 0.0 <= float(self.isolate_examples) <= 1.0:
            raise TrainError(f"isolate_examples must be in [0, 1] (got {self.isolate_examples})")
        if not 0.0 <= self.on_policy_fraction <= 1.0:
            raise TrainError(f"on_policy_fraction must be in [0, 1] (got {self.on_policy_fraction})")
        if self.attention not in attention.CHOICES:
            raise TrainError(f"attention must be one of {attention.CHOICES} (got {self.attention!r})")


@dataclass
class TrainResult:
    steps: int
    resumed_from: int | None
    final_train_loss: float
    final_eval_loss: float | None
    tokens: int
    seconds: float
    tokens_per_second: float
    history: list[dict[str, Any]]


# ---------------------------------------------------------------------------------------------- data


class PackedSource:
    """Packed blocks as a random-access source (the ``ce`` and ``online`` modes)."""

    def __init__(self, packed: Packed):
        self.packed = packed

    def __len__(self) -> int:
        return len(self.packed)

    def get(self, indices) -> dict[str, torch.Tensor]:
        idx = np.asarray(indices)
        return {
            "input_ids": torch.from_numpy(self.packed.input_ids[idx].astype(np.int64)),
            "loss_mask": torch.from_numpy(self.packed.loss_mask[idx]),
        }


class Order:
    """Deterministic sample order: position p of the global stream is perm(epoch)[p % n]."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed, self._perms = n, seed, {}

    def indices(self, start: int, count: int) -> list[int]:
        out = []
        for p in range(start, start + count):
            epoch, offset = divmod(p, self.n)
            if epoch not in self._perms:
                self._perms = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n)}
            out.append(int(self._perms[epoch][offset]))
        return out


# ---------------------------------------------------------------------------------------------- loss


def fused_head_ok(model, cfg: TrainConfig) -> bool:
    """Whether the chunked fused head may replace ``model(...).logits`` for this model and run.

    Only for plain (unwrapped) models of architectures whose logits are exactly ``lm_head(hidden)``;
    distributed wrappers must see their own forward (gradient sync), and other heads (soft-capping,
    logit scales, biases) would not be reproduced. With ``precision: bf16`` the head's matrix
    multiplies run in bf16 like the rest of the autocast model; softmax and loss stay fp32.
    """
    if not cfg.fused_head or cfg.mode not in ("ce", "offline") or model is not unwrap(model):
        return False  # online KD needs the student's full logits next to the teacher's
    if cfg.mode == "offline" and cfg.loss.temperature != 1.0:
        return False  # CE needs log q at T=1 and KD at T: the fused pass computes one temperature
    head = getattr(model, "lm_head", None)
    config = getattr(model, "config", None)
    return (
        isinstance(head, torch.nn.Linear)
        and head.bias is None
        and isinstance(getattr(model, "model", None), torch.nn.Module)
        and getattr(config, "model_type", None) in L.FUSED_HEAD_MODEL_TYPES
    )


def _fused_loss(model, body, batch, labels, valid, cfg: TrainConfig, progress: float, cache_method: str):
    """The ``ce`` / ``offline`` loss through the chunked fused head (``losses.chunked_head_loss``)."""
    x = batch["input_ids"]
    hidden = body(input_ids=x, **isolation_kwargs(batch.get("position_ids"))).last_hidden_state[:, :-1]
    flat_hidden = hidden.reshape(-1, hidden.size(-1))
    flat_labels = labels.reshape(-1, 1).clamp_min(0)
    flat_valid = valid.reshape(-1).float()
    count = flat_valid.sum().clamp_min(1.0)
    spec = cfg.loss
    if cfg.mode == "ce":
        ids = flat_labels

        def row_loss(at, s, e):
            ce = (-at[:, 0] * flat_valid[s:e]).sum() / count
            return ce, {"ce": ce.detach()}

    else:
        k = batch["ids"].size(-1)
        kid = batch["ids"].reshape(-1, k)
        kval = batch["values"].reshape(-1, k)
        kw = batch["weights"].reshape(-1, k) if cache_method == "sampled" else None
        ids = torch.cat([kid.long(), flat_labels], -1)
        need_ce = spec.alpha > 0
        divergence = spec.divergence(progress)

        def row_loss(at, s, e):
            student_at, v = at[:, :-1], flat_valid[s:e]
            ce = (-at[:, -1] * v).sum() / count
            if cache_method == "sampled":
                kd_tok = L.sampled_forward_kl(None, kid[s:e], kval[s:e], kw[s:e], spec.temperature, student_at=student_at)
            else:
                kd_tok = L.sparse_kd(None, kid[s:e], kval[s:e], divergence, spec.temperature, tail=cfg.tail, student_at=student_at)
            kd = (kd_tok * v).sum() / count
            loss = spec.alpha * ce + (1.0 - spec.alpha) * kd if need_ce else kd
            return loss, {"ce": ce.detach(), "kd": kd.detach()}

    weight = model.lm_head.weight
    matmul_dtype = torch.bfloat16 if cfg.precision == "bf16" else None
    loss, parts = L.chunked_head_loss(flat_hidden, weight, ids, row_loss, cfg.fused_chunk, matmul_dtype)
    return loss, parts


def compute_loss(
    model,
    batch: dict[str, torch.Tensor],
    cfg: TrainConfig,
    teacher=None,
    progress: float = 1.0,
    cache_method: str = "topk",
    body=None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Loss of one micro-batch and its parts (for logging).

    ``body`` (the model's decoder, possibly compiled) selects the chunked fused head for ``ce`` and
    ``offline`` batches; callers pass it only when ``fused_head_ok`` holds.
    """
    x = batch["input_ids"]
    labels = labels_from(x, batch["loss_mask"])
    valid = labels != -100
    if body is not None and "teacher_logits" not in batch:
        return _fused_loss(model, body, batch, labels, valid, cfg, progress, cache_method)
    isolation = isolation_kwargs(batch.get("position_ids"))
    logits = model(input_ids=x, **isolation).logits[:, :-1]
    spec = cfg.loss
    need_ce = cfg.mode == "ce" or spec.alpha > 0
    student_at = None
    if cfg.mode == "offline" and "teacher_logits" not in batch and spec.temperature == 1.0:
        # one fused pass gives log q at the cached ids *and* at the label: KD and CE share the logsumexp
        both = L.log_softmax_gather(logits, torch.cat([batch["ids"], labels.clamp_min(0).unsqueeze(-1)], -1))
        student_at = both[..., :-1]
        ce_tok = -both[..., -1]
        ce = L.masked_mean(ce_tok if need_ce else ce_tok.detach(), valid)
    elif need_ce:
        ce = L.masked_mean(L.token_cross_entropy(logits, labels), valid)
    else:
        with torch.no_grad():
            ce = L.masked_mean(L.token_cross_entropy(logits.detach(), labels), valid)
    if cfg.mode == "ce":
        return ce, {"ce": ce.item()}
    divergence = spec.divergence(progress)
    if "teacher_logits" in batch:
        kd_tok = L.dense_kd(logits, batch["teacher_logits"], divergence, spec.temperature)
    elif cfg.mode == "online":
        with torch.no_grad():
            teacher_logits = teacher(input_ids=x, **isolation).logits[:, :-1]
        kd_tok = L.dense_kd(logits, teacher_logits, divergence, spec.temperature)
    elif cache_method == "sampled":
        kd_tok = L.sampled_forward_kl(
            logits, batch["ids"], batch["values"], batch["weights"], spec.temperature, student_at=student_at
        )
    else:
        kd_tok = L.sparse_kd(logits, batch["ids"], batch["values"], divergence, spec.temperature, tail=cfg.tail, student_at=student_at)
    kd = L.masked_mean(kd_tok, valid)
    loss = spec.alpha * ce + (1.0 - spec.alpha) * kd if need_ce else kd
    return loss, {"ce": ce.item(), "kd": kd.item()}


def on_policy_batch(model, teacher, batch, cfg: TrainConfig, eos_id: int | None) -> dict[str, torch.Tensor]:
    """GKD's on-policy step: the student continues each block's prefix; the teacher scores the result.

    Only the generated tokens are trained on (the prefix is masked out); the teacher's full logits ride
    along in the batch, so the loss is the dense divergence on the student's own samples.
    """
    x = batch["input_ids"]
    prefix = max(1, min(cfg.on_policy_prefix, x.size(1) - 1))
    unwrapped = getattr(model, "module", model)
    was_training = unwrapped.training
    unwrapped.eval()
    with torch.no_grad():
        generated = unwrapped.generate(
            input_ids=x[:, :prefix],
            attention_mask=torch.ones_like(x[:, :prefix]),
            max_new_tokens=x.size(1) - prefix,
            min_new_tokens=x.size(1) - prefix,
            do_sample=True,
            temperature=cfg.on_policy_temperature,
            top_k=0,
            pad_token_id=eos_id if eos_id is not None else 0,
        )
        teacher_logits = teacher(input_ids=generated).logits[:, :-1]
    unwrapped.train(was_training)
    mask = torch.ones_like(generated, dtype=torch.uint8)
    mask[:, :prefix] = 0
    return {"input_ids": generated, "loss_mask": mask, "teacher_logits": teacher_logits}


@torch.no_grad()
def evaluate(
    model, source, batch_size: int, max_batches: int, accelerator=None, isolate_eos: int | None = None, isolate_fraction: float = 1.0
) -> float:
    """Mean next-token cross-entropy over (up to) ``max_batches`` batches of held-out blocks.

    ``isolate_eos``: score the examples of ``isolate_fraction`` of the blocks (``packing.isolation_plan``)
    each on its own, as trained with ``isolate_examples``.
    """
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    n = len(source)
    plan = isolation_plan(n, isolate_fraction) if isolate_eos is not None else None
    for start in range(0, min(n, batch_size * max_batches), batch_size):
        rows = list(range(start, min(n, start + batch_size)))
        batch = source.get(rows)
        x = batch["input_ids"]
        if accelerator is not None:
            x = x.to(accelerator.device)
        labels = labels_from(x, batch["loss_mask"].to(x.device))
        isolation = block_isolation(x, isolate_eos, plan[rows]) if plan is not None else {}
        logits = model(input_ids=x, **isolation).logits[:, :-1]
        tok = L.token_cross_entropy(logits, labels)
        valid = labels != -100
        total += float(tok[valid].sum())
        count += int(valid.sum())
    model.train(was_training)
    return total / max(count, 1)


# ---------------------------------------------------------------------------------------------- checkpoints


def _checkpoints(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    done = [p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-") and not p.name.endswith(".tmp")]
    return sorted(done, key=lambda p: int(p.name.split("-")[1]))


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = [p for p in _checkpoints(run_dir / "checkpoints") if (p / "cursor.json").is_file()]
    return found[-1] if found else None


def _save_checkpoint(accelerator, run_dir: Path, step: int, cursor: dict[str, Any], keep: int) -> Path:
    root = run_dir / "checkpoints"
    final = root / f"step-{step:07d}"
    tmp = root / f"step-{step:07d}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    # Tied input/output embeddings share one tensor, which safetensors stores once; accelerate warns
    # "Removed shared tensor {'lm_head.weight'}" at every checkpoint. It is benign here: resume loads
    # the state into a model whose embeddings are already tied (the resume tests check the final loss).
    logging.getLogger("accelerate.utils.other").setLevel(logging.ERROR)
    accelerator.save_state(str(tmp), safe_serialization=True)
    if accelerator.is_main_process:
        (tmp / "cursor.json").write_text(json.dumps(cursor, indent=2))
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)  # the commit point: a checkpoint dir without .tmp is complete
        for old in _checkpoints(root)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return final


# ---------------------------------------------------------------------------------------------- the loop


def lr_lambda(cfg: TrainConfig) -> Callable[[int], float]:
    """Linear warm-up to 1, then cosine decay to ``min_lr_ratio`` at ``max_steps``."""

    def fn(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / max(cfg.warmup_steps, 1)
        span = max(cfg.max_steps - cfg.warmup_steps, 1)
        progress = min((step - cfg.warmup_steps) / span, 1.0)
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return fn


def train(
    model,
    source,
    run_dir: Path,
    cfg: TrainConfig,
    *,
    teacher=None,
    eval_source=None,
    eos_id: int | None = None,
    show_progress: bool = True,
    description: str = "train",
    stop_after: int | None = None,
    on_mismatch: str = "error",
) -> TrainResult:
    """Train ``model`` in place from ``source``; checkpoints and metrics live in ``run_dir``.

    ``source`` is a PackedSource or a LogitCache (offline). ``stop_after`` ends this invocation after
    that many optimizer steps (tests and benchmarks), still resumable. Checkpoints of a run with other
    settings or another ``cfg.fingerprint`` are never resumed: ``on_mismatch="error"`` refuses,
    ``"restart"`` deletes them and starts fresh (what a pipeline stage wants when its inputs changed).
    """
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.mode == "online" and teacher is None:
        raise TrainError("online distillation needs a teacher model")
    if cfg.on_policy_fraction > 0 and teacher is None:
        raise TrainError("on_policy_fraction > 0 needs the teacher to score the student's samples (load it, or set 0)")
    if cfg.mode == "offline" and not hasattr(source, "method"):
        raise TrainError("offline distillation reads a logit cache; build one with `deshi distill cache`")
    cache_method = getattr(source, "method", "topk")
    if cache_method == "sampled" and cfg.loss.name != "forward_kl":
        raise TrainError(f"a sampled cache estimates forward KL only; set loss: forward_kl (got {cfg.loss.name})")
    if cache_method == "sampled" and abs(float(source.info.get("temperature", 1.0)) - cfg.loss.temperature) > 1e-9:
        raise TrainError(
            f"the sampled cache was drawn at temperature {source.info.get('temperature')}; "
            f"train with the same temperature (got {cfg.loss.temperature})"
        )
    if cfg.isolate_examples and eos_id is None:
        raise TrainError("isolate_examples needs the EOS id that separates packed examples (pass eos_id)")
    if teacher is not None and cfg.mode != "ce":
        L.check_vocab(model.get_output_embeddings().weight.shape[0], teacher.get_output_embeddings().weight.shape[0])
    if cfg.mode == "offline":
        vocab = source.info.get("vocab_size")
        if vocab is not None:
            L.check_vocab(model.get_output_embeddings().weight.shape[0], int(vocab))

    from accelerate.state import AcceleratorState

    precision = "bf16" if cfg.precision == "bf16" else "no"
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision", precision) != precision:
        # One process may train several models (pipeline: teacher fp32, student bf16). accelerate keeps a
        # process-wide singleton that refuses a new precision; the distributed part (PartialState) stays.
        AcceleratorState._reset_state(reset_partial_state=False)
    accelerator = Accelerator(
        mixed_precision=precision,
        cpu=not torch.cuda.is_available(),
    )
    set_seed(cfg.seed)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:  # the fused kernel (one pass over all parameters) where this torch build has it for the device
        optimizer = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95), fused=True)
    except (RuntimeError, TypeError):
        optimizer = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(cfg))
    model, optimizer = accelerator.prepare(model, optimizer)
    # The scheduler is stepped once per optimizer step by us (not wrapped: AcceleratedScheduler would
    # step it once per process), and checkpointed alongside.
    accelerator.register_for_checkpointing(scheduler)
    if teacher is not None:
        teacher = teacher.to(accelerator.device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)

    # Compile what runs: the decoder under the fused head, else the whole model (the plain path).
    fused = fused_head_ok(model, cfg)
    target = model.model if fused else model
    if cfg.compile:
        target = _CompileOrEager(target)
    body = target if fused else None
    model_forward = model if fused else target

    metrics_path = run_dir / "metrics.jsonl"
    start_step, resumed_from, tokens_seen = 0, None, 0
    ckpt = latest_checkpoint(run_dir)
    if ckpt is not None and json.loads((ckpt / "cursor.json").read_text()).get("config") != _config_key(cfg):
        if on_mismatch != "restart":
            raise TrainError(
                f"{run_dir} holds checkpoints of a run with other settings or data; use a new run directory or delete {ckpt.parent}"
            )
        log.info("inputs or settings changed: discarding the checkpoints in %s", ckpt.parent)
        if accelerator.is_main_process:
            shutil.rmtree(ckpt.parent, ignore_errors=True)
            metrics_path.unlink(missing_ok=True)
        accelerator.wait_for_everyone()
        ckpt = None
    attn_impl = None
    if ckpt is not None:
        accelerator.load_state(str(ckpt))
        cursor = json.loads((ckpt / "cursor.json").read_text())
        start_step = resumed_from = int(cursor["step"])
        tokens_seen = int(cursor["tokens"])
        if cfg.attention == "auto":
            attn_impl = cursor.get("attention")  # a resumed run keeps the kernel it started with
        log.info("resuming from %s (step %d)", ckpt, start_step)
    attn_impl = _attention_for_run(unwrap(model), cfg, attn_impl)
    history = _read_history(metrics_path, start_step)
    if accelerator.is_main_process:  # one writer: processes racing on metrics.tmp lost the file
        _write_history(metrics_path, history)
    accelerator.wait_for_everyone()

    world, rank = accelerator.num_processes, accelerator.process_index
    order = Order(len(source), cfg.seed)
    isolated = isolation_plan(len(source), float(cfg.isolate_examples)) if cfg.isolate_examples else None
    per_step = cfg.batch_size * cfg.grad_accum * world
    end_step = cfg.max_steps if stop_after is None else min(cfg.max_steps, start_step + stop_after)
    model.train()
    started = time.perf_counter()
    step_tokens_timer = 0
    last_loss = float("nan")
    eval_loss = None
    progress_bar = _progress(show_progress and accelerator.is_main_process, description, cfg.max_steps, start_step)
    with progress_bar as bar, attention.using(unwrap(model), attn_impl):
        task = bar.add_task(description, total=cfg.max_steps, completed=start_step, info="")
        for step in range(start_step, end_step):
            t0, c0 = time.perf_counter(), time.process_time()
            torch.manual_seed(cfg.seed * 1_000_003 + step)  # per-step seeding: resume == uninterrupted
            on_policy = cfg.on_policy_fraction > 0 and random.Random(cfg.seed * 7919 + step).random() < cfg.on_policy_fraction
            parts_sum: dict[str, float] = {}
            loss_sum = 0.0
            step_tokens = 0
            for micro in range(cfg.grad_accum):
                start = step * per_step + (micro * world + rank) * cfg.batch_size
                rows = order.indices(start, cfg.batch_size)
                batch = source.get(rows)
                if isolated is not None and (chosen_rows := isolated[rows]).any():
                    batch["position_ids"] = block_position_ids(batch["input_ids"], eos_id, chosen_rows)
                batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                if on_policy:
                    batch = on_policy_batch(model, teacher, batch, cfg, eos_id)
                step_tokens += int(batch["input_ids"].numel())
                sync = micro == cfg.grad_accum - 1
                ctx = accelerator.no_sync(model) if not sync and world > 1 else _null()
                with ctx, accelerator.autocast():
                    loss, parts = compute_loss(
                        model_forward, batch, cfg, teacher, progress=step / max(cfg.max_steps - 1, 1), cache_method=cache_method,
                        body=body,
                    )
                    accelerator.backward(loss / cfg.grad_accum)
                loss_sum += loss.item() / cfg.grad_accum
                for k, v in parts.items():
                    parts_sum[k] = parts_sum.get(k, 0.0) + v / cfg.grad_accum
            if cfg.grad_clip > 0:
                accelerator.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            lr = optimizer.param_groups[0]["lr"]
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            tokens_seen += step_tokens * world
            step_tokens_timer += step_tokens * world
            last_loss = loss_sum
            done = step + 1
            record = {
                "step": done,
                "loss": round(loss_sum, 6),
                "lr": lr,
                "tokens_per_s": round(step_tokens * world / dt, 1),
                # per CPU-second of this process: robust to other jobs on a shared machine
                "tokens_per_cpu_s": round(step_tokens * world / max(cpu, 1e-9), 1),
            }
            record.update({k: round(v, 6) for k, v in parts_sum.items()})
            if on_policy:
                record["on_policy"] = True
            if eval_source is not None and (done % cfg.eval_every == 0 or done == cfg.max_steps):
                eval_loss = evaluate(
                    model, eval_source, cfg.batch_size, cfg.eval_batches, accelerator,
                    eos_id if cfg.isolate_examples else None, float(cfg.isolate_examples),
                )
                record["eval_loss"] = round(eval_loss, 6)
            history.append(record)
            if accelerator.is_main_process and (done % cfg.log_every == 0 or "eval_loss" in record):
                with open(metrics_path, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
            if cfg.checkpoint_every > 0 and (done % cfg.checkpoint_every == 0 or done == end_step):
                cursor = {"step": done, "tokens": tokens_seen, "config": _config_key(cfg), "attention": attn_impl}
                _save_checkpoint(accelerator, run_dir, done, cursor, cfg.keep_checkpoints)
            info = f"loss {loss_sum:.4f}" + (f" · eval {eval_loss:.4f}" if eval_loss is not None else "")
            bar.update(task, completed=done, info=info)
    seconds = time.perf_counter() - started
    steps_done = max(end_step - start_step, 0)
    final_train = float(np.mean([h["loss"] for h in history[-max(1, min(10, len(history))):]])) if history else last_loss
    return TrainResult(
        steps=end_step,
        resumed_from=resumed_from,
        final_train_loss=final_train,
        final_eval_loss=eval_loss,
        tokens=tokens_seen,
        seconds=seconds,
        tokens_per_second=step_tokens_timer / seconds if steps_done and seconds > 0 else 0.0,
        history=history,
    )


def _attention_for_run(model, cfg: TrainConfig, resumed: str | None) -> str | None:
    """The attention implementation this run trains with (``attention.choose``; a resumed run keeps its own)."""
    own = getattr(getattr(model, "config", None), "_attn_implementation", None)
    if own is None:  # not a transformers model: nothing to choose
        return None
    if resumed is None:
        dtype = torch.bfloat16 if cfg.precision == "bf16" else next(model.parameters()).dtype
        resumed = attention.choose(model, cfg.attention, dtype) or own
    return resumed


def unwrap(model):
    """The plain HF model inside whatever accelerate wrapped it in."""
    return getattr(model, "module", model)


class _CompileOrEager:
    """``torch.compile(module)`` that falls back to the eager module, once and for good, if compiling fails.

    Compilation happens lazily at the first call (and again on new shapes), so that is where a missing
    C++ compiler or an unsupported op surfaces; the forward is pure, so retrying it eagerly is safe.
    AOTAutograd would otherwise compile the *backward* graph only at the first backward pass, outside
    this wrapper, where a failure would kill the run: ``force_non_lazy_backward_lowering`` moves that
    compilation into the forward call, so both directions fall back here.
    The module itself is untouched (no ``_orig_mod.`` prefixes in checkpoints or saved models).
    """

    def __init__(self, module):
        self.module = module
        try:
            self.compiled = torch.compile(module)
        except Exception as exc:  # noqa: BLE001 - any failure means: run eagerly
            log.warning("torch.compile unavailable (%s); training eagerly", type(exc).__name__)
            self.compiled = None

    def __call__(self, *args, **kwargs):
        if self.compiled is not None:
            try:
                with _eager_backward_lowering():
                    return self.compiled(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - see the class docstring
                log.warning("torch.compile failed (%s: %s); training eagerly", type(exc).__name__, str(exc)[:200])
                self.compiled = None
        return self.module(*args, **kwargs)


def _eager_backward_lowering():
    """``torch._functorch.config.patch(force_non_lazy_backward_lowering=True)`` where this torch has it."""
    try:
        from torch._functorch import config as functorch_config

        if hasattr(functorch_config, "force_non_lazy_backward_lowering"):
            return functorch_config.patch(force_non_lazy_backward_lowering=True)
    except ImportError:
        pass
    return _null()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _config_key(cfg: TrainConfig) -> dict[str, Any]:
    """The settings a checkpoint must agree with to be resumed (logging cadence may change)."""
    body = asdict(cfg)
    # attention: a kernel choice (rounding-level differences); a resumed ``auto`` run reuses its recorded kernel
    for volatile in ("eval_every", "checkpoint_every", "keep_checkpoints", "log_every", "eval_batches", "attention"):
        body.pop(volatile, None)
    if not body.get("isolate_examples"):
        body.pop("isolate_examples", None)  # the default: checkpoints written before this setting existed still resume
    return json.loads(json.dumps(body))


def _read_history(path: Path, upto_step: int) -> list[dict[str, Any]]:
    """Metrics written before the resumed checkpoint (lines after it are dropped: no duplicates)."""
    if not path.is_file() or upto_step == 0:
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        if record.get("step", 0) <= upto_step:
            out.append(record)
    return out


def _write_history(path: Path, history: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(h) + "\n" for h in history), encoding="utf-8")
    os.replace(tmp, path)


def _progress(enabled: bool, description: str, total: int, done: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )
