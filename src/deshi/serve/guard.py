"""Safety guard: PII in prompts (mask or block), PII in outputs (flag or mask), prompt-injection heuristics.

PII detection is deshi's own recogniser set (``deshi.data.pii.find_pii``: the same detectors that curate
the training data, with check digits for My Number, corporate numbers and cards). Until that package is
installed, a small built-in set of checked regexes is used. Every action is a ``Incident`` with a type,
counted in /metrics and written to the audit record.

Hot path: most prompts contain no PII and no injection phrase, so a single precompiled pre-check regex
decides in microseconds whether the full recognisers run at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from deshi.serve.config import GuardConfig


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Incident:
    """One guard action: ``kind`` is what happened, ``type`` the PII type or heuristic that fired."""

    kind: str  # prompt_pii_masked | prompt_pii_blocked | output_pii | output_pii_masked | injection | injection_blocked
    type: str
    where: str  # prompt | output

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "type": self.type, "where": self.where}


def _digits(text: str) -> str:
    """ASCII digits of a match (full-width ０-９ count: Japanese text uses both)."""
    return re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _my_number_ok(digits: str) -> bool:
    # Check digit of the Japanese Individual Number (12 digits), per the Ministry's formula.
    body, check = digits[:11], int(digits[11])
    total = sum(int(body[10 - n]) * (n + 2 if n <= 5 else n - 4) for n in range(11))
    rem = total % 11
    return check == (0 if rem <= 1 else 11 - rem)


_BUILTIN: list[tuple[str, re.Pattern[str], Callable[[str], bool] | None]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), None),
    ("CREDIT_CARD", re.compile(r"(?<!\d)(?:\d[ -]?){13,16}(?!\d)"), lambda s: _luhn(_digits(s))),
    ("MY_NUMBER", re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)"), lambda s: _my_number_ok(_digits(s))),
    ("PHONE", re.compile(r"(?<!\d)(?:0\d{1,4}-\d{1,4}-\d{3,4}|0[789]0\d{8}|\+81[ -]?\d{1,4}[ -]?\d{1,4}[ -]?\d{3,4})(?!\d)"), None),
    ("POSTAL_CODE", re.compile(r"〒\s?\d{3}-\d{4}"), None),
    ("IP_ADDRESS", re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])"), None),
]


def _builtin_find(text: str) -> list[Span]:
    spans: list[Span] = []
    taken: list[tuple[int, int]] = []
    for name, pattern, check in _BUILTIN:
        for m in pattern.finditer(text):
            if check is not None and not check(m.group()):
                continue
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            spans.append(Span(name, m.start(), m.end()))
    return sorted(spans, key=lambda s: s.start)


def _span_from(obj: Any) -> Span:
    """deshi.data.pii returns match objects; accept attribute, mapping or tuple shapes."""
    if isinstance(obj, dict):
        typ, start, end = obj["type"], obj["start"], obj["end"]
    elif isinstance(obj, tuple):
        typ, start, end = obj[0], obj[1], obj[2]
    else:
        typ, start, end = obj.type, obj.start, obj.end
    typ = getattr(typ, "value", None) or getattr(typ, "name", None) or str(typ)
    return Span(str(typ).upper(), int(start), int(end))


def _load_finder() -> tuple[Callable[[str], list[Span]], str]:
    try:
        from deshi.data.pii import default_recognizer  # type: ignore[import-not-found]
    except ImportError:
        return _builtin_find, "builtin"
    find_pii = default_recognizer().find  # what find_pii(text) calls, minus its per-call cache lookup

    def find(text: str) -> list[Span]:
        found = find_pii(text)
        if not found:  # most texts: skip building and sorting nothing
            return []
        return sorted((_span_from(m) for m in found), key=lambda s: s.start)

    return find, "deshi.data.pii"


# Prompt-injection heuristics: phrases that try to override instructions or exfiltrate the system
# prompt, in English and Japanese. Heuristics, so the default action is to flag, not block.
_INJECTION = [
    ("ignore_instructions", r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:previous|prior|above|earlier|all|system)\b.{0,20}\b(?:instructions?|prompts?|rules?|directions?)"),
    ("reveal_system_prompt", r"\b(?:reveal|show|print|repeat|output|leak)\b.{0,40}\b(?:system|hidden|initial)\s+(?:prompt|instructions?|message)"),
    ("role_override", r"\byou\s+are\s+now\b.{0,40}\b(?:dan|jailbroken|unrestricted|developer mode)|\bdeveloper\s+mode\b|\bjailbreak"),
    ("ignore_instructions", r"(?:以前|前|上記|これまで|全て|すべて)の(?:指示|命令|ルール|制約)を(?:無視|忘れ)"),
    ("reveal_system_prompt", r"システムプロンプトを(?:表示|出力|教え|見せ)"),
    ("role_override", r"制限(?:を|の)(?:解除|無視)|脱獄"),
]
_INJECTION_RES = [(name, re.compile(pat, re.IGNORECASE | re.DOTALL)) for name, pat in _INJECTION]
# Pre-checks: PII needs a digit, '@' or '〒'; injection needs one of these stems.
_PII_PRECHECK = re.compile(r"[0-9０-９@＠〒]")
# Substring tests on the casefolded text (casefold, not lower: IGNORECASE also matches 'ſ' as 's' and
# the Kelvin sign as 'k'): ~1 µs, where one case-insensitive alternation regex took ~13 µs per prompt.
# Every pattern above contains one of these stems, so a text without any cannot match.
_INJECTION_STEMS = ("ignore", "disregard", "forget", "override", "reveal", "show", "print", "repeat", "output", "leak",
                    "now", "developer", "jailbreak", "指示", "命令", "ルール", "制約", "システムプロンプト", "制限", "脱獄")


def _may_inject(text: str) -> bool:
    folded = text.casefold()
    return any(stem in folded for stem in _INJECTION_STEMS)


class GuardBlocked(Exception):
    """The request was refused by the guard; ``incidents`` says why (never the matched text)."""

    def __init__(self, message: str, incidents: list[Incident]):
        super().__init__(message)
        self.incidents = incidents


class Guard:
    def __init__(self, config: GuardConfig, pii_finder: Callable[[str], list[Span]] | None = None) -> None:
        self.config = config
        if pii_finder is None:
            self.find_pii, self.pii_source = _load_finder()
            self._use_precheck = self.pii_source == "builtin"
        else:
            self.find_pii, self.pii_source, self._use_precheck = pii_finder, "custom", False

    def _pii(self, text: str) -> list[Span]:
        if self._use_precheck and not _PII_PRECHECK.search(text):
            return []
        return self.find_pii(text)

    @staticmethod
    def _mask(text: str, spans: Iterable[Span]) -> str:
        out, last = [], 0
        for span in sorted(spans, key=lambda s: s.start):
            if span.start < last:
                continue
            out.append(text[last:span.start])
            out.append(f"[{span.type}]")
            last = span.end
        out.append(text[last:])
        return "".join(out)

    def check_prompt(self, texts: list[str]) -> tuple[list[str], list[Incident]]:
        """Return the (possibly masked) texts and the incidents; raise GuardBlocked to refuse."""
        incidents: list[Incident] = []
        cfg = self.config
        if cfg.injection != "off":
            for text in texts:
                if not _may_inject(text):
                    continue
                for name, pattern in _INJECTION_RES:
                    if pattern.search(text):
                        incidents.append(Incident("injection_blocked" if cfg.injection == "block" else "injection", name, "prompt"))
                        break
            if cfg.injection == "block" and incidents:
                raise GuardBlocked("request blocked: prompt-injection pattern detected", incidents)
        if cfg.prompt_pii == "off":
            return texts, incidents
        out = []
        for text in texts:
            spans = self._pii(text)
            if spans:
                kind = "prompt_pii_blocked" if cfg.prompt_pii == "block" else "prompt_pii_masked"
                incidents.extend(Incident(kind, s.type, "prompt") for s in spans)
                text = self._mask(text, spans)
            out.append(text)
        if cfg.prompt_pii == "block" and any(i.kind == "prompt_pii_blocked" for i in incidents):
            types = sorted({i.type for i in incidents if i.kind == "prompt_pii_blocked"})
            raise GuardBlocked(f"request blocked: personal data in prompt ({', '.join(types)})", incidents)
        return out, incidents

    def check_output(self, text: str) -> tuple[str, list[Incident]]:
        if self.config.output_pii == "off" or not text:
            return text, []
        spans = self._pii(text)
        if not spans:
            return text, []
        if self.config.output_pii == "mask":
            return self._mask(text, spans), [Incident("output_pii_masked", s.type, "output") for s in spans]
        return text, [Incident("output_pii", s.type, "output") for s in spans]
