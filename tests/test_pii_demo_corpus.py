"""The recognisers on a freshly generated demo corpus (seed 123, 300 docs): the quality targets.

The generator validates check digits for real PII and breaks them for decoys, writes look-alike
part/lot/serial numbers and dates, and injects noise (full-width text, mojibake, HTML). Mojibake
keeps the labels of self-evident PII (e-mails, phones, IPs, checked numbers) that survive it
verbatim; a surname or postal code whose context was garbled is unlabelled, and the recognisers
rarely flag those.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deshi.data.pii.evaluate import evaluate
from deshi.demo_data.generate import generate_demo_corpus

STRICT = ("MY_NUMBER", "CORPORATE_NUMBER", "PHONE", "EMAIL", "POSTAL_CODE", "CREDIT_CARD", "IP_ADDRESS")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    out: Path = tmp_path_factory.mktemp("demo123")
    generate_demo_corpus(out, docs=300, seed=123, malformed=3, heldout_docs=0)
    return evaluate(out / "corpus.jsonl", out / "labels.jsonl", out / "decoys.jsonl")


def test_recall_targets(report) -> None:
    for kind in STRICT:
        score = report.per_type[kind]
        assert score.labels > 0, kind
        assert score.recall >= 0.99, (kind, score.to_dict())
    for kind in ("PERSON", "ADDRESS"):
        assert report.per_type[kind].recall >= 0.90, (kind, report.per_type[kind].to_dict())


def test_precision_target_and_no_decoys(report) -> None:
    assert report.precision >= 0.95
    assert report.decoys > 0
    assert report.decoys_flagged == {}, report.decoys_flagged
    assert report.skipped_lines >= 3  # the malformed lines were skipped, not fatal
