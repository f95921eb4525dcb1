"""Pipeline stage ``demo_data``: the bundled demo corpus as a raw-data artifact (lineage starts here)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import Field

from deshi.artifacts import Manifest, write_manifest
from deshi.config import StageConfig
from deshi.stages import StageContext, StageResult


class Config(StageConfig):
    docs: int = Field(2000, ge=1, description="Number of corpus documents.")
    seed: int | None = Field(None, description="Generator seed (default: the pipeline seed).")
    malformed: int = Field(0, ge=0, description="Malformed JSONL lines to mix in (to exercise quarantine).")


def write_artifact(config: Config, out: Path, seed: int = 0) -> dict[str, Any]:
    """Generate the corpus into ``out`` and seal it with a manifest; returns the generator's summary."""
    from deshi.demo_data import generate_demo_corpus

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    used_seed = config.seed if config.seed is not None else seed
    summary = generate_demo_corpus(out, docs=config.docs, seed=used_seed, malformed=config.malformed)
    seconds = time.perf_counter() - started
    counts = {"documents": config.docs, "malformed_lines": config.malformed}
    for key in ("pii", "pii_counts", "labels"):
        if isinstance(summary.get(key), dict):
            counts.update({f"pii_{k}": v for k, v in summary[key].items()})
            break
    write_manifest(out, Manifest("demo_data", config, [], counts, {"generate_s": seconds}, used_seed))
    return {**summary, "documents": config.docs, "seconds": seconds}


def run(config: Config, ctx: StageContext) -> StageResult:
    out = ctx.stage_dir("demo_data")
    summary = write_artifact(config, out, ctx.seed)
    return StageResult(
        out,
        [f"{config.docs} demo documents with labelled PII, duplicates and noise in {out} ({summary['seconds']:.1f}s)"],
    )
