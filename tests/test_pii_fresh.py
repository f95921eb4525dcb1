"""The third hand-written PII set (tests/pii_fresh.py, written blind: transcripts, incident reports,
invoices, business-card OCR, many address/phone/e-mail shapes) and the recogniser behaviours its
measurement drove, one test each."""

from __future__ import annotations

import pytest

from deshi.data.pii import find_pii
from deshi.data.pii.evaluate import evaluate
from pii_fresh import CASES, NEGATIVES, PROBE, labelled, write_eval_files
from pii_independent import assert_set_covers


def _found(text: str) -> list[tuple[str, str]]:
    return [(s.type.value, s.text(text)) for s in find_pii(text)]


def test_fresh_set_is_substantial_and_covers_every_type() -> None:
    docs = labelled()
    assert_set_covers(docs, values=150, negatives=80)
    assert len(docs) == len(CASES) + len(NEGATIVES) + len(PROBE)


def test_pii_eval_on_the_fresh_set(tmp_path) -> None:
    # Floors at the measured values (session 7; see benchmarks/results/curate.md): a change that loses
    # recall or precision on text the recognisers were not written for fails here.
    corpus, labels, decoys = write_eval_files(tmp_path)
    report = evaluate(corpus, labels, decoys)
    assert report.label_mismatches == 0
    assert report.precision >= 0.99
    assert report.recall >= 0.94
    for name in ("MY_NUMBER", "CORPORATE_NUMBER", "CREDIT_CARD", "IP_ADDRESS", "ADDRESS"):
        assert report.per_type[name].recall == 1.0, name
    assert sum(report.decoys_flagged.values()) == 0, report.decoys_flagged


def test_reading_after_a_spaced_honorific_and_a_spaced_bracket() -> None:
    # " さま （" is five characters: the bracket lies past the four the reading pre-check used to look at.
    assert _found("受付メモ：山田 さま （ヤマダ） 来店") == [("PERSON", "山田"), ("PERSON", "ヤマダ")]
    assert _found("山田 さん　（ヤマダ）") == [("PERSON", "山田"), ("PERSON", "ヤマダ")]
    assert _found("上田 直樹 様（ウエダ ナオキ）") == [("PERSON", "上田 直樹"), ("PERSON", "ウエダ ナオキ")]


def test_a_job_title_between_a_label_and_the_name_is_no_name() -> None:
    # Cutting 取締役 off 代表取締役 used to leave "代表" as the name after 代表者：
    assert _found("代表者：代表取締役 長野 誠司") == [("PERSON", "長野 誠司")]
    assert _found("担当：課長 山田") == [("PERSON", "山田")]
    assert _found("報告者：課長 報告なし") == []


def test_a_word_glued_to_a_company_form_before_an_honorific_is_the_company() -> None:
    assert _found("株式会社テクノス様、日本電子工業様") == []
    assert _found("株式会社田中様") == []
    assert _found("（株）サトウ 様") == []
    # a person after the company name and a space is still a person
    assert _found("お客様：関東スチール株式会社 池田 亮 様") == [("PERSON", "池田 亮")]


def test_english_negative_labels_count_only_as_whole_words() -> None:
    # "ver" inside Discover, "ID" inside UCHIDA: no lot/version/ID label before the number
    assert _found("Discover 6011-0009-9013-9424 に変更") == [("CREDIT_CARD", "6011-0009-9013-9424")]
    assert ("PHONE", "0923385735") in _found("Contact UCHIDA Osamu at 0923385735 with questions")
    assert _found("Ver 090-1234-5678") == []
    assert _found("シリアル 0312345678") == []


@pytest.mark.parametrize(("doc_id", "text", "items"), [pytest.param(*d, id=d[0]) for d in labelled() if d[0].startswith("fneg")])
def test_fresh_negatives_flag_nothing(doc_id: str, text: str, items: list[tuple[str, int, int, str]]) -> None:
    assert _found(text) == []


def test_transcript_speakers_after_an_arrow_or_in_brackets_after_a_role() -> None:
    assert _found("オペレーター（井上）：お電話ありがとうございます") == [("PERSON", "井上")]
    assert _found("→ 井口: 先方から OK もらいました") == [("PERSON", "井口")]
    assert _found("14:05 担当(佐藤): はい") == [("PERSON", "佐藤")]
    # (a role spelled with hiragana: a miss of the held-out probe, fixed after it was measured)
    assert _found("お客様（山本）：注文した商品が届きません") == [("PERSON", "山本")]
    # a site in brackets is no speaker, and a role word before a bracket is no reading of the name
    assert _found("本社（上野）：移転しました") == []


def test_sign_off_with_yori_and_colleagues_at_a_meeting() -> None:
    assert _found("近くに来たら連絡してね。佐々木より") == [("PERSON", "佐々木")]
    assert _found("東京より\n") == []
    assert _found("技術の北村が同席しました") == [("PERSON", "北村")]
    assert _found("起票者：カスタマーサポート 平野\n") == [("PERSON", "平野")]


def test_obfuscated_email_addresses() -> None:
    text = "窓口：support[at]kizuna-soft.co.jp、または tanaka.m [at] example [dot] ne [dot] jp（(at)を@に）"
    assert _found(text) == [("EMAIL", "support[at]kizuna-soft.co.jp"), ("EMAIL", "tanaka.m [at] example [dot] ne [dot] jp")]
    assert _found("s_kudo(at)example.com まで") == [("EMAIL", "s_kudo(at)example.com")]
    assert _found("meet me (at) noon; data[at]least.5") == []


def test_hiragana_full_name_after_a_name_label() -> None:
    assert _found("お名前（任意）：みやざき あゆみ\nご意見：") == [("PERSON", "みやざき あゆみ")]
    assert _found("担当者：まだ いない") == []  # not a label that asks for a name
    assert _found("氏名：なし") == []


def test_hokkaido_jo_dori_addresses_and_a_space_after_chome() -> None:
    assert _found("現住所：北海道旭川市4条通8丁目1703番地\n") == [("ADDRESS", "北海道旭川市4条通8丁目1703番地")]
    assert _found("〒810-0001 福岡市中央区天神2丁目 8-38 協和ビル 4F") == [
        ("POSTAL_CODE", "810-0001"), ("ADDRESS", "福岡市中央区天神2丁目 8-38 協和ビル 4F")]
    # a number after the space that is no house number stays out
    assert _found("福岡市中央区天神2丁目 10時集合") == [("ADDRESS", "福岡市中央区天神2丁目")]


def test_dotted_katakana_shop_names_are_no_foreign_names() -> None:
    assert _found("オフィス・ユキ\n") == []
    assert _found("ホセ・ガルシア\n") == [("PERSON", "ホセ・ガルシア")]


def test_phone_number_read_out_group_by_group() -> None:
    assert _found("お客様：０９０の４２１７の８８３５です。") == [("PHONE", "０９０の４２１７の８８３５")]
    assert _found("2024の0312の1234、090の12の3456") == []  # still the numbering plan decides


def test_katakana_full_name_after_a_job_title() -> None:
    # (was a strict xfail of tests/test_pii_independent.py: ind-043)
    assert _found("2. 副班長　ｺﾊﾞﾔｼ ｹﾝ 080-1234-0002") == [("PERSON", "ｺﾊﾞﾔｼ ｹﾝ"), ("PHONE", "080-1234-0002")]
    assert _found("社長 ジョン スミス\n") == [("PERSON", "ジョン スミス")]
    # one katakana word after a title, or a role/business word, is no name
    assert _found("課長 ミーティング 10時") == []
    assert _found("所長 オフィス ツアー") == []


def test_last_first_display_name_of_a_mail_header() -> None:
    assert _found('CC: "Oda, Yuji" <yuji.oda@example.co.jp>') == [("PERSON", "Oda, Yuji"), ("EMAIL", "yuji.oda@example.co.jp")]
    assert _found('To: "Sales, Team" <sales@example.jp>') == [("EMAIL", "sales@example.jp")]  # no known surname


def test_bank_account_holder_after_the_account_number() -> None:
    assert _found("振込先：京都中央信用金庫 本店 普通 0123456 ﾕｷﾑﾗ ﾕｷ") == [("PERSON", "ﾕｷﾑﾗ ﾕｷ")]
    assert _found("りそな銀行 普通預金 1234567 ヤマダ タロウ 様") == [("PERSON", "ヤマダ タロウ")]
    # a company's account (bank abbreviation カ）…), another label after the number, or 普通 = "usually"
    assert _found("三井住友銀行 新宿支店 当座 7654321 ｶ)ｻﾝﾌﾟﾙｼｮｳｼﾞ") == []
    assert _found("みらい銀行 本店営業部 普通 1234567 名義 カ）ミライショウジ") == []
    assert _found("普通は山田錦を使う") == []
