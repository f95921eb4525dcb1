"""The fourth hand-written PII set (tests/pii_blind4.py, written blind: telecom/manufacturing styles) and
the recogniser behaviours its first, out-of-sample measurement exposed, one test each."""

from __future__ import annotations

import pytest

from deshi.data.pii import find_pii
from deshi.data.pii.evaluate import evaluate
from pii_blind4 import CASES, NEGATIVES, labelled, write_eval_files
from pii_independent import assert_exact_spans, assert_set_covers, case_params

# Known gaps, kept visible (strict xfail: the test fails once they are fixed, so the list stays true).
KNOWN_GAPS = {
    # 上原 between "の" and "まで" with no other cue (a phone number before it, not after)
    "b4-007": "surname with no cue of its own",
    # さおり: a hiragana given name not in the list; only the surname 菅原 is found (overlap, not exact)
    "b4-012": "unlisted hiragana given name after a cued surname",
    # a bullet and a foreign name with no Japanese surname and no cue (・Rahul Sharma　（新）…)
    "b4-013": "foreign name in a bulleted list",
    # a building name that goes on in hiragana after its building word (…オフィスプラザさっぽろ 18階)
    "b4-019": "hiragana inside a building name",
    # "Regards, Tom": a single first name after a sign-off
    "b4-025": "single romanised first name after a sign-off",
    # 美穂 alone on the last line of a New Year card (the spouse's given name under the husband's full name)
    "b4-026": "given name alone under a full name",
    # letter-spaced name of a pdf form (小 林 拓 海): 林 拓 is found, not the whole
    "b4-028": "letter-spaced name",
    # 札幌市中央区北一条西２丁目 after a 〒: labelled as no address (no house number) when written; Sapporo's
    # 条・丁目 grid makes it a block address, so the recogniser's reading is defensible (see curate.md)
    "b4-044": "debatable label: Sapporo block address",
    # 1.2.3.4 as a logical sector numbering: a syntactically valid IPv4
    "b4neg-008": "dotted-quad numbering without a heading cue",
}


@pytest.mark.parametrize(("doc_id", "text", "items"), case_params(labelled(), KNOWN_GAPS))
def test_blind4_case(doc_id: str, text: str, items: list[tuple[str, int, int, str]]) -> None:
    assert_exact_spans(text, items)


def test_blind4_set_is_substantial_and_covers_every_type() -> None:
    docs = labelled()
    assert_set_covers(docs, values=180, negatives=80)
    assert len(CASES) + len(NEGATIVES) == len(docs)


def test_pii_eval_on_the_blind4_set(tmp_path) -> None:
    corpus, labels, decoys = write_eval_files(tmp_path)
    report = evaluate(corpus, labels, decoys)
    assert report.label_mismatches == 0
    # first (out-of-sample) measurement: precision 0.960, recall 0.894; after the fixes 0.989 / 0.979
    assert report.precision >= 0.98 and report.recall >= 0.97
    for name in ("PHONE", "EMAIL", "MY_NUMBER", "CORPORATE_NUMBER", "POSTAL_CODE", "CREDIT_CARD"):
        assert report.per_type[name].recall == 1.0 and report.per_type[name].precision == 1.0, name
    assert report.decoys_flagged.get("INVALID_MY_NUMBER", 0) == 0
    assert report.decoys_flagged.get("INVALID_CORPORATE_NUMBER", 0) == 0


def _found(text: str) -> list[tuple[str, str]]:
    return [(s.type.value, s.text(text)) for s in find_pii(text)]


def test_a_word_ending_in_ver_is_no_version_cue_before_an_ipv4() -> None:
    assert _found("ntp server 133.243.238.164") == [("IP_ADDRESS", "133.243.238.164")]
    assert _found("DNS resolver 10.0.0.53") == [("IP_ADDRESS", "10.0.0.53")]
    assert _found("firmware ver 1.2.3.4") == []  # a real version cue still wins


def test_a_postal_code_of_one_repeated_digit_is_a_placeholder() -> None:
    assert _found("記入例：〒000-0000") == []
    assert _found("〒100-0001") == [("POSTAL_CODE", "100-0001")]


def test_a_number_followed_by_a_counter_is_no_house_number() -> None:
    assert _found("回答者：福岡県北九州市小倉北区 40代 男性") == []
    assert _found("大阪府大阪市北区 3名参加") == []
    assert _found("福岡県北九州市小倉北区大手町1-1") == [("ADDRESS", "福岡県北九州市小倉北区大手町1-1")]


def test_basement_floors_rooms_with_a_letter_and_glued_katakana_buildings() -> None:
    text = "神奈川県川崎市幸区堀川町72番地34 ラゾーナ川崎東芝ビル 地下2階 電気室"
    assert _found(text) == [("ADDRESS", "神奈川県川崎市幸区堀川町72番地34 ラゾーナ川崎東芝ビル 地下2階")]
    assert _found("愛知県名古屋市千種区不老町1番 東山寮 B-204\n") == [("ADDRESS", "愛知県名古屋市千種区不老町1番 東山寮 B-204")]
    assert _found("沖縄県那覇市おもろまち4丁目3番8号 ベルハーモニー801\n") == [
        ("ADDRESS", "沖縄県那覇市おもろまち4丁目3番8号 ベルハーモニー801")]
    # a katakana word and an amount after the address are no building and room
    assert _found("沖縄県那覇市おもろまち4丁目3番8号 セール1000円") == [("ADDRESS", "沖縄県那覇市おもろまち4丁目3番8号")]


def test_an_address_broken_across_lines_by_pdf_to_text() -> None:
    assert _found("東京都江東区豊洲三丁目2番\n20号 豊洲フロント 7階") == [
        ("ADDRESS", "東京都江東区豊洲三丁目2番\n20号 豊洲フロント 7階")]
    # a bare number on the next line is a list item, not the rest of the house number
    assert _found("東京都港区芝5-1\n2. 次の議題") == [("ADDRESS", "東京都港区芝5-1")]


def test_words_ending_in_sama_are_no_honorific() -> None:
    assert _found("製品仕様\n型番：KX-1") == []
    assert _found("水玉模様のシャツ") == []
    assert _found("営業部 田中様") == [("PERSON", "田中")]


def test_contact_words_are_no_given_name_and_a_phone_number_cues_a_surname() -> None:
    assert _found("緊急時：工場長 須藤 携帯 090(8871)4420") == [("PERSON", "須藤"), ("PHONE", "090(8871)4420")]
    assert _found("1. 班長 青木 090-1111-2345 → 2. 石田 080-2222-3456") == [
        ("PERSON", "青木"), ("PHONE", "090-1111-2345"), ("PERSON", "石田"), ("PHONE", "080-2222-3456")]
    # a place before a number is a site's number, not a person's
    assert _found("大阪 06-1234-5678") == [("PHONE", "06-1234-5678")]


def test_chat_mentions_of_listed_surnames() -> None:
    assert ("PERSON", "小野") in _found("[10:02] 森 正樹: @小野 検証環境の件")
    assert _found("✅ @平野 さん確認お願いします") == [("PERSON", "平野")]
    assert _found("@k.mori 明日の件") == []  # an account handle is no name


def test_trade_names_without_kabushiki_kaisha_are_no_person() -> None:
    assert _found("作業者：協和電設 前田 和樹、小川\n") == [("PERSON", "前田 和樹"), ("PERSON", "小川")]


def test_katakana_label_words_do_not_continue_a_name_list() -> None:
    assert _found("申請者 菊池 舞 ／ マイナンバー 8557-8934-2585") == [
        ("PERSON", "菊池 舞"), ("MY_NUMBER", "8557-8934-2585")]


def test_mail_display_names_and_greetings() -> None:
    assert _found("To: David Chen <dchen@apac.example.com>") == [
        ("PERSON", "David Chen"), ("EMAIL", "dchen@apac.example.com")]
    assert _found("From: Sato, Yuki <yuki.sato@nexwave.co.jp>") == [
        ("PERSON", "Sato, Yuki"), ("EMAIL", "yuki.sato@nexwave.co.jp")]
    assert _found("Nexwave Support <support@nexwave.co.jp>") == [("EMAIL", "support@nexwave.co.jp")]
    assert _found("Hi Nakamura-san,") == [("PERSON", "Nakamura")]


def test_titled_names_continue_an_attendee_list() -> None:
    assert _found("出席者：\n　ネットワーク本部　浅野部長、北村課長、平田\n") == [
        ("PERSON", "浅野"), ("PERSON", "北村"), ("PERSON", "平田")]


def test_duty_department_and_call_centre_role_words_before_a_surname() -> None:
    assert _found("一次対応：夜間当番 坂本（NOC）") == [("PERSON", "坂本")]
    assert _found("出席：品証 吉村 / 製造 岩田") == [("PERSON", "吉村"), ("PERSON", "岩田")]
    assert _found("担当：OP 三浦\nエスカレ先 SV 岡本。") == [("PERSON", "三浦"), ("PERSON", "岡本")]
    assert _found("TOP 田中") == []  # OP must be a word of its own


def test_two_capitalised_words_after_a_japanese_job_title() -> None:
    assert _found("代表社員 Michael Brown　連絡先") == [("PERSON", "Michael Brown")]
    assert _found("開発部 Visual Studio の導入") == []  # after a department: as often a product


def test_a_name_broken_across_lines_by_pdf_to_text() -> None:
    text = "お問い合わせはカスタマーサービス部の永井\n智子（TEL：0800-111-7272）まで"
    assert _found(text) == [("PERSON", "永井\n智子"), ("PHONE", "0800-111-7272")]
    # one surname per line is a list, not a broken name
    assert _found("出席者：田中\n鈴木\n") == [("PERSON", "田中"), ("PERSON", "鈴木")]


def test_an_english_by_before_a_surname_attributes_a_note() -> None:
    assert _found("資料は共有フォルダに置きました（by 西村）") == [("PERSON", "西村")]
    assert _found("Standby 田中") == []  # "by" must be a word of its own
