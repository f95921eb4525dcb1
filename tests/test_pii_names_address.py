"""Person names and addresses: the free-text PII, found by context and dictionaries."""

from __future__ import annotations

import pytest

from deshi.data.pii import PIIRecognizer, PIIType, find_pii


def values(text: str, kind: PIIType) -> list[str]:
    return [s.text(text) for s in find_pii(text) if s.type == kind]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("田中様、いつもお世話になっております。", "田中"),
        ("鈴木一郎様\n請求書を送付します。", "鈴木一郎"),
        ("山田 花子 様", "山田 花子"),
        ("営業部の佐藤さんに確認します。", "佐藤"),
        ("渡辺部長の承認が必要です。", "渡辺"),
        ("東海林さんから電話がありました。", "東海林"),  # rare surname, found by the honorific
        ("担当者：中村 陽子", "中村 陽子"),
        ("氏名：高橋美咲", "高橋美咲"),
        ("作成者　小林健太\n", "小林健太"),
        ("申請者: 伊藤 誠（人事部）", "伊藤 誠"),
        ("お客様名：ジョン・スミス 様", "ジョン・スミス"),
        ("担当の小野寺がご案内いたします。", "小野寺"),
        ("株式会社ミライ工業の石川です。", "石川"),
        ("お世話になります。林と申します。", "林"),
        ("不明点は総務部 藤田 結菜（内線4293）まで", "藤田 結菜"),
        ("代表取締役 西田さくら", "西田さくら"),
        ("山田太郎が現地で対応しました。", "山田太郎"),
        ("高田　かおり課長へ報告済み。", "高田　かおり"),
        ("前回対応：2024/10/17 森田。", "森田"),
        ("岩崎が三浦さんに引き継ぎ済み。", "岩崎"),
        ("詳細はサラ・ミラー課長へ報告済み。", "サラ・ミラー"),
        ("グエン・ヴァン・ナムさんが来日します。", "グエン・ヴァン・ナム"),
        ("作成者：\ufeff山本 翔太", "山本 翔太"),  # a BOM left by a broken export
        ("山田 太郎（ヤマダ タロウ）様", "ヤマダ タロウ"),  # the reading spells the name too
        ("フリガナ：スズキ ハナコ", "スズキ ハナコ"),
        ("昨日、佐藤が客先に行った。", "佐藤"),  # narrative: subject of a person verb
        ("作家の石原裕次郎と", "石原裕次郎"),  # unlisted three-kanji given name with a strong ending
        ("会議には高橋、伊藤、渡辺が出席した。", "伊藤"),
        ("山本によると、原因は不明。", "山本"),
    ],
)
def test_japanese_names(text: str, name: str) -> None:
    assert name in values(text, PIIType.PERSON)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dear Mr. Tanaka, thank you.", "Tanaka"),
        ("Please contact Dr. Emily Clark for details.", "Emily Clark"),
        ("Name: Hiroshi Kato", "Hiroshi Kato"),
        ("I met Yamada-san yesterday.", "Yamada"),
        ("Approved by SUZUKI Ichiro on Monday.", "SUZUKI Ichiro"),
        ("Thanks,\nKenji Watanabe", "Kenji Watanabe"),
    ],
)
def test_romanised_names(text: str, name: str) -> None:
    assert name in values(text, PIIType.PERSON)


@pytest.mark.parametrize(
    "text",
    [
        "株式会社山田製作所の製品です。",
        "お客様各位\nご担当者様\n皆様へのお知らせ",
        "営業部長と経理課長が出席した。",
        "中村区役所と千葉県庁を訪問。",
        "【回答】有効期限は付与日から3年です。",
        "問い合わせ先：物流センター",
        "在宅勤務は週3日までです。",
        "ユーザーさんからのフィードバック",
        "The Customer Support Team will reply.",
        "Tokyo Station is near the office.",
        "運転手さんに道を聞いた。",
        "上野駅から徒歩5分、品川方面へ。",
        "千葉が優勝した。",  # a surname that is also a place, with only a weak cue
        "金子は不足している。",  # 金子 (funds), no person verb
        "小松菜と野沢菜を仕入れた。",  # surname + 菜 is a vegetable, not 陽菜
        "佐藤製作所と高橋美術館",
        "中山で遭難した。",
    ],
)
def test_non_names_not_flagged(text: str) -> None:
    assert values(text, PIIType.PERSON) == [], [(s.type.value, s.text(text)) for s in find_pii(text)]


def test_extra_names_and_names_switch() -> None:
    text = "本日は勅使河原 蒼空が来社。"
    assert values(text, PIIType.PERSON) == []  # unknown surname, no cue
    rec = PIIRecognizer(extra_names=["勅使河原 蒼空"])
    assert [s.text(text) for s in rec.find(text)] == ["勅使河原 蒼空"]
    no_names = PIIRecognizer(names=False)
    assert no_names.find("田中様 03-1234-5678")[0].type == PIIType.PHONE
    assert all(s.type != PIIType.PERSON for s in no_names.find("田中様 03-1234-5678"))


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("住所：東京都千代田区千代田1-1-1", "東京都千代田区千代田1-1-1"),
        ("大阪府大阪市北区梅田三丁目1番3号にある", "大阪府大阪市北区梅田三丁目1番3号"),
        ("横浜市西区みなとみらい2-3-1 クイーンズタワーA 10F", "横浜市西区みなとみらい2-3-1 クイーンズタワーA 10F"),
        ("千葉県市川市八幡2丁目5番地の1", "千葉県市川市八幡2丁目5番地の1"),
        ("渋谷区神南1-2-3に集合", "渋谷区神南1-2-3"),
        ("北海道札幌市中央区北1条西2丁目1番地", "北海道札幌市中央区北1条西2丁目1番地"),
        ("茨城県ひたちなか市緑が丘3丁目3番14号", "茨城県ひたちなか市緑が丘3丁目3番14号"),
        ("長崎県東彼杵郡波佐見町寿町1549番地22　コーポ緑\n", "長崎県東彼杵郡波佐見町寿町1549番地22　コーポ緑"),
        ("京都府京都市中京区烏丸通御池上る二条殿町552", "京都府京都市中京区烏丸通御池上る二条殿町552"),
        ("奈良県生駒市西町5-4-3 第2ビル7階宛てに郵送", "奈良県生駒市西町5-4-3 第2ビル7階"),
        ("東京都港区芝公園４－２－８", "東京都港区芝公園４－２－８"),
        ("Visit us at 1-2-3 Marunouchi, Chiyoda-ku, Tokyo 100-0005.", "1-2-3 Marunouchi, Chiyoda-ku, Tokyo 100-0005"),
        ("研究所はつくば市千現1-2-3 にあります", "つくば市千現1-2-3"),  # no prefecture, not a designated city
        ("軽井沢町長倉2丁目1番の別荘", "軽井沢町長倉2丁目1番"),
    ],
)
def test_addresses(text: str, address: str) -> None:
    assert values(text, PIIType.ADDRESS) == [address]


@pytest.mark.parametrize(
    "text",
    ["東京都在住の会社員", "東京都渋谷区で開催", "大阪府の売上は12.5%増", "神奈川県横浜市にある工場", "第3区画の1-2番棚",
     "都市計画2-3-1の改定", "南区の1-2", "市場価格は2-3割上昇"],
)
def test_regions_without_house_number_are_not_addresses(text: str) -> None:
    assert values(text, PIIType.ADDRESS) == []


def test_word_start_prefilter_keeps_every_start_the_name_rules_test() -> None:
    """The word-start pattern only drops kanji starts whose first one or two characters cannot begin
    a listed surname: the starts that reach the rules are exactly those of the unfiltered pattern."""
    import re

    from deshi.data.pii.names import _K, _KATA, NameFinder

    finder = NameFinder(extra_names=["鰐", "鱒淵", "Ｘ"])  # deployment names extend the filter too
    first = "".join(sorted(finder._surname_first_chars))
    unfiltered = re.compile(
        rf"[{re.escape(first)}{_KATA}](?:(?<=[{re.escape(first)}])(?<![{_K}].)(?P<k>[{_K}]*)"
        rf"|(?<=[{_KATA}])(?<![{_KATA}・＝].)[{_KATA}]*)"
    )

    def passing(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
        out = []
        for m in rx.finditer(text):
            i, end = m.span()
            if m.lastindex is not None and text[i] not in finder.surnames and (
                end - i < 2 or text[i : i + 2] not in finder._sur_prefixes
            ):
                continue
            out.append((i, end))
        return out

    texts = [
        "営業部の田中が対応。鰐さん、鱒淵部長、山田太郎様、東海林 太郎、森、林業、田ヤマダ、高橋一郎です",
        "本日は晴天なり。佐々木と申します。工場長 渡辺、ヤマダ・タロウ、サイクル、鈴木（内線12）",
        "a田中 b林 c森田 d中田 e一二三 f東京都 g鰐淵",
    ]
    for text in texts:
        assert passing(finder._word_start, text) == passing(unfiltered, text)
    assert any(s.text(texts[0]) == "鰐" for s in finder.find(texts[0], texts[0]))
