"""Evaluation tasks: one YAML file (what to ask, how to score) plus a JSONL file of examples.

Three kinds, as in lm-evaluation-harness: ``generate`` (free text scored by named metrics),
``multiple_choice`` (pick the choice with the highest log-likelihood: acc, acc_norm) and
``perplexity`` (held-out text). Prompts are Python format strings over the example's fields; few-shot
examples are drawn (seeded) from the same file or a separate one, never including the example itself.
With ``chat: true`` the prompt becomes a list of chat messages that the model applies its own chat
template to. Every problem is reported with the file and line it came from.

Example task file::

    name: qa_ja
    type: generate
    data: qa.jsonl                 # relative to this file
    prompt: "質問: {question}\\n答え:"
    metrics: [exact_match, char_f1, rouge_l]
    few_shot: 2
    max_new_tokens: 32
    stop: ["\\n"]
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from deshi.config import ConfigError, ConfigIssue, load_yaml, validate_model
from deshi.dataset import read_json_objects
from deshi.errors import DeshiError
from deshi.evals.metrics import ALL_METRICS, GENERATIVE_METRICS, MULTIPLE_CHOICE_METRICS, PERPLEXITY_METRICS

Prompt = str | list[dict[str, str]]


class TaskError(DeshiError):
    """A malformed task file or example file; the message names the file and line."""


def _known_metric(name: str) -> str:
    if name not in ALL_METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of: {', '.join(ALL_METRICS)}")
    return name


# Validated per item, so an error points at the line of the offending list entry.
MetricName = Annotated[str, AfterValidator(_known_metric)]


class TaskSpec(BaseModel):
    """The YAML schema of one task (unknown keys are errors, so typos surface)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.\-]+$", description="Task name (used in results and gate.yaml).")
    type: Literal["generate", "multiple_choice", "perplexity"] = "generate"
    data: str = Field(..., description="JSONL examples, relative to the task file.")
    prompt: str = Field("{question}", description="Format string over example fields.")
    answer_field: str = Field("answer", description="Reference answer (generate) or gold choice (multiple_choice).")
    choices_field: str = Field("choices", description="List of choices (multiple_choice).")
    choice_prefix: str = Field(" ", description="Text put before each choice when scoring its log-likelihood.")
    text_field: str = Field("text", description="Text to score (perplexity).")
    metrics: list[MetricName] = Field(default_factory=list, description="Metric names; default depends on type.")
    metric_options: dict[str, Any] = Field(default_factory=dict, description="Defaults for metrics, e.g. pattern, schema.")
    few_shot: int = Field(0, ge=0, le=32)
    few_shot_data: str | None = Field(None, description="Separate JSONL for few-shot examples (default: data).")
    few_shot_separator: str = "\n\n"
    system_prompt: str | None = None
    chat: bool = Field(False, description="Send as chat messages (the model's chat template is applied).")
    max_new_tokens: int = Field(32, ge=1, le=4096)
    stop: list[str] = Field(default_factory=lambda: ["\n"])
    limit: int | None = Field(None, ge=1, description="Evaluate only the first N examples.")

    @model_validator(mode="after")
    def _metrics_fit_type(self) -> TaskSpec:
        allowed = {
            "generate": tuple(GENERATIVE_METRICS),
            "multiple_choice": MULTIPLE_CHOICE_METRICS,
            "perplexity": PERPLEXITY_METRICS,
        }[self.type]
        if not self.metrics:
            self.metrics = {"generate": ["exact_match", "char_f1"], "multiple_choice": ["acc", "acc_norm"],
                            "perplexity": ["perplexity"]}[self.type]
        wrong = [m for m in self.metrics if m not in allowed]
        if wrong:
            raise ValueError(f"metrics {wrong} do not apply to a {self.type} task; use one of {list(allowed)}")
        return self


@dataclass
class Example:
    """One example with where it came from (file:line), for error messages and per-example records."""

    id: str
    fields: dict[str, Any]
    source: str


@dataclass
class Task:
    spec: TaskSpec
    path: Path
    examples: list[Example]
    shots: list[Example] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    # ---- prompt building -------------------------------------------------------------------------
    def _format(self, example: Example) -> str:
        try:
            return self.spec.prompt.format(**example.fields)
        except KeyError as exc:
            raise TaskError(f"{example.source}: prompt of task {self.name!r} uses field {exc.args[0]!r}, "
                            f"which this example lacks") from None

    def _shot_answer(self, shot: Example) -> str:
        value = shot.fields.get(self.spec.answer_field)
        if self.spec.type == "multiple_choice":
            choices = shot.fields[self.spec.choices_field]
            return str(choices[gold_index(shot, self.spec)])
        return str(value[0] if isinstance(value, list) else value)

    def _shots_for(self, example: Example, seed: int) -> list[Example]:
        if not self.spec.few_shot:
            return []
        pool = [s for s in (self.shots or self.examples) if s.id != example.id]
        rng = random.Random(f"{seed}:{self.name}:{example.id}")
        return rng.sample(pool, min(self.spec.few_shot, len(pool)))

    def build_prompt(self, example: Example, seed: int = 0) -> Prompt:
        """The prompt for one example: plain text, or chat messages when ``chat: true``."""
        shots = self._shots_for(example, seed)
        question = self._format(example)
        sep = self.spec.choice_prefix if self.spec.type == "multiple_choice" else " "
        if self.spec.chat:
            messages: list[dict[str, str]] = []
            if self.spec.system_prompt:
                messages.append({"role": "system", "content": self.spec.system_prompt})
            for shot in shots:
                messages.append({"role": "user", "content": self._format(shot)})
                messages.append({"role": "assistant", "content": self._shot_answer(shot)})
            messages.append({"role": "user", "content": question})
            return messages
        parts = [f"{self._format(s)}{sep}{self._shot_answer(s)}".rstrip() for s in shots]
        parts.append(question)
        body = self.spec.few_shot_separator.join(parts)
        return f"{self.spec.system_prompt}\n\n{body}" if self.spec.system_prompt else body

    def metric_example(self, example: Example) -> dict[str, Any]:
        """The example as metrics see it: task-level metric options, then the example's own fields."""
        merged = {**self.spec.metric_options, **example.fields}
        merged["answer"] = example.fields.get(self.spec.answer_field)
        return merged


def gold_index(example: Example, spec: TaskSpec) -> int:
    """The gold choice as an index: given as an int, a letter (A, B, …) or the choice text itself."""
    choices = example.fields.get(spec.choices_field)
    gold = example.fields.get(spec.answer_field)
    if isinstance(gold, bool):
        raise TaskError(f"{example.source}: {spec.answer_field!r} must be an index, a letter or a choice")
    if isinstance(gold, int) and 0 <= gold < len(choices):
        return gold
    if isinstance(gold, str):
        if gold in choices:
            return choices.index(gold)
        if len(gold) == 1 and gold.upper() in string.ascii_uppercase[: len(choices)]:
            return string.ascii_uppercase.index(gold.upper())
        if gold.isdigit() and int(gold) < len(choices):
            return int(gold)
    raise TaskError(f"{example.source}: gold answer {gold!r} is not an index, letter or text of one of the "
                    f"{len(choices)} choices")


def read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a malformed line is an error naming file:line."""
    return read_json_objects(path, TaskError, "example file")


def _load_examples(path: Path, spec: TaskSpec, limit: int | None) -> list[Example]:
    examples = []
    for number, row in read_jsonl(path):
        source = f"{path}:{number}"
        example = Example(str(row.get("id", f"{path.stem}-{number}")), row, source)
        _check_example(example, spec)
        examples.append(example)
        if limit is not None and len(examples) >= limit:
            break
    if not examples:
        raise TaskError(f"{path}: no examples")
    return examples


def _check_example(example: Example, spec: TaskSpec) -> None:
    fields = example.fields
    if spec.type == "perplexity":
        if not isinstance(fields.get(spec.text_field), str) or not fields[spec.text_field]:
            raise TaskError(f"{example.source}: missing non-empty string field {spec.text_field!r}")
        return
    if spec.type == "multiple_choice":
        choices = fields.get(spec.choices_field)
        if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
            raise TaskError(f"{example.source}: {spec.choices_field!r} must be a list of at least two strings")
        gold_index(example, spec)
    elif spec.answer_field not in fields and not set(spec.metrics) <= {"regex", "json_schema"}:
        raise TaskError(f"{example.source}: missing reference field {spec.answer_field!r}")
    try:
        spec.prompt.format(**fields)
    except KeyError as exc:
        raise TaskError(f"{example.source}: prompt uses field {exc.args[0]!r}, which this example lacks") from None
    except (IndexError, ValueError) as exc:
        raise TaskError(f"{example.source}: cannot format the prompt ({exc})") from None


def load_task(path: Path | str, limit: int | None = None) -> Task:
    """Load and validate one task YAML and its examples; errors name the file and line."""
    path = Path(path)
    data, lines = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError([ConfigIssue(str(path), 1, "", "expected a mapping with name, type, data, …")])
    spec = validate_model(TaskSpec, data, str(path), lines)
    effective_limit = min(x for x in (limit, spec.limit) if x is not None) if (limit or spec.limit) else None
    examples = _load_examples((path.parent / spec.data), spec, effective_limit)
    shots: list[Example] = []
    if spec.few_shot_data:
        shots = _load_examples(path.parent / spec.few_shot_data, spec, None)
    return Task(spec, path, examples, shots)


def load_tasks(paths: list[Path | str], limit: int | None = None) -> list[Task]:
    """Load task files, expanding directories to their ``*.yaml``/``*.yml`` files (sorted)."""
    tasks: list[Task] = []
    for raw in paths:
        path = Path(raw)
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise TaskError(f"{path}: no task files (*.yaml) in this directory")
        tasks.extend(load_task(f, limit) for f in files)
    names = [t.name for t in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TaskError(f"duplicate task names: {', '.join(duplicates)}")
    return tasks
