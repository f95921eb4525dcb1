"""Pipeline stage ``distill``: teacher + synthetic set → student model, with its quality/speed table.

Steps, each visible in ``run_distill``:

1. pack the synthetic set (prompt + teacher response) into blocks; hold out a slice for eval loss;
2. initialise the student (from a config sized by the user, or depth-pruned from the teacher);
3. ``offline``: build (or reuse, if its manifest matches teacher, data and settings) the sparse logit
   cache, then train from it without the teacher; ``online``: a teacher forward per batch;
4. optionally the same student trained with plain cross-entropy on the same data (the baseline every
   distillation claim must beat) and one run per ablation loss;
5. the table: golden-set score, held-out perplexity, parameters, decode ms/token for teacher, student
   and baseline; report.html with loss curves; the student as a plain ``save_pretrained`` directory
   whose manifest links teacher, synthetic set and cache.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
import zlib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.stages import STAGES, StageContext, StageError, StageResult, resolve_in


class Config(StageConfig):
    teacher: Path | None = Field(None, description="Teacher model directory (default: the pretrain stage's output).")
    data: Path | None = Field(None, description="Synthetic set (default: the generate stage's output) or any deshi dataset.")
    mode: Literal["online", "offline"] = Field("offline", description="offline: teacher logits cached once; online: teacher forward per batch.")
    cache: Path | None = Field(None, description="Logit cache directory (default: workspace/distill/cache).")
    # student
    init: Literal["config", "prune"] = Field("config", description="config: fresh model sized by `student`; prune: keep teacher layers.")
    student: dict[str, Any] = Field(
        default_factory=lambda: {"hidden_size": 128, "num_hidden_layers": 3, "intermediate_size": 352, "num_attention_heads": 4, "num_key_value_heads": 2},
        description="Overrides of the teacher's config for init=config (vocabulary is always the teacher's).",
    )
    keep_layers: int = Field(2, ge=1, description="init=prune: decoder layers to keep.")
    layer_selection: Literal["every_kth", "importance"] = Field("every_kth", description="init=prune: how layers are chosen.")
    # loss
    loss: str = Field("forward_kl", description="ce, forward_kl, reverse_kl, generalized_jsd, skew_kl, skew_reverse_kl, taid.")
    temperature: float = Field(1.0, gt=0)
    alpha: float = Field(0.1, ge=0, le=1, description="Weight of cross-entropy on labels: loss = α·CE + (1-α)·KD.")
    beta: float = Field(0.5, ge=0, le=1, description="generalized_jsd β (0 = forward KL, 1 = reverse KL).")
    skew: float = Field(0.1, ge=0, lt=1)
    taid_t_start: float = Field(0.2, ge=0, le=1)
    taid_t_end: float = Field(1.0, ge=0, le=1)
    # cache
    cache_method: Literal["topk", "sampled"] = "topk"
    cache_k: int = Field(64, ge=1, le=4096)
    cache_dtype: Literal["float16", "bfloat16", "float32", "uint8"] = "float16"
    tail: bool = Field(True, description="Top-k losses: k kept ids + one tail bucket with the remaining mass (exact at T=1); false renormalises over the k ids.")
    on_policy_fraction: float = Field(0.0, ge=0, le=1, description="λ: share of batches the student writes and the teacher scores (loads the teacher).")
    # training
    seq_len: int = Field(256, ge=8)
    completion_only: bool = Field(False, description="Train only on response tokens (default: prompt and response).")
    whole_examples: bool = Field(
        False,
        description="Pack so that no example is cut at a block boundary (a cut instruction pair loses its prompt); costs padding.",
    )
    isolate_examples: float = Field(
        0.0, ge=0, le=1,
        description="Share of packed blocks (0-1; true = 1) whose examples attend only to themselves (position ids restart "
        "after EOS; transformers builds the block-diagonal mask), for teacher logits and student alike: an answer is then "
        "learned without the unrelated examples packed before it. The other blocks keep the packed context, so the model "
        "still learns to answer after unrelated text (few-shot prompts, chat history).",
    )
    text_data: str | None = Field(
        None,
        description="Also distil on plain documents: a dataset path, or the name of an earlier stage (e.g. `curate`). "
        "Trained on whole documents (completion_only does not apply to them), so a student that learns only answers "
        "keeps the teacher's model of the domain's text; held-out perplexity, and a release gate, catch its loss.",
    )
    text_docs: int = Field(200, ge=1, description="At most this many documents from text_data (the first ones).")
    batch_size: int = Field(8, ge=1)
    grad_accum: int = Field(1, ge=1)
    steps: int | None = Field(None, ge=1)
    epochs: float = Field(3.0, gt=0)
    lr: float = Field(2e-3, gt=0)
    warmup_steps: int = Field(20, ge=0)
    eval_every: int = Field(50, ge=1)
    checkpoint_every: int = Field(50, ge=1)
    precision: Literal["fp32", "bf16"] = "fp32"
    compile: bool = Field(False, description="torch.compile the student's decoder (faster steps after a one-off compile; falls back to eager if it fails).")
    attention: Literal["auto", "sdpa", "eager"] = Field(
        "auto", description="Student attention while training: auto = eager for bf16 on CPU (faster there), else the model's own."
    )
    fused_head: bool = Field(True, description="Chunked fused LM head + loss for ce/offline runs of supported architectures (same loss, no full logits).")
    heldout_fraction: float = Field(0.05, ge=0, lt=1)
    # evaluation
    compare_ce: bool = Field(True, description="Also train the same student with plain cross-entropy (the baseline).")
    ablation_losses: list[str] = Field(default_factory=list, description="Extra runs, one per loss name, for the ablation table.")
    golden_file: str | None = Field(None, description="Golden QA JSONL (relative paths are looked up in demo_data).")
    golden_limit: int | None = Field(200, ge=1)
    heldout_file: str | None = Field(None, description="Held-out text dataset for perplexity (relative: demo_data).")
    evaluate_teacher: bool = Field(True, description="Score the teacher too (loads it).")
    seed: int | None = None


def load_examples(data: Path) -> list[str | tuple[str, str]]:
    """Synthetic records as (prompt, response) pairs; plain datasets as texts."""
    from deshi.dataset import iter_records
    from deshi.distill.packing import render_example

    out: list[str | tuple[str, str]] = []
    for record in iter_records(data):
        if isinstance(record.get("prompt"), str) and isinstance(record.get("response"), str):
            out.append(render_example(record["prompt"], record["response"]))
        elif isinstance(record.get("text"), str) and record["text"]:
            out.append(record["text"])
    if not out:
        raise StageError(f"distill: {data} has no usable records (need prompt/response or text)")
    return out


def _split(examples, fraction: float):
    train, held = [], []
    for example in examples:
        key = example if isinstance(example, str) else example[0] + example[1]
        (held if zlib.crc32(key.encode("utf-8")) % 10_000 < fraction * 10_000 else train).append(example)
    return train, held


def blocks_sha256(packed) -> str:
    digest = hashlib.sha256()
    digest.update(packed.input_ids.astype("int64").tobytes())
    digest.update(packed.loss_mask.astype("uint8").tobytes())
    return digest.hexdigest()


def make_student(config: Config, teacher_dir: Path, tokenizer, calibration=None, teacher=None):
    """The initial student and a description of how it was made."""
    import torch
    from transformers import AutoConfig

    from deshi.distill import student_init as SI
    from deshi.distill.modelio import load_causal_lm

    seed = config.seed or 0
    torch.manual_seed(seed)
    if config.init == "config":
        teacher_config = AutoConfig.from_pretrained(str(teacher_dir), local_files_only=True)
        student = SI.from_config(teacher_config, config.student, vocab_size=teacher_config.vocab_size)
        return student, {"init": "config", "overrides": config.student}
    teacher = teacher if teacher is not None else load_causal_lm(teacher_dir)
    n = teacher.config.num_hidden_layers
    if config.layer_selection == "importance":
        if calibration is None:
            raise StageError("distill: layer_selection=importance needs calibration data")
        layers, scores = SI.by_importance(teacher, calibration, config.keep_layers)
    else:
        layers, scores = SI.every_kth(n, config.keep_layers), None
    return SI.prune_depth(teacher, layers), {"init": "prune", "kept_layers": layers, "of": n, "block_influence": scores}


def _train_config(config: Config, mode: str, loss: str, steps: int, seed: int):
    from deshi.distill.losses import LossSpec
    from deshi.distill.trainer import TrainConfig

    spec = LossSpec(
        name="forward_kl" if loss == "ce" else loss,
        temperature=config.temperature,
        alpha=config.alpha,
        beta=config.beta,
        skew=config.skew,
        taid_t_start=config.taid_t_start,
        taid_t_end=config.taid_t_end,
    )
    return TrainConfig(
        mode="ce" if loss == "ce" else mode,
        loss=spec,
        tail=config.tail,
        batch_size=config.batch_size,
        grad_accum=config.grad_accum,
        max_steps=steps,
        lr=config.lr,
        warmup_steps=min(config.warmup_steps, steps // 2),
        eval_every=config.eval_every,
        checkpoint_every=config.checkpoint_every,
        precision=config.precision,
        compile=config.compile,
        fused_head=config.fused_head,
        attention=config.attention,
        on_policy_fraction=config.on_policy_fraction if loss != "ce" else 0.0,
        isolate_examples=config.isolate_examples,
        seed=seed,
    )


def build_or_open_cache(
    config: Config, teacher_dir: Path, data: Path, packed, cache_dir: Path, seed: int, teacher=None, show_progress: bool = True,
    eos_id: int | None = None,
):
    """Open the cache when its manifest matches this teacher, data and settings; otherwise (re)build it."""
    from rich.progress import Progress

    from deshi.distill.logit_cache import CacheError, CacheSpec, LogitCache, build_cache
    from deshi.distill.modelio import load_causal_lm

    spec = CacheSpec(config.cache_method, config.cache_k, config.cache_dtype, config.temperature)
    lineage = {
        "teacher_sha256": describe_input(teacher_dir).sha256,
        "dataset_sha256": describe_input(data).sha256,
        "blocks_sha256": blocks_sha256(packed),
    }
    wanted = {**lineage, "method": spec.method, "k": spec.k, "dtype": spec.dtype, "isolate_examples": float(config.isolate_examples)}
    if config.isolate_examples and eos_id is None:
        raise StageError("distill: isolate_examples needs the tokenizer's EOS id (it separates packed examples)")
    if spec.method == "sampled":
        wanted["temperature"] = spec.temperature
    try:
        cache = LogitCache(cache_dir)
        cache.check(wanted)
        return cache, False
    except CacheError:
        pass
    import torch
    from accelerate import PartialState

    state = PartialState(cpu=not torch.cuda.is_available())
    if state.is_main_process:  # under `accelerate launch` one process builds, the others wait for it
        teacher = teacher if teacher is not None else load_causal_lm(teacher_dir)
        with Progress(disable=not show_progress) as bar:
            task = bar.add_task("teacher logits → cache", total=len(packed))
            build_cache(
                teacher, packed, cache_dir, spec, batch_size=config.batch_size, lineage=lineage,
                inputs=[describe_input(teacher_dir), describe_input(data)], seed=seed,
                progress=lambda n: bar.advance(task, n), isolate_eos=eos_id if config.isolate_examples else None,
                isolate_fraction=config.isolate_examples,
            )
    state.wait_for_everyone()
    return LogitCache(cache_dir), True


def quality_row(name: str, model, tokenizer, golden, heldout_texts, seq_len: int) -> dict[str, Any]:
    from deshi.distill.quality import golden_score, perplexity
    from deshi.distill.student_init import parameter_count

    row: dict[str, Any] = {"model": name, "parameters": parameter_count(model)}
    if golden:
        scored = golden_score(model, tokenizer, golden)
        row["golden_score"] = scored["score"]
        row["golden_correct"] = f"{scored['correct']}/{scored['n']}"
        row["_records"] = scored["records"][:20]
    if heldout_texts:
        row["heldout_perplexity"] = perplexity(model, tokenizer, heldout_texts, seq_len)
    return row  # decode_ms_per_token is added for all rows together (interleaved, same harness)


def run_distill(
    config: Config,
    teacher_dir: Path,
    data: Path,
    stage_dir: Path,
    seed: int,
    base: Path | None = None,
    show_progress: bool = True,
    stop_after: int | None = None,
    text_data: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Everything the stage does; returns (student artifact dir, summary)."""
    import numpy as np

    from deshi.distill.logit_cache import LogitCache
    from deshi.distill.modelio import load_causal_lm, save_model_dir, tokenizer_for_model
    from deshi.distill.packing import pack
    from deshi.distill.trainer import PackedSource, train, unwrap

    started = time.perf_counter()
    stage_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = tokenizer_for_model(teacher_dir)
    examples = load_examples(data)
    if text_data is None and config.text_data:
        text_data = Path(config.text_data)
    if text_data is not None:
        from deshi.dataset import iter_texts

        texts = list(iter_texts(text_data, config.text_docs))  # non-empty texts only
        if not texts:
            raise StageError(f"distill: text_data {text_data} has no documents")
        examples = examples + texts
    train_ex, held_ex = _split(examples, config.heldout_fraction)
    packed = pack(tokenizer, train_ex, config.seq_len, config.completion_only, whole_examples=config.whole_examples)
    eval_packed = pack(tokenizer, held_ex, config.seq_len, config.completion_only, whole_examples=config.whole_examples) if held_ex else None
    eval_source = PackedSource(eval_packed) if eval_packed is not None else None
    steps = config.steps or max(1, math.ceil(config.epochs * len(packed) / (config.batch_size * config.grad_accum)))

    need_teacher_model = config.mode == "online" or config.on_policy_fraction > 0 or config.init == "prune"
    teacher = load_causal_lm(teacher_dir) if need_teacher_model else None
    calibration = None
    if config.init == "prune" and config.layer_selection == "importance":
        import torch

        calibration = torch.from_numpy(packed.input_ids[: min(8, len(packed))].astype(np.int64))
    student0, init_info = make_student(config, teacher_dir, tokenizer, calibration, teacher)
    from deshi.distill.losses import check_vocab

    teacher_vocab = _vocab_of(teacher_dir)
    check_vocab(student0.get_output_embeddings().weight.shape[0], teacher_vocab)
    if len(tokenizer) > teacher_vocab:
        raise StageError(f"distill: the tokenizer has {len(tokenizer)} tokens but the teacher's vocabulary only {teacher_vocab}")

    cache_info = None
    source: Any = PackedSource(packed)
    if config.mode == "offline" and config.loss != "ce":
        cache_dir = config.cache or (stage_dir / "cache")
        source, built = build_or_open_cache(
            config, teacher_dir, data, packed, cache_dir, seed, teacher, show_progress, eos_id=tokenizer.eos_token_id
        )
        cache_info = {**source.info, "path": str(cache_dir), "built_this_run": built}

    runs: dict[str, Any] = {}
    import copy
    import dataclasses

    # a checkpoint resumes only the same run: same teacher, same packed data, same student init
    run_fingerprint = hashlib.sha256(
        json.dumps([describe_input(teacher_dir).sha256, blocks_sha256(packed), init_info], default=str, sort_keys=True).encode()
    ).hexdigest()

    plan = [("student", config.loss)]
    if config.compare_ce and config.loss != "ce":
        plan.append(("ce_baseline", "ce"))
    for extra in config.ablation_losses:
        if extra != config.loss and not (extra == "ce" and config.compare_ce):
            plan.append((f"ablation_{extra}", extra))
    for name, loss in plan:
        model = copy.deepcopy(student0)
        run_source = source
        if loss == "ce":
            run_source = PackedSource(packed)
        elif config.mode == "offline" and not isinstance(source, LogitCache):
            raise StageError("distill: offline mode needs a cache")
        if loss != "ce" and config.cache_method == "sampled" and loss != "forward_kl" and config.mode == "offline":
            continue  # a sampled cache only estimates forward KL; the ablation is skipped, not faked
        cfg = _train_config(config, config.mode, loss, steps, seed)
        cfg = dataclasses.replace(cfg, fingerprint=run_fingerprint)
        result = train(
            model, run_source, stage_dir / f"run-{name}", cfg, teacher=teacher, eval_source=eval_source,
            eos_id=tokenizer.eos_token_id, show_progress=show_progress, description=f"distill {name} ({loss})",
            stop_after=stop_after, on_mismatch="restart",
        )
        runs[name] = {"loss": loss, "model": unwrap(model), "result": result}

    import torch
    from accelerate import PartialState

    out = stage_dir / "student"
    if not PartialState(cpu=not torch.cuda.is_available()).is_main_process:
        return out, {}  # under `accelerate launch` only the main process saves, evaluates and reports
    student = runs["student"]["model"]
    shutil.rmtree(out, ignore_errors=True)
    save_model_dir(student, tokenizer, out)

    # quality / speed table
    golden_path = resolve_in(config.golden_file, base)
    heldout_path = resolve_in(config.heldout_file, base)
    from deshi.dataset import iter_texts
    from deshi.distill.quality import load_qa

    golden = load_qa(golden_path, config.golden_limit) if golden_path else []
    heldout_texts = list(iter_texts(heldout_path, 400)) if heldout_path else [e if isinstance(e, str) else e[0] + e[1] for e in held_ex]
    table, timed = [], {}
    if config.evaluate_teacher:
        teacher_model = teacher if teacher is not None else load_causal_lm(teacher_dir)
        table.append(quality_row("teacher", teacher_model, tokenizer, golden, heldout_texts, config.seq_len))
        timed["teacher"] = teacher_model
    for name, run in runs.items():
        label = f"{name} ({run['loss']})"
        table.append(quality_row(label, run["model"], tokenizer, golden, heldout_texts, config.seq_len))
        timed[label] = run["model"]
    from deshi.distill.quality import decode_speeds

    speeds = decode_speeds(timed, tokenizer)
    for row in table:
        row["decode_ms_per_token"] = speeds[row["model"]]
    seconds = time.perf_counter() - started
    student_result = runs["student"]["result"]
    metrics = {
        "final_train_loss": student_result.final_train_loss,
        "final_eval_loss": student_result.final_eval_loss,
        "train_tokens_per_second": student_result.tokens_per_second,
        "table": [{k: v for k, v in row.items() if not k.startswith("_")} for row in table],
    }
    teacher_row = next((r for r in table if r["model"] == "teacher"), None)
    student_row = table[1] if teacher_row else table[0]
    if teacher_row:
        metrics["param_ratio"] = student_row["parameters"] / teacher_row["parameters"]
        metrics["decode_speedup"] = teacher_row["decode_ms_per_token"] / student_row["decode_ms_per_token"]
        if golden and teacher_row.get("golden_score"):
            metrics["golden_retention"] = student_row["golden_score"] / teacher_row["golden_score"]
    counts = {"train_blocks": len(packed), "eval_blocks": len(eval_packed) if eval_packed is not None else 0, "steps": steps, "examples": len(examples)}
    inputs = [describe_input(teacher_dir), describe_input(data)]
    if text_data is not None:
        inputs.append(describe_input(text_data))
    if cache_info:
        inputs.append(describe_input(cache_info["path"]))
    extra = {"init": init_info, "mode": config.mode, "loss": config.loss, "cache": cache_info, "metrics": metrics, "resumed_from_step": student_result.resumed_from}
    write_manifest(out, Manifest("distill", config, inputs, counts, {"distill_s": seconds}, seed, extra))
    report = _write_report(stage_dir / "report.html", config, runs, table, cache_info, init_info, counts, metrics)
    (stage_dir / "summary.json").write_text(json.dumps({"metrics": metrics, "counts": counts, "cache": cache_info}, ensure_ascii=False, indent=2, default=str))
    return out, {"metrics": metrics, "counts": counts, "cache": cache_info, "report": report, "seconds": seconds, "table": table}


def _vocab_of(teacher_dir: Path) -> int:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(str(teacher_dir), local_files_only=True)
    return int(config.get_text_config().vocab_size)


def _write_report(path: Path, config: Config, runs, table, cache_info, init_info, counts, metrics) -> Path:
    from deshi.distill.reporting import loss_curve_html
    from deshi.report import esc, table_html, write_html

    headers = ["model", "golden score", "correct", "held-out perplexity", "parameters", "decode ms/token"]
    rows = [
        (r["model"], r.get("golden_score", "-"), r.get("golden_correct", "-"), r.get("heldout_perplexity", "-"), f"{r['parameters'] / 1e6:.2f}M", r["decode_ms_per_token"])
        for r in table
    ]
    summary_rows = [(k, v) for k, v in metrics.items() if k != "table"]
    sections = [
        ("Quality and speed", table_html(headers, rows) + table_html(["measure", "value"], summary_rows)
         + "<p class='muted'>Golden score: share of golden questions whose greedy answer after the prompt format contains the reference answer. "
         "If the teacher was taught the golden QA pairs during pre-training (the demo does this so its small teacher knows the facts), "
         "the student's score measures how much of the teacher's knowledge survived distillation, not generalisation; held-out perplexity "
         "is on text no model trained on.</p>"),
        ("Loss curves", loss_curve_html({name: run["result"].history for name, run in runs.items()}, "distill")),
        ("Runs", table_html(["run", "loss", "steps", "final train loss", "final eval loss", "tokens/s", "resumed from"],
                            [(n, r["loss"], r["result"].steps, r["result"].final_train_loss, r["result"].final_eval_loss or "-",
                              round(r["result"].tokens_per_second), r["result"].resumed_from or "-") for n, r in runs.items()])),
        ("Student initialisation", f"<pre>{esc(json.dumps(init_info, ensure_ascii=False, indent=1, default=str))}</pre>"),
        ("Data", table_html(["field", "value"], list(counts.items()))),
    ]
    if cache_info:
        sections.append(("Logit cache", table_html(["field", "value"], [(k, v) for k, v in cache_info.items() if "sha" not in k])))
    samples = next((r.get("_records") for r in table if r["model"].startswith("student")), None)
    if samples:
        sections.append(("Student answers (first 20 golden questions)", table_html(["id", "reference", "generated", "correct"],
                         [(s["id"], s["answer"], s["generated"], s["correct"]) for s in samples])))
    return write_html(path, "deshi distill — student report", sections)


def run(config: Config, ctx: StageContext) -> StageResult:
    stage_dir = ctx.stage_dir("distill")
    teacher = config.teacher or ctx.require("pretrain")
    data = config.data or ctx.require("generate")
    seed = config.seed if config.seed is not None else ctx.seed
    text_data = None
    if config.text_data:  # an earlier stage's name (e.g. curate) or a path
        stage_names = {stage.name for stage in STAGES}
        text_data = Path(ctx.require(config.text_data)) if config.text_data in stage_names else Path(config.text_data)
    out, summary = run_distill(config, Path(teacher), Path(data), stage_dir, seed, ctx.outputs.get("demo_data"),
                               text_data=text_data)
    lines = []
    for row in summary["table"]:
        golden = f"golden {row['golden_score']:.1%}" if "golden_score" in row else ""
        ppl = f"ppl {row['heldout_perplexity']:.1f}" if "heldout_perplexity" in row else ""
        lines.append(f"{row['model']}: {golden} {ppl} {row['parameters'] / 1e6:.2f}M params, {row['decode_ms_per_token']:.2f} ms/token".replace("  ", " "))
    m = summary["metrics"]
    if "param_ratio" in m:
        lines.append(f"student/teacher params {m['param_ratio']:.2f}, decode speed-up {m['decode_speedup']:.1f}×"
                     + (f", golden retention {m['golden_retention']:.0%}" if "golden_retention" in m else ""))
    return StageResult(out, lines, summary["report"], {k: v for k, v in m.items() if k != "table"})
