"""Optional NER pass: GiNZA (spaCy + SudachiPy) PERSON entities, for names no rule catches.

GiNZA is an optional extra (``deshi[ner]``): it is large, slow (~10x the rule passes) and most
curation runs do not need it. It is imported only when ``PIIRecognizer(use_ner=True)`` is asked for,
and its absence is reported with the exact install command, like datatrove's optional steps.
"""

from __future__ import annotations

from typing import Any

from deshi.data.pii.types import PIISpan, PIIType
from deshi.errors import DeshiError


class NERUnavailable(DeshiError):
    """use_ner=True but GiNZA / ja_ginza is not installed."""


_PERSON_LABELS = frozenset({"Person", "PERSON", "PER"})


class GinzaPersonFinder:
    """PERSON spans from the ``ja_ginza`` spaCy pipeline (loaded once per process)."""

    def __init__(self, model: str = "ja_ginza") -> None:
        try:
            import spacy
        except ImportError:
            raise NERUnavailable("use_ner=True needs GiNZA: pip install 'deshi[ner]'") from None
        try:
            self._nlp: Any = spacy.load(model)
            # Only the entity recogniser and its token-vector layer are needed (parser, morphologizer
            # and bunsetu recogniser would add time for nothing).
            self._nlp.select_pipes(enable=[p for p in self._nlp.pipe_names if p in ("tok2vec", "ner")])
        except (OSError, ImportError):
            raise NERUnavailable(
                f"use_ner=True needs the spaCy model {model!r}: pip install 'deshi[ner]'"
            ) from None

    def find(self, text: str) -> list[PIISpan]:
        doc = self._nlp(text)
        return [
            PIISpan(ent.start_char, ent.end_char, PIIType.PERSON, 0.7, "ner_ginza")
            for ent in doc.ents
            if ent.label_ in _PERSON_LABELS
        ]
