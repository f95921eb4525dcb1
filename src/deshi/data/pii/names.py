"""Person names in Japanese (kanji/kana) and romanised text, without a neural model.

Japanese writes no spaces and no capitals, so a name has no shape of its own; what gives it away
is what stands *around* it. The rules, strongest first:

1. a form label before it (氏名：, 担当者：, 申請者, 承認：, 宛先, お客様名 ... or Name:, Dear);
2. an honorific or title right after it (様, さん, 氏, 殿, 先生, 部長 ...): the span excludes the
   honorific, and inside a longer kanji run (営業部田中様) the name is located with the surname list;
3. a department or role right before it (総務部 田中, 代表取締役 山田太郎, 担当の小野寺が);
4. a self-introduction (田中です, 田中と申します), a contact hint (田中（内線1234）), a work verb
   (田中が対応), a log entry (2024/05/01 田中。), a transcript speaker (→ 井口: …, オペレーター（井上）：…)
   or a sign-off (…佐々木より); a bank account's holder after its number (普通 0123456 ﾔﾏﾀﾞ ﾀﾛｳ);
5. surname + given name from the bundled dictionaries anywhere (田中太郎が, 高田 かおり), or surname
   + a kanji ending typical of given names (…郎, …子, …美);
6. romanised names after Mr./Ms./Dr., after "Dear"/"Name:", ``Yamada-san``, or "Surname Given"
   pairs in which one part is a known romanised surname.

Company names (株式会社…), departments, job titles and places are excluded by a stop list and by
refusing runs that end in an organisation suffix. The surname list (data/surnames.txt, ~1,100
names) and given-name list (data/given_names.txt) are data files so a deployment can extend them
(``PIIRecognizer(extra_names=...)``).

Hand-written because no maintained Japanese name recogniser runs at curation speed: GiNZA's NER
is available behind ``use_ner=True`` for the rest (see ner.py).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources

import ahocorasick_rs

from deshi.data.pii.regex_util import grouped_alternation
from deshi.data.pii.types import PIISpan, PIIType

# Kanji: the unified block (to U+9FFF). Name kanji outside it reach the patterns folded by matching_view:
# 𠮷 → 吉 and 𡈽 → 土 (supplementary plane), 﨑 → 崎 and the compatibility ideographs with a canonical
# equivalent. Not wider classes: a supplementary-plane range makes the regex engine test a list of ranges
# instead of a bitmap (~0.7 µs per document), and the compatibility block and extension A double the
# compile time of every pattern holding the class (~20 ms more import time per module, measured).
_K = "一-鿿々〆ヶ"
_KATA = "ァ-ヴー"
_HIRA = "ぁ-ゖ"


def _is_kanji(ch: str) -> bool:
    # (extension A and the unified block as one range: almost every kanji is there, and most other
    # characters of Japanese text (kana, punctuation, ASCII) fail its first comparison; inlined in hot loops)
    return "一" <= ch <= "\u9fff" or ch in "々〆ヶ"


def _is_kata(ch: str) -> bool:
    return "ァ" <= ch <= "ヴ" or ch == "ー"


def _is_hira(ch: str) -> bool:
    return "ぁ" <= ch <= "ゖ"


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


@lru_cache(maxsize=1)
def katakana_names() -> frozenset[str]:
    """Foreign given names and surnames in katakana."""
    return _load("katakana_names.txt")


# Honorifics and titles written right after a name. Longer first so 支店長 wins over 店長.
_HONORIFICS_PERSON = ("様", "さま", "さん", "氏", "殿", "君", "くん", "ちゃん", "先生", "先輩")
_TITLES = (
    "代表取締役社長", "代表取締役", "取締役", "副社長", "社長", "会長", "専務", "常務", "本部長", "事業部長",
    "支店長", "部長", "次長", "課長", "係長", "主任", "主査", "室長", "所長", "工場長", "店長", "局長",
    "院長", "教授", "准教授", "講師", "博士", "医師", "弁護士", "税理士", "看護師", "班長", "職長",
)
_HON = "|".join(sorted(_HONORIFICS_PERSON + _TITLES, key=len, reverse=True))
_HON_LONGEST_FIRST = tuple(sorted(_HONORIFICS_PERSON + _TITLES, key=len, reverse=True))  # sorted once
_HON_RE = re.compile(grouped_alternation(_HON.split("|")))

# Words that take honorifics but are not names (お客様, 担当者様, 皆様, 運転手さん ...).
# Kanji that make a common word with a following 様 (仕様 spec, 模様 pattern, 同様, 多様, 異様, 文様, 紋様,
# 有様, 態様): an unlisted kanji word ending so is no name before an honorific.
_SAMA_WORD_HEADS = frozenset("仕模同多異文紋有態")
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
    以上 不明 未定 空欄 なし 無し 同上 別紙 各自 全員 一同 代理 本社 支社 工場 御中 宛 様 殿 氏 者 方 未記入 未入力
    ユーザー ユーザ オーナー スタッフ メンバー ゲスト ファン パパ ママ ドライバー カスタマー クライアント リーダー
    マネージャー エンジニア サポート オペレーター オペレータ ベンダー パートナー ホスト キャスト センター サービス
    携帯 電話 内線 外線 直通 自宅 代表 不在 連絡 連絡先 宛先 マイナンバー メールアドレス アドレス パスワード アカウント
    """.split()
)
# A kanji run ending like an organisation, a place or a role is not a name.
_ORG_SUFFIX = re.compile(
    r"(?:会社|社|会|店|局|省|庁|所|部|課|院|校|館|室|班|係|組|団|署|銀行|病院|大学|学園|協会|組合|財団|法人|"
    r"工業|商事|製作|製薬|電機|電気|建設|産業|物産|興業|工務|商店|事務|県|都|府|道|市|区|町|村|郡|駅|線|港|橋|川|"
    r"山|島|湖|寺|神社|者|員|長|師|士|家|様|氏|君|殿|人|達|方|陣|側|宛|御中|各位|一同|全員|場|機|品|器|類|書|表|"
    r"料|費|金|額|率|度|型|式|性|化|的|法|論|用|中|後|前|内|外|間|時|日|月|年|分|件|回|点|号|番|"
    # trade names without 株式会社 (協和電設, 北斗通信, 日東精機): an industry word ends them
    r"電設|電工|通信|精機|精工|技研|電子|工機|設備|運輸|物流|開発|企画|技術|工房|食品|化学|薬品|印刷|保険|証券|運送)$"
)

# Form labels that introduce a name. Strong labels only ever introduce a person; weak ones also
# introduce other things (回答：有効期限は…, 問い合わせ先：物流センター), so after them only listed
# names count.
_STRONG_LABELS = (
    "お客様名|お客さま名|顧客名|利用者名|契約者名|申込者名|患者名|社員名|従業員名|受講者名|氏名|お名前|名前|"
    "担当者名|担当者|ご担当者|作成者|申請者|承認者|決裁者|確認者|点検者|宛名|記入者|依頼者|報告者|責任者|代表者|"
    "連絡者|受付者|対応者|作業者|実施者|回答者|差出人|送信者|発信者|契約者|申込者|入居者|購入者|保証人|届出人|"
    "世帯主|被保険者|配偶者|起票者|検収者|立会者|発注者|受注者|記録者|労働者|従業員|社員|被験者|利用者|患者|"
    "出席者|参加者|欠席者|同席者|司会者|書記|議長|立会人|面接官|面談者|訪問者|来訪者|当番|同行者|同伴者|引率者|"
    "代理人|申請代理人|連帯保証人|受取人|受領者|借主|貸主|買主|売主|旧姓|旧氏|名義|名義人|口座名義|振込人|振込名義|お振込人名義|"
    "ご依頼人|依頼人名"
)
_WEAK_LABELS = (
    "ご担当|担当|作成|申請|承認|決裁|確認|検印|宛先|依頼|報告先|報告|受付|対応|回答|送付先|上長|起票|立会|署名|"
    "出席|参加|欠席|同席|司会|記録|早番|遅番|中番|日勤|夜勤|当直|宿直|担任|副担任|"
    "問い合わせ先|問合せ先|お問い合わせ先|連絡先|窓口|引継ぎ先|引継先|記録|審査|査閲|照査|作図|設計|検図|"
    "From|To|CC|Cc|普通預金|当座預金|普通|当座"
)
# A bank account's type, number and holder (振込先：○○銀行 本店 普通 0123456 ﾔﾏﾀﾞ ﾀﾛｳ): the name after the
# number is the account holder's (a company's is written with a bank abbreviation, ｶ)…, which is refused).
_BANK_ACCOUNT_LABELS = frozenset(("普通預金", "当座預金", "普通", "当座"))
_ACCOUNT_NUMBER = re.compile(r"[0-9]{6,8}[ \t　]+")
_STRONG_LABEL_SET = frozenset(_STRONG_LABELS.split("|"))
_ALL_LABELS = "|".join(sorted(set(_STRONG_LABELS.split("|")) | set(_WEAK_LABELS.split("|")), key=len, reverse=True))
# The label comes first in the pattern (no look-behind) so the regex engine can skip ahead on the
# labels' first characters; the word-boundary check before the label is done in Python.
_LABEL_RE = re.compile(
    rf"(?P<label>{grouped_alternation(_ALL_LABELS.split('|'))})"
    rf"(?:(?:[\]】)）」]|[ \t　]*[（(][^)）\n]{{0,8}}[)）])?[ \t　]*(?:[:：]|は|=)[ \t　]*(?:&nbsp;)?"
    rf"|[\]】)）」][ \t　]*|[ \t　]+|&nbsp;)"
)
_WORD_CHAR = re.compile(rf"[{_K}{_KATA}A-Za-z0-9]")
# A department / role written right before a name: 総務部 田中, 代表取締役 山田太郎, 担当の小野寺.
_ROLE_SUFFIXES = (
    "部", "課", "室", "係", "グループ", "チーム", "センター", "本部", "工場", "支店", "営業所", "窓口", "事務局", "サポート", "デスク",
)
_ROLE_WORDS = (
    "代表取締役(?:社長)?|代表社員|代表理事|取締役|社長|会長|所長|工場長|店長|支店長|部長|課長|係長|主任|担当者?|"
    "係|窓口|営業|上司|同僚|主治医|責任者|(?:引き?継ぎ?|申し送り|報告|連絡|依頼|エスカレ(?:ーション)?)(?:完了|済み?|先)?|"
    # duty and the short department words of minutes and logs (夜間当番 坂本, 品証 吉村 / 製造 岩田), and the
    # call-centre roles written in capitals (OP 三浦: operator, SV 岡本: supervisor)
    "当番|品証|品管|製造|設計|購買|(?<![A-Za-z])(?:SV|OP)"
)
_ROLE_TOPICS = "当番|担当|担当者|責任者|窓口|幹事|司会|議長|講師|リーダー|作業者|立会者|記録者"  # before は
_ROLE_BEFORE = re.compile(
    rf"(?:[{_K}{_KATA}]{{1,12}}(?:{'|'.join(_ROLE_SUFFIXES)})|{_ROLE_WORDS})(?:[ 　]+|の)|(?:{_ROLE_TOPICS})は"
)
_HAS_CAPITALISED = re.compile(r"[A-Z](?:[a-z]|[A-Z]+[ ][A-Z])")  # = [A-Z][a-z]|[A-Z]{2,}[ ][A-Z], but literal-first
_ROLE_BEFORE_END = re.compile("(?:" + _ROLE_BEFORE.pattern.replace("(?:[ 　]+|の)", "(?:[ 　]+|の|&nbsp;)") + ")$")
# _ROLE_BEFORE_END without its first alternative ([kanji/katakana]{1,12} + a suffix such as 部): that
# one has no first character to skip to, so a search tried it at each of the window's 30 positions
# with up to 12 backtracking steps; _role_before_end tests it from the end of the window instead.
_ROLE_WORDS_END = re.compile(rf"(?:(?:{_ROLE_WORDS})(?:[ 　]+|の|&nbsp;)|(?:{_ROLE_TOPICS})は)$")
_KANA_NAME = re.compile(rf"[{_KATA}]{{1,12}}(?:[・＝][{_KATA}]{{1,12}}){{0,3}}(?![{_KATA}])")
_KANA_NOT_NAME_ENDINGS = (
    "センター", "サービス", "サポート", "システム", "ライン", "メーカー", "ショップ", "ストア", "グループ",
    "チーム", "ルーム", "ホール", "ビル", "タワー", "マンション", "ハイツ", "ステーション", "プラザ", "フロア",
)
# Words that make a dotted katakana phrase a shop's or office's name (オフィス・ユキ, サロン・ド・…), not a
# foreign name like ホセ・ガルシア (which the dotted shape alone accepts).
_KANA_BUSINESS_WORDS = frozenset(
    "オフィス サロン スタジオ クリニック デザイン カフェ ショップ ストア ハウス ホーム ファーム ラボ ネット ワークス "
    "プロ サービス システム コンサルティング ソリューション ソリューションズ テック ホテル レストラン ベーカリー "
    "アトリエ ギャラリー スクール アカデミー センター グループ ジャパン カンパニー マート ライフ ケア".split()
)
_NAME_DELIM = re.compile(r"[\s、。，,.（(）)\[\]【】「」『』<>/／|｜:：;；・]|$|&nbsp;|と|が|は|に|の|から|より|まで|へ")
_TITLE_RE = re.compile(grouped_alternation(sorted(_TITLES, key=len, reverse=True)))
_TITLE_FIRST_CHARS = frozenset(t[0] for t in _TITLES)
_CELL_BEFORE = re.compile(r"(?:^|[|｜\t,])[ 　]?$", re.MULTILINE)
_CELL_AFTER = re.compile(r"[ 　]?(?:[|｜\t,]|$)", re.MULTILINE)
_LIST_SEP = re.compile(r"(?:[ 　]?(?:様|さん|氏))?(?:[（(][^)）\n]{1,6}[)）])?[ 　]?[、,，・/／][ 　]?")
# (a reply arrow or bullet may open the line: "→ 井口: …", "- 木村: …")
_SPEAKER_BEFORE = re.compile(r"(?:^|\n)[ \t]*(?:[→⇒>＞*•・\-][ \t]*)?(?:[\[(（]?[\d/:\- ]{4,19}[\])）]?[ \t]*)?$")
_SPEAKER_AFTER = re.compile(r"[ 　]?[:：>＞]")
# A transcript's speaker in brackets after a role: "オペレーター（井上）：…", "お客様（山本）：…", "担当(佐藤): …".
_SPEAKER_ROLE_BEFORE = re.compile(rf"(?:^|\n)[ \t]*(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?[ \t]+)?[{_K}{_KATA}{_HIRA}A-Za-z]{{1,12}}[ ]?[（(]$")
_SPEAKER_ROLE_AFTER = re.compile(r"[)）][ 　]?[:：]")
# 上田 直樹 様（ウエダ ナオキ）: the honorific may stand between the name and its reading.
_READING_HONORIFICS = ("様", "さま", "さん", "殿", "氏")
_READING_AFTER = re.compile(
    rf"(?:[ 　]?(?:{'|'.join(_READING_HONORIFICS)}))?[ 　]?[（(](?P<kana>[{_KATA}]{{1,12}}(?:[ 　・][{_KATA}]{{1,12}})?)[）)]"
)
_READING_OPENERS = tuple(  # how every _READING_AFTER match begins
    sp1 + hon + sp2 + bracket
    for hon in ("", *_READING_HONORIFICS) for sp1 in (("",) if not hon else ("", " ", "　"))
    for sp2 in ("", " ", "　") for bracket in "（("
)
# The longest opener (" さま （"): the pre-check before _READING_AFTER looks this far for a bracket.
_READING_OPENER_MAX = max(map(len, _READING_OPENERS))
_KANA_NAME_OPENERS = "：:、,，（(「『【[|｜\t"  # what may stand before a katakana full name
_READING_FIRST = frozenset(opener[0] for opener in _READING_OPENERS)
# オオツカ ユウスケ（大塚 雄介）: a katakana reading written before the bracketed name it spells.
_READING_BEFORE = re.compile(rf"(?<![{_KATA}・])(?P<kana>[{_KATA}]{{2,12}}(?:[ 　・][{_KATA}]{{1,12}})?)[ 　]?[（(]$")
_READING_LABEL = re.compile(
    rf"(?:フリガナ|ふりがな|カナ氏名|氏名[（(](?:カナ|かな|フリガナ|ふりがな)[）)]|お名前[（(](?:カナ|かな)[）)]|セイ[ 　]?メイ)"
    rf"[ 　]*[:：]?[ 　]*"
    rf"(?P<kana>[{_KATA}]{{1,12}}(?:[ 　・][{_KATA}]{{1,12}})?|[{_HIRA}ー]{{1,12}}(?:[ 　][{_HIRA}ー]{{1,12}})?)"
)
# Narrative: a listed surname as the subject/source of a clause whose verb is something people do
# (佐藤が客先に行った, 鈴木は来月退職する, 山本によると…). Surnames that are also well-known places
# (千葉, 上野, 品川 …) are left to stronger cues.
_NARRATIVE_PARTICLE = re.compile(r"(?:が|は|から|によると|によれば|も|、|・|と)")
_PERSON_VERB = re.compile(
    r"(?:行っ|行き|行く|来|言っ|言い|話し|話す|出席|参加|欠席|退職|入社|異動|休み|休暇|出張|帰っ|帰社|戻っ|戻り|担当|"
    r"対応|連絡|報告|確認|説明|提案|作成|送っ|送付|電話|訪問|不在|在席|同席|同行|答え|回答|述べ|指摘|依頼|承認|申請|"
    r"記入|点検|修理|交換|調査|判断|発表|発言|相談|面談|面接|着任|退社|出社|在宅|勤務|所属|入院|退院|受診|"
    r"によると|によれば)"
)
_PLACE_SURNAMES = frozenset(
    "千葉 福岡 福島 長野 宮崎 秋田 山口 岡山 広島 新潟 富山 石川 香川 熊本 山形 宮城 岩手 青森 栃木 群馬 埼玉 静岡 "
    "三重 滋賀 奈良 鳥取 島根 徳島 愛媛 高知 佐賀 長崎 大分 沖縄 上野 品川 渋谷 新宿 池袋 中野 目黒 大塚 神田 浅草 "
    "銀座 横浜 川崎 札幌 仙台 神戸 博多 豊田 日立 小松 松本 長岡 前橋 高崎 大宮 浦和 藤沢 平塚 小田原 相模 柏 松戸 "
    "市川 船橋 熊谷 所沢 越谷 川口 岐阜 大垣 豊橋 岡崎 一宮 津 四日市 大津 堺 姫路 明石 西宮 尼崎 福山 呉 下関 宇部 "
    "久留米 北九州 佐世保 宮古 石垣 中山 東 西 南 北 林 森 原 谷 岡 島 関 堀 泉".split()
)
# A letter's or note's sign-off: 佐々木より at the end of a line.
_SIGNOFF_AFTER = re.compile(r"より[ 　]*(?:\r?\n|$)")
_HANDOVER_AFTER = re.compile(r"が[^。\n]{1,16}?(?:さん|様|氏)(?:に|へ|と)")
_NO_BEFORE = re.compile(r"[の。、\s]$")
_STRONG_INTRO_AFTER = re.compile(r"(?:と申します|と言います|でございます|てございます|と申す|と申しま|[（(]以下)")
_SELF_INTRO_AFTER = re.compile(r"(?:です|てす|と申します|と言います|でございます|てございます|と申す)")
# (記): the minute-taker's mark in an attendee list (大島、小林（記）).
# A phone number right after a listed surname (連絡網: 青木 090-1111-2345, 須藤 携帯 090(8871)4420): the
# number is that person's, as in a contact list; the shape of a Japanese number (0 + area/mobile prefix).
_PHONE_AFTER = re.compile(
    r"[ 　]?(?:(?:携帯|電話|TEL|Tel|tel|直通)[:：]?[ 　]?)?"
    r"(?:0[0-9]{1,4}[-‐－(（ ]?[0-9]{1,4}[-‐－)） ]?[0-9]{3,4}(?![0-9])|\+81[- ]?[0-9])"
)
_PHONE_AFTER_FIRST = frozenset(" 　0携電Tt+")  # what a _PHONE_AFTER match begins with (a cheap test first)
_CONTACT_AFTER = re.compile(r"[（(](?:内線|TEL|Tel|tel|電話|携帯|直通|0[0-9０-９]|０|[A-Za-z0-9._-]+[@＠]|記[)）])")
_WORK_AFTER = re.compile(
    r"(?:が|から|より)(?:引き?継|対応|実施|担当|確認|報告|点検|作業|交換|記入|作成|承認|訪問|修理|調整|説明|回答|"
    r"連絡|指示|検査|測定|清掃|補充|出張|立会|同行|受付|受領|発送|手配|処理|復旧|判断|依頼)|"
    r"(?:さん)?(?:に|へ)(?:引き?継|連絡|報告|確認|相談|依頼|共有|エスカレ)|"
    r"が[^。\n]{1,16}?(?:さん|様|氏)(?:に|へ|と)"  # 田中が鈴木さんに引き継ぎ
)
_STRONG_CUE_AFTER = re.compile(f"(?:{_STRONG_INTRO_AFTER.pattern})|(?:{_CONTACT_AFTER.pattern})")
_ANY_CUE_AFTER = re.compile(
    f"(?:{_STRONG_INTRO_AFTER.pattern})|(?:{_CONTACT_AFTER.pattern})|(?:{_SELF_INTRO_AFTER.pattern})|(?:{_WORK_AFTER.pattern})"
)
_DOTS_RE = re.compile("[・＝]")
_DATE_BEFORE = re.compile(
    r"(?:\d{4}[/\-.年]\d{1,2}[/\-.月]\d{1,2}日?|(?:令和|平成|R|H)\d{1,2}[.年]\d{1,2}[.月]\d{1,2}日?|\d{1,2}/\d{1,2})"
    r"(?:[ 　]?[(（][月火水木金土日][)）])?(?:[ 　]\d{1,2}:\d{2})?(?:[ 　]+|&nbsp;)$"
)
_CUE_BEFORE_LAST = frozenset(" 　の;は")
_GIVEN_ENDINGS = frozenset("郎朗介輔助也哉彦男夫雄樹斗太平吾治次司蔵衛一二三子美恵江枝乃香菜奈代花華里穂")
_STRONG_ENDINGS = frozenset("郎介助夫雄彦子美")
_KANJI_RUN = re.compile(f"[{_K}]+")
_KATA_RUN = re.compile(f"[{_KATA}]+")
_HIRA_RUN6 = re.compile(f"[{_HIRA}]{{1,6}}")
_HIRA_FULL_NAME = re.compile(f"[{_HIRA}]{{2,5}}[ 　][{_HIRA}]{{2,5}}(?![{_HIRA}])")
_KATA_RUN6 = re.compile(f"[{_KATA}]{{1,6}}")
_MISSING = object()
_CACHE_LIMIT = 1 << 16  # distinct kanji words remembered by NameFinder._split (then start afresh)
_PARTICLE_AFTER = re.compile(r"(?:さん|様|さま|くん|ちゃん|です|が|は|に|と|の|から|へ|を|も|より|まで|宛|氏|殿|、|。)")


# Table columns. Exported CSV/TSV (社員名簿, 受注一覧, form dumps) name a column once, in the header
# row, and list the values below it with no cue of their own; a header cell from this set makes the
# cells under it names (validated by shape: kana/kanji/Latin letters, no digits, no organisation).
_NAME_HEADERS = (
    "氏名", "名前", "お名前", "氏名（漢字）", "氏名(漢字)", "姓名", "顧客名", "お客様名", "社員名", "従業員名", "担当者",
    "担当者名", "利用者名", "会員名", "契約者名", "患者名", "受講者名", "参加者名", "申請者", "作成者", "Name", "name",
    "NAME", "Full name", "Full Name", *(k := (
        "フリガナ", "ふりがな", "カナ", "カナ氏名", "氏名カナ", "氏名（カナ）", "氏名(カナ)", "名前（カナ）", "名前(カナ)",
        "氏名（フリガナ）", "氏名(フリガナ)", "セイメイ")),
)
_KANA_HEADERS = frozenset(k)
_WEAK_HEADERS = frozenset(("Name", "name", "NAME"))
_NAME_HEADER_SET = frozenset(_NAME_HEADERS)
_HEADER_FOLLOWERS = ("\t", ",", '"', "|", " |", "\n", "\r")
_CELL_SEPARATORS = ("\t", ",", "|")
# (The three patterns below are compiled on first use (_lazy): they serve rare cases, and compiling the
# kanji class costs ~2 ms each at import, in every curate worker.)
_CELL_NAME = rf"[{_K}{_KATA}{_HIRA}A-Za-z][{_K}{_KATA}{_HIRA}A-Za-z・＝ 　.'\-]{{0,29}}"
_CELL_KANA = re.compile(rf"[{_KATA}{_HIRA}][{_KATA}{_HIRA}・＝ 　]{{0,29}}")
# A cell naming an organisation or a placeholder (company words anywhere: _ORG_IN_CELL below).
_CELL_NOT_NAME = re.compile(
    r"(?:会社|部|課|室|係|センター|支店|支社|工場|店|所|局|署|院|校|大学|銀行|協会|組合|"
    r"グループ|チーム|未定|不明|なし|無し|同上)$"
)
_CELL_QUOTES = " \"'　"
_ORG_WORD = r"(?:株式会社|有限会社|合同会社|\(株\)|㈱)"
_ORG_IN_CELL = re.compile(_ORG_WORD)
_ORG_WORDS = ("株式会社", "有限会社", "合同会社", "(株)", "（株）", "㈱", "(有)", "（有）", "㈲")
# A cue before a signature's surname: the organisation's name and a space (株式会社洛中企画　金子).
_ORG_BEFORE_END = rf"(?:{_ORG_WORD}[{_K}{_KATA}A-Za-z・]{{1,16}}|[{_K}{_KATA}A-Za-z・]{{1,16}}{_ORG_WORD})[ 　]+$"
# Attendee lists: a listed surname next to a found name across 、/・ (大島、小林（記）; 田中、鈴木両名).
_LIST_SEPARATORS = "、,，・/／"
_LIST_AFTER_FIRST = frozenset(_LIST_SEPARATORS + "（(様さ氏 　")
_LIST_NEAR = frozenset(_LIST_SEPARATORS + "（(")
_BEFORE_NAME_CHARS = frozenset(_LIST_SEPARATORS + "（( 　")
_AFTER_NAME_FIRST = _READING_FIRST | _LIST_AFTER_FIRST
_LIST_SEP_SET = frozenset(_LIST_SEPARATORS)
_LIST_BEFORE = rf"(?<![{_K}])(?P<name>[{_K}]{{1,4}})(?:[ 　]?(?:様|さん|氏))?(?:[（(][^)）\n]{{1,6}}[)）])?[ 　]?[、,，・/／][ 　]?$"


@lru_cache(maxsize=8)
def _lazy(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, once, on first use."""
    return re.compile(pattern)


def _list_sep_end(text: str, k: int, n: int) -> int | None:
    """``_LIST_SEP.match(text, k).end()`` (or None), by character tests: [ ]?(様|さん|氏)?, a bracket of
    1-6 characters, [ ]?, a separator, [ ]?."""
    j = k + 1 if text[k] in " 　" else k
    if text.startswith("さん", j):
        k = j + 2
    elif j < n and text[j] in "様氏":
        k = j + 1
    if k < n and text[k] in "（(":
        close = k + 1
        while close < n and close - k <= 7 and text[close] not in ")）\n":
            close += 1
        if close >= n or close - k < 2 or close - k > 7 or text[close] not in ")）":
            return None
        k = close + 1
    if k < n and text[k] in " 　":
        k += 1
    if k >= n or text[k] not in _LIST_SEPARATORS:
        return None
    k += 1
    return k + 1 if k < n and text[k] in " 　" else k


@lru_cache(maxsize=1)
def _voiced_pairs() -> dict[str, str]:
    """Katakana + spacing voiced mark (゛゜: what matching_view makes of half-width ﾞﾟ) → the voiced kana."""
    pairs = {}
    for code in range(ord("ァ"), ord("ヺ") + 1):
        for mark, combining in (("゛", "\u3099"), ("゜", "\u309a")):
            composed = unicodedata.normalize("NFC", chr(code) + combining)
            if len(composed) == 1:
                pairs[chr(code) + mark] = composed
    return pairs


_VOICED_MARK = re.compile("[゛゜]")


def _compose_voiced(view: str) -> tuple[str, list[int]]:
    """``view`` with ス゛ → ズ composed, and the (sorted) offsets in the result of the composed kana.

    Why: half-width katakana (ｽｽﾞｷ) reach the name finder as ス゛ (the matching view folds one
    character to one); the name patterns and lists need ズ. Only run when a mark occurs.
    """
    pairs = _voiced_pairs()
    parts: list[str] = []
    composed_at: list[int] = []
    last = 0
    for m in _VOICED_MARK.finditer(view):
        p = m.start()
        pair = view[p - 1 : p + 1]
        if p == 0 or pair not in pairs:
            continue
        parts.append(view[last : p - 1])
        parts.append(pairs[pair])
        composed_at.append(p - 1 - len(composed_at))
        last = p + 1
    parts.append(view[last:])
    return "".join(parts), composed_at


def _uncompose(composed_at: list[int], start: int, end: int) -> tuple[int, int]:
    """The view offsets of ``[start, end)`` of the composed text (each composed kana was two characters)."""
    s = start + bisect_left(composed_at, start)
    last = end - 1
    k = bisect_left(composed_at, last)
    e = last + k + (2 if k < len(composed_at) and composed_at[k] == last else 1)
    return s, e


def _line_bounds(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _row_separator(line: str) -> str | None:
    """The cell separator of a table row (tab, comma or |), or None for a line of prose."""
    for sep in _CELL_SEPARATORS:
        if line.count(sep) >= 1 + (sep == "|"):
            return sep
    return None


def _is_header_row(text: str, pos: int) -> bool:
    """``pos`` lies in a tab-separated header row: 3+ cells, no digit, the next line has as many cells.

    (A label there heads a column: the next cell is another heading, not the name: No.<TAB>氏名<TAB>年齢.)
    """
    start, end = _line_bounds(text, pos)
    line = text[start:end]
    tabs = line.count("\t")
    if tabs < 2 or any(c.isdigit() for c in line) or end >= len(text):
        return False
    nxt_start, nxt_end = _line_bounds(text, end + 1)
    return text.count("\t", nxt_start, nxt_end) == tabs


# Where the label, honorific, reading-label and romanised-name patterns can start. Their regexes each
# scanned the whole document (the first characters of ~140 label words and ~40 honorifics occur every
# few characters of Japanese text), ~17 µs per document together; one Aho-Corasick pass
# (ahocorasick-rs, as in deshi.data.keywords) over the words they begin with finds every such position
# in ~5-8 µs, and the regexes then run only there (_matches_at: the same matches finditer returns) or not
# at all (a romanised pattern whose necessary words are absent).
_READING_LABEL_STARTS = ("フリガナ", "ふりがな", "カナ氏名", "氏名（", "氏名(", "お名前（", "お名前(", "セイ")
(_LABELS_AT, _HONORIFICS_AT, _READINGS_AT, _EN_TITLES_AT, _EN_SAN_AT, _EN_LABELS_AT, _EN_PAIR_AT,
 _SURNAMES_AT, _KANA_NAMES_AT, _DOTS_AT, _CAP_LOWER_AT, _HEADERS_AT) = range(12)
_BUCKETS = 12
_PAIRED = frozenset((_KANA_NAMES_AT,))  # buckets whose words' ends are kept too
# The first character after a label word in every _LABEL_RE match (its separator alternatives).
_LABEL_FOLLOWERS = frozenset("]】)）」 \t　（(:：は=&")


def _anchor_words() -> list[tuple[str, int]]:
    """(word, bucket) for every word a pattern of that bucket must begin with (or, for _EN_SAN and
    _EN_WORD_START, contain); a word may serve several buckets."""
    groups: list[tuple[Iterable[str], int]] = [
        # a label word and the first character of a separator (every _LABEL_RE match has both)
        ((label + c for label in _ALL_LABELS.split("|") for c in sorted(_LABEL_FOLLOWERS)), _LABELS_AT),
        (_HON_LONGEST_FIRST, _HONORIFICS_AT),
        (_READING_LABEL_STARTS, _READINGS_AT),
        (_EN_TITLE_WORDS, _EN_TITLES_AT),
        (_EN_SAN_WORDS, _EN_SAN_AT),
        (_EN_LABEL_WORDS, _EN_LABELS_AT),
        ((" " + chr(c) for c in range(ord("A"), ord("Z") + 1)), _EN_PAIR_AT),  # "Word Word": a space, a capital
        # _HAS_CAPITALISED needs a capital + lower-case letter, or a space + capital (_EN_PAIR_AT)
        ((chr(a) + chr(b) for a in range(ord("A"), ord("Z") + 1) for b in range(ord("a"), ord("z") + 1)), _CAP_LOWER_AT),
        # a katakana character and ・/＝: where a katakana word ends before a dot (not a bullet)
        ((chr(c) + dot for c in range(ord("ァ"), ord("ヴ") + 1) for dot in "・＝"), _DOTS_AT),
        (("ー・", "ー＝"), _DOTS_AT),
        # a name-column header of a CSV/TSV/Markdown table, then a cell separator or the line end
        ((h + sep for h in _NAME_HEADERS for sep in _HEADER_FOLLOWERS), _HEADERS_AT),
    ]
    return [(word, bucket) for words, bucket in groups for word in words]


@lru_cache(maxsize=8)
def _anchor_scanner(
    surname_starts: frozenset[str], kana_names: frozenset[str]
) -> tuple[ahocorasick_rs.AhoCorasick, list[int | tuple[int, ...]]]:
    """The automaton over every anchor word, and per word the bucket (or buckets) it serves. ``surname_starts``: the
    one-character surnames and two-character surname beginnings; ``kana_names``: katakana names."""
    buckets: dict[str, tuple[int, ...]] = {}
    for word, bucket in [*_anchor_words(), *((w, _SURNAMES_AT) for w in sorted(surname_starts)),
                         *((w, _KANA_NAMES_AT) for w in sorted(kana_names))]:
        if bucket not in buckets.get(word, ()):
            buckets[word] = (*buckets.get(word, ()), bucket)
    words = list(buckets)
    # ContiguousNFA, not DFA: with these ~4,300 words the DFA holds ~10 MB in every curate process for
    # ~2 µs per document less (names alone, interleaved A/B); the contiguous NFA holds 0.7 MB.
    automaton = ahocorasick_rs.AhoCorasick(
        words, matchkind=ahocorasick_rs.MatchKind.Standard, implementation=ahocorasick_rs.Implementation.ContiguousNFA
    )
    # A word of one bucket maps to the bucket number (~number for a bucket of (start, end) pairs),
    # a word of several to their tuple.
    return automaton, [
        (~buckets[w][0] if buckets[w][0] in _PAIRED else buckets[w][0]) if len(buckets[w]) == 1 else buckets[w]
        for w in words
    ]


def _anchor_starts(
    text: str, scanner: tuple[ahocorasick_rs.AhoCorasick, list[int | tuple[int, ...]]]
) -> list[list[int]]:
    """Per bucket, the start offsets of its words in ``text`` (overlapping; unsorted, repeats possible);
    (start, end) pairs for the buckets in _PAIRED."""
    automaton, buckets_of = scanner
    found: list[list] = [[], [], [], [], [], [], [], [], [], [], [], []]  # _BUCKETS lists (a literal: cheaper)
    for index, start, end in automaton.find_matches_as_indexes(text, overlapping=True):
        buckets = buckets_of[index]
        if buckets.__class__ is int:  # the common case: a word of one bucket
            if buckets >= 0:  # type: ignore[operator]
                found[buckets].append(start)  # type: ignore[index]
            else:
                found[~buckets].append((start, end))  # type: ignore[operator]
        else:
            for bucket in buckets:  # type: ignore[union-attr]
                found[bucket].append((start, end) if bucket in _PAIRED else start)
    return found


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, trying only ``starts`` (any order, repeats allowed): every match of
    ``pattern`` begins at one of them. finditer takes the leftmost match at or after the end of the previous
    one; so does this, and ``match`` at a position tries exactly what ``search`` tries there."""
    pos = 0
    for start in sorted(starts):
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            pos = m.end()
            yield m

# Romanised names.
_CAP = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?"
_EN_TITLE = re.compile(rf"\b(?:Mr|Ms|Mrs|Miss|Mx|Dr|Prof)\.?[ ]+(?P<name>(?:[A-Z]\.[ ]?)?{_CAP}(?:[ ](?:{_CAP}|[A-Z]{{2,}}))?|[A-Z]{{2,}}(?:[ ]{_CAP})?)")
_EN_SAN = re.compile(rf"\b(?P<name>{_CAP}(?:[ ]{_CAP})?)-(?:san|sama|sensei|kun|chan|shi)\b")
# (the quotes are optional: many clients write From: Sato, Yuki <yuki.sato@…> without them)
_EN_LAST_FIRST = re.compile(r'(?<![A-Za-z])"?(?P<a>[A-Z][a-z]{1,14}|[A-Z]{2,15}), (?P<b>[A-Z][a-z]{1,14})"? ?<[^<>\s@]{1,64}@')
# A mail display name right before its address (To: David Chen <dchen@…>): a person's name unless one of
# its words is a role or organisation word (Nexwave Support <support@…>).
_EN_DISPLAY = re.compile(r'(?<![A-Za-z])"?(?P<name>[A-Z][a-z]{1,14}(?:[ ][A-Z][a-z]{1,14}){1,2})"? ?<[^<>\s@]{1,64}@')
_EN_PAIR = re.compile(r"(?=\b(?P<a>[A-Z][a-z]{1,14}|[A-Z]{2,15}|[A-Z]\.)[ ](?P<b>[A-Z][a-z]{1,14}|[A-Z]{2,15})\b)")
_EN_LABEL = re.compile(
    r"\b(?:Name|Contact|Attn|Attention|Dear|From|Signed|Author|Requester|Approver|Assignee|Reporter|Owner|"
    r"Applicant|Customer|Prepared by|Approved by|Reported by|Checked by|Contact person|Sincerely|Regards|"
    r"this is|Best regards|I am|I'm|My name is|Thanks|Thank you|Cheers|Technician|Engineer|Operator|Inspector|"
    r"Supervisor|Employee|Worker|Patient|Manager|Staff|Representative|Rep|Agent|Signature)[ \t]*[:：,]?[ \t\n]*"
    rf"(?P<name>(?:[A-Z]\.[ ]?)?{_CAP}(?:[ ](?:{_CAP}|[A-Z]{{2,}}))?|[A-Z]{{2,}}(?:[ ]{_CAP})?)"
)
# Words the romanised patterns above begin with (_EN_TITLE, _EN_LABEL, after their \b) or contain
# (_EN_SAN): found by the anchor scan (_anchor_starts), so a pattern runs only where, or only if, one
# occurs (why: a pattern that starts with \b or a look-ahead cannot use the regex engine's
# first-character skip, so it costs ~10 µs per document even when nothing matches).
_TITLE_ALT = "|".join(_TITLES)
_EN_ROLE_BEFORE = rf"(?:{_TITLE_ALT}|代表社員|代表理事|担当者?|責任者|マネージャー|リーダー)[ 　]+$"
_EN_TITLE_WORDS = ("Mr", "Ms", "Mi", "Mx", "Dr", "Prof")  # Mr Ms Mrs Miss Mx Dr Prof
_EN_SAN_WORDS = ("-san", "-sama", "-sensei", "-kun", "-chan", "-shi")
_EN_LABEL_WORDS = tuple(_EN_LABEL.pattern[5 : _EN_LABEL.pattern.index("[ \\t]*") - 1].split("|"))  # the cue words
# Where _EN_PAIR can match: a capital at a word start (same test as its leading \b) that begins
# "Word Word" — the pattern's own shape, so only real candidates reach the Python loop (most
# capitals in Japanese text are TEL, FAX, ID or a product code).
_EN_WORD_START = re.compile(
    r"[A-Z](?<!\w.)(?=(?:[a-z]{1,14}|[A-Z]{1,14}|\.)[ ](?:[A-Z][a-z]{1,14}|[A-Z]{2,15})\b)"
)
_EN_NOT_NAMES = frozenset(
    "The This That These Those A An And Or Of In On At For To From With By Team Customer Support Sales Service "
    "Company Inc Ltd Corp Co Dept Department Office Manager Director Engineer Japan Tokyo Osaka Kyoto Dear Hello "
    "Hi Thanks Thank Regards Best Sincerely Subject Re Fwd Please Sir Madam All Everyone Customer Server Client "
    "User Admin Root System Mr Ms Mrs Dr Prof Name Contact Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "January February March April May June July August September October November December Ticket Order Invoice "
    "We I You He She They It Our Your My His Her Their Its Kind Warm Yours Faithfully Cordially HR IT QA PR CEO "
    "CTO CFO COO VP GM Ltd. Co. Inc. Corp. Group Division Section Unit Factory Plant Center Centre Head Chief "
    "Senior Junior Staff Member Members Customers Users Guest Visitor Sales Purchasing Quality Production "
    "Maintenance Engineering General Affairs Human Resources Accounting Legal Ms. Mr. Dr. Yes No OK Note Notes "
    "Looking Just Also Attached Please Would Could Should Will Shall May Might Must Can".split()
)


# Words that end a team or company name, not a person's ("Engineer, Platform Team").
_EN_ORG_WORDS = frozenset(
    "Team Group Division Section Unit Department Dept Office Center Centre Company Inc Ltd Corp Co Support Sales "
    "Service Services Systems Solutions Lab Labs Factory Plant Project Committee Desk".split()
)


def _role_or_date_before_end(window: str) -> bool:
    """``bool(_ROLE_BEFORE_END.search(window) or _DATE_BEFORE.search(window))``, faster.

    Both end with a separator at the end of ``window`` (``$``: also before a final newline): after
    it, spaces / の / "&nbsp;" / は. What precedes that separator decides: for the
    [kanji/katakana]{1,12}+suffix role, a suffix with at least one kanji or katakana before it; for a
    date, a digit, 日 or a closing bracket (its every alternative ends so).
    """
    if _ROLE_WORDS_END.search(window):
        return True
    w = window[:-1] if window.endswith("\n") else window
    if w.endswith("の"):
        core, date_possible = w[:-1], False  # a date is not followed by の
    elif w.endswith("&nbsp;"):
        core, date_possible = w[:-6], True
    elif w.endswith((" ", "　")):
        core, date_possible = w.rstrip(" 　"), True
    else:
        return False  # は: only the topic words of _ROLE_WORDS_END
    if core.endswith(_ROLE_SUFFIXES):
        for suffix in _ROLE_SUFFIXES:
            if core.endswith(suffix) and len(core) > len(suffix):
                c = core[-len(suffix) - 1]
                if _is_kanji(c) or _is_kata(c):
                    return True
    if not date_possible or not core:
        return False
    c = core[-1]
    return (c.isdecimal() or c in "日)）") and _DATE_BEFORE.search(window) is not None


class NameFinder:
    """Finds person names; ``extra_names`` extend the bundled dictionaries (see module doc)."""

    def __init__(self, extra_names: Iterable[str] | None = None) -> None:
        extra = [n.strip() for n in (extra_names or ()) if n and n.strip()]
        self.surnames = surnames() | frozenset(n for n in extra if " " not in n and len(n) <= 4)
        self.given = given_names()
        self.romaji = romaji_surnames()
        self.kana_names = katakana_names()
        # Whole names a deployment wants found verbatim (employees, customers): exact matches.
        exact = sorted({n for n in extra if len(n) >= 2}, key=len, reverse=True)
        self._exact_re = re.compile("|".join(map(re.escape, exact))) if exact else None
        self._max_sur = max(map(len, self.surnames)) if self.surnames else 1
        # Every prefix of a listed surname: parse_at walks forward only while the text can still
        # spell a surname, instead of slicing and testing every length from the longest down.
        self._sur_prefixes = frozenset(n[:k] for n in self.surnames for k in range(1, len(n) + 1))
        self._surname_first_chars = frozenset(n[0] for n in self.surnames)
        self._given_prefixes2 = frozenset(n[:2] for n in self.given)
        self._split_loose: dict[str, str | None] = {}
        self._split_strict: dict[str, str | None] = {}
        # Word starts worth parsing: a kanji run that begins like a listed surname, or a katakana
        # word (checked against the katakana name list in Python).
        # (The character class comes before the look-behind so the engine can skip ahead cheaply.)
        first = "".join(sorted(self._surname_first_chars))
        # One character class up front (not an alternation of two classes) so the engine's
        # first-character skip applies; group "k" participates only in the kanji branch.
        # A kanji word start passes _cued's first test only if its first character is a one-character
        # surname or its first two characters begin a listed surname; the look-arounds below let
        # through only starts whose first character is such a surname or whose second character is
        # the second character of some surname (a necessary condition, one character-class test),
        # so fewer starts reach the Python loop; the loop's own test is unchanged.
        singles = "".join(sorted(n for n in self.surnames if len(n) == 1))
        seconds = "".join(sorted({p[1] for p in self._sur_prefixes if len(p) == 2}))
        cond = "|".join(
            part for part, chars in ((rf"(?<=[{re.escape(singles)}])", singles), (rf"(?=[{re.escape(seconds)}])", seconds))
            if chars
        ) or "(?!)"
        self._word_start = re.compile(
            rf"[{re.escape(first)}{_KATA}](?:(?<=[{re.escape(first)}])(?<![{_K}].)(?:{cond})(?P<k>[{_K}]*)"
            rf"|(?<=[{_KATA}])(?<![{_KATA}・＝].)[{_KATA}]*)"
        )
        # The same word starts, found by the anchor scan instead (_anchored_word_starts): the
        # surnames' one-character forms and two-character beginnings (both kanji: a start passes
        # _cued's first test only then), and katakana names made of katakana only (others never
        # equal a katakana word). Only for surnames that begin with a kanji of _K: a document holding
        # the first character of another (﨑山, a deployment's "Ｘ") takes the regex.
        self._odd_firsts = "".join(sorted(c for c in self._surname_first_chars if not _is_kanji(c)))
        surname_starts = frozenset(
            p for p in self._sur_prefixes
            if (len(p) == 1 and p in self.surnames or len(p) == 2) and all(map(_is_kanji, p))
        )
        self._anchors = _anchor_scanner(surname_starts, frozenset(n for n in self.kana_names if _KATA_RUN.fullmatch(n)))

    # -- parsing a name at a position ---------------------------------------------------------

    def parse_at(
        self, text: str, i: int, strict: bool = False, limit: int | None = None, run_end: int | None = None
    ) -> tuple[int, str] | None:
        """Parse a Japanese name starting at ``text[i]``.

        Returns ``(end, kind)`` with kind ``"full"`` (surname + given name from the lists),
        ``"shape"`` (surname + a plausible given name) or ``"surname"`` (a listed surname that is
        the whole kanji word), or ``None``. ``strict`` refuses the "shape" kind; ``limit`` ends the
        text there (the start of an honorific: 田中|様).
        """
        n = len(text) if limit is None else limit
        if run_end is None or run_end > n:
            m = _KANJI_RUN.match(text, i, n)
            if m is None:
                return None
            run_end = m.end()
        elif run_end == i:
            return None
        run = text[i:run_end]
        if run not in self.surnames:
            # The surname is shorter than the kanji word: the rest must be a given name. That
            # depends on the word alone, so it is worked out once per distinct word.
            kind = self._split(run, strict)
            return None if kind is None else (run_end, kind)
        # The longest listed surname is the whole kanji word: maybe a space (or kana) and a given
        # name follow.
        k = run_end + 1 if run_end < n and text[run_end] in " 　" else run_end
        given = self._given_at(text, k, after_space=k > run_end, strict=strict, limit=n)
        if given is not None:
            return given
        return run_end, "surname"

    def _split(self, run: str, strict: bool) -> str | None:
        """``"full"``/``"shape"``/``None`` for a kanji word that is a listed surname + a given name.

        Cached per word (why: the same words recur in every document; bounded, so memory does not
        grow with the corpus). ``run`` itself is not a listed surname.
        """
        cache = self._split_strict if strict else self._split_loose
        kind = cache.get(run, _MISSING)
        if kind is not _MISSING:
            return kind  # type: ignore[return-value]
        kind = None
        prefixes, listed = self._sur_prefixes, self.surnames
        lengths: list[int] = []
        for length in range(1, min(self._max_sur, len(run)) + 1):
            sur = run[:length]
            if sur not in prefixes:
                break
            if sur in listed:
                lengths.append(length)
        for length in reversed(lengths):  # longest listed surname first
            rest = run[length:]
            if rest in self.given:
                kind = "full"
                break
            # An unlisted given name: two kanji ending like a given name (…郎, …子, …美), or three
            # with a strong ending (裕次郎, 由紀夫). One kanji must be listed (小松菜 is a vegetable).
            if (
                not strict
                and kind is None
                and (len(rest) == 2 and rest[-1] in _GIVEN_ENDINGS or len(rest) == 3 and rest[-1] in _STRONG_ENDINGS)
                and length >= 2
                and not _ORG_SUFFIX.search(rest)
            ):
                kind = "shape"
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[run] = kind
        return kind

    def _given_at(
        self, text: str, k: int, after_space: bool, strict: bool, limit: int | None = None
    ) -> tuple[int, str] | None:
        """A given name starting at ``k`` right after a surname (possibly after one space)."""
        n = len(text) if limit is None else limit
        if k >= n:
            return None
        ch = text[k]
        if "一" <= ch <= "\u9fff" or ch in "々〆ヶ":  # _is_kanji(ch), inlined (hot)
            if not after_space:
                return None  # surname ended the run already
            e = _KANJI_RUN.match(text, k, n).end()  # type: ignore[union-attr]
            given = text[k:e]
            if given in self.given:
                return e, "full"
            plausible = len(given) <= 2 or (len(given) == 3 and given[-1] in _GIVEN_ENDINGS)
            if (not strict and plausible and given not in _NOT_NAMES
                    and not _ORG_SUFFIX.search(given) and given not in self.surnames):
                return e, "shape"
            return None
        hira = "ぁ" <= ch <= "ゖ"
        if hira or "ァ" <= ch <= "ヴ" or ch == "ー":
            e = (_HIRA_RUN6 if hira else _KATA_RUN6).match(text, k, n).end()  # type: ignore[union-attr]
            # Longest prefix of the kana run that is a listed given name and ends the word (every
            # listed one is 2+ characters, so the run's first two must begin one).
            if text[k : k + 2] in self._given_prefixes2:
                same = _is_hira if hira else _is_kata
                for end in range(e, k + 1, -1):
                    cand = text[k:end]
                    if cand in self.given and (end == n or not same(text[end]) or _PARTICLE_AFTER.match(text, end)):
                        return end, "full"
            if after_space and not hira and e - k >= 2 and not strict:
                if e == n or not _is_kata(text[e]):
                    return e, "shape"  # 山下 リナ: surname + space + a katakana word
        return None

    def _name_ending_at(
        self, text: str, end: int, lookback: int = 9, surname_starts: list[int] | None = None
    ) -> tuple[int, str] | None:
        """The longest name that ends exactly at ``end`` (for honorifics): (start, kind).

        ``surname_starts``: the sorted surname anchors of ``text`` (_anchor_starts); a name can start
        only at one of them: parse_at needs a kanji at the start, and then a one-character surname
        or a surname's first two characters (both kanji, or the word is that one kanji, which is then
        no listed surname) -- exactly the anchors. Without them every position is tested.
        """
        lo = max(0, end - lookback)
        if surname_starts is not None:
            candidates: Iterable[int] = surname_starts[bisect_left(surname_starts, lo) : bisect_left(surname_starts, end)]
        else:
            listed, prefixes = self.surnames, self._sur_prefixes
            candidates = [i for i in range(lo, end) if text[i] in listed or text[i : i + 2] in prefixes]
        for i in candidates:
            parsed = self.parse_at(text, i, limit=end)
            if parsed is not None and parsed[0] == end:
                return i, parsed[1]
        return None

    # -- the rules ------------------------------------------------------------------------------

    def _kana_name_at(self, text: str, i: int) -> tuple[int, str] | None:
        """A katakana name at ``i``: ``(end, "listed")`` if a part is a known katakana name,
        ``(end, "dotted")`` for ・-separated words (ホセ・ガルシア), else ``None``."""
        m = _KANA_NAME.match(text, i)
        if m is None:
            return None
        word = m.group()
        if word in _NOT_NAMES or word.endswith(_KANA_NOT_NAME_ENDINGS):
            return None
        parts = _DOTS_RE.split(word)
        if any(len(p) >= 2 and p in self.kana_names for p in parts) or (len(parts) == 1 and word in self.kana_names):
            return m.end(), "listed"
        if len(parts) >= 2 and all(len(p) >= 2 for p in parts) and not any(p in _KANA_BUSINESS_WORDS for p in parts):
            return m.end(), "dotted"
        return None

    def find(self, text: str, view: str) -> Iterable[PIISpan]:
        """Person-name spans of ``text``, found on its matching ``view`` (same offsets)."""
        # Work on the matching view: same offsets, but full-width spaces/letters folded and control
        # or zero-width characters blanked, so "作成者：\ufeff山田" reads like "作成者： 山田".
        if "゛" not in view and "゜" not in view:
            return self._find(view)
        return self._find_composed(view)

    def _find_composed(self, view: str) -> Iterator[PIISpan]:
        # Half-width katakana with voiced marks (ｽｽﾞｷ → ス゛ス゛キ in the view): find the names in the
        # composed text (スズキ) and map their offsets back.
        composed, composed_at = _compose_voiced(view)
        if not composed_at:
            yield from self._find(view)
            return
        for span in self._find(composed):
            start, end = _uncompose(composed_at, span.start, span.end)
            yield PIISpan(start, end, span.type, span.score, span.recognizer)

    def _find(self, text: str) -> Iterator[PIISpan]:
        view = text
        anchors = _anchor_starts(text, self._anchors)
        found = [*self._labels(text, anchors[_LABELS_AT]), *self._honorifics(text, anchors[_HONORIFICS_AT], anchors),
                 *self._cued(text, anchors)]
        if anchors[_HEADERS_AT]:
            found.extend(self._table_columns(text, anchors[_HEADERS_AT]))
        if len(found) > 1:
            # The rules overlap (a label and an honorific find the same 山田様): keep one span per extent,
            # the first of the highest score -- the one resolve_overlaps would keep -- so the passes below
            # and the overlap resolution do not redo the same name (about a quarter of the spans here).
            best: dict[tuple[int, int], PIISpan] = {}
            for span in found:
                key = (span.start, span.end)
                kept = best.get(key)
                if kept is None or span.score > kept.score:
                    best[key] = span
            if len(best) < len(found):
                found = list(best.values())
        # One pass over the names found, looking at the characters around each (cheap tests first: this
        # runs for every name): a katakana reading right after it (山田 太郎（ヤマダ タロウ）, 上田 直樹
        # 様（ウエダ ナオキ）) or right before it in brackets (オオツカ ユウスケ（大塚 雄介）) spells the same
        # name; a list separator next to it may join another listed surname (大島、小林（記））.
        n = len(text)
        readings: list[PIISpan] = []
        joined: list[int] = []
        brackets = "（" in text or "(" in text
        after_first, before_chars, separators = _AFTER_NAME_FIRST, _BEFORE_NAME_CHARS, _LIST_SEPARATORS
        broken: list[tuple[PIISpan, int]] = []
        for span in found:
            start, end = span.start, span.end
            c = text[end : end + 1]
            if c == "\n" and end + 1 < n and _is_kanji(text[end + 1]) and text[start:end] in self.surnames:
                # 永井⏎智子: a name that pdf-to-text broke at the line end; only a listed given name that ends
                # its word (and is no surname itself: a list of surnames one per line) joins it
                given = self._given_at(text, end + 1, after_space=True, strict=True)
                if given is not None and given[1] == "full" and text[end + 1 : given[0]] not in self.surnames and (
                        given[0] == n or _NAME_DELIM.match(text, given[0])):
                    broken.append((span, given[0]))
            if c and c in _TITLE_FIRST_CHARS:
                # 浅野部長、北村課長、平田: a title, then the list goes on (its last, junior member untitled)
                title = _TITLE_RE.match(text, end)
                if title is not None and text[title.end() : title.end() + 1] in _LIST_SEP_SET:
                    nxt = _list_sep_end(text, title.end(), n)
                    if nxt is not None:
                        joined.append(nxt)
            if c and c in after_first:
                if c in separators or c in " 　" and text[end + 1 : end + 2] in _LIST_SEP_SET:
                    # (a separator right after the name; after an honorific each name has its own cue)
                    nxt = _list_sep_end(text, end, n)
                    if nxt is not None:
                        joined.append(nxt)
                elif brackets and ("（" in (near := text[end : end + _READING_OPENER_MAX]) or "(" in near) and (
                        text.startswith(_READING_OPENERS, end)):
                    m = _READING_AFTER.match(text, end)
                    if m is not None:
                        readings.append(PIISpan(m.start("kana"), m.end("kana"), PIIType.PERSON, 0.8, "name_reading"))
            if start < 2:
                continue
            c = text[start - 1]
            if c not in before_chars:
                continue
            if c in " 　":
                c = text[start - 2]
                j = start - 2
            else:
                j = start - 1
            # (what ends the word before the separator: a kanji, an honorific or a closing bracket)
            if c in separators:
                if j > 0 and (_is_kanji(text[j - 1]) or text[j - 1] in "様氏ん)）"):
                    m = _lazy(_LIST_BEFORE).search(text, max(0, start - 16), start)
                    if m is not None:
                        joined.append(m.start("name"))
            elif j == start - 1 and c in "(（":
                # (a katakana letter before the bracket, maybe after a space, before the regex search)
                k = start - 2 if text[start - 2] not in " 　" else start - 3
                if k >= 0 and _is_kata(text[k]) and text.startswith((")", "）"), end):
                    m = _READING_BEFORE.search(text, max(0, start - 28), start)
                    if m is not None and not m.group("kana").endswith(_KANA_NOT_NAME_ENDINGS) and (
                            m.group("kana") not in _NOT_NAMES):  # オペレーター（井上）: a role, not a reading
                        readings.append(PIISpan(m.start("kana"), m.end("kana"), PIIType.PERSON, 0.8, "name_reading"))
        if broken:
            for span, given_end in broken:
                found[found.index(span)] = PIISpan(span.start, given_end, span.type, span.score, span.recognizer)
        if joined:
            found.extend(self._list_neighbours(text, found, joined))
        yield from found
        yield from readings
        for m in _matches_at(_READING_LABEL, text, anchors[_READINGS_AT]):
            yield PIISpan(m.start("kana"), m.end("kana"), PIIType.PERSON, 0.85, "name_reading")
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                yield PIISpan(m.start(), m.end(), PIIType.PERSON, 0.95, "name_list")
        if (anchors[_CAP_LOWER_AT] or anchors[_EN_PAIR_AT]) and _HAS_CAPITALISED.search(view):
            yield from self._romanised(view, anchors)

    def _listed_name_end(self, text: str, i: int) -> int | None:
        """End of a listed surname (or listed surname + given name) at ``i`` that ends the word."""
        parsed = self.parse_at(text, i, strict=True)
        if parsed is None or parsed[1] == "shape" or text[i : parsed[0]] in _PLACE_SURNAMES:
            return None
        end = parsed[0]
        if end < len(text) and not (_NAME_DELIM.match(text, end) or _HON_RE.match(text, end)):
            return None
        return end

    def _list_neighbours(self, text: str, found: list[PIISpan], candidates: list[int]) -> list[PIISpan]:
        """Listed surnames at ``candidates`` (just past a separator after a found name, or the word before
        one), and on along the list from each new one (田中、鈴木、佐藤（記）)."""
        n = len(text)
        out: list[PIISpan] = []
        known = {span.start for span in found}
        while candidates:
            queue = []
            for i in candidates:
                if i in known or i >= n or not _is_kanji(text[i]):
                    continue
                end = self._listed_name_end(text, i)
                if end is None:
                    continue
                known.add(i)
                queue.append(PIISpan(i, end, PIIType.PERSON, 0.7, "name_list_neighbour"))
            out.extend(queue)
            candidates = []
            for span in queue:
                nxt = _list_sep_end(text, span.end, n) if span.end < n and text[span.end] in _LIST_AFTER_FIRST else None
                if nxt is not None:
                    candidates.append(nxt)
                if span.start > 1:
                    m = _lazy(_LIST_BEFORE).search(text, max(0, span.start - 16), span.start)
                    if m is not None:
                        candidates.append(m.start("name"))
        return out

    def _table_columns(self, text: str, header_starts: list[int]) -> Iterator[PIISpan]:
        """Names in the cells under a name-column header (氏名, フリガナ, Name ...) of a CSV/TSV table."""
        done: set[tuple[int, int]] = set()
        n = len(text)
        for h in sorted(set(header_starts)):
            start, end = _line_bounds(text, h)
            line = text[start:end].rstrip("\r")
            sep = _row_separator(line)
            if sep is None:
                continue
            col = line.count(sep, 0, h - start)
            cells = line.split(sep)
            header = cells[col].strip(_CELL_QUOTES)
            if (start, col) in done or header not in _NAME_HEADER_SET:
                continue
            done.add((start, col))
            kana_only = header in _KANA_HEADERS
            # "Name" also heads product and file columns: there only listed names count
            weak = header in _WEAK_HEADERS
            pos = end + 1
            while pos < n:
                row_end = text.find("\n", pos)
                row_end = n if row_end < 0 else row_end
                row = text[pos:row_end].rstrip("\r")
                parts = row.split(sep)
                if len(parts) != len(cells):
                    break  # the table ended
                cell_start = pos + sum(len(p) for p in parts[:col]) + col
                raw = parts[col]
                value = raw.strip(_CELL_QUOTES)
                if value:
                    vs = cell_start + raw.index(value)
                    if self._cell_is_name(value, kana_only) and (not weak or self._listed_cell(value)):
                        yield PIISpan(vs, vs + len(value), PIIType.PERSON, 0.8, "name_column")
                pos = row_end + 1

    def _listed_cell(self, value: str) -> bool:
        """A cell under a weak header: a listed surname (kanji or romanised) or a listed katakana name."""
        if value.isascii():
            return any(w.lower() in self.romaji for w in value.split())
        parsed = self.parse_at(value, 0, strict=True)
        return parsed is not None and parsed[1] != "shape" or self._kana_name_at(value, 0) is not None

    @staticmethod
    def _cell_is_name(value: str, kana_only: bool) -> bool:
        if not (_CELL_KANA if kana_only else _lazy(_CELL_NAME)).fullmatch(value) or value[-1] in " 　":
            return False
        if value in _NOT_NAMES or _CELL_NOT_NAME.search(value) or value.endswith(_KANA_NOT_NAME_ENDINGS):
            return False
        if _ORG_IN_CELL.search(value):
            return False
        if value.isascii():  # Latin letters: "Emily Clark", "YAMADA Taro", not "Widget" or "Sales Team"
            words = value.split()
            return 2 <= len(words) <= 4 and all(w[0].isupper() and w not in _EN_NOT_NAMES for w in words)
        return True

    def _free_name(self, text: str, s: int, strong: bool, name_label: bool = False) -> int | None:
        """After a label: a name starting at ``s``; returns its end.

        Strong labels (氏名, 担当者 ...) accept unlisted names of name shape; weak ones (確認,
        回答, 問い合わせ先 ...) that also introduce non-names accept only listed names.
        """
        parsed = self.parse_at(text, s)
        if parsed is not None:
            return parsed[0]
        kana = self._kana_name_at(text, s)
        if kana is not None:
            return kana[0]
        if not strong:
            return None
        n = len(text)
        ch = text[s] if s < n else ""
        end: int | None = None
        if _is_kanji(ch):
            e = s
            while e < n and _is_kanji(text[e]) and e - s < 5:
                e += 1
            core = text[s:e]
            if e < n and _is_kanji(text[e]):
                return None  # a long kanji compound: a word, not a name
            if len(core) < 2 or core in _NOT_NAMES or _ORG_SUFFIX.search(core):
                return None
            end = e
            # 東海林 太郎: an unlisted surname, a space and a given name
            if e + 1 < n and text[e] in " 　":
                g = self._given_at(text, e + 1, after_space=True, strict=False)
                if g is not None:
                    end = g[0]
        elif name_label and _is_hira(ch):
            # お名前：みやざき あゆみ: a name written in hiragana, as two words (one hiragana word after a
            # label is as often なし / ありません); only after a label that asks for a name (氏名, 名前 …)
            m = _HIRA_FULL_NAME.match(text, s)
            if m is not None:
                end = m.end()
        elif _is_kata(ch):
            m = _KANA_NAME.match(text, s)
            # (one katakana letter is no name: カ）サンプル is a bank's 株式会社 abbreviation)
            if m and len(m.group()) >= 2 and m.group() not in _NOT_NAMES and not m.group().endswith(_KANA_NOT_NAME_ENDINGS):
                end = m.end()
                # ヤマモト ケイコ: a katakana full name written with a space (口座名義, フリガナ-less forms)
                if end + 1 < n and text[end] in " 　" and _is_kata(text[end + 1]):
                    m2 = _KANA_NAME.match(text, end + 1)
                    if m2 is not None and len(m2.group()) >= 2 and m2.group() not in _NOT_NAMES and (
                            m2.end() == n or _NAME_DELIM.match(text, m2.end()) or _HON_RE.match(text, m2.end())):
                        end = m2.end()
        if end is None:
            return None
        # A name is followed by a delimiter, an honorific or a bracket, not by more words.
        if end < n and not (_NAME_DELIM.match(text, end) or _HON_RE.match(text, end)):
            return None
        return end

    def _labels(self, text: str, starts: list[int]) -> Iterator[PIISpan]:
        """Names after form labels; ``starts``: where label words begin (see _anchor_starts)."""
        for m in _matches_at(_LABEL_RE, text, starts):
            label = m.group("label")
            if m.start() and _WORD_CHAR.match(text, m.start() - 1) and not label.endswith(("氏名", "名前", "者名")):
                continue  # inside a longer word (業務担当, 未承認); 患者氏名, 保護者氏名 are still labels
            s = m.end()
            if "\t" in m.group() and _is_header_row(text, s):
                continue  # a column heading (the column rule reads the names below it)
            strong = label in _STRONG_LABEL_SET
            if label in _BANK_ACCOUNT_LABELS:
                account = _ACCOUNT_NUMBER.match(text, s)
                # (普通は…: the word "usually", not an account; banks write the holder in katakana, and a
                # word in kanji after the number is another label: 普通 1234567 名義 カ）…)
                if account is None or not _is_kata(text[account.end() : account.end() + 1] or "-"):
                    continue
                s, strong = account.end(), True
            if text[s : s + 1] in _TITLE_FIRST_CHARS:
                # 代表者：代表取締役 長野 誠司: a job title and a space between the label and the name (the
                # title is no name: cutting 取締役 off 代表取締役 left "代表")
                title = _TITLE_RE.match(text, s)
                if title is not None:
                    k = title.end()
                    while k < len(text) and text[k] in " 　":
                        k += 1
                    if k > title.end():
                        s = k
            end = self._free_name(text, s, strong, "名" in label)
            if end is None or end <= s:
                continue
            end = self._strip_title(text, s, end)
            if end - s < 1:
                continue
            yield PIISpan(s, end, PIIType.PERSON, 0.9 if strong else 0.8, "name_label")
            # 出席者：田島、小西、大川（記）: the names listed after the same label.
            for _ in range(20):
                sep = _LIST_SEP.match(text, end)
                if sep is None:
                    break
                nxt = sep.end()
                nend = self._free_name(text, nxt, strong)
                if nend is None or nend <= nxt:
                    break
                nend = self._strip_title(text, nxt, nend)
                yield PIISpan(nxt, nend, PIIType.PERSON, 0.85 if strong else 0.75, "name_label_list")
                end = nend

    @staticmethod
    def _strip_title(text: str, s: int, end: int) -> int:
        name = text[s:end]
        if name.endswith(_HON_LONGEST_FIRST):  # one C-level test; the loop below only when one ends it
            for hon in _HON_LONGEST_FIRST:
                if name.endswith(hon) and len(name) > len(hon):
                    end -= len(hon)
                    break
        while end > s and text[end - 1] in " 　":
            end -= 1
        return end

    def _honorifics(self, text: str, starts: list[int], anchors: list[list] | None = None) -> Iterator[PIISpan]:
        """Names before honorifics and titles; ``starts``: where those begin, ``anchors``: all anchors
        (see _anchor_starts). A word glued to a 株式会社/(株)/… before it is the company's name, not a
        person's (株式会社テクノス様, 株式会社田中様): letters and invoices address companies with 様 too.
        (After a space it is a person: 関東スチール株式会社 池田 亮 様.)"""
        for span in self._honorific_names(text, starts, anchors):
            if span.start < 2 or not text.endswith(_ORG_WORDS, 0, span.start):
                yield span

    def _honorific_names(self, text: str, starts: list[int], anchors: list[list] | None = None) -> Iterator[PIISpan]:
        """The names _honorifics reports, before its company check."""
        surname_starts: list[int] | None = None

        def kanji_name_ending(end: int) -> tuple[int, str] | None:
            # The listed surnames' anchor positions are sorted once, on the first kanji name asked for.
            nonlocal surname_starts
            if surname_starts is None and anchors is not None:
                surname_starts = sorted(set(anchors[_SURNAMES_AT]))
            return self._name_ending_at(text, end, surname_starts=surname_starts)

        n = len(text)
        for m in _matches_at(_HON_RE, text, starts):
            h = m.start()
            hon = m.group()
            e = m.end()
            if e < n - 4 and text[e] in " 　" and "ァ" <= text[e + 1 if text[e + 1] not in " 　" else e + 2] <= "ヴ" and (
                    hon not in _HONORIFICS_PERSON):
                kana = self._kana_full_name_after_title(text, e)  # 副班長　ｺﾊﾞﾔｼ ｹﾝ
                if kana is not None:
                    yield kana
            if h == 0:
                continue
            prev = text[h - 1]
            if prev in " 　" and h >= 2 and hon in _HONORIFICS_PERSON:
                if m.end() < len(text) and _is_kanji(text[m.end()]) and text[m.end()] not in "宛方":
                    continue  # ホワイト 様々, 記入 様式: the word 様々 / 様式, no honorific
                # 鈴木 様, ヤマダ タロウ 様: a space before the honorific; only listed surnames and
                # katakana names that are listed or written as two words (an unlisted kanji word or one
                # katakana word before " 様" is as often a company: サンプル 様).
                e = h - 1
                if _is_kata(text[e - 1]):
                    s = self._kana_word_start(text, e)
                    full = self._kana_given_before(text, s)
                    if full is not None:
                        yield PIISpan(full, e, PIIType.PERSON, 0.7, "name_honorific_kana")
                    elif self._kana_name_at(text, s) is not None and text[s:e] not in _NOT_NAMES:
                        yield PIISpan(s, e, PIIType.PERSON, 0.7, "name_honorific_kana")
                elif _is_kanji(text[e - 1]):
                    found = kanji_name_ending(e)
                    if found is not None:
                        yield PIISpan(found[0], e, PIIType.PERSON, 0.6, "name_honorific")
                continue
            if _is_kata(prev):
                s = self._kana_word_start(text, h)
                word = text[s:h]
                if len(word) < 2 or word in _NOT_NAMES or word.startswith("・"):
                    continue
                if hon in _HONORIFICS_PERSON or self._kana_name_at(text, s) is not None:
                    full = self._kana_given_before(text, s) if hon in _HONORIFICS_PERSON else None
                    yield PIISpan(s if full is None else full, h, PIIType.PERSON, 0.7, "name_honorific_kana")
                continue
            found = kanji_name_ending(h)
            if found is not None:
                yield PIISpan(found[0], h, PIIType.PERSON, 0.85, "name_honorific")
                continue
            # Not in the dictionary: accept a whole 2-5 kanji word before a personal honorific.
            if hon in _HONORIFICS_PERSON and hon not in ("君", "先輩") and _is_kanji(prev):
                if hon == "様" and prev in _SAMA_WORD_HEADS:
                    continue  # 製品仕様, 水玉模様, 同様: 様 ends a common word there, no honorific
                s = h
                while s > 0 and _is_kanji(text[s - 1]) and h - s < 6:
                    s -= 1
                if s > 0 and _is_kanji(text[s - 1]):
                    continue
                core = text[s:h]
                if 2 <= len(core) <= 5 and core not in _NOT_NAMES and not _ORG_SUFFIX.search(core):
                    yield PIISpan(s, h, PIIType.PERSON, 0.6, "name_honorific_shape")

    @staticmethod
    def _kana_full_name_after_title(text: str, k: int) -> PIISpan | None:
        """副班長　ｺﾊﾞﾔｼ ｹﾝ: a katakana surname and given name (two words) after a job title and a space
        (``k``: where the title ends; the caller saw a space there).

        Katakana words alone are as often products or company names, so only the full-name shape (two
        words of 2+ letters, neither a role or business word) right after a title counts."""
        n = len(text)
        while k < n and text[k] in " 　":
            k += 1
        first = _KANA_NAME.match(text, k)
        if first is None or first.end() >= n - 2 or text[first.end()] not in " 　":
            return None
        second = _KANA_NAME.match(text, first.end() + 1)
        if second is None or not (second.end() == n or _NAME_DELIM.match(text, second.end())):
            return None
        for w in (first.group(), second.group()):
            if len(w) < 2 or w in _NOT_NAMES or w.endswith(_KANA_NOT_NAME_ENDINGS) or w in _KANA_BUSINESS_WORDS:
                return None
        return PIISpan(k, second.end(), PIIType.PERSON, 0.7, "name_title_kana")

    @staticmethod
    def _kana_word_start(text: str, end: int) -> int:
        """Start of the katakana word (with ・/＝) that ends at ``end`` (at most 24 characters)."""
        s = end
        while s > 0 and (_is_kata(text[s - 1]) or text[s - 1] in "・＝") and end - s < 24:
            s -= 1
        return s

    @staticmethod
    def _kana_given_before(text: str, s: int) -> int | None:
        """ヤマダ タロウ: the start of a katakana surname written one space before the word at ``s``."""
        if s < 3 or text[s - 1] not in " 　" or not _is_kata(text[s - 2]):
            return None
        first = s - 1
        while first > 0 and _is_kata(text[first - 1]) and s - first < 14:
            first -= 1
        word = text[first : s - 1]
        if first and not (text[first - 1].isspace() or text[first - 1] in _KANA_NAME_OPENERS):
            return None  # 瀬戸内マテリアル アナ・シルバ様: the word before is the end of a company name
        if len(word) < 2 or word in _NOT_NAMES or word.endswith(_KANA_NOT_NAME_ENDINGS):
            return None
        return first

    def _cue_after(self, text: str, end: int, strong_only: bool) -> bool:
        # One alternation per case: it matches where any of its patterns does (one engine start).
        return (_STRONG_CUE_AFTER if strong_only else _ANY_CUE_AFTER).match(text, end) is not None

    @staticmethod
    def _cue_before(text: str, i: int) -> bool:
        window = text[max(0, i - 30) : i]
        # Both patterns end in a space, の, は or "&nbsp;" anchored by $ (which also matches before a
        # final newline): test that character first instead of running them at every position.
        last = window[-2:-1] if window.endswith("\n") else window[-1:]
        if not last or last not in _CUE_BEFORE_LAST:
            return False
        return _role_or_date_before_end(window)

    @staticmethod
    def _signature(text: str, i: int, end: int) -> bool:
        """A signature's last line "株式会社洛中企画　金子": the organisation, a space, the surname, the line end."""
        if i == 0 or text[i - 1] not in " 　" or not (end == len(text) or text[end] in "\r\n"):
            return False
        if text[i:end] in _PLACE_SURNAMES:
            return False  # 株式会社ミナト 上野: as likely the branch (上野支店) as a person
        return _lazy(_ORG_BEFORE_END).search(text, max(0, i - 30), i) is not None

    @staticmethod
    def _speaker(text: str, i: int, end: int) -> bool:
        """A chat or minutes line "[10:02] 藤原: …", "→ 井口: …" or "オペレーター（井上）：…": a listed
        surname speaking at the line start."""
        if _SPEAKER_AFTER.match(text, end):
            return _SPEAKER_BEFORE.search(text, max(0, i - 24), i) is not None
        # (本社（上野）：, 工場（千葉）： name a site: surnames that are places need another cue)
        return bool(_SPEAKER_ROLE_AFTER.match(text, end) and text[i:end] not in _PLACE_SURNAMES
                    and _SPEAKER_ROLE_BEFORE.search(text, max(0, i - 24), i))

    @staticmethod
    def _narrative(text: str, i: int, end: int) -> bool:
        """佐藤が客先に行った / 高橋、伊藤、渡辺が出席した: subject of a clause with a person verb."""
        if end - i < 2 or text[i:end] in _PLACE_SURNAMES or not _NARRATIVE_PARTICLE.match(text, end):
            return False
        stop = len(text)
        for mark in "。\n！？!?":
            k = text.find(mark, end, end + 40)
            if k >= 0:
                stop = min(stop, k)
        return _PERSON_VERB.search(text, end, min(stop, end + 40)) is not None

    @staticmethod
    def _whole_cell(text: str, i: int, end: int) -> bool:
        """The name fills a table cell (``| 大塚 |``, a tab- or comma-separated field)."""
        return bool(_CELL_BEFORE.search(text, max(0, i - 3), i) and _CELL_AFTER.match(text, end))

    @staticmethod
    def _alone_on_line(text: str, start: int, end: int) -> bool:
        """A katakana name on a line of its own (signature, address block)."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        return not text[line_start:start].strip() and not text[end:line_end].strip(" \t<br>/")

    def _odd_first_in(self, text: str) -> bool:
        """Whether ``text`` holds the first character of a surname that does not begin with a _K kanji."""
        for c in self._odd_firsts:
            if c in text:
                return True
        return False

    def _regex_word_starts(self, text: str) -> list[tuple[int, int, bool]]:
        """(start, end, kanji?) of the words _cued tests, from the _word_start regex."""
        return [(m.start(), m.end(), m.lastindex is not None) for m in self._word_start.finditer(text)]

    def _anchored_word_starts(self, text: str, anchors: list[list[int]]) -> list[tuple[int, int, bool]]:
        """The words of _regex_word_starts that can pass _cued's first tests, from the anchor scan.

        Exact when no surname-initial character outside _K occurs in ``text``: then every match of
        _word_start begins at a kanji (or katakana) word start and covers only characters that
        cannot begin another, so its matches are just the word starts, each to the end of its run.
        A kanji word passes _cued's first test only if it begins with a one-character surname or
        with a surname's first two characters (the surname anchors); a katakana word only if it is
        a listed katakana name (the kana-name anchors) or is followed by ・/＝ (the dot anchors).
        """
        words: dict[int, tuple[int, int, bool]] = {}
        kanji_run = _KANJI_RUN.match
        for s in anchors[_SURNAMES_AT]:
            if s:
                c = text[s - 1]  # (the tests of _is_kanji / _is_kata inlined: the hot loop here)
                if "一" <= c <= "\u9fff" or c in "々〆ヶ":
                    continue
            words[s] = (s, kanji_run(text, s).end(), True)  # type: ignore[union-attr]
        n = len(text)
        for s, e in anchors[_KANA_NAMES_AT]:
            # A name that is not the whole katakana word: the word can still pass as a listed name
            # (another anchor covers it) or before ・/＝ (a dot anchor): nothing to add here.
            if e < n:
                c = text[e]
                if "ァ" <= c <= "ヴ" or c == "ー":
                    continue
            if s:
                c = text[s - 1]
                if "ァ" <= c <= "ヴ" or c in "ー・＝":
                    continue
            words[s] = (s, e, False)
        for s in anchors[_DOTS_AT]:  # the katakana character before a dot
            d = s + 1
            while s > 0 and _is_kata(text[s - 1]):
                s -= 1
            if s == 0 or text[s - 1] not in "・＝":
                words[s] = (s, d, False)
        return [words[s] for s in sorted(words)]

    def _cued(self, text: str, anchors: list[list[int]] | None = None) -> Iterator[PIISpan]:
        """Names at word starts: listed full names alone, listed surnames / katakana names with a
        cue before (総務部 田中, 2024/05/01 田中) or after (田中です, 田中（内線12）, 田中が対応).
        ``anchors``: _anchor_starts of ``text`` (then the word starts come from it; else the regex)."""
        listed, prefixes, kana_names = self.surnames, self._sur_prefixes, self.kana_names
        split_cache = self._split_loose
        n = len(text)
        if anchors is None or self._odd_first_in(text):
            starts = self._regex_word_starts(text)
        else:
            starts = self._anchored_word_starts(text, anchors)
        for i, run_end, kanji in starts:
            if kanji:
                # parse_at inlined for a word that is not itself a listed surname (most are not):
                # no listed surname starts here (most kanji words merely share a first character
                # with some surname), or a cached surname + given-name split of the word.
                run = text[i:run_end]
                if run in listed:
                    parsed = self.parse_at(text, i, run_end=run_end)
                    if parsed is None:
                        continue
                    end, kind = parsed
                else:
                    if text[i] not in listed and (run_end - i < 2 or text[i : i + 2] not in prefixes):
                        continue
                    split = split_cache.get(run, _MISSING)
                    kind = self._split(run, False) if split is _MISSING else split
                    if kind is None:
                        continue
                    end = run_end
                if kind == "full" or (kind == "shape" and end - i >= 3):
                    yield PIISpan(i, end, PIIType.PERSON, 0.8 if kind == "full" else 0.65, "name_pair")
                elif kind == "surname":
                    single = end - i == 1
                    # (pure tests, any order gives the same answer: the costly look-behind last)
                    if (
                        self._cue_after(text, end, strong_only=single)
                        or (not single and self._whole_cell(text, i, end))
                        or self._narrative(text, i, end)
                        or self._speaker(text, i, end)
                        or (single and (i == 0 or _NO_BEFORE.search(text, i - 1, i))
                            and (_SELF_INTRO_AFTER.match(text, end) or _HANDOVER_AFTER.match(text, end)))
                        or self._cue_before(text, i)
                        or self._signature(text, i, end)
                        or (text.startswith("より", end) and _SIGNOFF_AFTER.match(text, end) is not None
                            and text[i:end] not in _PLACE_SURNAMES)
                        or (i and text[i - 1] in "@＠")  # a chat mention: @小野 検証環境…, @平野 さん
                        # an English attribution in Japanese notes: (by 西村), by 田中
                        or (i >= 3 and text.endswith(("by ", "By ", "BY "), i - 3, i)
                            and (i == 3 or not text[i - 4].isascii() or not text[i - 4].isalpha()))
                        or (text[end : end + 1] in _PHONE_AFTER_FIRST and _PHONE_AFTER.match(text, end) is not None
                            and text[i:end] not in _PLACE_SURNAMES)
                    ):
                        yield PIISpan(i, end, PIIType.PERSON, 0.7, "name_cue")
            else:
                e0 = run_end
                if text[i:e0] not in kana_names and not (e0 < n and text[e0] in "・＝"):
                    continue  # cheap pre-check before the full katakana-name parse
                parsed_kana = self._kana_name_at(text, i)
                if parsed_kana is None:
                    continue
                end = parsed_kana[0]
                if (
                    self._cue_after(text, end, strong_only=False)
                    or _TITLE_RE.match(text, end)
                    or self._alone_on_line(text, i, end)
                    or self._cue_before(text, i)
                ):
                    yield PIISpan(i, end, PIIType.PERSON, 0.7, "name_kana_cue")

    def _romanised(self, view: str, anchors: list[list[int]]) -> Iterator[PIISpan]:
        """Romanised names; ``anchors``: _anchor_starts of ``view``."""
        # _EN_TITLE and _EN_LABEL begin (after \b, which looks before a match position too) with
        # their anchor words: tried only there. _EN_SAN's name comes before its anchor: all of the
        # text, if the anchor occurs.
        for matches, score, rule in (
            (_matches_at(_EN_TITLE, view, anchors[_EN_TITLES_AT]), 0.9, "name_en_title"),
            (_EN_SAN.finditer(view) if anchors[_EN_SAN_AT] else (), 0.85, "name_en_san"),
            (_matches_at(_EN_LABEL, view, anchors[_EN_LABELS_AT]), 0.85, "name_en_label"),
        ):
            for m in matches:
                name = m.group("name")
                first = name.split()[0]
                start = m.start("name")
                if rule == "name_en_san" and " " in name and first in _EN_NOT_NAMES:
                    # "Hi Nakamura-san": the greeting is no part of the name
                    name, start = name.split(" ", 1)[1], start + len(first) + 1
                    first = name.split()[0]
                if first in _EN_NOT_NAMES or first.capitalize() in _EN_NOT_NAMES:
                    continue
                if rule == "name_en_label" and (
                    not self._romaji_ok(name) or any(w in _EN_ORG_WORDS for w in name.split()[1:])
                ):
                    continue  # "Engineer, Platform Team": a team, not a person
                yield PIISpan(start, m.end("name"), PIIType.PERSON, score, rule)
        if "<" in view and "@" in view:  # both mail-header patterns end in "<local@"
            for m in _EN_DISPLAY.finditer(view):
                words = m.group("name").split()
                if not any(w in _EN_NOT_NAMES or w in _EN_ORG_WORDS for w in words):
                    yield PIISpan(m.start("name"), m.end("name"), PIIType.PERSON, 0.85, "name_en_display")
            if ", " in view:
                # "Oda, Yuji" <yuji.oda@…>: the "Last, First" display name of mail headers (Outlook's default
                # for directory names); one part must be a known romanised surname
                for m in _EN_LAST_FIRST.finditer(view):
                    if m.group("a").lower() in self.romaji or m.group("b").lower() in self.romaji:
                        yield PIISpan(m.start("a"), m.end("b"), PIIType.PERSON, 0.85, "name_en_last_first")
        if not anchors[_EN_PAIR_AT]:
            return
        for start in _EN_WORD_START.finditer(view):
            m = _EN_PAIR.match(view, start.start())
            if m is None:
                continue
            a, b = m.group("a"), m.group("b")
            if a in _EN_NOT_NAMES or b in _EN_NOT_NAMES or a.capitalize() in _EN_NOT_NAMES:
                continue
            # (or any two capitalised words after a Japanese job title: 代表社員 Michael Brown; not after a
            # department, which as often precedes a product: 開発部 Visual Studio)
            if a.lower() in self.romaji or b.lower() in self.romaji or (
                    a[-1] != "." and b not in _EN_ORG_WORDS
                    and _lazy(_EN_ROLE_BEFORE).search(view, max(0, m.start("a") - 12), m.start("a"))):
                yield PIISpan(m.start("a"), m.end("b"), PIIType.PERSON, 0.8, "name_en_pair")

    def _romaji_ok(self, name: str) -> bool:
        """After a weak English cue (Dear, From, Regards) require a known surname or two words."""
        parts = [p.strip(".").lower() for p in name.split()]
        return any(p in self.romaji for p in parts) or len(parts) >= 2
