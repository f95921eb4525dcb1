"""The stage table: one place that knows which stages exist, their config models, runners and CLIs.

Each stage lives in its own package and exposes, in ``<package>/stage.py``, a config model (a
``StageConfig``) and ``run(config, ctx) -> StageResult``. The pipeline runner and ``deshi demo`` drive
stages only through this table, so a stage can be developed, tested and used on its own.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from deshi.errors import DeshiError
from deshi.registry import Registry


@dataclass(frozen=True)
class Stage:
    name: str
    module: str  # module with `Config` (a StageConfig subclass) and `run(config, ctx)`
    needs: tuple[str, ...] = ()
    summary: str = ""

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:
            return False

    def load(self) -> Any:
        return importlib.import_module(self.module)

    def config_class(self) -> type:
        return self.load().Config


STAGES: tuple[Stage, ...] = (
    Stage("demo_data", "deshi.demo_data.stage", (), "generate the bundled demo corpus (raw data)"),
    Stage("curate", "deshi.data.stage", ("demo_data",), "normalise, filter, redact PII, deduplicate"),
    Stage("tokenizer", "deshi.tokenizer.stage", ("curate",), "train a Japanese tokenizer and report fertility"),
    Stage("pretrain", "deshi.distill.pretrain_stage", ("curate", "tokenizer"), "pre-train the demo teacher"),
    Stage("generate", "deshi.distill.generate_stage", ("pretrain", "curate"), "teacher -> synthetic set"),
    Stage("distill", "deshi.distill.stage", ("pretrain", "generate", "tokenizer"), "distil the student"),
    Stage("eval", "deshi.evals.stage", ("pretrain", "distill", "demo_data"), "evaluate teacher and student"),
    Stage("gate", "deshi.evals.gate_stage", ("eval", "distill"), "gate the student release"),
    Stage("serve", "deshi.serve.stage", ("gate", "distill"), "serve the gated student and query it"),
)


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


def get_stage(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(name)


@dataclass
class StageResult:
    """What a stage hands back to the pipeline: its artifact, lines for the final summary, a report."""

    artifact_dir: Path | None
    summary: list[str] = field(default_factory=list)
    report: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageContext:
    """What a stage may use: where to write, the seed, the registry and earlier stages' artifacts."""

    workspace: Path
    seed: int
    registry: Registry
    outputs: dict[str, Path] = field(default_factory=dict)
    results: dict[str, StageResult] = field(default_factory=dict)
    console: Console = field(default_factory=Console)

    def stage_dir(self, name: str) -> Path:
        path = self.workspace / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def require(self, stage: str) -> Path:
        """The artifact of an earlier stage; a clear error when the pipeline did not run it."""
        if stage not in self.outputs:
            raise StageError(f"this stage needs the output of stage '{stage}', which is not in the pipeline")
        return self.outputs[stage]


def resolve_in(path: str | Path | None, base: Path | None) -> Path | None:
    """A relative path in a stage config is looked up inside an earlier artifact (``base``) first.

    That is how the demo pipeline names ``golden/qa.jsonl`` of the demo_data artifact without knowing
    where the workspace is; absolute paths and paths that do not exist there are taken as given.
    """
    if path is None:
        return None
    path = Path(path)
    if not path.is_absolute() and base is not None and (base / path).exists():
        return base / path
    return path


class StageError(DeshiError):
    """A user-facing stage failure: printed without a traceback, exit code 2."""
