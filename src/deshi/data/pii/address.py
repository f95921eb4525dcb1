"""Japanese postal addresses: prefecture (or a designated city / Tokyo ward) down to the building.

Japanese addresses are written big-to-small with no delimiters: 都道府県 → 市区町村 (郡, 政令市の区)
→ 町域 (town, often with 丁目) → 番地・号 → building and room. The recogniser anchors on the
closed sets at the top (the 47 prefectures, the 20 designated cities, the 23 special wards), then
requires a municipality and a *house number* before it reports anything: "東京都渋谷区" alone is
a region, "東京都渋谷区神南1-2-3" is where someone lives. The span runs from the anchor to the end
of the number, plus a building/room part when one follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from deshi.data.pii.types import PIISpan, PIIType

PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 "
    "新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県 "
    "奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 "
    "熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()

DESIGNATED_CITIES = (
    "札幌市 仙台市 さいたま市 千葉市 横浜市 川崎市 相模原市 新潟市 静岡市 浜松市 名古屋市 京都市 大阪市 "
    "堺市 神戸市 岡山市 広島市 北九州市 福岡市 熊本市"
).split()

TOKYO_WARDS = (
    "千代田区 中央区 港区 新宿区 文京区 台東区 墨田区 江東区 品川区 目黒区 大田区 世田谷区 渋谷区 中野区 "
    "杉並区 豊島区 北区 荒川区 板橋区 練馬区 足立区 葛飾区 江戸川区"
).split()

_KANJI = r"一-龥々〆ヵヶ"
_KATA = r"ァ-ヴー"
# Characters a municipality or town name is made of. Hiragana is allowed (つくば市, ひばりが丘) but
# only in the town part and never as a particle run (see _PARTICLE below).
_NAME_CH = f"[{_KANJI}{_KATA}ケ]"
_TOWN_CH = f"[{_KANJI}{_KATA}ケぁ-ん]"
_KNUM = "一二三四五六七八九十百千〇"
_NUM = rf"(?:[0-9]{{1,5}}|[{_KNUM}]{{1,4}})"
# 1-2-3, 1丁目2番3号, 1丁目2-3, 123番地の4, 三丁目五番地, 5-10-1-1203
# A kanji-numeral house number must carry its unit (三丁目, 五番地): a bare 千 is part of a name.
_HOUSE = (
    rf"(?:[0-9]{{1,5}}|[{_KNUM}]{{1,4}}(?=丁目|番|号))(?:(?:-|丁目|番地の?|番町|番|号|の|条[東西南北]?){_NUM})*"
    r"(?:丁目|番地|番|号)?"
)
_BUILDING_SUFFIX = (
    r"(?:ビル(?:ディング)?|マンション|ハイツ|コーポ|タワー|レジデンス|ハイム|メゾン|ヒルズ|プラザ|"
    r"センター|アパート|パレス|コート|ハウス|テラス|荘|棟|館|寮|団地|住宅)"
)
_ROOM = r"(?:[0-9]{1,4}(?:号室|階|F|号)|[A-Z]?-?[0-9]{2,4}号室)"
_BUILDING = (
    rf"(?:[ 　]?(?:[{_KANJI}{_KATA}A-Za-z・]{{1,20}}?{_BUILDING_SUFFIX}(?:[ 　]?{_ROOM}|[ 　]?[0-9A-Za-z]{{1,3}}(?:[ 　]?{_ROOM})?)?"
    rf"|[{_KANJI}{_KATA}A-Za-z・]{{1,20}}?[ 　]?{_ROOM}|[ 　]?{_ROOM}))?"
)
_PARTICLE = re.compile(r"(?:にある|にて|には|では|から|まで|および|及び|または|在住|所在|です|ます|した|して|する|への|での)")

_pref = "|".join(PREFECTURES)
_city = "|".join(DESIGNATED_CITIES)
_ward = "|".join(sorted(TOKYO_WARDS, key=len, reverse=True))

# Municipality after a prefecture: [郡] + 市/区/町/村, then a ward of a designated city.
_MUNI = rf"(?:{_NAME_CH}{{1,5}}?郡)?{_NAME_CH}{{1,6}}?[市区町村](?:{_NAME_CH}{{1,4}}?区)?"

ADDRESS_RE = re.compile(
    rf"(?:(?:{_pref})(?:{_MUNI}|さいたま市{_NAME_CH}{{1,3}}?区)|(?:{_city}){_NAME_CH}{{1,4}}?区|(?<![{_KANJI}])(?:{_ward}))"
    rf"(?P<town>{_TOWN_CH}{{0,14}}?)[ 　]?(?P<house>{_HOUSE})(?P<building>{_BUILDING})"
)

#: Used by the postal-code recogniser: does an address start here?
ADDRESS_START_RE = re.compile(rf"(?:{_pref}|{_city}|{_ward})")

_QUICK = re.compile(rf"(?:{_pref}|{_city}|{_ward})")


def find_addresses(text: str, view: str) -> Iterator[PIISpan]:
    """Addresses that start at a prefecture, a designated city or a Tokyo special ward."""
    if not _QUICK.search(text):
        return
    for m in ADDRESS_RE.finditer(view):
        town = m.group("town")
        if town and _PARTICLE.search(town):
            continue
        s, e = m.start(), m.end()
        # A trailing separator or a room number's trailing space is not part of the address.
        while e > s and view[e - 1] in " 　-の":
            e -= 1
        score = 0.9 if m.group("house") else 0.7
        yield PIISpan(s, e, PIIType.ADDRESS, score, "address")
