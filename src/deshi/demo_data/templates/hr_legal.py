"""人事・法務FAQ: work-rule Q&A, personal-information handling notes, contracts.

HR text is where the most sensitive identifiers live (個人番号, home addresses), usually
inside forms, examples and contract parties. It also states HR/legal policy facts
(有給休暇の付与日数, 試用期間, 秘密保持期間...) that the golden QA asks about.
"""

from __future__ import annotations

from ..doc import Block, Ctx, fill, pick_fill
from .common import choice, set_person, set_policy

# (question variants, answer variants) per policy; answers contain the fact piece.
FAQ = {
    "paid_leave_first": (
        ("有給休暇は入社後いつから何日付与されますか？", "入社して最初の有給休暇は何日ですか？"),
        ("入社日から6か月{継続勤務し|間継続して勤務し}、{所定労働日の8割以上出勤した|全労働日の8割以上出勤した}場合に{p_paid_leave_first}が付与されます。{以後は1年ごとに付与日数が増えます。|}",
         "入社6か月経過時点で{p_paid_leave_first}の年次有給休暇が付与されます。"),
    ),
    "paid_leave_max": (
        ("有給休暇は最大で何日まで増えますか？", "勤続年数による有給休暇の上限を教えてください。"),
        ("勤続年数に応じて増加し、最大で年{p_paid_leave_max}となります。", "勤続6年6か月以上で年{p_paid_leave_max}が付与されます。"),
    ),
    "leave_expiry": (
        ("使わなかった有給休暇は繰り越せますか？",),
        ("付与日から{p_leave_expiry}間有効で、未使用分は翌年度に繰り越せます。", "有効期限は付与日から{p_leave_expiry}です。"),
    ),
    "probation": (
        ("試用期間はありますか？", "中途採用者にも試用期間はありますか？"),
        ("試用期間は入社日から{p_probation}です。", "新卒・中途を問わず、入社後{p_probation}を試用期間とします。"),
    ),
    "marriage_leave": (
        ("結婚したときの休暇はありますか？", "慶弔休暇について教えてください。"),
        ("本人が結婚する場合は{p_marriage_leave}の特別休暇（有給）が付与されます。", "慶弔休暇として、本人の結婚時に{p_marriage_leave}を取得できます。"),
    ),
    "remote_days": (
        ("在宅勤務は利用できますか？", "テレワークの上限日数は？"),
        ("所属長の承認を得たうえで、{p_remote_days}を上限として在宅勤務が認められています。", "在宅勤務は{p_remote_days}までです。"),
    ),
    "overtime_deadline": (
        ("残業するときの手続きは？", "時間外労働の申請はいつまでに行えばよいですか？"),
        ("時間外労働を行う場合は、{p_overtime_deadline}に{勤怠システムで|所定の申請書により}所属長へ申請してください。{36協定の上限を超える残業は認められません。|}",
         "残業申請の締切は{p_overtime_deadline}です。事後申請は原則認めません。"),
    ),
    "retirement_age": (
        ("定年は何歳ですか？", "定年後の再雇用制度はありますか？"),
        ("定年は{p_retirement_age}です。希望者は定年後も継続雇用制度を利用できます。", "当社の定年は満{p_retirement_age}に達した年度末です。"),
    ),
    "commute_cap": (
        ("通勤手当はいくらまで支給されますか？",),
        ("通勤手当は{p_commute_cap}を上限に実費を支給します。", "公共交通機関の定期代を{p_commute_cap}まで支給します。"),
    ),
    "pi_retention": (
        ("退職者の個人情報はどう扱われますか？",),
        ("退職者の個人情報は退職後{p_pi_retention}間保存した後、シュレッダー処理または溶解処理により廃棄します。",
         "人事記録は退職後{p_pi_retention}間保管し、その後速やかに廃棄処理します。"),
    ),
    "mynumber_dept": (
        ("マイナンバーは誰が管理していますか？", "個人番号の提出先はどこですか？"),
        ("マイナンバー（個人番号）は{p_mynumber_dept}の事務取扱担当者のみが取り扱い、施錠可能なキャビネットで保管します。",
         "個人番号は{p_mynumber_dept}に提出してください。利用目的は源泉徴収票作成・社会保険手続に限ります。"),
    ),
    "childcare": (
        ("育児休業はいつまで取れますか？",),
        ("育児休業は、原則として{p_childcare}に達するまで取得できます。", "{p_childcare}に達する日まで育児休業を取得可能です。"),
    ),
    "whistleblow": (
        ("社内の不正を見つけたらどこに相談すればよいですか？",),
        ("内部通報窓口は{p_whistleblow}に設置されています。匿名での通報も可能です。", "{p_whistleblow}が通報を受け付け、通報者の秘密は厳守されます。"),
    ),
}
FAQ_TITLES = ("人事・労務FAQ（{year}年度版）", "就業規則に関するよくある質問", "【社内向け】人事制度Q&A", "総務・人事 よくあるご質問",
              "新入社員向け 就業規則ガイド")
FAQ_FOLLOWUPS = (
    "詳しくは就業規則第{small}条を参照してください。", "不明な点は{dept}までお問い合わせください。",
    "{year}年4月の規程改定により変更されています。", "詳細は{contact_sur}さん（内線{ext}）に確認してください。",
)
LEAVE_TOPICS = ("paid_leave_first", "paid_leave_max", "leave_expiry", "marriage_leave", "childcare", "remote_days")
LEAVE_FOLLOWUPS = (
    "申請は{勤怠システム|人事ポータル|所定の申請書}から行えます。", "なお、取得の際は{2週間前|1週間前|前日}までに所属長へ届け出てください。",
    "パートタイム従業員は{別途定める規程によります|所定労働日数に応じて比例付与となります}。",
)
FAQ_INTROS = (
    "社員から寄せられる質問のうち、特に多いものをまとめました。", "{year}年{small}月時点の規程に基づく回答です。",
    "以下は{dept}が受け付けた質問と回答です。", "新しく入社された方はまずこちらをご確認ください。",
)
QA_STYLES = (("Q. ", "A. "), ("Q：", "A："), ("【質問】", "【回答】"), ("問", "答"))
HR_EXTRA = (
    "年末調整のため、{employee}さんの個人番号（{my_number}）を受領しました。",
    "（記入例）氏名：{employee}　個人番号：{my_number}　住所：{address}",
    "扶養家族のマイナンバー {my_number} の登録が完了しました。", "{employee}　{my_number}　{date}受領",
    "{employee}殿　{date}付で{dept}への異動を命ずる。", "社員番号 {inv_my} の勤怠データを修正しました。",
    "不明点は{dept}の{contact}（内線{ext}、{contact_email}）までお問い合わせください。",
    "申請書は{date}までに{contact_sur}さんへ提出してください。", "就業時間は{time_range}（休憩60分）です。",
    "本FAQは{date}時点の就業規則に基づいています。", "給与明細はWeb明細システムで確認できます。",
    "処理の過程で取得した個人情報は、利用目的の範囲内でのみ取り扱います。",
)
B2B_TITLES = ("秘密保持契約書", "業務委託契約書", "取引基本契約書", "保守サービス契約書")
B2B_PARTIES = (
    "{company}（以下「甲」という。）と{customer_company}（以下「乙」という。）は、次のとおり契約を締結する。",
    "甲：{company}（法人番号 {own_corp}）\n乙：{customer_company}（法人番号 {corp_number}）\n甲と乙は、以下のとおり合意する。",
)
EMPLOYMENT_PARTIES = (
    "雇用者 {company}（以下「甲」）と労働者 {employee}（以下「乙」）は、以下の条件で雇用契約を締結する。",
    "{company}（以下「甲」という。）は、{employee}（以下「乙」という。）を次の条件で雇用する。",
)
# Clauses used only in employment contracts / only between companies; the rest in both.
EMPLOYMENT_ONLY = ("試用期間", "就業時間")
B2B_ONLY = ("委託業務", "報酬", "再委託の禁止", "反社会的勢力の排除")
CLAUSES = (
    ("秘密保持", "乙は、本契約に関して知り得た甲の{秘密情報|技術上または営業上の情報}を{第三者に開示してはならない|甲の事前の書面による承諾なく第三者に開示または漏えいしてはならない}。秘密保持義務は本契約終了後も{p_nda_years}間存続する。"),
    ("契約期間", "本契約の有効期間は{date}から{1年間|2年間}とする。ただし、期間満了の{p_renewal_notice}までに{書面による申出|いずれからも書面による別段の意思表示}がない限り、同一条件で1年間自動更新され、以後も同様とする。"),
    ("個人情報の取扱い", "乙は、{業務上取得した|本業務の遂行にあたり甲から預託された}個人情報を{適切に管理し|善良な管理者の注意をもって管理し}、目的外に利用してはならない。"),
    ("損害賠償", "甲または乙は、本契約に違反して相手方に損害を与えた場合、{その損害を賠償する|直接かつ通常の損害に限り賠償の責めを負う}。"),
    ("反社会的勢力の排除", "甲および乙は、自らが反社会的勢力に該当しないことを表明し、{保証する|将来にわたっても該当しないことを確約する}。"),
    ("試用期間", "入社日から{p_probation}を試用期間とする。{試用期間中の労働条件は本採用後と同一とする。|}"),
    ("就業時間", "就業時間は{time_range}とし、{業務の都合により変更することがある|休憩時間は正午から60分とする}。"),
    ("管轄裁判所", "本契約に関する紛争は、{court}地方裁判所を第一審の専属的合意管轄裁判所とする。"),
    ("委託業務", "甲は乙に対し、{設備の保守点検業務|生産設備の修理業務|ソフトウェアの保守業務}を委託し、乙はこれを受託する。"),
    ("報酬", "委託料は月額{small}0万円（消費税別）とし、甲は毎月末日締め翌月{末日|25日}までに乙の指定する口座に振り込む。"),
    ("再委託の禁止", "乙は、甲の事前の書面による承諾なく、本業務の全部または一部を第三者に再委託してはならない。"),
    ("解除", "甲または乙は、相手方が本契約に違反し、{催告後|書面による通知後}{small}0日以内に是正しない場合、本契約を解除することができる。"),
    ("協議事項", "本契約に定めのない事項{および解釈に疑義が生じた事項|}については、甲乙誠実に協議のうえ解決する。"),
)
COURTS = ("東京", "大阪", "名古屋", "福岡", "札幌", "仙台", "広島", "横浜", "さいたま", "千葉")


SLOTS = {
    "year": lambda c: str(c.rng.randrange(2022, 2026)),
    "court": lambda c: choice(c.rng, COURTS),
}


def _faq(ctx: Ctx) -> list[Block]:
    r = ctx.rng
    q_mark, a_mark = choice(r, QA_STYLES)
    head = [pick_fill(FAQ_TITLES, ctx)]
    if r.random() < 0.6:
        head.append(pick_fill(FAQ_INTROS, ctx))
    blocks = [Block(head, "\n")]
    topics = r.sample(list(FAQ), r.randrange(3, 7))
    for i, topic in enumerate(topics, 1):
        qs, ans = FAQ[topic]
        num = str(i) if q_mark in ("問", "答") else ""
        q = [q_mark + num, *pick_fill(qs, ctx)]
        a = [a_mark + num, *pick_fill(ans, ctx)]
        if r.random() < 0.45:
            a += pick_fill(FAQ_FOLLOWUPS + LEAVE_FOLLOWUPS if topic in LEAVE_TOPICS else FAQ_FOLLOWUPS, ctx)
        blocks.append(Block([q, a], "\n"))
    extra = [fill(t, ctx) for t in r.sample(HR_EXTRA, r.randrange(1, 4))]
    blocks.append(Block(extra, "\n"))
    return blocks


def _contract(ctx: Ctx) -> list[Block]:
    r = ctx.rng
    employment = r.random() < 0.35
    if employment:
        title, parties, skip = "雇用契約書", EMPLOYMENT_PARTIES, B2B_ONLY
    else:
        title, parties, skip = choice(r, B2B_TITLES), B2B_PARTIES, EMPLOYMENT_ONLY
    blocks = [Block([[title]], "\n"), Block([pick_fill(parties, ctx)])]
    usable = [c for c in CLAUSES if c[0] not in skip]
    clauses = [usable[k] for k in sorted(r.sample(range(len(usable)), r.randrange(4, min(9, len(usable)) + 1)))]
    for i, (title, body) in enumerate(clauses, 1):
        blocks.append(Block([[f"第{i}条（{title}）"], fill(body, ctx)], "\n"))
    sign = [fill("{date}", ctx), fill("甲　{postal_address}", ctx), fill("　　{company}　代表取締役 {rep}", ctx)]
    if employment:
        sign += [fill("乙　{address}", ctx), fill("　　{employee}", ctx)]
    elif r.random() < 0.7:
        sign += [fill("乙　{postal_address}", ctx), fill("　　{customer_company}　{代表取締役|取締役社長|代表社員} {person}", ctx)]
    blocks.append(Block(sign, "\n"))
    return blocks


PRIVACY_TITLES = ("個人情報の取扱いについて", "個人情報保護方針", "従業員の個人情報の取扱いに関する規程（抜粋）",
                  "【社内周知】個人情報・特定個人情報の取扱い", "プライバシーポリシー")
PRIVACY_INTROS = (
    "{company}（以下「当社」）は、従業員および取引先の個人情報を以下のとおり取り扱います。",
    "当社は、個人情報の保護に関する法律{および関係ガイドライン|その他の関係法令}を遵守し、{次のとおり|以下の方針に基づき}個人情報を適切に取り扱います。",
    "{company}では、業務上取得した個人情報の{重要性|取扱いの責任}を認識し、全従業員に本方針を周知しています。",
    "{dept}より、個人情報の取扱いについて{改めて|以下のとおり}周知します。{ご一読ください。|内容を確認のうえ、遵守してください。|}",
)
PRIVACY_ITEMS = (
    "個人番号（マイナンバー）は{p_mynumber_dept}の{事務取扱担当者|担当者}のみが取り扱い、{法令で定められた事務|社会保障・税の手続}以外には利用しません。",
    "退職者の個人情報は退職後{p_pi_retention}間保存したのち、{復元できない方法で|シュレッダーまたは溶解により}廃棄処理します。",
    "個人情報の開示等の請求は{contact}（{contact_email}）が受け付けます。",
    "{漏えい等の事案|個人データの漏えい、滅失または毀損}が発生した場合は、速やかに個人情報保護委員会へ報告{します|し、本人へ通知します}。",
    "個人情報の利用目的は、{雇用管理、給与計算および取引先との連絡|採用選考、人事労務管理および法令上の届出}に限ります。",
    "本人の同意なく個人データを第三者に提供することはありません。{ただし、法令に基づく場合を除きます。|}",
    "{個人データを取り扱う端末には|業務用パソコンには}ウイルス対策ソフトを導入し、{アクセス権限を必要最小限に設定|アクセスログを{small}年間保存}しています。",
    "個人情報を含む書類は{施錠できるキャビネット|鍵付きの書庫}で保管し、{持ち出しを禁止|持ち出す場合は上長の承認を必要と}します。",
    "委託先に個人データを取り扱わせる場合は、{委託契約で安全管理措置を定め|委託先を選定基準に基づき評価し}、{定期的に監督|年1回以上監査}します。",
    "{年1回|毎年{date}頃に}全従業員を対象とした個人情報保護研修を実施します。",
    "メールで個人情報を送信する際は、{ファイルにパスワードを設定し|宛先を二重に確認し}、{パスワードは別経路で通知|誤送信防止ツールを使用}してください。",
    "お問い合わせ窓口：{dept}（電話 {landline}、受付時間 {time_range}）",
)
PRIVACY_TAILS = ("制定：{date}", "改定：{date}", "{company} 個人情報保護管理者 {rep}", "{company} 代表取締役 {rep}",
                 "所在地：{postal_address}", "以上", "問い合わせ先：{contact}（内線{ext}）")


def _privacy_notice(ctx: Ctx) -> list[Block]:
    r = ctx.rng
    picked = sorted(r.sample(range(len(PRIVACY_ITEMS)), r.randrange(4, 8)))
    numbered = r.random() < 0.7
    items = [[f"{i}. " if numbered else "・", *fill(PRIVACY_ITEMS[k], ctx)] for i, k in enumerate(picked, 1)]
    tail = [fill(PRIVACY_TAILS[k], ctx) for k in sorted(r.sample(range(len(PRIVACY_TAILS)), r.randrange(2, 5)))]
    return [Block([pick_fill(PRIVACY_TITLES, ctx)], "\n"), Block([pick_fill(PRIVACY_INTROS, ctx)]),
            Block(items, "\n"), Block(tail, "\n")]


def build(ctx: Ctx) -> list[Block]:
    """An FAQ page (most), a contract, or a privacy notice."""
    r = ctx.rng
    set_policy(ctx)
    set_person(ctx, "employee")
    set_person(ctx, "contact", foreign_rate=0.0)
    set_person(ctx, "rep", foreign_rate=0.0)
    ctx.values["customer_company"] = ctx.get("customer_company")[0]
    kind = r.choices((_faq, _contract, _privacy_notice), (60, 25, 15))[0]
    return kind(ctx)
