"""The hand-written realistic sets (tests/pii_realistic.py): every expected span found with its exact
value, nothing else flagged. Independent of the demo corpus generator."""

from __future__ import annotations

import pytest

from deshi.data.pii import find_pii
from pii_realistic import CASES, CASES_2, CASES_3, CASES_4

ALL_CASES = CASES + CASES_2 + CASES_3 + CASES_4


@pytest.mark.parametrize(("text", "expected"), ALL_CASES, ids=[f"case{i:02d}" for i in range(len(ALL_CASES))])
def test_realistic_case(text: str, expected: list[tuple[str, str]]) -> None:
    for _, value in expected:
        assert text.count(value) == 1, f"test data: {value!r} must occur once"
    got = sorted((s.type.value, s.text(text)) for s in find_pii(text))
    assert got == sorted(expected)


def test_realistic_set_is_substantial() -> None:
    assert len(ALL_CASES) >= 60
    kinds = {k for _, exp in ALL_CASES for k, _ in exp}
    assert kinds == {"PERSON", "PHONE", "EMAIL", "MY_NUMBER", "CORPORATE_NUMBER", "POSTAL_CODE", "ADDRESS",
                     "IP_ADDRESS", "CREDIT_CARD"}


PROSE = [
    # News-style prose full of places, companies, dates and figures, and no personal data.
    "政府は14日、2024年度の補正予算案を閣議決定した。総額は13兆1992億円で、東京都や大阪府など"
    "47都道府県への交付金が柱となる。日経平均株価は前日比1.2%高の3万8450円で取引を終えた。",
    "トヨタ自動車は愛知県豊田市の本社で記者会見を開き、新型車の生産を2025年4月から始めると発表した。"
    "年間生産台数は約12万台を見込む。",
    "台風10号は15日午前9時現在、鹿児島県の南約200キロにあり、時速15キロで北へ進んでいる。"
    "中心気圧は950ヘクトパスカル、最大瞬間風速は60メートル。",
    "第3四半期の売上高は前年同期比8.4%増の2,345億円、営業利益は12.1%増の310億円だった。"
    "円安が追い風となり、北米事業が好調だった。",
    "新宿駅から徒歩5分。営業時間は10:00〜20:00、定休日は毎週水曜日。駐車場は30台分ある。",
    "本製品の対応OSはWindows 11 (22H2以降) と macOS 14.4 以降です。推奨メモリは16GB。",
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_without_personal_data_is_left_alone(text: str) -> None:
    assert find_pii(text) == [], [(s.type.value, s.text(text)) for s in find_pii(text)]
