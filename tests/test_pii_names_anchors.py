"""The person-name finder's shortcuts find what the plain regex scans and the uncached parse find.

NameFinder tries its label, honorific, reading-label and romanised patterns only where an
Aho-Corasick pass found a word they begin with, and caches how a kanji word splits into surname +
given name. These tests compare both against the straightforward computation on hand-written text
(tests/pii_realistic.py) and on overlaps chosen to catch a wrong emulation of ``finditer``.
"""

from __future__ import annotations

import re

import pytest

from deshi.data.pii import names
from deshi.data.pii.names import NameFinder
from deshi.data.pii.normalize import matching_view
from pii_realistic import CASES

TRICKY = [
    "お客様名：山田様",  # a label word that contains an honorific
    "担当者名簿：なし。担当者：中村 陽子、確認者 小西",  # a longer label word without a separator first
    "担当担当者：田中",  # label words that start inside each other's span
    "氏名（フリガナ）：ヤマダ タロウ\nフリガナ：スズキ ハナコ",  # label and reading label at one place
    "代表取締役社長 山田太郎様、部長様、課長代理",  # nested titles
    "Dear Mr. Smith, this is Tanaka from Osaka. Prepared by: Sato Kenji. Best regards, Yamada-san",
    "Mrs Brown and Dr.Suzuki met Ms. O'Neil; Contact person: Kato",
    "Xyz Abc Tanaka Hiroshi TEL 03 1234 FAX Rep: Jones",
    "様様様さんさん氏名氏名：：",
    "",
]


def texts() -> list[str]:
    return [matching_view(t) for t in [*TRICKY, *(text for text, _ in CASES)]]


def spans(matches) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in matches]


@pytest.mark.parametrize(
    ("pattern", "bucket"),
    [
        (names._LABEL_RE, names._LABELS_AT),
        (names._HON_RE, names._HONORIFICS_AT),
        (names._READING_LABEL, names._READINGS_AT),
        (names._EN_TITLE, names._EN_TITLES_AT),
        (names._EN_LABEL, names._EN_LABELS_AT),
    ],
)
def test_matches_at_anchors_equal_finditer(pattern: re.Pattern[str], bucket: int) -> None:
    finder = NameFinder()
    for text in texts():
        starts = names._anchor_starts(text, finder._anchors)[bucket]
        anchored = spans(names._matches_at(pattern, text, starts))
        assert anchored == spans(pattern.finditer(text)), text


def test_name_ending_at_with_surname_anchors_equals_every_position() -> None:
    finder = NameFinder()
    for text in [*texts(), "佐々木 健様、田中太郎様、木ノ下様、﨑山様、Ｘ様、営業部田中様"]:
        surname_starts = sorted(set(names._anchor_starts(text, finder._anchors)[names._SURNAMES_AT]))
        for end in range(len(text) + 1):
            assert finder._name_ending_at(text, end, surname_starts=surname_starts) == finder._name_ending_at(text, end)


def test_anchor_presence_gates_equal_the_regexes_they_replace() -> None:
    gates = [
        (re.compile(r"-(?:san|sama|sensei|kun|chan|shi)"), names._EN_SAN_AT),
        (re.compile(r"[ ][A-Z]"), names._EN_PAIR_AT),
        (re.compile(r"M[rsix]|Dr|Prof"), names._EN_TITLES_AT),
    ]
    for text in texts():
        anchors = names._anchor_starts(text, NameFinder()._anchors)
        assert len(anchors) == names._BUCKETS
        for rx, bucket in gates:
            assert bool(anchors[bucket]) == bool(rx.search(text)), (rx.pattern, text)


def test_romanised_names_found_through_the_anchors() -> None:
    text = "Dear Mr. Smith, this is Tanaka Hiroshi. Yamada-san will call."
    found = {text[s.start : s.end] for s in NameFinder().find(text, matching_view(text))}
    assert {"Smith", "Yamada"} <= found


def test_split_cache_is_bounded_and_gives_the_uncached_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    words = ["田中太郎", "山田和郎", "佐々木勝子", "山田花子", "佐藤一", "小松菜", "中村次郎", "高橋美咲", "鈴木商事", "渡辺研究所"]
    fresh = {w: NameFinder().parse_at(w, 0) for w in words}
    fresh_strict = {w: NameFinder().parse_at(w, 0, strict=True) for w in words}
    monkeypatch.setattr(names, "_CACHE_LIMIT", 3)
    finder = NameFinder()
    for _ in range(3):
        for word in words:
            assert finder.parse_at(word, 0) == fresh[word], word
            assert finder.parse_at(word, 0, strict=True) == fresh_strict[word], word
            assert len(finder._split_loose) <= 3 and len(finder._split_strict) <= 3
    assert fresh["田中太郎"] == (4, "full")
    assert fresh["小松菜"] is None  # a vegetable, not 小松 + 菜
    assert fresh["鈴木商事"] is None  # a company
    assert fresh["山田和郎"] == (4, "shape") and fresh_strict["山田和郎"] is None  # unlisted given name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("田中さくらさんが来ます。", "田中さくら"),  # kana given name right after the surname
        ("山下 リナ様", "山下 リナ"),  # surname, a space, a katakana word
        ("佐藤さくらと申します", "佐藤さくら"),
        ("木村あおい様、", "木村あおい"),
    ],
)
def test_kana_given_names_after_a_surname(text: str, name: str) -> None:
    found = [text[s.start : s.end] for s in NameFinder().find(text, matching_view(text))]
    assert name in found


WORD_TEXTS = [
    "ホセ・ガルシアさんとアンナ・カレーニナ、マリアが来た。・項目一\n・項目二 ＝ケン＝",
    "担当は田中太郎、佐々木 健さんと山田花子が対応。中村が報告。関する件。",
    "データ・センター、システム・エンジニアのエマ。ジョンです。アンテナのアン。",
]


def passes_first_tests(finder: NameFinder, text: str, words: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """The word starts _cued goes on with (its first, cheap tests)."""
    kept = []
    for i, end, kanji in words:
        if kanji:
            ok = text[i] in finder.surnames or (end - i >= 2 and text[i : i + 2] in finder._sur_prefixes)
        else:
            ok = text[i:end] in finder.kana_names or (end < len(text) and text[end] in "・＝")
        if ok:
            kept.append((i, end, kanji))
    return kept


def test_anchored_word_starts_equal_the_regex_word_starts() -> None:
    finder = NameFinder()
    for text in [*texts(), *map(matching_view, WORD_TEXTS)]:
        anchors = names._anchor_starts(text, finder._anchors)
        expected = passes_first_tests(finder, text, finder._regex_word_starts(text))
        assert passes_first_tests(finder, text, finder._anchored_word_starts(text, anchors)) == expected, text
        assert list(finder._cued(text, anchors)) == list(finder._cued(text)), text


def test_surname_beginning_outside_the_kanji_range_takes_the_regex() -> None:
    finder = NameFinder()
    assert "﨑山" in finder.surnames  # a compatibility ideograph: not in _K
    text = "担当の﨑山です。山田太郎が対応。"
    found = [text[s.start : s.end] for s in finder.find(text, matching_view(text))]
    assert "﨑山" in found and "山田太郎" in found


def test_role_or_date_before_end_equals_the_regex_searches() -> None:
    import random

    pieces = ["部", "課", "グループ", "センター", "本部", "営業所", "事務局", "代表取締役", "社長", "担当", "担当者",
              "引き継ぎ", "済み", "先", "当番", "リーダー", "田", "ア", "ー", "、", "x", "1", "12", "2024/05/01",
              "令和6年5月1日", "5/1", "(月)", "（火）", " 10:00", "日", ")", "年", "の", "は", " ", "　", "&nbsp;", "\n"]
    seps = ["", " ", "  ", "　", "の", "は", "&nbsp;", "\n", " \n", "の\n"]
    rng = random.Random(5)
    windows = ["総務部 ", "営業部の", "部 ", "代表取締役社長 ", "担当は", "2024/05/01 ", "2024/05/01(水) 10:00&nbsp;",
               "センター ", "ア部 \n", "", "は", "の"]
    windows += [("".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) + rng.choice(seps))[-30:]
                for _ in range(20_000)]
    for window in windows:
        expected = bool(names._ROLE_BEFORE_END.search(window) or names._DATE_BEFORE.search(window))
        assert names._role_or_date_before_end(window) == expected, repr(window)
