"""The unit every curation step sees: one document with its provenance and, once rejected, why.

Modelled on HojiChar's ``Document.is_rejected``: a step marks a document instead of silently
dropping it, so rejected documents still reach a writer that records which step rejected them and
for what reason (counts in ``stats.json``, ids in ``rejected.jsonl`` — never the text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Document:
    """One input record. ``source``/``line`` locate it in the input for the audit trail."""

    id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int = 0
    rejected_by: str | None = None
    reason: str | None = None
    # (text, facts) computed by one step for a later one (deshi.data.chars.doc_char_counts): valid only
    # while ``text`` is still this object, so a step that changes the text invalidates it by itself.
    memo: tuple[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def rejected(self) -> bool:
        return self.rejected_by is not None

    def reject(self, step: str, reason: str) -> None:
        """Mark the document as dropped by ``step``; ``reason`` is a short code, never document text."""
        self.rejected_by = step
        self.reason = reason

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "meta": self.meta}
