"""CLI: ``deshi pretrain``, ``deshi generate``, ``deshi distill`` and ``deshi distill cache``.

Each command takes ``--config FILE.yaml`` (the same fields as the stage's section in pipeline.yaml),
the common fields as flags, and ``--set field=value`` for any other field; flags override the file.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from deshi.cli_config import ConfigOpt, SetOpt, load_stage_config

console = Console()


def pretrain(
    dataset: Path = typer.Option(None, "--dataset", help="Curated dataset (dir or .jsonl)."),
    tokenizer: Path = typer.Option(None, "--tokenizer", help="Tokenizer directory."),
    out: Path = typer.Option(Path("workspace/pretrain"), "--out", "-o", help="Stage directory; the model lands in OUT/model."),
    steps: int = typer.Option(None, "--steps", help="Optimizer steps (default: `epochs` passes)."),
    qa_file: str = typer.Option(None, "--qa-file", help="Question/answer JSONL mixed into training."),
    seed: int = typer.Option(0, "--seed"),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
) -> None:
    """Pre-train a small Llama from scratch (the demo teacher; real deployments bring their own).

    Re-running the same command resumes from the last checkpoint in OUT/run.

    Example: deshi pretrain --dataset workspace/curate --tokenizer workspace/tokenizer --steps 600 --out workspace/pretrain
    """
    from deshi.distill.pretrain_stage import Config, run_pretrain

    cfg = load_stage_config(Config, config, {"dataset": dataset, "tokenizer": tokenizer, "steps": steps, "qa_file": qa_file}, set_)
    if cfg.dataset is None or cfg.tokenizer is None:
        raise typer.BadParameter("--dataset and --tokenizer are required (or set them in --config)")
    model_dir, summary = run_pretrain(cfg, cfg.dataset, cfg.tokenizer, out, cfg.seed if cfg.seed is not None else seed)
    console.print(f"[green]teacher[/green] {model_dir} · {summary['counts']['parameters'] / 1e6:.1f}M params · report {summary['report']}")


def generate(
    teacher: Path = typer.Option(None, "--teacher", help="Teacher model directory (in-process generation)."),
    endpoint_url: str = typer.Option(None, "--endpoint-url", help="OpenAI-compatible base URL instead of --teacher."),
    endpoint_model: str = typer.Option(None, "--endpoint-model", help="Model name at the endpoint."),
    dataset: Path = typer.Option(None, "--dataset", help="Documents that seed prompts."),
    curriculum: Path = typer.Option(None, "--curriculum", help="Curriculum YAML."),
    questions_file: str = typer.Option(None, "--questions", help="JSONL with `question` for questions-seeded tasks."),
    samples: int = typer.Option(None, "--samples", help="Samples per prompt."),
    out: Path = typer.Option(Path("workspace/generate"), "--out", "-o", help="Stage directory; the set lands in OUT/set."),
    seed: int = typer.Option(0, "--seed"),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
) -> None:
    """Teacher → synthetic instruction set: curriculum prompts, sampling, PII/refusal/length/dedup/quality filters.

    Example: deshi generate --teacher workspace/pretrain/model --dataset workspace/curate --curriculum curriculum.yaml --samples 2
    Example: deshi generate --endpoint-url http://vllm:8000/v1 --endpoint-model my-teacher --dataset data/ --curriculum c.yaml
    """
    from deshi.distill.generate_stage import Config, run_generate

    endpoint = {"base_url": endpoint_url, "model": endpoint_model or "teacher"} if endpoint_url else None
    cfg = load_stage_config(
        Config, config,
        {"teacher": teacher, "endpoint": endpoint, "dataset": dataset, "curriculum": curriculum, "questions_file": questions_file, "samples_per_prompt": samples},
        set_,
    )
    if cfg.teacher is None and cfg.endpoint is None:
        raise typer.BadParameter("give --teacher DIR or --endpoint-url URL")
    set_dir, stats = run_generate(cfg, cfg.teacher, cfg.dataset, out, cfg.seed if cfg.seed is not None else seed)
    console.print(f"[green]kept[/green] {stats['kept']} of {stats['samples']} samples → {set_dir} (rejected: {stats['reasons']})")


# No help= here: `deshi distill --help` shows the callback's docstring (with its examples).
distill_app = typer.Typer(invoke_without_command=True)


@distill_app.callback(invoke_without_command=True)
def distill(
    ctx: typer.Context,
    teacher: Path = typer.Option(None, "--teacher", help="Teacher model directory."),
    data: Path = typer.Option(None, "--data", help="Synthetic set (or any dataset)."),
    mode: str = typer.Option(None, "--mode", help="offline (build/reuse the logit cache, train without the teacher) or online."),
    loss: str = typer.Option(None, "--loss", help="ce, forward_kl, reverse_kl, generalized_jsd, skew_kl, skew_reverse_kl, taid."),
    cache: Path = typer.Option(None, "--cache", help="Logit cache directory (offline)."),
    steps: int = typer.Option(None, "--steps"),
    out: Path = typer.Option(Path("workspace/distill"), "--out", "-o", help="Stage directory; the student lands in OUT/student."),
    seed: int = typer.Option(0, "--seed"),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
) -> None:
    """Distil: student init, loss by name (forward/reverse KL, JSD β, skew KL, TAID) mixed with CE (α).

    Kill it and rerun the same command: it continues from the last checkpoint.

    Example: deshi distill --teacher workspace/pretrain/model --data workspace/generate/set --mode offline --loss forward_kl
    Example: deshi distill --config distill.yaml --set on_policy_fraction=0.25 --set precision=bf16
    """
    if ctx.invoked_subcommand is not None:
        return
    from deshi.distill.stage import Config, run_distill

    cfg = load_stage_config(Config, config, {"teacher": teacher, "data": data, "mode": mode, "loss": loss, "cache": cache, "steps": steps}, set_)
    if cfg.teacher is None or cfg.data is None:
        raise typer.BadParameter("--teacher and --data are required (or set them in --config)")
    student, summary = run_distill(cfg, cfg.teacher, cfg.data, out, cfg.seed if cfg.seed is not None else seed)
    if not summary:  # a non-main process of `accelerate launch`
        return
    for row in summary["table"]:
        console.print({k: v for k, v in row.items() if not k.startswith("_")})
    console.print(f"[green]student[/green] {student} · report {summary['report']}")


@distill_app.command("cache")
def distill_cache(
    teacher: Path = typer.Option(..., "--teacher", help="Teacher model directory."),
    data: Path = typer.Option(..., "--data", help="Synthetic set (or any dataset)."),
    out: Path = typer.Option(..., "--out", "-o", help="Cache directory."),
    k: int = typer.Option(64, "--k", help="Entries kept per position."),
    method: str = typer.Option("topk", "--method", help="topk or sampled (Sparse Logit Sampling, unbiased)."),
    dtype: str = typer.Option("float16", "--dtype", help="float16, bfloat16, float32 or uint8 (quantised)."),
    seq_len: int = typer.Option(256, "--seq-len"),
    temperature: float = typer.Option(1.0, "--temperature", help="sampled: draw from the teacher softened by T."),
    config: Path = ConfigOpt,
    set_: list[str] = SetOpt,
) -> None:
    """Run the teacher once over the data and write its sparse logits to a sharded on-disk cache.

    Resumable: complete shards of an interrupted build are kept. Training with --cache DIR then never loads the teacher.

    Example: deshi distill cache --teacher workspace/pretrain/model --data workspace/generate/set --out cache/ --k 32 --dtype float16
    """
    from deshi.distill.modelio import tokenizer_for_model
    from deshi.distill.packing import pack
    from deshi.distill.stage import Config, _split, build_or_open_cache, load_examples

    cfg = load_stage_config(
        Config, config,
        {"teacher": teacher, "data": data, "cache_k": k, "cache_method": method, "cache_dtype": dtype, "seq_len": seq_len, "temperature": temperature, "cache": out},
        set_,
    )
    tokenizer = tokenizer_for_model(cfg.teacher)
    train_ex, _ = _split(load_examples(cfg.data), cfg.heldout_fraction)
    packed = pack(tokenizer, train_ex, cfg.seq_len, cfg.completion_only, whole_examples=cfg.whole_examples)
    cache, built = build_or_open_cache(cfg, cfg.teacher, cfg.data, packed, out, cfg.seed or 0, eos_id=tokenizer.eos_token_id)
    info = cache.info
    console.print(
        f"[green]{'built' if built else 'reused'}[/green] {out}: {info['blocks']} blocks, {info['positions']} positions, "
        f"{info['bytes_per_token']} B/token ({info['method']}, k={info['k']}, {info['dtype']})"
    )


def register(app: typer.Typer) -> None:
    app.command("pretrain")(pretrain)
    app.command("generate")(generate)
    app.add_typer(distill_app, name="distill")
