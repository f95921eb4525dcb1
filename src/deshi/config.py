"""Configuration: YAML files validated by pydantic, with errors a user can act on.

A pipeline file names a workspace, a seed and the stages to run, each with its own config model (the
model lives beside the stage, in ``deshi/<stage package>/stage.py``; ``deshi.stages`` maps names to
them). A bad value is reported as ``file:line: field.path: what was expected (got …)`` — never as a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deshi.errors import DeshiError

M = TypeVar("M", bound=BaseModel)


class StageConfig(BaseModel):
    """Base of every stage config: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace: Path = Field(Path("workspace"), description="Directory where every stage writes its artifact.")
    seed: int = Field(0, description="Default seed for every stage that does not set its own.")
    registry_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file in the workspace.")
    stages: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Stage name -> its config.")


@dataclass
class ConfigIssue:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path or '(top level)'}: {self.message}"


class ConfigError(DeshiError):
    """One or more problems in a config file; ``str()`` lists each with file, line and field path."""

    def __init__(self, issues: list[ConfigIssue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _line_index(node: yaml.Node | None, prefix: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Map every key path in a YAML document to its 1-based line, to point errors at the right line."""
    if node is None:
        return
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[prefix + (key,)] = key_node.start_mark.line + 1
            _line_index(value_node, prefix + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_index(item, prefix + (index,), out)


def load_yaml(path: Path | str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML and return (data, line index). Syntax errors become a ConfigError with the line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([ConfigIssue(str(path), None, "", "file not found")])
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigIssue(str(path), line, "", f"invalid YAML: {getattr(exc, 'problem', exc)}")]) from None
    lines: dict[tuple[Any, ...], int] = {}
    _line_index(node, (), lines)
    return data, lines


def _issues_from(exc: ValidationError, file: str, lines: dict[tuple[Any, ...], int], prefix: tuple[Any, ...]) -> list[ConfigIssue]:
    issues = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        line = None
        for cut in range(len(loc), -1, -1):
            if loc[:cut] in lines:
                line = lines[loc[:cut]]
                break
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see the stage's --help for its fields)"
        elif "input" in err and err["type"] != "missing" and not isinstance(err["input"], dict | list):
            message += f" (got {err['input']!r})"
        issues.append(ConfigIssue(file, line, ".".join(str(p) for p in loc), message))
    return issues


def validate_model(model: type[M], data: Any, file: str, lines: dict[tuple[Any, ...], int] | None = None, prefix: tuple[Any, ...] = ()) -> M:
    """Validate ``data`` against ``model``; raise ConfigError naming file, line and field path."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(_issues_from(exc, file, lines or {}, prefix)) from None


def load_config(model: type[M], path: Path | str) -> M:
    """Load one YAML file into one config model (used by stage commands' ``--config``)."""
    data, lines = load_yaml(path)
    return validate_model(model, data, str(path), lines)


@dataclass
class LoadedPipeline:
    path: Path
    pipeline: PipelineConfig
    stages: dict[str, StageConfig]


def load_pipeline(path: Path | str) -> LoadedPipeline:
    """Load and validate a pipeline file: the top level, then every stage against its own model.

    Relative paths in the file are resolved by the stages against the current directory, like every
    other CLI; ``workspace`` is the one path most users set.
    """
    from deshi.stages import get_stage, stage_names

    path = Path(path)
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(str(path), 1, "", "expected a mapping with 'workspace', 'seed' and 'stages'")])
    pipeline = validate_model(PipelineConfig, data, str(path), lines)
    issues: list[ConfigIssue] = []
    stages: dict[str, StageConfig] = {}
    for name, raw in pipeline.stages.items():
        try:
            stage = get_stage(name)
        except KeyError:
            issues.append(
                ConfigIssue(str(path), lines.get(("stages", name)), f"stages.{name}",
                            f"unknown stage; expected one of: {', '.join(stage_names())}")
            )
            continue
        try:
            stages[name] = validate_model(stage.config_class(), raw, str(path), lines, ("stages", name))
        except ConfigError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ConfigError(issues)
    return LoadedPipeline(path, pipeline, stages)
