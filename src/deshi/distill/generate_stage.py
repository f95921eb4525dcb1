"""Pipeline stage ``generate``: the teacher writes a synthetic instruction set from a prompt curriculum.

Output: ``workspace/generate/set`` — ``data/synthetic.jsonl`` (records ``id, text, prompt, response,
meta`` with provenance: teacher, prompt id, task, difficulty, sampling settings, quality score),
``rejected.jsonl`` (reason per sample; PII redacted), ``stats.json`` and ``manifest.json``. The set is
a regular deshi dataset (``deshi.dataset.iter_texts`` reads it).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deshi.artifacts import Manifest, describe_input, write_manifest
from deshi.config import StageConfig
from deshi.distill.curriculum import Curriculum
from deshi.stages import StageContext, StageError, StageResult, resolve_in


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="OpenAI-compatible base URL, e.g. http://vllm:8000/v1")
    model: str = Field(description="Model name the server expects.")
    api_key_env: str | None = Field(None, description="Environment variable holding the API key (never the key itself).")
    timeout_s: float = Field(120.0, gt=0)


class Config(StageConfig):
    teacher: Path | None = Field(None, description="Teacher model directory (default: the pretrain stage's output).")
    endpoint: Endpoint | None = Field(None, description="Generate through an OpenAI-compatible server instead of in-process.")
    dataset: Path | None = Field(None, description="Documents that seed prompts (default: the curate stage's output).")
    curriculum: Curriculum | Path | None = Field(None, description="Curriculum YAML file or inline mapping (default: built-in).")
    questions_file: str | None = Field(
        None, description="JSONL with a `question` field for questions-seeded tasks (golden templates); relative paths are looked up in demo_data."
    )
    temperature: float = Field(0.8, ge=0, description="Sampling temperature; 0 = greedy (one sample per prompt). Curriculum tasks may override it.")
    top_p: float = Field(0.95, gt=0, le=1)
    max_new_tokens: int = Field(96, ge=1)
    samples_per_prompt: int = Field(2, ge=1)
    batch_size: int = Field(8, ge=1)
    min_chars: int = Field(2, ge=0)
    max_chars: int = Field(2000, ge=1)
    ng_words: list[str] | None = Field(None, description="Reject responses containing any of these (default: common refusals).")
    pii_filter: bool = Field(True, description="Reject responses in which the PII recognisers find personal data.")
    dedup: bool = Field(True, description="Drop exact duplicates (normalised prompt + response).")
    min_mean_logprob: float | None = Field(-3.0, description="Quality threshold: teacher mean log-prob per token (None: off).")
    max_repeat_ratio: float = Field(0.5, gt=0, le=1)
    seed: int | None = None


def run_generate(config: Config, teacher_dir: Path | None, dataset: Path | None, stage_dir: Path, seed: int, base: Path | None = None, show_progress: bool = True):
    """Build prompts, generate, filter, write and seal the synthetic set; returns (dir, summary)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from deshi.dataset import iter_records
    from deshi.distill.curriculum import DEFAULT_CURRICULUM, build_prompts, load_curriculum
    from deshi.distill.generate import (
        DEFAULT_NG_WORDS,
        Filters,
        HFBackend,
        OpenAIBackend,
        Sampling,
        run_generation,
    )
    from deshi.distill.quality import load_qa

    started = time.perf_counter()
    curriculum_path = None
    if isinstance(config.curriculum, Curriculum):
        curriculum = config.curriculum
    elif config.curriculum is not None:
        curriculum_path = resolve_in(config.curriculum, base)
        curriculum = load_curriculum(curriculum_path)
    else:
        curriculum = DEFAULT_CURRICULUM
    questions_path = resolve_in(config.questions_file, base)
    questions = [item["question"] for item in load_qa(questions_path)] if questions_path else []
    if any(t.source == "questions" for t in curriculum.tasks) and not questions:
        raise StageError("generate: the curriculum has questions-seeded tasks but no questions_file is set")
    documents = iter_records(dataset) if dataset is not None else iter([])
    prompts = build_prompts(curriculum, documents, questions, seed)

    sampling = Sampling(config.temperature, config.top_p, config.max_new_tokens, config.samples_per_prompt, seed)
    filters = Filters(
        config.min_chars, config.max_chars, tuple(config.ng_words) if config.ng_words is not None else DEFAULT_NG_WORDS,
        config.pii_filter, config.dedup, config.min_mean_logprob, config.max_repeat_ratio,
    )
    if config.endpoint is not None:
        key = os.environ.get(config.endpoint.api_key_env) if config.endpoint.api_key_env else None
        backend = OpenAIBackend(config.endpoint.base_url, config.endpoint.model, key, config.endpoint.timeout_s, batch_size=config.batch_size)
        teacher_ref: dict[str, Any] = {"endpoint": config.endpoint.base_url, "model": config.endpoint.model}
    else:
        if teacher_dir is None:
            raise StageError("generate: set `teacher` (a model directory) or `endpoint`")
        from deshi.distill.modelio import load_causal_lm, tokenizer_for_model

        backend = HFBackend(load_causal_lm(teacher_dir), tokenizer_for_model(teacher_dir), config.batch_size)
        teacher_ref = describe_input(teacher_dir).to_dict()
    out = stage_dir / "set"
    shutil.rmtree(out, ignore_errors=True)
    columns = (TextColumn("[bold]generate"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress) as bar:
        task = bar.add_task("generate", total=len(prompts))
        result = run_generation(
            backend, prompts, sampling, filters, out, stage_dir / "work",
            {"teacher": teacher_ref}, progress=lambda n: bar.advance(task, n),
        )
    seconds = time.perf_counter() - started
    stats = {
        "prompts": result.prompts,
        "samples": result.samples,
        "kept": result.kept,
        "rejected": result.rejected,
        "reasons": result.reasons,
        "resumed_prompts": result.resumed_prompts,
        "by_task": _count_by(out / "data" / "synthetic.jsonl", "task"),
        "seconds": round(seconds, 2),
    }
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=2))
    if result.kept == 0:
        raise StageError(f"generate: every one of {result.samples} samples was rejected ({result.reasons}); see {out / 'rejected.jsonl'}")
    inputs = [describe_input(teacher_dir)] if teacher_dir is not None and config.endpoint is None else []
    inputs += [describe_input(p) for p in (dataset, curriculum_path, questions_path) if p is not None]
    counts = {k: v for k, v in stats.items() if isinstance(v, int)}
    write_manifest(out, Manifest("generate", config, inputs, counts, {"generate_s": seconds}, seed, {"teacher": teacher_ref, "curriculum": curriculum.model_dump()}))
    return out, stats


def _count_by(path: Path, key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            value = json.loads(line)["meta"].get(key, "?")
            counts[value] = counts.get(value, 0) + 1
    return counts


def run(config: Config, ctx: StageContext) -> StageResult:
    stage_dir = ctx.stage_dir("generate")
    teacher = config.teacher or (ctx.require("pretrain") if config.endpoint is None else None)
    dataset = config.dataset or ctx.outputs.get("curate")
    seed = config.seed if config.seed is not None else ctx.seed
    out, stats = run_generate(config, teacher, dataset, stage_dir, seed, ctx.outputs.get("demo_data"))
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(stats["reasons"].items())) or "none"
    return StageResult(
        out,
        [f"{stats['kept']} synthetic examples kept of {stats['samples']} samples from {stats['prompts']} prompts "
         f"(rejected: {reasons}) in {stats['seconds']:.0f}s"],
        None,
        {"kept": stats["kept"], "rejected": stats["rejected"]},
    )
