"""The prompt curriculum: domains × task types × difficulty, seeded from documents and golden templates.

A curriculum is YAML (or the ``curriculum:`` block of the generate config)::

    domains: [maintenance, support]      # documents whose meta.domain is listed (empty: all)
    difficulties:
      - {name: easy, max_doc_chars: 200}
      - {name: hard, max_doc_chars: 700}
    tasks:
      - name: summary
        type: summarisation
        templates: ["次の文書を一文で要約してください。\\n\\n{document}"]
      - name: extract
        type: extraction_json
        templates: ["次の文書から日付・設備名・部署をJSONで抽出してください。\\n\\n{document}"]
      - name: golden
        type: qa
        source: questions                # one prompt per question (golden templates), no document
        templates: ["{question}"]
        sampling: {temperature: 0}       # per-task override: greedy answers (the teacher's best guess)
    prompts_per_document: 1
    max_prompts: 400

Prompt building is deterministic for a seed: the same documents and curriculum give the same prompts
with the same ids (a hash of task, difficulty and source), which is what makes generation resumable.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deshi.errors import DeshiError

TASK_TYPES = ("qa", "summarisation", "extraction_json", "explanation", "continuation", "classification")


class CurriculumError(DeshiError):
    """The curriculum cannot produce prompts (bad template, unknown placeholder, nothing selected)."""


class TaskSampling(BaseModel):
    """Per-task overrides of the generate stage's sampling settings (unset fields keep the stage's).

    Why per task: factual QA wants the teacher's single best answer (``temperature: 0`` = greedy,
    one sample), while summaries and extractions profit from diverse samples at a higher temperature.
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(None, ge=0, description="0 = greedy decoding (one sample per prompt).")
    top_p: float | None = Field(None, gt=0, le=1)
    max_new_tokens: int | None = Field(None, ge=1)
    samples_per_prompt: int | None = Field(None, ge=1)

    def overrides(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: Literal["qa", "summarisation", "extraction_json", "explanation", "continuation", "classification"] = "qa"
    templates: list[str] = Field(min_length=1, description="Python format strings with {document}, {question}, {domain}.")
    source: Literal["documents", "questions"] = "documents"
    weight: float = Field(1.0, gt=0)
    sampling: TaskSampling | None = Field(None, description="Overrides of the stage's sampling settings for this task's prompts.")

    @model_validator(mode="after")
    def _placeholders(self) -> Task:
        allowed = {"document", "question", "domain"}
        import string

        for template in self.templates:
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
            except ValueError as exc:
                raise ValueError(f"task {self.name}: bad template {template!r}: {exc}") from None
            unknown = names - allowed
            if unknown:
                raise ValueError(f"task {self.name}: unknown placeholder(s) {sorted(unknown)} (allowed: {sorted(allowed)})")
            if self.source == "documents" and "document" not in names:
                raise ValueError(f"task {self.name}: a documents-seeded template must contain {{document}}")
            if self.source == "questions" and "question" not in names:
                raise ValueError(f"task {self.name}: a questions-seeded template must contain {{question}}")
        return self


class Difficulty(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    max_doc_chars: int = Field(400, ge=20)


class Curriculum(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domains: list[str] = Field(default_factory=list, description="Keep documents whose meta.domain is listed; empty = all.")
    tasks: list[Task] = Field(min_length=1)
    difficulties: list[Difficulty] = Field(default_factory=lambda: [Difficulty(name="default", max_doc_chars=400)])
    prompts_per_document: int = Field(1, ge=1)
    max_prompts: int | None = Field(None, ge=1)
    max_documents: int | None = Field(None, ge=1)


@dataclass
class Prompt:
    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    sampling: dict[str, Any] = field(default_factory=dict)  # the task's overrides of the stage's sampling


def _task_id_parts(task: Task) -> list[str]:
    """Extra id parts when a task overrides sampling: other settings give other prompt ids, so a resumed
    generation never reuses answers written under different settings (no override: ids unchanged)."""
    return [repr(sorted(task.sampling.overrides().items()))] if task.sampling and task.sampling.overrides() else []


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending at a sentence end (。 or newline) when there is one."""
    if len(text) <= limit:
        return text.strip()
    head = text[:limit]
    cut = max(head.rfind("。"), head.rfind("\n"))
    return (head[: cut + 1] if cut > limit // 3 else head).strip()


def _pid(*parts: str) -> str:
    return "p-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def build_prompts(
    curriculum: Curriculum,
    documents: Iterable[dict[str, Any]],
    questions: list[str],
    seed: int,
) -> list[Prompt]:
    """Every prompt the curriculum asks for, deterministic for the seed; empty selection is an error."""
    rng = random.Random(seed)
    doc_tasks = [t for t in curriculum.tasks if t.source == "documents"]
    q_tasks = [t for t in curriculum.tasks if t.source == "questions"]
    wanted = set(curriculum.domains)
    prompts: list[Prompt] = []
    used_docs = 0
    if doc_tasks:
        for record in documents:
            text = record.get("text") if isinstance(record, dict) else None
            if not isinstance(text, str) or not text.strip():
                continue
            meta = record.get("meta") or {}
            domain = str(meta.get("domain", "general"))
            if wanted and domain not in wanted:
                continue
            if curriculum.max_documents is not None and used_docs >= curriculum.max_documents:
                break
            used_docs += 1
            doc_id = str(record.get("id", hashlib.sha256(text.encode()).hexdigest()[:12]))
            for _ in range(curriculum.prompts_per_document):
                task = rng.choices(doc_tasks, weights=[t.weight for t in doc_tasks])[0]
                level = rng.choice(curriculum.difficulties)
                template = rng.choice(task.templates)
                body = template.format(document=_cut(text, level.max_doc_chars), domain=domain, question="")
                prompts.append(
                    Prompt(
                        _pid(task.name, level.name, doc_id, template, str(len(prompts)), *_task_id_parts(task)),
                        body,
                        {"task": task.name, "type": task.type, "difficulty": level.name, "domain": domain, "source_doc": doc_id},
                        task.sampling.overrides() if task.sampling else {},
                    )
                )
    for task in q_tasks:
        for number, question in enumerate(questions):
            template = task.templates[number % len(task.templates)]
            prompts.append(
                Prompt(
                    _pid(task.name, question, template, *_task_id_parts(task)),
                    template.format(question=question, domain="", document=""),
                    {"task": task.name, "type": task.type, "difficulty": "question", "domain": "", "source_question": number},
                    task.sampling.overrides() if task.sampling else {},
                )
            )
    if curriculum.max_prompts is not None and len(prompts) > curriculum.max_prompts:
        rng.shuffle(prompts)
        prompts = prompts[: curriculum.max_prompts]
    if not prompts:
        detail = f" (domains {sorted(wanted)} matched no document)" if wanted else ""
        raise CurriculumError(f"the curriculum produced no prompts{detail}")
    return prompts


def load_curriculum(path: Path | str) -> Curriculum:
    from deshi.config import load_yaml, validate_model

    data, lines = load_yaml(path)
    return validate_model(Curriculum, data, str(path), lines)


DEFAULT_CURRICULUM = Curriculum(
    tasks=[
        Task(name="summary", type="summarisation", templates=["次の文書を一文で要約してください。\n\n{document}"]),
        Task(name="extract", type="extraction_json", templates=["次の文書から日付・設備名・部署・数値をJSON形式で抽出してください。\n\n{document}"]),
        Task(name="explain", type="explanation", templates=["次の文書の要点を説明してください。\n\n{document}"]),
    ],
    difficulties=[Difficulty(name="easy", max_doc_chars=160), Difficulty(name="hard", max_doc_chars=480)],
)
