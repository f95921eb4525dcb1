"""顧客サポートチケット: customer inquiries, replies, contact blocks and internal notes.

Tickets are where customer PII concentrates (names with 様, addresses, phone numbers,
card numbers for paid repairs, 法人番号 for invoicing) and where support policies are
stated to customers, so they carry both PII and policy facts.
"""

from __future__ import annotations

from ..doc import Block, Ctx, fill, pick_fill
from .common import choice, set_equipment, set_error, set_person, set_policy

HEADER_FIELDS = (
    ("チケット番号：{ticket_no}", "受付番号：{ticket_no}", "問い合わせID {ticket_no}", "案件No.{ticket_no}"),
    ("受付日時：{datetime}", "受付日：{date}", "起票日 {date}"),
    ("受付チャネル：{電話|メール|Webフォーム|チャット|FAX}", "経路：{電話|メール|問い合わせフォーム}"),
    ("ステータス：{対応中|解決済み|クローズ|保留|エスカレーション中}", "状態：{未対応|対応中|完了}"),
    ("優先度：{高|中|低|緊急}",),
)
CUSTOMER_FIELDS = (
    ("お客様：{customer_company} {customer}様", "顧客名：{customer}様（{customer_company}）", "会社名：{customer_company}\nご担当者：{customer}様",
     "お名前：{customer} 様"),
    ("ご住所：{postal_address}", "住所：{postal_address}", "送付先：{postal_address}"),
    ("電話番号：{phone}", "TEL：{phone}", "連絡先：{mobile}", "電話：{landline}（代表）／{mobile}（携帯）"),
    ("メール：{customer_email}", "E-mail：{customer_email}", "メールアドレス：{customer_email}"),
    ("法人番号：{corp_number}", "登録番号：T{corp_number}", "法人番号 {corp_number}"),
    ("製品：{eq_name} {eq_model}（製造番号 {serial_no}）", "対象製品：{eq_model}（S/N {serial_no}）", "機種：{eq_model}"),
)
INQUIRY_OPEN = (
    "いつもお世話になっております。{customer_company}の{customer_sur}です。", "お世話になります。{customer_sur}と申します。",
    "{customer_company} 生産技術課の{customer}です。", "突然のご連絡失礼いたします。",
)
INQUIRY_BODY = (
    "{date}より、貴社製{eq_name}（{eq_model}）で{err_code}のエラーが頻発しております。",
    "作業開始直後にサイクルが停止し、生産に支障が出ています。", "画面に「{err_code}」と表示されて動かなくなりました。",
    "先週納品いただいた{eq_model}ですが、{part}から{異音|異臭|油漏れ}がします。", "保証期間内かどうか確認させてください。",
    "取扱説明書の該当ページが見つからず、対処方法がわかりません。", "交換部品（品番 {part_no}）の見積もりをお願いします。",
    "返品の手続きについて教えてください。", "ロット{lot_no}の製品に不具合がないか確認をお願いします。",
    "ファームウェアを{fw}に更新してから動作が不安定です。", "不具合対応の進捗を教えていただけますでしょうか。",
    "現場のネットワーク（{ipv4}）からリモート保守に接続できません。",
)
INQUIRY_CLOSE = (
    "至急ご対応をお願いいたします。", "折り返しは{mobile}までお願いします。", "お手数ですがご確認のほどよろしくお願いいたします。",
    "日中は不在がちのため、{customer_email}へご連絡ください。", "よろしくお願いいたします。",
)
REPLY_OPEN = (
    "{customer_sur}様\nお問い合わせいただきありがとうございます。{company} カスタマーサポートの{agent_sur}でございます。",
    "{customer_company}\n{customer}様\n平素より大変お世話になっております。{agent}です。",
    "{customer_sur}様 ご連絡ありがとうございます。",
    "{customer_company}\n{customer}殿\n拝啓 時下ますますご清栄のこととお喜び申し上げます。",
)
REPLY_ERROR = (
    "エラーコード{err_code}は{err_cause}を示しております。", "{err_code}は{err_cause}の際に表示されるエラーです。",
    "お問い合わせの{err_code}は、{err_cause}によるものと考えられます。",
)
REPLY_FIX = (
    "お手数ですが、{err_fix}ようお願いいたします。", "対処方法としては、{err_fix}ことで復旧いたします。",
    "まずは{err_fix}ことをお試しください。",
)
REPLY_POLICY = (
    "本製品の保証期間は納品日から{p_warranty}のため、今回の部品代は無償となります。", "無償保証期間（{p_warranty}）を過ぎているため、有償修理となります。",
    "改善しない場合は技術員を派遣いたします。なお、出張修理の基本料金は{p_onsite_fee}です。",
    "サポート窓口の受付時間は{p_support_hours}です。", "受付時間（{p_support_hours}）外のお問い合わせは翌営業日の対応となります。",
    "初回回答は受付から{p_first_response}以内を目標としております。",
    "返品をご希望の場合は、製品到着後{p_return_days}以内にご連絡ください。",
    "補修部品は製造終了後{p_parts_years}間保有しております。",
)
REPLY_PAYMENT = (
    "お支払いはご登録のクレジットカード（{card}）にて決済させていただきます。", "ご指定のカード番号 {card} で決済が完了しました。",
    "請求書は{postal_address}宛てに郵送いたします。", "適格請求書発行事業者登録番号：T{own_corp}",
)
REPLY_CLOSE = (
    "ご不明な点がございましたら、お気軽にお問い合わせください。", "引き続きよろしくお願いいたします。",
    "ご迷惑をおかけし申し訳ございません。", "今後ともよろしくお願い申し上げます。",
)
SIGNATURE = (
    "――――――――――\n{company}\nカスタマーサポート部 {agent}\nTEL：{tollfree}\nMail：{agent_email}",
    "{company} サポートセンター\n担当：{agent}\n電話 {landline}（{p_support_hours}）",
    "--\n{agent}／{company} 技術サービス課\n{own_email}",
)
INTERNAL = (
    "【社内メモ】{staff}さんへエスカレーション済み。", "【社内メモ】顧客環境のルータ（{ipv4}）経由でリモート接続し、ログを取得した。",
    "【社内メモ】同型機で同様の不具合が{small}件発生。品質保証部に共有。", "【社内メモ】前回対応：{date} {staff_sur}。",
    "【社内メモ】顧客より電話あり（{phone}）。折り返し済み。", "【社内メモ】管理番号 {mgmt_no} で部品を手配。",
)


SLOTS: dict = {}


def build(ctx: Ctx) -> list[Block]:
    """A ticket: header, customer block, inquiry, reply (policies), optional notes."""
    r = ctx.rng
    set_equipment(ctx, choice(r, ctx.world.equipment))
    set_error(ctx, choice(r, ctx.world.errors))
    set_policy(ctx)
    set_person(ctx, "customer", internal=False)
    set_person(ctx, "agent", foreign_rate=0.0)
    set_person(ctx, "staff", foreign_rate=0.0)
    ctx.values["customer_company"] = ctx.get("customer_company")[0]
    ctx.values["part"] = ctx.get("part")[0]
    about_error = r.random() < 0.6
    blocks: list[Block] = []

    head = [pick_fill(opts, ctx) for opts in HEADER_FIELDS if r.random() < 0.8]
    if head:
        blocks.append(Block(head, "\n"))
    cust = [pick_fill(opts, ctx) for i, opts in enumerate(CUSTOMER_FIELDS) if i == 0 or r.random() < 0.55]
    blocks.append(Block(cust, "\n"))

    inquiry = [pick_fill(INQUIRY_OPEN, ctx)]
    if about_error:
        inquiry.append(fill(INQUIRY_BODY[0] if r.random() < 0.5 else INQUIRY_BODY[2], ctx))
    inquiry += [fill(t, ctx) for t in r.sample(INQUIRY_BODY[3:], r.randrange(1, 3))]
    inquiry.append(pick_fill(INQUIRY_CLOSE, ctx))
    blocks.append(Block([["【お問い合わせ内容】"], *inquiry] if r.random() < 0.5 else inquiry, "\n" if r.random() < 0.4 else ""))

    reply = [pick_fill(REPLY_OPEN, ctx)]
    if about_error:
        reply.append(pick_fill(REPLY_ERROR, ctx))
        if r.random() < 0.85:
            reply.append(pick_fill(REPLY_FIX, ctx))
    reply += [fill(t, ctx) for t in r.sample(REPLY_POLICY, r.randrange(1, 4))]
    if r.random() < 0.3:
        reply.append(pick_fill(REPLY_PAYMENT, ctx))
    reply.append(pick_fill(REPLY_CLOSE, ctx))
    blocks.append(Block([["【回答】"], *reply] if r.random() < 0.5 else reply, "\n" if r.random() < 0.5 else ""))
    if r.random() < 0.6:
        blocks.append(Block([pick_fill(SIGNATURE, ctx)], "\n"))
    if r.random() < 0.35:
        blocks.append(Block([fill(t, ctx) for t in r.sample(INTERNAL, r.randrange(1, 3))], "\n"))
    return blocks
