"""Person names in Japanese (kanji/katakana) and romanised text, without a neural model.

Japanese writes no spaces and no capitals, so a name has no shape of its own; what gives it away
is what stands *around* it. The rules, strongest first:

1. a form label before it (氏名：, 担当者：, 申請者, 宛先, お客様名 ... or Name:, Contact:);
2. an honorific or title right after it (様, さん, 氏, 殿, 先生, 部長 ...): the span excludes the
   honorific, and inside a longer kanji run (営業部田中様) the name is located with the surname list;
3. a self-introduction (田中です, 田中と申します);
4. surname + given name from the bundled dictionaries (田中太郎が対応), or surname + a kanji
   ending typical of given names (…郎, …子, …美);
5. romanised names after Mr./Ms./Dr. or in "Surname Given" pairs where one part is a known
   romanised surname, and ``Yamada-san``.

Company names (株式会社…), departments, job titles and places are excluded by a stop list and by
refusing runs that end in an organisation suffix. The surname list (data/surnames.txt, ~1,100
names) and given-name list (data/given_names.txt) are data files so a deployment can extend them
(``PIIRecognizer(extra_names=...)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources

from deshi.data.pii.types import PIISpan, PIIType

_K = "一-龥々〆ヶ"
_KANJI_RUN = f"[{_K}]"
_KATA = "ァ-ヴー"


def _load(name: str) -> frozenset[str]:
    raw = resources.files("deshi.data.pii").joinpath("data", name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """The bundled surname list (kanji)."""
    return _load("surnames.txt")


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """The bundled given-name list (kanji and kana)."""
    return _load("given_names.txt")


@lru_cache(maxsize=1)
def romaji_surnames() -> frozenset[str]:
    """Romanised surnames (Hepburn, lower case), for names in English text."""
    return _load("romaji_surnames.txt")


# Honorifics and titles written right after a name. Longer first so 支店長 wins over 店長.
_HONORIFICS_PERSON = ("様", "さま", "サマ", "さん", "サン", "氏", "殿", "君", "くん", "ちゃん", "先生", "先輩")
_TITLES = (
    "代表取締役社長", "代表取締役", "取締役", "副社長", "社長", "会長", "専務", "常務", "本部長", "事業部長",
    "支店長", "部長", "次長", "課長", "係長", "主任", "主査", "室長", "所長", "工場長", "店長", "局長",
    "院長", "教授", "准教授", "講師", "博士", "医師", "弁護士", "税理士", "看護師", "マネージャー",
    "リーダー", "さん付け",
)
_HON = "|".join(sorted(_HONORIFICS_PERSON + _TITLES, key=len, reverse=True))
_HON_RE = re.compile(
    rf"(?P<name>[{_K}]{{1,7}}(?:[ 　][{_K}]{{1,4}})?|[{_KATA}]{{2,12}}(?:[・＝ 　][{_KATA}]{{2,12}})?)(?P<hon>{_HON})"
)

# Words that take honorifics but are not names (お客様, 担当者様, 皆様, 運転手さん ...).
_NOT_NAMES = frozenset(
    """
    客 顧客 皆 各位 担当 担当者 ご担当者 利用者 管理者 関係者 責任者 会員 店員 社員 職員 患者 先輩 後輩 上司 部下
    同僚 大家 運転手 家族 息子 娘 奥 旦那 主人 相手 隣 彼 彼女 本人 御社 貴社 弊社 当社 各社 業者 神 仏 王 姫 殿
    神様 仏様 王様 奥様 皆様 客様 子供 子 親 母 父 兄 姉 弟 妹 祖母 祖父 孫 娘さん 営業 経理 総務 人事 開発 技術
    企画 広報 法務 購買 製造 品質 保守 情報 学生 生徒 教師 医者 看護 歯医者 八百屋 魚屋 本屋 花屋 肉屋 酒屋 薬剤
    大工 農家 漁師 警察 駅員 店主 家主 施主 発注者 受注者 申請者 承認者 作成者 記入者 依頼者 報告者 対象者 契約者
    代表者 申込者 購入者 入居者 来場者 参加者 出席者 登録者 応募者 受講者 当選者 お客 みな 係 部 課 室 班 支店
    お医者 歯科医 獣医 住職 和尚 社長 部長 課長 主任 所長 店長 院長 会長 先生 教授 監督 選手 審判 議員 知事 市長
    町長 村長 大臣 総理 首相 天皇 陛下 殿下 閣下 博士 弁護士 税理士 司法書士 行政書士 医師 看護師 薬剤師 技師
    ユーザー ユーザ オーナー スタッフ メンバー ゲスト ファン パパ ママ ドライバー カスタマー クライアント リーダー
    マネージャー エンジニア サポート オペレーター オペレータ ベンダー パートナー ホスト キャスト
    """.split()
)
# A kanji run ending like an organisation, a place or a role is not a name.
_ORG_SUFFIX = re.compile(
    r"(?:会社|社|会|店|局|省|庁|所|部|課|院|校|館|室|班|係|組|団|署|銀行|病院|大学|学園|協会|組合|財団|法人|"
    r"工業|商事|製作|製薬|電機|電気|建設|産業|物産|興業|工務|商店|事務|県|都|府|道|市|区|町|村|郡|駅|線|港|橋|川|"
    r"山|島|湖|寺|神社|者|員|長|師|士|家|様|氏|君|殿|人|達|たち|方|陣|側|宛|御中|各位|一同|全員)$"
)

# Form labels that introduce a name.
_LABELS = (
    "お客様名|お客さま名|顧客名|利用者名|契約者名|申込者名|患者名|社員名|従業員名|受講者名|氏名|お名前|名前|"
    "担当者名|担当者|ご担当|担当|作成者|申請者|承認者|決裁者|宛先|宛名|記入者|依頼者|報告者|責任者|代表者|"
    "連絡者|受付者|対応者|確認者|点検者|作業者|差出人|送信者|送付先|発信者|契約者|申込者|入居者|購入者|"
    "保証人|緊急連絡先|届出人|世帯主|被保険者|配偶者|上長|上司|起票者|検収者|立会者|発注者|受注者|署名"
)
_LABEL_RE = re.compile(
    rf"(?:^|(?<=[\s【\[(（「・|｜/、。:：]))(?:{_LABELS})(?:[\]】)）」]|[ \t　]*[（(][^)）\n]{{0,8}}[)）])?"
    rf"[ \t　]*(?:[:：]|は|=)?[ \t　]*"
    rf"(?P<name>[{_K}]{{1,5}}(?:[ 　][{_K}]{{1,5}})?|[{_KATA}]{{2,12}}(?:[・＝ 　][{_KATA}]{{2,12}})?|"
    rf"[A-Z][a-z]+(?:[ \-][A-Z][a-z]+|[ ][A-Z]{{2,}})?|[A-Z]{{2,}}[ ][A-Z][a-z]+)",
    re.MULTILINE,
)
_SELF_INTRO = re.compile(rf"(?P<name>[{_K}]{{1,4}})(?:です|と申します|と言います|でございます|と申す|が担当|が対応)")
_KANJI_RUN_RE = re.compile(rf"(?<![{_K}{_KATA}ぁ-ん])[{_K}]{{2,4}}(?:[ 　][{_K}]{{1,3}})?(?![{_K}])")
_GIVEN_ENDINGS = frozenset("郎朗介輔助也哉彦男夫雄樹斗太平吾治司蔵衛子美恵江枝乃香菜奈代花華里穂")

# Romanised names.
_EN_TITLE = re.compile(r"\b(?:Mr|Ms|Mrs|Miss|Mx|Dr|Prof)\.?[ ]+(?P<name>[A-Z][a-zA-Z'\-]+(?:[ ][A-Z][a-zA-Z'\-]+)?)")
_EN_SAN = re.compile(r"\b(?P<name>[A-Z][a-z]+(?:[ ][A-Z][a-z]+)?)-(?:san|sama|sensei|kun|chan|shi)\b")
_EN_PAIR = re.compile(r"\b(?P<a>[A-Z][a-z]{1,14}|[A-Z]{2,15})[ ](?P<b>[A-Z][a-z]{1,14}|[A-Z]{2,15})\b")
_EN_LABEL = re.compile(
    r"\b(?:Name|Contact|Attn|Attention|Dear|From|Signed|Author|Requester|Approver|Assignee|Reporter|Owner|"
    r"Applicant|Customer)[ \t]*[:：,]?[ \t]*(?P<name>[A-Z][a-z]+(?:[ ][A-Z][a-z]+)?)"
)
_EN_NOT_NAMES = frozenset(
    "The This That These Those A An And Or Of In On At For To From With By Team Customer Support Sales Service "
    "Company Inc Ltd Corp Co Dept Department Office Manager Director Engineer Japan Tokyo Osaka Kyoto Dear Hello "
    "Hi Thanks Thank Regards Best Sincerely Subject Re Fwd Please Sir Madam All Everyone Customer Server Client "
    "User Admin Root System Mr Ms Mrs Dr Prof Name Contact Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "January February March April May June July August September October November December Ticket Order Invoice".split()
)


class NameFinder:
    """Finds person names; ``extra_surnames``/``extra_given`` extend the bundled dictionaries."""

    def __init__(self, extra_names: Iterable[str] | None = None) -> None:
        extra = [n.strip() for n in (extra_names or ()) if n and n.strip()]
        self.surnames = surnames() | frozenset(n for n in extra if " " not in n)
        self.given = given_names()
        self.romaji = romaji_surnames()
        # Whole names a deployment wants found verbatim (employees, customers): exact matches.
        self.exact = sorted({n for n in extra if len(n) >= 2}, key=len, reverse=True)
        self._exact_re = re.compile("|".join(map(re.escape, self.exact))) if self.exact else None
        self._max_sur = max(map(len, self.surnames)) if self.surnames else 1

    # -- helpers --------------------------------------------------------------------------------

    def _split_run(self, run: str) -> tuple[int, int] | None:
        """Locate a name inside a kanji run that ends right before an honorific.

        Returns (offset, length) of the name within ``run``: the earliest position where a known
        surname starts and the remainder is empty, a known given name, or up to 3 kanji.
        """
        compact = run.replace(" ", "").replace("　", "")
        for i in range(len(run)):
            if run[i] in " 　":
                continue
            for length in range(min(self._max_sur, len(run) - i), 0, -1):
                sur = run[i : i + length]
                if sur not in self.surnames:
                    continue
                rest = run[i + length :].strip(" 　")
                if not rest or rest in self.given or (len(rest) <= 3 and " " not in rest and "　" not in rest):
                    if rest and i > 0 and rest not in self.given and len(compact) > 4:
                        continue
                    return i, len(run) - i
        return None

    def _plausible_unknown(self, run: str) -> bool:
        """A kanji run not in the dictionary that may still be a name (rare surnames)."""
        core = run.replace(" ", "").replace("　", "")
        return 2 <= len(core) <= 5 and core not in _NOT_NAMES and not _ORG_SUFFIX.search(core)

    # -- the rules ------------------------------------------------------------------------------

    def find(self, text: str, view: str) -> Iterator[PIISpan]:
        yield from self._labels(text)
        yield from self._honorifics(text)
        yield from self._self_intro(text)
        yield from self._pairs(text)
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                yield PIISpan(m.start(), m.end(), PIIType.PERSON, 0.95, "name_list")
        if any("A" <= c <= "Z" for c in view):
            yield from self._romanised(view)

    def _labels(self, text: str) -> Iterator[PIISpan]:
        for m in _LABEL_RE.finditer(text):
            name = m.group("name")
            s = m.start("name")
            # Drop an honorific/title the label's value ends with (担当：田中部長).
            hon = re.search(rf"(?:{_HON})$", name)
            if hon and hon.start() > 0:
                name = name[: hon.start()]
            name = name.rstrip(" 　")
            core = name.replace(" ", "").replace("　", "")
            if core in _NOT_NAMES or _ORG_SUFFIX.search(core) or len(core) < 2:
                if not (len(core) == 1 and core in self.surnames):
                    continue
            if name[:1].isascii() and name.split()[0] in _EN_NOT_NAMES:
                continue
            yield PIISpan(s, s + len(name), PIIType.PERSON, 0.9, "name_label")

    def _honorifics(self, text: str) -> Iterator[PIISpan]:
        for m in _HON_RE.finditer(text):
            run = m.group("name")
            hon = m.group("hon")
            s = m.start("name")
            if run[0] in _KATA or run[0] == "ー":
                if run in _NOT_NAMES or hon in _TITLES and hon not in ("マネージャー", "リーダー"):
                    continue
                if hon in ("マネージャー", "リーダー"):
                    continue
                yield PIISpan(s, m.end("name"), PIIType.PERSON, 0.7, "name_honorific_kana")
                continue
            found = self._split_run(run)
            if found is not None:
                off, length = found
                name = run[off : off + length].rstrip(" 　")
                yield PIISpan(s + off, s + off + len(name), PIIType.PERSON, 0.85, "name_honorific")
                continue
            # Not in the dictionary: accept a whole 2-5 kanji word before a personal honorific.
            if hon in _HONORIFICS_PERSON and hon not in ("君", "先輩") and self._plausible_unknown(run):
                if s > 0 and "一" <= text[s - 1] <= "龥":
                    continue
                yield PIISpan(s, m.end("name"), PIIType.PERSON, 0.6, "name_honorific_shape")

    def _self_intro(self, text: str) -> Iterator[PIISpan]:
        for m in _SELF_INTRO.finditer(text):
            run = m.group("name")
            found = self._split_run(run)
            if found is None:
                continue
            off, length = found
            s = m.start("name") + off
            if off == 0 and s > 0 and "一" <= text[s - 1] <= "龥":
                continue
            yield PIISpan(s, s + length, PIIType.PERSON, 0.75, "name_self_intro")

    def _pairs(self, text: str) -> Iterator[PIISpan]:
        """Surname + given name with no cue around them: 山田太郎が, 鈴木 一郎（営業部）."""
        for m in _KANJI_RUN_RE.finditer(text):
            run = m.group()
            compact = run.replace(" ", "").replace("　", "")
            for length in range(min(self._max_sur, len(compact) - 1), 0, -1):
                sur = compact[:length]
                rest = compact[length:]
                if sur not in self.surnames or not rest:
                    continue
                if rest in self.given:
                    yield PIISpan(m.start(), m.end(), PIIType.PERSON, 0.8, "name_pair")
                    break
                if len(rest) <= 2 and rest[-1] in _GIVEN_ENDINGS and len(sur) >= 2 and not _ORG_SUFFIX.search(rest):
                    yield PIISpan(m.start(), m.end(), PIIType.PERSON, 0.65, "name_pair_shape")
                    break

    def _romanised(self, view: str) -> Iterator[PIISpan]:
        for rx, score, rule in ((_EN_TITLE, 0.9, "name_en_title"), (_EN_SAN, 0.85, "name_en_san"),
                                (_EN_LABEL, 0.85, "name_en_label")):
            for m in rx.finditer(view):
                name = m.group("name")
                if name.split()[0] in _EN_NOT_NAMES:
                    continue
                yield PIISpan(m.start("name"), m.end("name"), PIIType.PERSON, score, rule)
        for m in _EN_PAIR.finditer(view):
            a, b = m.group("a"), m.group("b")
            if a in _EN_NOT_NAMES or b in _EN_NOT_NAMES:
                continue
            if a.lower() in self.romaji or b.lower() in self.romaji:
                yield PIISpan(m.start(), m.end(), PIIType.PERSON, 0.8, "name_en_pair")
