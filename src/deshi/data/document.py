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
    # name -> (text, facts) computed by one step for a later one (character counts, keyword hits; see
    # :meth:`remembered`): valid only while ``text`` is still that object, so a step that changes the
    # text invalidates them by itself.
    memo: dict[str, tuple[str, Any]] | None = field(default=None, repr=False, compare=False)

    @property
    def rejected(self) -> bool:
        return self.rejected_by is not None

    def reject(self, step: str, reason: str) -> None:
        """Mark the document as dropped by ``step``; ``reason`` is a short code, never document text."""
        self.rejected_by = step
        self.reason = reason

    def remembered(self, name: str) -> Any:
        """What :meth:`remember` stored under ``name`` for the current text, else None."""
        entry = self.memo.get(name) if self.memo is not None else None
        return entry[1] if entry is not None and entry[0] is self.text else None

    def remember(self, name: str, value: Any) -> None:
        if self.memo is None:
            self.memo = {}
        self.memo[name] = (self.text, value)

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "meta": self.meta}
