"""Synthetic Japanese industrial corpus with ground truth, for demos and stage tests.

``generate_demo_corpus(out_dir, docs=2000, seed=0)`` writes a corpus of a fictional
manufacturer's documents (maintenance logs, work instructions, support tickets, HR/legal
FAQ) together with everything needed to score each pipeline stage on it: exact PII spans,
decoys that must not be flagged, duplicate groups, noise kinds, golden QA built from the
facts the documents state, and held-out text for tokenizer measurements.

Layout: ``world`` (facts), ``pii``/``decoys`` (labelled values), ``templates`` (one module
per domain), ``noise``, ``duplicates``, ``golden``, ``writer`` and ``generate``
(orchestration). Check-digit validators live in :mod:`deshi.checksums`.
"""

from __future__ import annotations

from .decoys import DECOY_TYPES
from .duplicates import jaccard
from .generate import KIND_QUOTAS, derive_seed, generate_demo_corpus
from .pii import PII_TYPES
from .templates import DOMAINS
from .writer import MALFORMED_KINDS

DOC_KINDS = ("clean", "near_dup", "exact_dup", "html", "ad", "mojibake", "english", "short", "toxic")

__all__ = [
    "DECOY_TYPES",
    "DOC_KINDS",
    "DOMAINS",
    "KIND_QUOTAS",
    "MALFORMED_KINDS",
    "PII_TYPES",
    "derive_seed",
    "generate_demo_corpus",
    "jaccard",
]
