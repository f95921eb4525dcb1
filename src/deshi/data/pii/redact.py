"""Redaction: turn found spans into placeholders, masks, or a verdict to drop the document.

Actions per type: ``replace`` (typed placeholder such as ``<PHONE>``; the default), ``mask`` (one
``*`` per ASCII character, one ``＊`` per full-width character, so layout and length survive),
``drop`` (the document should not be kept at all: ``dropped=True``), ``keep`` (leave as is, e.g.
corporate numbers, which are public). A dropped document's ``text`` is still redacted as if
``replace`` had been asked, so a caller that ignores the verdict does not leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from deshi.data.pii.recognizer import PIIRecognizer, default_recognizer
from deshi.data.pii.types import PLACEHOLDERS, PIISpan, PIIType

Action = Literal["replace", "mask", "drop", "keep"]
ACTIONS: tuple[str, ...] = ("replace", "mask", "drop", "keep")
_NAMES: dict[PIIType, str] = {t: t.value for t in PIIType}


@dataclass
class RedactionResult:
    """Redacted ``text``, per-type ``counts`` of redacted spans, the ``spans`` found (offsets into
    the ORIGINAL text) and whether the document should be ``dropped``."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)
    spans: list[PIISpan] = field(default_factory=list)
    dropped: bool = False


_ALL_REPLACE: dict[PIIType, str] = {t: "replace" for t in PIIType}


def parse_actions(actions: Mapping[PIIType | str, str] | None) -> dict[PIIType, str]:
    """Complete an action map: every type defaults to ``replace``; bad names raise ValueError."""
    out = dict(_ALL_REPLACE)  # (iterating the enum per call costs more than the copy)
    if not actions:
        return out
    for key, action in actions.items():
        if action not in ACTIONS:
            raise ValueError(f"unknown redaction action {action!r} for {key} (use one of {', '.join(ACTIONS)})")
        out[PIIType.parse(key)] = action
    return out


def _mask(value: str) -> str:
    return "".join("*" if ch.isascii() else "＊" for ch in value)


def redact(
    text: str,
    actions: Mapping[PIIType | str, str] | None = None,
    recognizer: PIIRecognizer | None = None,
) -> RedactionResult:
    """Find PII in ``text`` and apply ``actions`` (default: replace every type by its placeholder)."""
    return redact_with_plan(text, parse_actions(actions), recognizer or default_recognizer())


def redact_with_plan(text: str, plan: Mapping[PIIType, str], rec: PIIRecognizer) -> RedactionResult:
    """:func:`redact` with an action map already completed by :func:`parse_actions` (callers that
    redact many documents with one map, like curation, parse it once instead of per document)."""
    spans = rec.find(text)
    if not spans:
        return RedactionResult(text)
    kept: list[PIISpan] = []
    counts: dict[str, int] = {}
    parts: list[str] = []
    last = 0
    dropped = False
    for span in spans:
        kind = span.type
        action = plan[kind]
        if action == "keep":
            continue
        kept.append(span)
        name = _NAMES[kind]  # (Enum.value is a descriptor call; a dict look-up is not)
        counts[name] = counts.get(name, 0) + 1
        start = span.start
        parts.append(text[last:start])
        last = span.end
        if action == "mask":
            parts.append(_mask(text[start:last]))
        else:
            if action == "drop":
                dropped = True
            parts.append(PLACEHOLDERS[kind])
    if not kept:
        return RedactionResult(text)
    parts.append(text[last:])
    return RedactionResult("".join(parts), counts, kept, dropped)
