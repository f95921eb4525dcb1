"""Redaction: placeholders, masks, drop verdicts, counts, and offsets into the ORIGINAL text."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from deshi.data.pii import PLACEHOLDERS, PIIRecognizer, PIISpan, PIIType, RedactionResult, find_pii, redact

DOC = "担当：山田太郎\nTEL ０３－１２３４－５６７８ / taro@example.co.jp\n〒100-0001 東京都千代田区千代田1-1-1"


def test_replace_is_the_default_for_every_type() -> None:
    result = redact(DOC)
    assert isinstance(result, RedactionResult)
    assert result.text == "担当：<NAME>\nTEL <PHONE> / <EMAIL>\n〒<POSTAL_CODE> <ADDRESS>"
    assert result.counts == {"PERSON": 1, "PHONE": 1, "EMAIL": 1, "POSTAL_CODE": 1, "ADDRESS": 1}
    assert result.dropped is False
    assert [s.type for s in result.spans] == [
        PIIType.PERSON, PIIType.PHONE, PIIType.EMAIL, PIIType.POSTAL_CODE, PIIType.ADDRESS,
    ]


def test_placeholders_cover_every_type_and_are_distinct() -> None:
    assert set(PLACEHOLDERS) == set(PIIType)
    assert len(set(PLACEHOLDERS.values())) == len(PIIType)
    assert PLACEHOLDERS[PIIType.IP_ADDRESS] == "<IP>" and PLACEHOLDERS[PIIType.CREDIT_CARD] == "<CARD>"


def test_mask_keeps_length_and_width() -> None:
    result = redact(DOC, {"PHONE": "mask", PIIType.EMAIL: "mask", "person": "keep"})
    assert "TEL " + "＊" * 12 + " /" in result.text  # ０３－１２３４－５６７８: one ＊ per character
    assert "******************" in result.text  # taro@example.co.jp has 18 ASCII characters
    assert "山田太郎" in result.text  # kept
    assert "PERSON" not in result.counts
    phone = next(s for s in find_pii(DOC) if s.type == PIIType.PHONE)
    masked = result.text
    # Masking preserves every offset before the address placeholder.
    assert masked[phone.start : phone.end] == "＊" * (phone.end - phone.start)


def test_drop_marks_the_document_and_still_redacts() -> None:
    result = redact("マイナンバー 123456789018 の提出", {"MY_NUMBER": "drop"})
    assert result.dropped is True
    assert result.text == "マイナンバー <MY_NUMBER> の提出"
    assert result.counts == {"MY_NUMBER": 1}
    assert redact("PII のない文書です。", {t: "drop" for t in PIIType}).dropped is False


def test_unknown_action_or_type_raises() -> None:
    with pytest.raises(ValueError, match="unknown redaction action"):
        redact(DOC, {"PHONE": "erase"})
    with pytest.raises(ValueError, match="unknown PII type"):
        redact(DOC, {"PASSPORT": "replace"})


def test_offsets_point_into_the_original_full_width_text() -> None:
    text = "ｍａｉｌ：ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ　電話０９０－１２３４－５６７８　〒１００－０００１"
    spans = find_pii(text)
    assert [s.text(text) for s in spans] == ["ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "０９０－１２３４－５６７８", "１００－０００１"]
    for s in spans:
        assert isinstance(s, PIISpan) and 0 <= s.start < s.end <= len(text)


def test_spans_are_sorted_and_non_overlapping() -> None:
    text = "カード 4111 1111 1111 1111、個人番号 1234 5678 9018、法人番号 7000012050002、IP 10.0.0.1"
    spans = find_pii(text)
    assert [s.type for s in spans] == [
        PIIType.CREDIT_CARD, PIIType.MY_NUMBER, PIIType.CORPORATE_NUMBER, PIIType.IP_ADDRESS,
    ]
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start


def test_recognizer_type_selection() -> None:
    rec = PIIRecognizer(types=["EMAIL", PIIType.PHONE])
    assert {s.type for s in rec.find(DOC)} == {PIIType.EMAIL, PIIType.PHONE}
    assert redact(DOC, recognizer=rec).text.startswith("担当：山田太郎\nTEL <PHONE> / <EMAIL>")
    assert [s.type for s in find_pii(DOC, types=["ADDRESS"])] == [PIIType.ADDRESS]


def test_ner_extra_finds_names_or_says_how_to_install() -> None:
    try:
        import ja_ginza  # noqa: F401
        import spacy  # noqa: F401
    except ImportError:
        from deshi.errors import DeshiError

        with pytest.raises(DeshiError, match=r"pip install 'deshi\[ner\]'"):
            PIIRecognizer(use_ner=True)
    else:
        # A foreign name with no cue the rules know: only GiNZA's NER finds it.
        text = "昨夜、ベネディクト・カンバーバッチが来日した。"
        assert PIIRecognizer().find(text) == []
        spans = PIIRecognizer(use_ner=True).find(text)
        assert [(s.type, s.text(text), s.recognizer) for s in spans] == [
            (PIIType.PERSON, "ベネディクト・カンバーバッチ", "ner_ginza")
        ]


def test_span_carries_no_value() -> None:
    span = find_pii("TEL 03-1234-5678")[0]
    assert "03-1234-5678" not in repr(span)
    assert span.text("TEL 03-1234-5678") == "03-1234-5678"


def test_no_pii_value_reaches_the_log(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deshi.data.pii.evaluate import evaluate

    corpus = tmp_path / "c.jsonl"
    labels = tmp_path / "l.jsonl"
    text = "担当：山田太郎 TEL 03-1234-5678 taro@example.co.jp マイナンバー 123456789018"
    corpus.write_text(json.dumps({"id": "d1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    labels.write_text('{"doc_id": "d1", "start": 3, "end": 7, "type": "PERSON", "value": "山田太郎"}\n', encoding="utf-8")
    monkeypatch.setattr(logging.getLogger("deshi"), "propagate", True)  # let caplog see deshi's records
    with caplog.at_level(logging.DEBUG):
        redact(text)
        find_pii(text)
        evaluate(corpus, labels)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "pii eval" in logged  # the evaluation did log (counts)
    for value in ("山田太郎", "03-1234-5678", "taro@example.co.jp", "123456789018"):
        assert value not in logged


def test_many_findings_in_one_long_document() -> None:
    # A form export with thousands of rows: every row's name and phone is found, spans stay ordered.
    text = "".join(f"氏名：山田 太郎 TEL 03-1234-{i:04d}\n" for i in range(3000))
    spans = find_pii(text)
    assert len(spans) == 6000
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
