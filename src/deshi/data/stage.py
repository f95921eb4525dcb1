"""Pipeline stage ``curate``: the demo corpus (or any input) → a curated dataset artifact."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from deshi.config import StageConfig
from deshi.data.config import CurateConfig
from deshi.stages import StageContext, StageResult


class Config(CurateConfig, StageConfig):
    input: str | None = Field(
        None, description="File, glob or directory to curate (default: the demo_data stage's corpus.jsonl)."
    )


def run(config: Config, ctx: StageContext) -> StageResult:
    from deshi.data.runner import curate

    source = config.input or str(Path(ctx.require("demo_data")) / "corpus.jsonl")
    out = ctx.stage_dir("curate")
    settings = CurateConfig.model_validate(config.model_dump(exclude={"input"}))
    result = curate(source, out, settings)
    stats = result.stats
    dedup = stats["steps"].get("dedup", {}).get("reasons", {})
    pii = ", ".join(f"{k} {v}" for k, v in stats["pii"].items()) or "none"
    dropped = {name: step["dropped"] for name, step in stats["steps"].items() if step["dropped"]}
    return StageResult(
        out,
        [
            f"kept {stats['output']['documents']} of {stats['input']['records']} documents "
            f"({stats['input']['quarantined']} quarantined lines)",
            "dropped per step: " + (", ".join(f"{k} {v}" for k, v in dropped.items()) or "none"),
            f"dedup removed {dedup.get('exact_duplicate', 0)} exact + {dedup.get('near_duplicate', 0)} near duplicates",
            f"PII redacted: {pii}",
        ],
        result.report,
        {"documents": stats["output"]["documents"], "pii": stats["pii"]},
    )
