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

# The unified block to U+9FFF, as in names.py (kanji variants outside it reach the patterns folded by
# matching_view: 𠮷 → 吉, 﨑 → 崎).
_KANJI = "一-鿿々〆ヵヶ"
_KATA = r"ァ-ヴー"
# Characters a municipality or town name is made of. Hiragana is allowed (つくば市, ひばりが丘) but
# only in the town part and never as a particle run (see _PARTICLE below).
_NAME_CH = f"[{_KANJI}{_KATA}ケ]"
_TOWN_CH = f"[{_KANJI}{_KATA}ケぁ-ん]"
_KNUM = "一二三四五六七八九十百千〇"
_NUM = rf"(?:[0-9]{{1,5}}|[{_KNUM}]{{1,4}})"
# 1-2-3, 1丁目2番3号, 1丁目2-3, 123番地の4, 三丁目五番地, 5-10-1-1203, 2丁目 8-38, 4条通8丁目
# A kanji-numeral house number must carry its unit (三丁目, 五番地): a bare 千 is part of a name.
_HOUSE = (
    rf"(?:[0-9]{{1,5}}|[{_KNUM}]{{1,4}}(?=丁目|番|号))"
    # (丁目 and a space before a block-and-house number: 天神2丁目 8-38; Hokkaido's 条/条通 grid: 旭川市4条通8丁目)
    # (a line break inside the number, as pdf-to-text leaves it, only between 丁目/番 and a number that carries
    # its own unit: 豊洲三丁目2番⏎20号; a bare number on the next line is as often a list item)
    rf"(?:(?:-|丁目(?:[ 　](?=[0-9]{{1,5}}[-番号])|\n(?=[0-9]{{1,5}}[-番]))?|丁|番地の?|番町|番(?:\n(?=[0-9]{{1,5}}号))?|号|の"
    rf"|条(?:通|[東西南北])?){_NUM})*"
    r"(?:丁目|番地|番|号)?"
)
# Building words, as suffix (第2ビル, 青葉マンション) or prefix (メゾン桜, コーポ緑).
_BUILDING_WORD = (
    r"(?:ビルディング|ビル|マンション|ハイツ|コーポ|タワー|レジデンス|ハイム|メゾン|ヒルズ|プラザ|センター|"
    r"アパート|パレス|コート|ハウス|テラス|ヴィラ|ビラ|フラット|荘|棟|館|寮|団地|住宅|会館|Bldg\.?|Building)"
)
_NAME_CHARS = f"[{_KANJI}{_KATA}A-Za-z0-9・]"
_ROOM = r"(?:(?:地下|B)?[0-9]{1,4}(?:号室|階|F)|[A-Z]?-?[0-9]{2,4}号室?)"
# After a space a building name may also hold hiragana (つくば研究寮, さくら荘, ひばりが丘ハイツ); glued to
# the house number it may not (1-2-3のビル: a particle, then a word).
_NAME_CHARS_SPACED = f"[{_KANJI}{_KATA}ぁ-んA-Za-z0-9・]"
_BUILDING = (
    rf"(?:(?:[ 　]?{_NAME_CHARS}{{0,12}}?|[ 　]{_NAME_CHARS_SPACED}{{1,12}}?){_BUILDING_WORD}{_NAME_CHARS}{{0,10}}"
    rf"(?:[ 　]?{_ROOM}|[ 　](?:[A-Z]-?)?[0-9]{{3,4}}(?![0-9]))?"
    rf"|[ 　]?{_NAME_CHARS}{{0,12}}?[ 　]?{_ROOM}"
    # a katakana building name with the room number glued on (ベルハーモニー801), ending the line or the field
    rf"|[ 　][{_KATA}]{{3,12}}[0-9]{{3,4}}(?=[\s、。,，）)]|$))?"
)
_ROOM_END = re.compile(r"(?:号室|階|F)(?!.*(?:号室|階|F))")
_PARTICLE = re.compile(r"(?:にある|にて|には|では|から|まで|および|及び|または|在住|所在|です|ます|した|して|する|への|での)")

_pref = "|".join(PREFECTURES)
_city = "|".join(DESIGNATED_CITIES)
_ward = "|".join(sorted(TOKYO_WARDS, key=len, reverse=True))

# Municipality after a prefecture: [郡] + 市/区/町/村, then a ward of a designated city.
# Hiragana is allowed in a municipality name (ひたちなか市, つくば市, いわき市) but not as its start of a
# particle run; _PARTICLE rejects "東京都にある…" style matches afterwards.
_MUNI = rf"(?:{_NAME_CH}{{1,5}}?郡)?{_TOWN_CH}{{1,6}}?[市区町村](?:{_NAME_CH}{{1,4}}?区)?"

ADDRESS_RE = re.compile(
    rf"(?:(?:{_pref})(?:{_MUNI}|さいたま市{_NAME_CH}{{1,3}}?区)|(?:{_city}){_NAME_CH}{{1,4}}?区|(?P<ward>{_ward}))"
    rf"(?P<town>{_TOWN_CH}{{0,14}}?)[ 　]?(?P<house>{_HOUSE})(?P<building>{_BUILDING})"
)

# Any other municipality (つくば市千現1-2-3, 町田市原町田6-1-1): without the closed-set anchor the
# house number must be unmistakable (two or more groups, or 丁目/番地) and the municipality word
# must not be a common noun ending in 市/区/町/村 (都市, 地区, 城下町 ...).
_STRONG_HOUSE = (
    rf"(?:(?:[0-9]{{1,4}}|[{_KNUM}]{{1,3}})丁目(?:[0-9]{{1,4}}(?:番地?|-)?(?:の?[0-9]{{1,4}}号?)?)?"
    rf"|[0-9]{{1,4}}番地?(?:の?[0-9]{{1,4}}号?)?|[0-9]{{1,4}}-[0-9]{{1,4}}(?:-[0-9]{{1,4}})?)"
)
GENERIC_ADDRESS_RE = re.compile(
    rf"(?<![{_KANJI}{_KATA}])(?P<muni>[{_KANJI}]{{1,4}}[市区町村]|[ぁ-ん]{{2,6}}市)"
    rf"(?P<town>[{_KANJI}{_KATA}]{_TOWN_CH}{{0,9}}?)[ 　]?(?P<house>{_STRONG_HOUSE})(?![0-9])(?P<building>{_BUILDING})"
)
_NOT_MUNICIPALITIES = frozenset(
    "都市 大都市 地区 学区 選挙区 特区 管区 街区 工区 下町 城下町 門前町 宿場町 港町 農村 漁村 山村 全市 各市 同市 当市 "
    "本市 同町 当町 各町 同区 各区 全区 同村 政令市 中核市 市区町村 市町村 区市町村 新市 旧市 旧町 旧村 朝市 夜市 "
    "見本市 商店街区 計画区 保護区 禁漁区 校区 担当区 配達区 受持区 区区".split()
)
_GENERIC_BAD_PREFIX = tuple("第各全同当本旧新毎")

#: Used by the postal-code recogniser: does an address start here?
ADDRESS_START_RE = re.compile(rf"(?:{_pref}|{_city}|{_ward})")

_QUICK = re.compile(rf"(?:{_pref}|{_city}|{_ward})")
_MUNI_CHAR = re.compile(r"[市区町村][^\n]{0,14}[0-9０-９]")


def _is_kanji_char(ch: str) -> bool:
    return "一" <= ch <= "\u9fff" or ch in "々〆ヵヶ"


# Every anchor ends in one of these characters (北海道, 東京都, 京都府, …県, …市, …区) and is two to
# five characters long (港区 … さいたま市).
_ANCHOR_ENDS = "都道府県市区"
_ANCHOR_MAX = max(len(a) for a in (*PREFECTURES, *DESIGNATED_CITIES, *TOKYO_WARDS))
_MUNI_ENDS = "市区町村"


def _positions(view: str, chars: str) -> list[int]:
    """Sorted offsets of every occurrence of ``chars`` in ``view``.

    Why hand-written: one ``str.find`` per character runs at memchr speed, while a regex character
    class (``[市区町村]``) makes the engine test every character of a Japanese text (~2 µs per
    450 characters); these characters occur about once per document.
    """
    out: list[int] = []
    for ch in chars:
        i = view.find(ch)
        while i >= 0:
            out.append(i)
            i = view.find(ch, i + 1)
    out.sort()
    return out


def _anchored_matches(view: str, ends: list[int] | None = None) -> Iterator[re.Match[str]]:
    """ADDRESS_RE tried only where an anchor (prefecture, city, ward) starts, in order, as a scan
    for the anchors (``_QUICK``) would find them; far cheaper than letting the full pattern try
    every position, or the anchor alternation scan every character.

    ``ends``: the sorted offsets of 都道府県市区 in ``view`` (computed when not given). An anchor
    ends in one of them, so it starts one to four characters before one: only those positions are
    tried, in order, as the anchor scan would find them.
    """
    if ends is None:
        ends = _positions(view, _ANCHOR_ENDS)
    pos = 0  # where the next match may start
    tried = 0  # positions below this were tried already (the windows of close ends overlap)
    for end in ends:
        for start in range(max(pos, tried, end - _ANCHOR_MAX + 1), end):
            if _QUICK.match(view, start) is None:
                continue
            m = ADDRESS_RE.match(view, start)
            if m is not None:
                yield m
                pos = m.end()
                break
        tried = max(tried, end)


def _generic_matches(view: str, suffixes: list[int] | None = None) -> Iterator[re.Match[str]]:
    """Same matches as ``GENERIC_ADDRESS_RE.finditer(view)``, tried only near 市/区/町/村.

    The municipality ends in 市区町村 one to six characters after the match start, so every match
    starts at most six characters before the first such character following it; trying ``match``
    at those few positions avoids running the kanji-class pattern at every position of the text.
    ``suffixes``: the sorted offsets of 市区町村 in ``view`` (computed when not given).
    """
    if suffixes is None:
        suffixes = _positions(view, _MUNI_ENDS)
    pos = 0
    for q in suffixes:
        for s in range(max(pos, q - 6), q):
            m = GENERIC_ADDRESS_RE.match(view, s)
            if m is not None:
                yield m
                pos = m.end()
                break
        else:
            pos = max(pos, q)


def _address_end(view: str, m: re.Match[str]) -> int:
    """Where a matched address really ends (shared by the anchored and the municipality patterns)."""
    s, e = m.start(), m.end()
    building = m.group("building")
    if building:
        # "第2ビル7階宛て": the greedy name part ran past the room unit; cut after the unit.
        unit = _ROOM_END.search(building)
        if unit is not None and building[unit.end() :].strip():
            e = m.start("building") + unit.end()
    # A trailing separator or a room number's trailing space is not part of the address.
    while e > s and view[e - 1] in " 　-の":
        e -= 1
    return e


# A bare number followed by a counter is an age, a count or an amount, no house number: the
# "福岡県北九州市小倉北区 40代 男性" of a survey, "東京都港区 3名", "大阪府 5件".
_COUNTERS = frozenset("代歳才名人件個台円年月日時分秒%％倍回度")


def _counted_not_house(view: str, m: re.Match[str]) -> bool:
    house_end = m.end("house")
    return (m.group("house").isdigit() and not m.group("building")
            and house_end < len(view) and view[house_end] in _COUNTERS)


def find_addresses(text: str, view: str) -> Iterator[PIISpan]:
    """Addresses that start at a prefecture, a designated city or a Tokyo special ward (or, with
    an unmistakable house number, at any municipality)."""
    ends = _positions(view, "都道府県市区町村")
    if not ends:
        return
    for m in _anchored_matches(view, [q for q in ends if view[q] in _ANCHOR_ENDS]):
        head = view[m.start() : m.start("house")]
        if _PARTICLE.search(head):
            continue
        if m.group("ward") and m.start() and _is_kanji_char(view[m.start() - 1]):
            continue  # 港区 inside 新港区画: a Tokyo ward only counts at a word start
        if _counted_not_house(view, m):
            continue
        s, e = m.start(), _address_end(view, m)
        score = 0.9 if m.group("house") else 0.7
        yield PIISpan(s, e, PIIType.ADDRESS, score, "address")
    suffixes = [q for q in ends if view[q] in _MUNI_ENDS]
    # (_MUNI_CHAR starts at one of them: the same answer as a whole-text search.)
    if not any(_MUNI_CHAR.match(view, q) for q in suffixes):
        return
    for m in _generic_matches(view, suffixes):
        muni = m.group("muni")
        if muni in _NOT_MUNICIPALITIES or muni.startswith(_GENERIC_BAD_PREFIX) or _PARTICLE.search(m.group("town")):
            continue
        s, e = m.start(), _address_end(view, m)
        yield PIISpan(s, e, PIIType.ADDRESS, 0.75, "address_municipality")


# --- Romanised addresses (English mail, visitor guides): "1-2-3 Marunouchi, Chiyoda-ku, Tokyo" ------

ROMAJI_PLACES = (
    "Hokkaido Aomori Iwate Miyagi Akita Yamagata Fukushima Ibaraki Tochigi Gunma Saitama Chiba Tokyo "
    "Kanagawa Niigata Toyama Ishikawa Fukui Yamanashi Nagano Gifu Shizuoka Aichi Mie Shiga Kyoto Osaka Hyogo "
    "Nara Wakayama Tottori Shimane Okayama Hiroshima Yamaguchi Tokushima Kagawa Ehime Kochi Fukuoka Saga "
    "Nagasaki Kumamoto Oita Miyazaki Kagoshima Okinawa Sapporo Sendai Yokohama Kawasaki Sagamihara Nagoya "
    "Kobe Sakai Hamamatsu Kitakyushu Japan"
).split()
_ADMIN = r"[A-Z][a-z]+(?:-[a-z]+)*-(?:ku|shi|cho|machi|gun|mura|son|ken|fu|to|chome)"
_EN_TOKEN = rf"(?:{_ADMIN}|[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)"
EN_ADDRESS_RE = re.compile(
    rf"(?<![\w-])(?:(?:[A-Z][\w.-]*[ ])*(?:Bldg\.?|Building|Tower|Heights|Mansion)[ ]?(?:\d{{1,3}}F|#?\d{{2,4}})?,[ ])?"
    rf"(?:No\.[ ]?)?\d{{1,4}}(?:-\d{{1,4}}){{1,3}}(?:[ ,]+(?:\d{{1,3}}F|#\d{{2,4}}))?,?[ ](?P<parts>{_EN_TOKEN}(?:,[ ]?{_EN_TOKEN}){{1,4}})"
    rf"(?:,?[ ]\d{{3}}-\d{{4}})?"
)
_ADMIN_RE = re.compile(_ADMIN)
_EN_QUICK = re.compile(r"-(?<=\d-)\d{1,4},? [A-Z]")  # digit-dash-digits, anchored on the rarer dash


def find_romanised_addresses(text: str, view: str) -> Iterator[PIISpan]:
    """Japanese addresses written in Latin letters: house number, then places, one of them an
    administrative unit (``Chiyoda-ku``, ``Nagoya-shi``) or a prefecture / designated city."""
    if _EN_QUICK.search(view) is None:
        return
    for m in EN_ADDRESS_RE.finditer(view):
        parts = [p.strip() for p in m.group("parts").split(",")]
        if not any(_ADMIN_RE.fullmatch(p) or p in ROMAJI_PLACES for p in parts):
            continue
        yield PIISpan(m.start(), m.end(), PIIType.ADDRESS, 0.85, "address_romanised")
