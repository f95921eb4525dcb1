"""The fictional company whose documents the corpus consists of, and its facts.

A fixed world is drawn from the seed first; documents then *state* its facts (often, and
in different phrasings), and the golden QA set asks about exactly the facts that were
stated. Because every statement comes from the same world, the corpus never contradicts
itself: PX-200 is inspected every 30 days in every document that mentions it, which is
what makes the QA answerable and a specialised model's accuracy measurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from deshi.checksums import corporate_number_check_digit

from .doc import FACT, Piece

# (category, bolt whose torque is specified, consumable class, consumable filter/part)
EQUIPMENT_TYPES = (
    ("射出成形機", "金型取付ボルト", "oil", "油圧フィルタ"),
    ("油圧プレス機", "スライド調整ボルト", "oil", "リターンフィルタ"),
    ("CNC旋盤", "チャック取付ボルト", "oil", "クーラントフィルタ"),
    ("マシニングセンタ", "主軸ユニット固定ボルト", "oil", "ミストフィルタ"),
    ("ベルトコンベア", "駆動プーリ固定ボルト", "grease", "集塵フィルタ"),
    ("充填機", "ノズル固定ボルト", "food", "エアフィルタ"),
    ("殺菌装置", "配管フランジボルト", "food", "蒸気フィルタ"),
    ("包装機", "シールバー取付ボルト", "grease", "エアフィルタ"),
    ("エアコンプレッサ", "シリンダヘッドボルト", "compressor", "吸込フィルタ"),
    ("冷却塔", "ファン取付ボルト", "grease", "ストレーナ"),
    ("溶接ロボット", "トーチ取付ボルト", "gear", "ヒュームフィルタ"),
    ("塗装ブース", "排気ファン固定ボルト", "grease", "排気フィルタ"),
    ("乾燥炉", "バーナー取付ボルト", "heat", "吸気フィルタ"),
    ("真空ポンプ", "ポンプ固定ボルト", "vacuum", "排気フィルタ"),
    ("油圧ユニット", "ポンプカップリングボルト", "oil", "サクションフィルタ"),
    ("平面研削盤", "砥石フランジボルト", "oil", "クーラントフィルタ"),
    ("レーザー加工機", "加工ヘッド取付ボルト", "oil", "集塵フィルタ"),
    ("自動倉庫", "走行レール固定ボルト", "grease", "制御盤フィルタ"),
    ("無人搬送車", "駆動輪ハブボルト", "grease", "吸気フィルタ"),
    ("部品洗浄機", "ポンプ固定ボルト", "oil", "洗浄液フィルタ"),
    ("押出機", "スクリュー継手ボルト", "gear", "スクリーンメッシュ"),
    ("熱処理炉", "扉ヒンジボルト", "heat", "排気フィルタ"),
    ("粉砕機", "刃物固定ボルト", "grease", "バグフィルタ"),
    ("混練機", "ブレード固定ボルト", "gear", "集塵フィルタ"),
)

LUBRICANTS = {
    "oil": ("ISO VG32", "ISO VG46", "ISO VG68"),
    "grease": ("リチウムグリース2号", "ウレアグリース", "リチウムグリース1号"),
    "food": ("NSF H1グリース", "食品機械用グリースFG-2"),
    "compressor": ("コンプレッサオイルVG32", "コンプレッサオイルVG46"),
    "gear": ("ギヤ油VG150", "ギヤ油VG220", "ギヤ油VG320"),
    "heat": ("耐熱グリースHT-3", "モリブデン系耐熱グリース"),
    "vacuum": ("真空ポンプ油VP-100", "真空ポンプ油VP-46"),
}

INTERVAL_DAYS = (7, 14, 30, 60, 90, 180)
TORQUES = (12, 18, 25, 35, 45, 60, 85, 120, 150, 200, 250)
FILTER_HOURS = (250, 500, 1000, 1500, 2000, 3000, 4000)
WARMUP_MIN = (5, 10, 15, 20, 30)

# Error codes: (cause, fix). Fixes are in dictionary form so templates can append こと/ことで.
ERROR_CAUSES_FIXES = (
    ("冷却水の流量不足", "冷却水バルブの開度を確認する"),
    ("主軸モータの過負荷", "切削条件を見直して負荷を下げる"),
    ("非常停止回路の作動", "非常停止ボタンの解除状態を確認する"),
    ("油圧の低下", "作動油の油量を確認して補充する"),
    ("供給エア圧の低下", "元圧レギュレータの設定値を確認する"),
    ("安全扉の開放検知", "安全扉のリミットスイッチを点検する"),
    ("温度センサの断線", "温度センサのコネクタを再接続する"),
    ("サーボアンプの異常", "サーボアンプをリセットして再起動する"),
    ("上位システムとの通信タイムアウト", "LANケーブルとスイッチングハブを確認する"),
    ("ワーク未検出", "光電センサの光軸を調整する"),
    ("潤滑油の不足", "集中給油装置のタンクに潤滑油を補充する"),
    ("駆動ベルトの滑り", "ベルトの張力を調整する"),
    ("フィルタの目詰まり", "フィルタを清掃または交換する"),
    ("ヒーターの断線", "ヒーターの抵抗値を測定して交換する"),
    ("過電流の検出", "ブレーカーを復帰させて配線を点検する"),
    ("エンコーダ信号の異常", "エンコーダケーブルのシールドを確認する"),
    ("バックアップ電池の電圧低下", "制御盤のバックアップ電池を交換する"),
    ("殺菌温度の未達", "蒸気の供給圧力を確認する"),
    ("シール温度の異常", "シールバーの温度設定を見直す"),
    ("真空度の不足", "真空ポンプのオイルを交換する"),
    ("原点復帰の未完了", "原点復帰操作をやり直す"),
    ("インバータの過熱", "インバータの冷却ファンを清掃する"),
    ("材料切れ", "ホッパーに材料を補充する"),
    ("搬送ジャム", "搬送経路の詰まりを除去する"),
    ("カメラの画像取得失敗", "カメラの照明と露光設定を確認する"),
    ("計量値の異常", "ロードセルの校正を実施する"),
    ("排気ファンの停止", "排気ファンのサーマルリレーを確認する"),
    ("位置決め誤差の超過", "ボールねじのバックラッシを測定する"),
    ("冷却ファンの回転低下", "冷却ファンを新品に交換する"),
    ("異常振動の検知", "軸受の状態を点検する"),
    ("漏電の検出", "絶縁抵抗を測定する"),
    ("制御プログラムのチェックサム不一致", "制御プログラムを再転送する"),
    ("圧縮機の吐出温度上昇", "アフタークーラーのフィンを清掃する"),
    ("バーナーの燃焼不良", "バーナーノズルを清掃する"),
    ("タンク水位の低下", "給水弁の動作を確認する"),
    ("チャック圧の不足", "チャックの油圧設定を確認する"),
    ("工具寿命の超過", "工具を交換して工具寿命カウンタをリセットする"),
    ("ロボットの干渉検知", "ティーチング位置を修正する"),
    ("AGVの経路逸脱", "誘導テープの汚れを清掃する"),
    ("ドア開放中の起動要求", "ドアを閉じてから再度起動する"),
)

# Company-level facts: attribute -> (domain, candidate answers, question templates).
# The candidates double as distractors for the multiple-choice set.
POLICY_FACTS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "warranty": ("support", ("1年", "2年", "3年", "18か月"),
                 ("当社製品の無償保証期間はどのくらいですか？", "製品の保証期間は納品日から何年ですか？")),
    "return_days": ("support", ("8日", "14日", "30日", "10日"),
                    ("製品到着後、何日以内であれば返品を受け付けますか？", "返品の受付期限は製品到着後何日以内ですか？")),
    "support_hours": ("support", ("平日9時〜17時", "平日8時30分〜17時30分", "平日9時〜18時", "平日8時〜20時"),
                      ("サポート窓口の受付時間はいつですか？",)),
    "first_response": ("support", ("4時間", "1営業日", "2営業日", "24時間"),
                       ("お問い合わせへの初回回答の目標時間はどれくらいですか？",)),
    "onsite_fee": ("support", ("15,000円", "20,000円", "25,000円", "30,000円"),
                   ("出張修理の基本料金はいくらですか？",)),
    "parts_years": ("support", ("5年", "7年", "10年", "8年"),
                    ("補修部品は製造終了後何年間保有されますか？",)),
    "paid_leave_first": ("hr_legal", ("10日", "12日", "15日", "11日"),
                         ("入社6か月後に付与される有給休暇は何日ですか？", "初年度の年次有給休暇の付与日数は何日ですか？")),
    "paid_leave_max": ("hr_legal", ("20日", "22日", "25日", "24日"),
                       ("年次有給休暇の最大付与日数は何日ですか？",)),
    "leave_expiry": ("hr_legal", ("2年", "1年", "3年", "18か月"),
                     ("年次有給休暇の有効期限は付与日から何年ですか？",)),
    "probation": ("hr_legal", ("3か月", "6か月", "2か月", "4か月"),
                  ("試用期間はどのくらいですか？", "新入社員の試用期間は何か月ですか？")),
    "marriage_leave": ("hr_legal", ("5日", "3日", "7日", "6日"),
                       ("本人が結婚する場合の慶弔休暇は何日ですか？",)),
    "remote_days": ("hr_legal", ("週2日", "週3日", "週4日", "週1日"),
                    ("在宅勤務は週に何日まで認められていますか？",)),
    "overtime_deadline": ("hr_legal", ("前日の17時まで", "当日の15時まで", "当日の正午まで", "前日の正午まで"),
                          ("時間外労働の申請期限はいつですか？",)),
    "retirement_age": ("hr_legal", ("60歳", "65歳", "63歳", "70歳"), ("定年は何歳ですか？",)),
    "commute_cap": ("hr_legal", ("月額5万円", "月額3万円", "月額10万円", "月額4万円"),
                    ("通勤手当の支給上限はいくらですか？",)),
    "pi_retention": ("hr_legal", ("5年", "7年", "3年", "10年"),
                     ("退職者の個人情報は退職後何年間保存されますか？",)),
    "nda_years": ("hr_legal", ("3年", "5年", "2年", "10年"),
                  ("秘密保持義務は契約終了後何年間存続しますか？",)),
    "renewal_notice": ("hr_legal", ("30日前", "60日前", "90日前", "3か月前"),
                       ("契約を更新しない場合、期間満了の何日前までに申し出る必要がありますか？",)),
    "childcare": ("hr_legal", ("子が1歳6か月", "子が2歳", "子が1歳", "子が3歳"),
                  ("育児休業はいつまで取得できますか？",)),
    "mynumber_dept": ("hr_legal", ("人事部", "総務部", "経理部", "法務部"),
                      ("マイナンバー（個人番号）を取り扱う部署はどこですか？",)),
    "whistleblow": ("hr_legal", ("法務部コンプライアンス室", "外部の法律事務所", "監査役室", "人事部相談窓口"),
                    ("内部通報窓口はどこに設置されていますか？",)),
}

_OWN_COMPANIES = (
    ("東和精工株式会社", "towa-seiko"), ("株式会社ミツワ機械", "mitsuwa-kikai"),
    ("株式会社アルタ製作所", "alta-ss"), ("北辰工業株式会社", "hokushin-kogyo"),
    ("株式会社カナメテック", "kaname-tec"), ("大洋メカニクス株式会社", "taiyo-mech"),
)
_MODEL_PREFIXES = ("PX", "KT", "MZ", "HR", "DX", "SV", "TN", "RB", "CF", "VP", "LX", "AG", "GX", "NS")

_KANJI_DIGITS = "〇一二三四五六七八九"


def kanji_number(n: int) -> str:
    """Kanji numeral for 0..99999 (三十, 二千五百) used in answer aliases."""
    if n == 0:
        return "〇"
    out = ""
    for value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十")):
        q, n = divmod(n, value)
        if q:
            out += ("" if q == 1 and unit != "万" else _KANJI_DIGITS[q]) + unit
    return out + (_KANJI_DIGITS[n] if n else "")


@dataclass(frozen=True, slots=True)
class Fact:
    """One stated-able fact: ``answer`` is the exact string documents contain."""

    id: str
    domain: str
    attribute: str
    subject: str
    answer: str
    aliases: tuple[str, ...]
    questions: tuple[str, ...]
    pool: tuple[str, ...]  # plausible wrong answers of the same kind (for choices)
    anchor: str = ""  # text a document must also contain to count as stating the fact

    def piece(self) -> Piece:
        return Piece(self.answer, FACT, self.id)


@dataclass(frozen=True, slots=True)
class Equipment:
    model: str
    name: str
    bolt: str
    filter_name: str
    facts: dict[str, Fact]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    cause: Fact
    fix: Fact


@dataclass(slots=True)
class World:
    company: str
    company_slug: str
    corporate_number: str
    equipment: list[Equipment]
    errors: list[ErrorCode]
    policy: dict[str, Fact]
    facts: dict[str, Fact] = field(default_factory=dict)


def _num_aliases(n: int, unit: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    out = [f"{n}{unit}", f"{n:,}{unit}" if n >= 1000 else "", f"{kanji_number(n)}{unit}", *extra]
    return tuple(dict.fromkeys(a for a in out if a))


def build_world(rng: Random, n_equipment: int = 36, n_errors: int = 40) -> World:
    """Draw the company, its equipment catalogue, error codes and policies."""
    company, slug = _OWN_COMPANIES[rng.randrange(len(_OWN_COMPANIES))]
    base = "".join(str(rng.randrange(10)) for _ in range(12))
    corp = str(corporate_number_check_digit(base)) + base

    models: list[str] = []
    while len(models) < n_equipment:
        m = f"{rng.choice(_MODEL_PREFIXES)}-{rng.randrange(10, 100) * 10}"
        if rng.random() < 0.25:
            m += rng.choice(("A", "S", "II", "X"))
        if m not in models:
            models.append(m)

    equipment: list[Equipment] = []
    for i, model in enumerate(models):
        cat, bolt, lube_kind, filt = EQUIPMENT_TYPES[i % len(EQUIPMENT_TYPES)]
        days = rng.choice(INTERVAL_DAYS)
        torque = rng.choice(TORQUES)
        hours = rng.choice(FILTER_HOURS)
        warm = rng.choice(WARMUP_MIN)
        lube = rng.choice(LUBRICANTS[lube_kind])
        subj = f"{cat} {model}"
        fid = f"eq.{model}"
        facts = {
            "interval": Fact(
                f"{fid}.interval", "maintenance", "interval", subj, f"{days}日",
                _num_aliases(days, "日", (f"{days}日間", f"{days}日ごと")),
                (f"設備 {model} の点検周期は何日ですか？", f"{cat}（{model}）の定期点検は何日ごとに行いますか？"),
                tuple(f"{d}日" for d in INTERVAL_DAYS), model,
            ),
            "torque": Fact(
                f"{fid}.torque", "work_instruction", "torque", subj, f"{torque}N·m",
                (f"{torque}N·m", f"{torque} N·m", f"{torque}N・m", f"{torque}Nm", f"{torque}ニュートンメートル"),
                (f"{model} の{bolt}の締付トルクは何N·mですか？", f"{cat} {model} の{bolt}の規定トルクはいくつですか？"),
                tuple(f"{t}N·m" for t in TORQUES), model,
            ),
            "lubricant": Fact(
                f"{fid}.lubricant", "work_instruction", "lubricant", subj, lube,
                (lube, lube.replace("ISO ", "")) if lube.startswith("ISO ") else (lube,),
                (f"{model} に使用する潤滑剤は何ですか？", f"{cat}（{model}）の給油に指定されている油脂は何ですか？"),
                tuple(v for vs in LUBRICANTS.values() for v in vs), model,
            ),
            "filter": Fact(
                f"{fid}.filter", "maintenance", "filter", subj, f"{hours}時間",
                _num_aliases(hours, "時間"),
                (f"{model} の{filt}の交換目安は稼働何時間ですか？",),
                tuple(f"{h}時間" for h in FILTER_HOURS), model,
            ),
            "warmup": Fact(
                f"{fid}.warmup", "work_instruction", "warmup", subj, f"{warm}分",
                _num_aliases(warm, "分", (f"{warm}分間",)),
                (f"{model} の始業時の暖機運転は何分以上必要ですか？",),
                tuple(f"{w}分" for w in WARMUP_MIN), model,
            ),
        }
        equipment.append(Equipment(model, cat, bolt, filt, facts))

    codes: list[str] = []
    while len(codes) < n_errors:
        c = rng.choice(("E-", "E", "AL-", "ER")) + str(rng.randrange(100, 1000))
        if c not in codes:
            codes.append(c)
    pairs = list(ERROR_CAUSES_FIXES)
    rng.shuffle(pairs)
    causes = tuple(c for c, _ in ERROR_CAUSES_FIXES)
    fixes = tuple(f for _, f in ERROR_CAUSES_FIXES)
    errors = [
        ErrorCode(
            code,
            Fact(f"err.{code}.cause", "support", "error_cause", code, cause, (cause,),
                 (f"エラーコード {code} は何を示していますか？", f"{code} のエラーの原因は何ですか？"), causes, code),
            Fact(f"err.{code}.fix", "maintenance", "error_fix", code, fix, (fix,),
                 (f"エラーコード {code} が表示された場合の処置は何ですか？", f"{code} が出たときはどう対処しますか？"), fixes, code),
        )
        for code, (cause, fix) in zip(codes, pairs, strict=False)
    ]

    policy: dict[str, Fact] = {}
    for attr, (domain, candidates, questions) in POLICY_FACTS.items():
        answer = rng.choice(candidates)
        aliases = [answer]
        if answer.endswith("日") and answer[:-1].isdigit():
            aliases.append(answer[:-1] + "日間")
        if answer.endswith("年") and answer[:-1].isdigit():
            aliases.append(answer + "間")
        policy[attr] = Fact(f"policy.{attr}", domain, attr, company, answer, tuple(aliases), questions, candidates)

    world = World(company, slug, corp, equipment, errors, policy)
    for eq in equipment:
        for f in eq.facts.values():
            world.facts[f.id] = f
    for e in errors:
        world.facts[e.cause.id] = e.cause
        world.facts[e.fix.id] = e.fix
    for f in policy.values():
        world.facts[f.id] = f
    return world
