"""Document model: text is built from segments so that every label offset is exact.

A document is never produced as a finished string and then searched for its PII (that
would mislabel a name that also occurs inside a longer word, or a number repeated in a
decoy). Instead it is a list of :class:`Block` s (paragraphs or field lists), each a list
of sentences, each a list of segments: plain ``str`` or a :class:`Piece` that carries its
label. :func:`render` concatenates them and records where each piece landed, so
``text[start:end] == value`` holds by construction, also after near-duplicate edits and
noise transforms, which operate on the segment structure and only touch plain strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from random import Random
from typing import Any

PII = "pii"
DECOY = "decoy"
FACT = "fact"


@dataclass(frozen=True, slots=True)
class Piece:
    """A labelled stretch of text.

    ``category`` is PII (goes to labels.jsonl), DECOY (decoys.jsonl) or FACT (a world
    fact's answer: unlabelled, but protected from edits so golden answers stay findable).
    ``label`` is the PII/decoy type, or the fact id.
    """

    text: str
    category: str
    label: str


Segment = str | Piece
Sentence = list[Segment]


@dataclass(slots=True)
class Block:
    """A paragraph (``sep=""``: sentences run on) or a field list (``sep="\\n"``)."""

    sentences: list[Sentence]
    sep: str = ""


@dataclass(frozen=True, slots=True)
class Span:
    """Where a :class:`Piece` landed in the rendered text (character offsets)."""

    start: int
    end: int
    piece: Piece


def render(blocks: list[Block], block_sep: str = "\n\n") -> tuple[str, list[Span]]:
    """Join blocks into text and return the text with the spans of all pieces."""
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    for bi, block in enumerate(blocks):
        if bi:
            parts.append(block_sep)
            pos += len(block_sep)
        for si, sentence in enumerate(block.sentences):
            if si and block.sep:
                parts.append(block.sep)
                pos += len(block.sep)
            for seg in sentence:
                if isinstance(seg, Piece):
                    end = pos + len(seg.text)
                    spans.append(Span(pos, end, seg))
                    parts.append(seg.text)
                    pos = end
                else:
                    parts.append(seg)
                    pos += len(seg)
    return "".join(parts), spans


SlotFn = Callable[["Ctx"], Segment | list[Segment]]


@dataclass(slots=True)
class Ctx:
    """Everything a template needs while one document is being written.

    ``values`` holds per-document choices (the equipment this log is about, the person in
    charge) so that repeated mentions agree; ``slots`` are generators called afresh for
    every occurrence (a new date, a new phone number).
    """

    rng: Random
    world: Any
    slots: dict[str, SlotFn]
    values: dict[str, Segment | list[Segment]] = field(default_factory=dict)

    def get(self, name: str) -> list[Segment]:
        """Resolve ``{name}``: a per-document value first, else a slot generator."""
        val = self.values.get(name)
        if val is None:
            fn = self.slots.get(name)
            if fn is None:
                raise KeyError(f"unknown template slot {{{name}}}")
            val = fn(self)
        return val if isinstance(val, list) else [val]


_FIELD = re.compile(r"\{([^{}]*)\}")


@lru_cache(maxsize=8192)
def _parse(template: str) -> tuple[tuple[int, Any], ...]:
    """Split a template into (0, literal) / (1, slot name) / (2, alternatives) parts."""
    out: list[tuple[int, Any]] = []
    last = 0
    for m in _FIELD.finditer(template):
        if m.start() > last:
            out.append((0, template[last : m.start()]))
        body = m.group(1)
        if "|" in body:
            out.append((2, tuple(body.split("|"))))
        else:
            out.append((1, body))
        last = m.end()
    if last < len(template):
        out.append((0, template[last:]))
    return tuple(out)


def fill(template: str, ctx: Ctx) -> Sentence:
    """Instantiate a template into a sentence.

    Syntax: ``{slot}`` is resolved through :meth:`Ctx.get`; ``{a|b|}`` picks one literal
    alternative uniformly (an empty alternative makes the part optional).
    """
    out: Sentence = []
    for kind, val in _parse(template):
        if kind == 0:
            out.append(val)
        elif kind == 1:
            out.extend(ctx.get(val))
        else:
            pick = val[ctx.rng.randrange(len(val))]
            if pick:
                out.append(pick)
    return out


def pick_fill(templates: list[str] | tuple[str, ...], ctx: Ctx) -> Sentence:
    """Fill one template chosen at random from ``templates``."""
    return fill(templates[ctx.rng.randrange(len(templates))], ctx)


def map_text(blocks: list[Block], fn: Callable[[str], str]) -> list[Block]:
    """Apply ``fn`` to every plain-string segment, leaving pieces (labels) untouched."""
    return [
        Block([[fn(s) if isinstance(s, str) else s for s in sent] for sent in b.sentences], b.sep)
        for b in blocks
    ]


def copy_blocks(blocks: list[Block]) -> list[Block]:
    """Deep-enough copy for editing (segments themselves are immutable)."""
    return [Block([list(sent) for sent in b.sentences], b.sep) for b in blocks]
