"""The step interface: every curation step takes and yields a stream of documents and counts.

The shape follows datatrove's ``PipelineStep.run(data)`` (a generator in, a generator out, so
streaming and sharding come for free) and HojiChar's ``Filter.apply(document)`` (mark, don't drop).
Each step owns a :class:`StepStats`: how many documents it kept unchanged, changed, and dropped, the
drop reasons, and step-specific counters (e.g. PII detections per type). Counters are plain ints, so
per-shard stats merge by addition and ``stats.json`` never contains document content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from deshi.data.document import Document


@dataclass
class StepStats:
    """What one step did. ``counters`` hold step-specific counts (e.g. ``pii.PHONE``)."""

    seen: int = 0
    kept: int = 0
    changed: int = 0
    dropped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    counters: Counter[str] = field(default_factory=Counter)

    def merge(self, other: StepStats) -> None:
        self.seen += other.seen
        self.kept += other.kept
        self.changed += other.changed
        self.dropped += other.dropped
        self.reasons.update(other.reasons)
        self.counters.update(other.counters)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "kept": self.kept,
            "changed": self.changed,
            "dropped": self.dropped,
            "reasons": dict(sorted(self.reasons.items())),
            "counters": dict(sorted(self.counters.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepStats:
        return cls(
            data.get("seen", 0), data.get("kept", 0), data.get("changed", 0), data.get("dropped", 0),
            Counter(data.get("reasons", {})), Counter(data.get("counters", {})),
        )


class Step:
    """Base class: subclasses implement :meth:`apply`; :meth:`run` does the bookkeeping.

    ``apply`` may change ``doc.text`` and/or call ``doc.reject(self.name, reason)``. It must not
    keep per-document state between calls (steps run in many processes and must give the same
    answer for a document wherever it runs).
    """

    name = "step"

    def __init__(self) -> None:
        self.stats = StepStats()

    def apply(self, doc: Document) -> Document:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Apply to every not-yet-rejected document, count, and pass everything downstream."""
        for doc in docs:
            if not doc.rejected:
                self.apply_counted(doc)
            yield doc

    def apply_counted(self, doc: Document) -> None:
        """Apply to one not-yet-rejected document and count it as kept, changed or dropped (with reason)."""
        stats = self.stats
        stats.seen += 1
        before = doc.text
        self.apply(doc)
        if doc.rejected:
            stats.dropped += 1
            stats.reasons[doc.reason or "unspecified"] += 1
        elif doc.text != before:
            stats.changed += 1
        else:
            stats.kept += 1


def run_steps(steps: list[Step], docs: Iterable[Document]) -> Iterator[Document]:
    """Chain steps lazily: documents flow one at a time through the whole list.

    When no step overrides :meth:`Step.run`, the chain is one loop doing exactly what the chained
    generators do (same per-step counts, same order) without a generator hop per step and document."""
    if any(type(step).run is not Step.run for step in steps):
        stream: Iterable[Document] = docs
        for step in steps:
            stream = step.run(stream)
        yield from stream
        return
    for doc in docs:
        for step in steps:
            if doc.rejected_by is not None:
                break
            step.apply_counted(doc)
        yield doc
