"""PII step: Japanese-first detection and redaction, via ``deshi.data.pii``.

The recognisers (My Number and corporate numbers with check digits, phones, postal codes, addresses,
names, e-mails, IPs, cards with Luhn) live in ``deshi.data.pii``; this step applies the configured
action per type — ``replace`` (typed placeholder), ``mask``, ``drop`` (the whole document) or
``keep`` — and counts detections per type. Only counts leave this step: never the matched values.
"""

from __future__ import annotations

from typing import Any

from deshi.data.config import PIIConfig
from deshi.data.document import Document
from deshi.data.pii.redact import parse_actions, redact_with_plan
from deshi.data.steps import Step
from deshi.errors import DeshiError


class PIIConfigError(DeshiError):
    """A PII type named in the config does not exist."""


def _type_name(pii_type: Any) -> str:
    return str(getattr(pii_type, "value", pii_type))


class PIIStep(Step):
    name = "pii"

    def __init__(self, config: PIIConfig) -> None:
        super().__init__()
        from deshi.data.pii import PIIRecognizer, PIIType

        known = {_type_name(t): t for t in PIIType}
        unknown = sorted(set(config.actions) - set(known))
        if unknown:
            raise PIIConfigError(f"pii.actions: unknown PII type(s) {unknown}; expected one of {sorted(known)}")
        self.actions = {t: config.actions.get(name, config.default_action) for name, t in known.items()}
        self.recognizer = PIIRecognizer()
        self._plan = parse_actions(self.actions)  # once, not per document
        self._counter_keys: dict[Any, str] = {}  # counts key -> "detected.<TYPE>", built once per key

    def apply(self, doc: Document) -> Document:
        result = redact_with_plan(doc.text, self._plan, self.recognizer)
        if not result.counts:
            return doc  # nothing found (or only kept types): the text is unchanged
        counters = self.stats.counters
        keys = self._counter_keys
        for pii_type, count in result.counts.items():
            if count:
                key = keys.get(pii_type)
                if key is None:
                    key = keys[pii_type] = f"detected.{_type_name(pii_type)}"
                counters[key] += count
        if result.dropped:
            dropping = sorted(
                _type_name(t) for t, c in result.counts.items() if c and self.actions.get(_key(t, self.actions)) == "drop"
            )
            doc.reject(self.name, "pii_" + (dropping[0] if dropping else "drop"))
        else:
            doc.text = result.text
        return doc


def _key(pii_type: Any, actions: dict[Any, str]) -> Any:
    """``counts`` may be keyed by type name or by PIIType; find the matching actions key."""
    if pii_type in actions:
        return pii_type
    name = _type_name(pii_type)
    for key in actions:
        if _type_name(key) == name:
            return key
    return pii_type
