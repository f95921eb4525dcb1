"""evaluate(): the arithmetic of precision/recall/F1, exact boundaries, decoys and misses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deshi.data.pii.cli_eval import pii_eval_command
from deshi.data.pii.evaluate import EvalInputError, evaluate, format_report, to_json

DOCS = {
    # phone found exactly; e-mail found; person missed (lower-case "tanaka" has no cue)
    "a": "TEL 03-1234-5678 mail taro@example.co.jp by tanaka",
    # postal code labelled with its 〒 (prediction is digits only: overlap, not exact)
    "b": "〒100-0001 へ送付。部品 ABC-0120-5678。",
    # a false positive: the labels say nothing about this (valid) card number
    "c": "カード 4111 1111 1111 1111",
}


def _write(tmp: Path, malformed: bool = False) -> tuple[Path, Path, Path]:
    corpus, labels, decoys = tmp / "corpus.jsonl", tmp / "labels.jsonl", tmp / "decoys.jsonl"
    lines = [json.dumps({"id": k, "text": v}, ensure_ascii=False) for k, v in DOCS.items()]
    if malformed:
        lines.insert(1, '{"id": "broken", "text": "unterminated')
        lines.append('["not", "an", "object"]')
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def lab(doc: str, value: str, kind: str) -> str:
        start = DOCS[doc].index(value)
        return json.dumps({"doc_id": doc, "start": start, "end": start + len(value), "type": kind, "value": value})

    labels.write_text(
        "\n".join([lab("a", "03-1234-5678", "PHONE"), lab("a", "taro@example.co.jp", "EMAIL"),
                   lab("a", "tanaka", "PERSON"), lab("b", "〒100-0001", "POSTAL_CODE")]) + "\n",
        encoding="utf-8",
    )
    decoys.write_text(lab("b", "ABC-0120-5678", "PART_NUMBER") + "\n", encoding="utf-8")
    return corpus, labels, decoys


def test_scores_counts_and_misses(tmp_path: Path) -> None:
    report = evaluate(*_write(tmp_path))
    assert report.docs == 3
    pt = report.per_type
    assert (pt["PHONE"].labels, pt["PHONE"].found, pt["PHONE"].exact) == (1, 1, 1)
    assert (pt["POSTAL_CODE"].found, pt["POSTAL_CODE"].exact, pt["POSTAL_CODE"].exact_rate) == (1, 0, 0.0)
    assert (pt["PERSON"].labels, pt["PERSON"].found, pt["PERSON"].recall) == (1, 0, 0.0)
    assert (pt["CREDIT_CARD"].predicted, pt["CREDIT_CARD"].correct, pt["CREDIT_CARD"].precision) == (1, 0, 0.0)
    # overall: 4 predictions (phone, email, postal, card), 3 correct; 4 labels, 3 found
    assert report.precision == pytest.approx(3 / 4)
    assert report.recall == pytest.approx(3 / 4)
    assert report.f1 == pytest.approx(3 / 4)
    assert report.decoys == 1 and report.decoys_flagged == {}
    assert report.misses_by_type == {"PERSON": 1}
    miss = report.misses[0]
    assert (miss.doc_id, miss.type, miss.value) == ("a", "PERSON", "tanaka")
    assert "tanaka" not in miss.context and "[＊＊＊]" in miss.context
    assert [f.type for f in report.false_positives] == ["CREDIT_CARD"]


def test_decoy_flagged_is_counted_by_decoy_and_predicted_type(tmp_path: Path) -> None:
    corpus, labels, decoys = _write(tmp_path)
    start = DOCS["c"].index("4111")
    decoys.write_text(
        json.dumps({"doc_id": "c", "start": start, "end": start + 19, "type": "TEST_CARD"}) + "\n", encoding="utf-8"
    )
    report = evaluate(corpus, labels, decoys)
    assert report.decoys_flagged == {"TEST_CARD": 1}
    assert report.decoys_flagged_as == {"CREDIT_CARD": 1}


def test_malformed_corpus_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    report = evaluate(*_write(tmp_path, malformed=True))
    assert report.docs == 3 and report.skipped_lines == 2


def test_missing_files_and_bad_labels_are_user_errors(tmp_path: Path) -> None:
    corpus, labels, _ = _write(tmp_path)
    with pytest.raises(EvalInputError, match="does not exist"):
        evaluate(tmp_path / "nope.jsonl", labels)
    labels.write_text('{"doc_id": "a", "start": 1}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="needs doc_id, start, end and type"):
        evaluate(corpus, labels)


def test_table_json_and_cli_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus, labels, decoys = _write(tmp_path)
    report = evaluate(corpus, labels, decoys)
    table = format_report(report)
    assert [c.header for c in table.columns][:5] == ["type", "labels", "predicted", "precision %", "recall %"]
    data = json.loads(to_json(report))
    assert data["overall"]["precision"] == pytest.approx(0.75)
    assert data["misses_by_type"] == {"PERSON": 1}
    out = tmp_path / "out" / "report.json"
    pii_eval_command(corpus, labels, decoys, out)
    printed = capsys.readouterr().out
    assert "PHONE" in printed and "decoys flagged: 0/1" in printed
    assert json.loads(out.read_text(encoding="utf-8"))["per_type"]["PHONE"]["recall"] == 1.0


def test_labels_that_cannot_be_scored_are_counted_not_dropped(tmp_path: Path) -> None:
    """A label line that is not JSON, a doc_id no document has, offsets past the text and a type no
    recogniser reports are each counted (and named in the table), never silently left out of recall."""
    corpus, labels, decoys = _write(tmp_path)
    extra = ['{"doc_id": "a", "start"', json.dumps({"doc_id": "zz", "start": 0, "end": 2, "type": "PERSON"}),
             json.dumps({"doc_id": "c", "start": 5, "end": 500, "type": "CREDIT_CARD"}),
             json.dumps({"doc_id": "a", "start": 0, "end": 3, "type": "NAME"})]
    labels.write_text(labels.read_text(encoding="utf-8") + "\n".join(extra) + "\n", encoding="utf-8")
    report = evaluate(corpus, labels, decoys)
    assert (report.skipped_label_lines, report.labels_without_document, report.labels_out_of_range) == (1, 1, 1)
    assert report.labels_of_other_types == {"NAME": 1}
    assert sum(s.labels for s in report.per_type.values()) == 4  # the four good labels, as before
    caption = format_report(report).caption
    assert "1 labels naming no corpus document" in caption and "(NAME)" in caption
    assert json.loads(to_json(report))["labels_out_of_range"] == 1


def test_labels_naming_no_document_at_all_are_an_error_and_other_id_fields_work(tmp_path: Path) -> None:
    """Labels keyed by another id than the corpus's would score recall over zero labels: a clear error
    that shows both kinds of id; --id-field/--text-field read a corpus with other field names."""
    corpus, labels, _ = _write(tmp_path)
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps({"id": f"x-{k}", "text": v}, ensure_ascii=False)
                               for k, v in DOCS.items()) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match="no label's doc_id.*'a'.*'x-"):
        evaluate(other, labels)
    renamed = tmp_path / "renamed.jsonl"
    renamed.write_text("\n".join(json.dumps({"key": k, "body": v}, ensure_ascii=False) for k, v in DOCS.items()) + "\n",
                       encoding="utf-8")
    report = evaluate(renamed, labels, text_field="body", id_field="key")
    assert report.docs == 3 and report.per_type["PHONE"].recall == 1.0
