"""The vocabulary every PII consumer shares: types, spans and the placeholders that replace them.

Curation, the eval stage's leak probes, the synthetic-data filter and the serving guard all speak
these types, and the tokenizer makes the placeholders user-defined symbols, so they live in one
small module with no dependencies.

A span deliberately stores offsets, never the matched value: spans get logged, counted and
written to reports, and a value inside a span object would leak the moment someone prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PIIType(StrEnum):
    """Kinds of personal or identifying data the recognisers find (a ``str``: ``PIIType.PHONE == "PHONE"``)."""

    PERSON = "PERSON"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    MY_NUMBER = "MY_NUMBER"
    CORPORATE_NUMBER = "CORPORATE_NUMBER"
    POSTAL_CODE = "POSTAL_CODE"
    ADDRESS = "ADDRESS"
    IP_ADDRESS = "IP_ADDRESS"
    CREDIT_CARD = "CREDIT_CARD"

    @classmethod
    def parse(cls, value: PIIType | str) -> PIIType:
        """Accept a member or its name in any case ("phone", "PHONE"); unknown names raise ValueError."""
        if isinstance(value, PIIType):
            return value
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            known = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown PII type {value!r} (known: {known})") from None


#: Typed placeholders written by ``redact(..., "replace")``. The tokenizer stage registers these as
#: user-defined symbols so a redacted corpus does not waste vocabulary on ``<``, ``PH``, ``ONE`` ...
PLACEHOLDERS: dict[PIIType, str] = {
    PIIType.PERSON: "<NAME>",
    PIIType.PHONE: "<PHONE>",
    PIIType.EMAIL: "<EMAIL>",
    PIIType.MY_NUMBER: "<MY_NUMBER>",
    PIIType.CORPORATE_NUMBER: "<CORPORATE_NUMBER>",
    PIIType.POSTAL_CODE: "<POSTAL_CODE>",
    PIIType.ADDRESS: "<ADDRESS>",
    PIIType.IP_ADDRESS: "<IP>",
    PIIType.CREDIT_CARD: "<CARD>",
}


@dataclass(frozen=True, slots=True)
class PIISpan:
    """One finding: ``text[start:end]`` is personal data of ``type``.

    ``score`` is a confidence in [0, 1] (checksum-validated numbers score highest, a name guessed
    from its shape lowest); ``recognizer`` names the rule that fired, for debugging and for the
    per-rule counts in curation statistics. The value itself is not stored, on purpose.
    """

    start: int
    end: int
    type: PIIType
    score: float
    recognizer: str

    def text(self, doc: str) -> str:
        """The matched value, read back from the document it was found in."""
        return doc[self.start : self.end]

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, start: int, end: int) -> bool:
        """True if this span shares at least one character with ``[start, end)``."""
        return self.start < end and start < self.end
