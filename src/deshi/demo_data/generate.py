"""Orchestration: world → documents (clean, duplicates, noise) → files and summary.

Determinism: every random choice comes from a ``random.Random`` seeded by
:func:`derive_seed` (SHA-256 of the seed and a stream name), never from the global
generator, ``hash()`` of a string (salted per process) or the clock; no set is iterated
where order reaches the output. Separate streams keep the world, the corpus, the
held-out sets and the golden sets independent: asking for more held-out documents does
not change the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from random import Random

from . import noise
from .decoys import DECOY_TYPES
from .doc import DECOY, FACT, PII, Block, Ctx, render
from .duplicates import near_duplicate
from .golden import build_golden
from .pii import PII_TYPES
from .templates import BUILDERS, DOMAINS, SLOTS, build_english
from .world import World, build_world
from .writer import MALFORMED_KINDS, JsonlWriter, malformed_line

# Per-mille quotas of document kinds. Near/exact duplicates ~10%/~2%, noise ~10%,
# toxic 0.5%, the rest clean. Quotas (not per-document coin flips) keep small corpora
# representative: 200 documents still contain each kind.
KIND_QUOTAS = {
    "near_dup": 100, "exact_dup": 20, "html": 30, "ad": 20, "mojibake": 20, "english": 20, "short": 10,
    "toxic": 5,
}
WIDTH_VARIATION_RATE = 0.04
CONTROL_CHAR_RATE = 0.03
NOISE_DOMAIN = "web"  # ads and toxic posts belong to no business domain
HELDOUT_EN_DOCS = 50


def derive_seed(seed: int, stream: str) -> int:
    """A 64-bit seed for a named stream; stable across processes and Python versions."""
    digest = hashlib.sha256(f"deshi-demo:{seed}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(slots=True)
class _Doc:
    id: str
    blocks: list[Block]
    block_sep: str
    domain: str
    language: str
    kind: str


def _kind_schedule(n: int, rng: Random) -> list[str]:
    kinds: list[str] = []
    for kind, per_mille in KIND_QUOTAS.items():
        count = n * per_mille // 1000
        if count == 0 and n >= 200 and per_mille:
            count = 1
        kinds += [kind] * count
    kinds += ["clean"] * (n - len(kinds))
    rng.shuffle(kinds)
    return kinds


class _Generator:
    """Holds the streams and running tallies while the corpus is written."""

    def __init__(self, world: World, rng: Random) -> None:
        self.world = world
        self.rng = rng
        self.originals: list[_Doc] = []
        self.groups: dict[tuple[str, str], list[str]] = {}
        self.variants: Counter[str] = Counter()

    def ctx(self) -> Ctx:
        return Ctx(self.rng, self.world, SLOTS)

    def clean(self, doc_id: str, domain: str | None = None, variants: bool = True) -> _Doc:
        r = self.rng
        domain = domain or DOMAINS[r.randrange(len(DOMAINS))]
        blocks = BUILDERS[domain](self.ctx())
        if variants and r.random() < WIDTH_VARIATION_RATE:
            blocks = noise.vary_width(blocks, r)
            self.variants["width_variation"] += 1
        if variants and r.random() < CONTROL_CHAR_RATE:
            blocks = noise.insert_control_chars(blocks, r)
            self.variants["control_chars"] += 1
        sep = "\n\n" if r.random() < 0.75 else "\n"
        return _Doc(doc_id, blocks, sep, domain, "ja", "clean")

    def make(self, doc_id: str, kind: str) -> _Doc:
        r = self.rng
        if kind in ("near_dup", "exact_dup") and not self.originals:
            kind = "clean"
        if kind == "clean":
            doc = self.clean(doc_id)
            self.originals.append(doc)
            return doc
        if kind in ("near_dup", "exact_dup"):
            orig = self.originals[r.randrange(len(self.originals))]
            if kind == "exact_dup":
                blocks, sep = orig.blocks, orig.block_sep
            else:
                blocks, sep, _ = near_duplicate(orig.blocks, orig.block_sep, r)
            group_kind = "near" if kind == "near_dup" else "exact"
            self.groups.setdefault((orig.id, group_kind), [orig.id]).append(doc_id)
            return _Doc(doc_id, blocks, sep, orig.domain, "ja", kind)
        if kind == "html":
            base = self.clean(doc_id, variants=False)
            return _Doc(doc_id, noise.wrap_html(base.blocks, self.ctx()), "\n", base.domain, "ja", "html")
        if kind == "mojibake":
            base = self.clean(doc_id, variants=False)
            return _Doc(doc_id, noise.mojibake(base.blocks, r), base.block_sep, base.domain, "ja", "mojibake")
        if kind == "english":
            domain = DOMAINS[r.randrange(len(DOMAINS))]
            return _Doc(doc_id, build_english(self.ctx(), domain), "\n\n", domain, "en", "english")
        if kind == "ad":
            return _Doc(doc_id, noise.advert(self.ctx()), "\n", NOISE_DOMAIN, "ja", "ad")
        if kind == "short":
            domain = DOMAINS[r.randrange(len(DOMAINS))]
            return _Doc(doc_id, noise.short_text(self.ctx()), "\n", domain, "ja", "short")
        if kind == "toxic":
            return _Doc(doc_id, noise.toxic(self.ctx()), "\n", NOISE_DOMAIN, "ja", "toxic")
        raise ValueError(f"unknown kind {kind!r}")


def _record(doc: _Doc, text: str, source: str = "demo") -> dict:
    return {
        "id": doc.id,
        "text": text,
        "meta": {"source": source, "domain": doc.domain, "language": doc.language, "kind": doc.kind},
    }


def _length_stats(lengths: list[int]) -> dict:
    if not lengths:
        return {"min": 0, "median": 0, "max": 0, "share_200_1500": 0.0}
    s = sorted(lengths)
    inside = sum(1 for n in s if 200 <= n <= 1500)
    return {"min": s[0], "median": s[len(s) // 2], "max": s[-1], "share_200_1500": round(inside / len(s), 3)}


def generate_demo_corpus(
    out_dir: Path,
    docs: int = 2000,
    seed: int = 0,
    malformed: int = 0,
    heldout_docs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Write the demo corpus, labels, golden sets and held-out sets into ``out_dir``.

    Same arguments give byte-identical files. ``malformed`` broken lines are inserted into
    corpus.jsonl at seed-determined positions (listed in the summary, 1-based line
    numbers). ``heldout_docs`` defaults to ``max(200, docs // 10)``. ``progress`` is called
    with the number of corpus documents done, every 100 documents and at the end.

    Returns the summary (also written to summary.json): counts per domain, kind, language,
    PII type and decoy type, noise kinds, duplicate groups, malformed lines, golden-set
    sizes and the files written (paths relative to ``out_dir``).
    """
    if docs < 0 or malformed < 0:
        raise ValueError("docs and malformed must be >= 0")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = build_world(Random(derive_seed(seed, "world")))
    gen = _Generator(world, Random(derive_seed(seed, "corpus")))
    kinds = _kind_schedule(docs, Random(derive_seed(seed, "schedule")))

    mal_rng = Random(derive_seed(seed, "malformed"))
    total_lines = docs + malformed
    mal_positions = sorted(mal_rng.sample(range(total_lines), malformed)) if malformed else []
    mal_at = {pos: MALFORMED_KINDS[i % len(MALFORMED_KINDS)] for i, pos in enumerate(mal_positions)}

    files: dict[str, JsonlWriter] = {
        name: JsonlWriter(out_dir / name)
        for name in ("corpus.jsonl", "labels.jsonl", "decoys.jsonl", "duplicates.jsonl")
    }
    corpus, labels, decoy_out = files["corpus.jsonl"], files["labels.jsonl"], files["decoys.jsonl"]
    pii_counts: Counter[str] = Counter({t: 0 for t in PII_TYPES})
    decoy_counts: Counter[str] = Counter({t: 0 for t in DECOY_TYPES})
    domain_counts: Counter[str] = Counter()
    kind_counts: Counter[str] = Counter()
    lang_counts: Counter[str] = Counter()
    sources: dict[str, list[str]] = {}
    malformed_list: list[dict] = []
    lengths: list[int] = []

    doc_i = 0
    for line_no in range(total_lines):
        if line_no in mal_at:
            kind = mal_at[line_no]
            malformed_list.append({"line": line_no + 1, "kind": kind})
            corpus.write_raw(malformed_line(kind, len(malformed_list), mal_rng))
            continue
        doc = gen.make(f"doc-{doc_i:06d}", kinds[doc_i])
        text, spans = render(doc.blocks, doc.block_sep)
        corpus.write(_record(doc, text))
        lengths.append(len(text))
        domain_counts[doc.domain] += 1
        kind_counts[doc.kind] += 1
        lang_counts[doc.language] += 1
        stated: list[str] = []
        for sp in spans:
            p = sp.piece
            if p.category == PII:
                labels.write({"doc_id": doc.id, "start": sp.start, "end": sp.end, "type": p.label, "value": p.text})
                pii_counts[p.label] += 1
            elif p.category == DECOY:
                decoy_out.write({"doc_id": doc.id, "start": sp.start, "end": sp.end, "type": p.label, "value": p.text})
                decoy_counts[p.label] += 1
            elif p.category == FACT and p.label not in stated:
                fact = world.facts[p.label]
                if not fact.anchor or fact.anchor in text:
                    stated.append(p.label)
        for fid in stated:
            sources.setdefault(fid, []).append(doc.id)
        doc_i += 1
        if progress is not None and (doc_i % 100 == 0 or doc_i == docs):
            progress(doc_i)

    dup_out = files["duplicates.jsonl"]
    near_groups = exact_groups = 0
    for g, ((_, kind), ids) in enumerate(gen.groups.items(), 1):
        dup_out.write({"group": g, "kind": kind, "ids": ids})
        near_groups += kind == "near"
        exact_groups += kind == "exact"

    sizes = {name: (w.lines, w.close()) for name, w in files.items()}

    qa, choices = build_golden(world, sources, Random(derive_seed(seed, "golden")))
    for name, items in (("golden/qa.jsonl", qa), ("golden/choice.jsonl", choices)):
        w = JsonlWriter(out_dir / name)
        for item in items:
            w.write(item)
        sizes[name] = (w.lines, w.close())

    n_heldout = max(200, docs // 10) if heldout_docs is None else heldout_docs
    held = _Generator(world, Random(derive_seed(seed, "heldout")))
    w = JsonlWriter(out_dir / "heldout.jsonl")
    for i in range(n_heldout):
        doc = held.clean(f"heldout-{i:06d}", DOMAINS[i % len(DOMAINS)], variants=False)
        w.write(_record(doc, render(doc.blocks, doc.block_sep)[0], source="demo-heldout"))
    sizes["heldout.jsonl"] = (w.lines, w.close())
    held_en = _Generator(world, Random(derive_seed(seed, "heldout_en")))
    w = JsonlWriter(out_dir / "heldout_en.jsonl")
    for i in range(HELDOUT_EN_DOCS):
        domain = DOMAINS[i % len(DOMAINS)]
        doc = _Doc(f"heldout-en-{i:04d}", build_english(held_en.ctx(), domain), "\n\n", domain, "en", "clean")
        w.write(_record(doc, render(doc.blocks, doc.block_sep)[0], source="demo-heldout"))
    sizes["heldout_en.jsonl"] = (w.lines, w.close())

    summary = {
        "seed": seed,
        "docs": docs,
        "domains": dict(sorted(domain_counts.items())),
        "kinds": dict(sorted(kind_counts.items())),
        "languages": dict(sorted(lang_counts.items())),
        "pii": dict(pii_counts),
        "pii_total": sum(pii_counts.values()),
        "decoys": dict(decoy_counts),
        "decoys_total": sum(decoy_counts.values()),
        "noise": {
            **{k: kind_counts.get(k, 0) for k in ("html", "ad", "mojibake", "english", "short", "toxic")},
            "width_variation": gen.variants["width_variation"],
            "control_chars": gen.variants["control_chars"],
        },
        "duplicates": {
            "near_groups": near_groups, "exact_groups": exact_groups,
            "near_docs": kind_counts.get("near_dup", 0), "exact_docs": kind_counts.get("exact_dup", 0),
        },
        "malformed": malformed_list,
        "golden": {"qa": len(qa), "choice": len(choices), "facts_in_world": len(world.facts),
                   "facts_stated": len(sources)},
        "heldout": {"ja": n_heldout, "en": HELDOUT_EN_DOCS},
        "world": {"company": world.company, "equipment": len(world.equipment), "error_codes": len(world.errors)},
        "text_length": _length_stats(lengths),
        "files": {name: {"lines": n, "bytes": b} for name, (n, b) in sizes.items()},
        "files_written": [*sizes, "summary.json"],
    }
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    (out_dir / "summary.json").write_bytes(text.encode("utf-8"))
    return summary
