"""設備保全ログ: inspection records, daily maintenance reports and timestamped logs.

Three layouts (field form, narrative report, log lines) with sentences composed from
phrase banks, so two records about the same fault still read differently. Vocabulary
deliberately includes words that naive substring filters misfire on (サイクル, 不具合対応,
殺菌, 処理, 死活監視, 品番 with 893, kill/強制終了).
"""

from __future__ import annotations

from .. import decoys
from ..decoys import random_ymd
from ..doc import DECOY, Block, Ctx, Piece, fill, pick_fill
from .common import choice, set_equipment, set_error, set_person

PARTS = (
    "主軸ベアリング", "駆動モータ", "減速機", "油圧ポンプ", "電磁弁", "エアシリンダ", "近接センサ", "光電センサ",
    "ヒーターバンド", "熱電対", "冷却ファン", "駆動チェーン", "Vベルト", "ボールねじ", "リニアガイド", "カップリング",
    "インバータ", "サーボモータ", "電磁ブレーキ", "リレー", "ソレノイドバルブ", "パッキン", "Oリング", "ノズル",
    "搬送ローラー", "スプロケット", "タッチパネル", "配管継手", "油圧ホース", "リミットスイッチ", "ギアボックス",
)
NOISES = ("異音", "異臭", "異常振動", "油漏れ", "エア漏れ", "水漏れ", "異常発熱", "焦げ臭いにおい", "きしみ音", "打音")
CAUSES = ("摩耗", "経年劣化", "締結部の緩み", "汚れの堆積", "破損", "断線", "接触不良", "設定値のずれ", "潤滑不足",
          "異物の噛み込み", "芯ずれ", "腐食")
ACTIONS = ("交換", "清掃", "増し締め", "調整", "分解清掃", "再設定", "芯出し調整", "給脂")
GAUGES = ("油圧計の指示値", "モータ電流値", "軸受温度", "供給エア圧", "真空度", "主軸回転数", "冷却水温度", "炉内温度")
GAUGE_STATES = ("規定値を下回った", "上限値を超えた", "不安定に変動した", "ゼロを示した", "徐々に上昇した")
PRODUCTS = ("樹脂ケース", "アルミダイカスト部品", "飲料ボトル", "包装フィルム", "プリント基板", "ギア部品", "医薬品容器",
            "冷凍食品トレー", "金属ブラケット", "ゴムパッキン")
LINES = ("A", "B", "C", "D", "第1", "第2", "第3", "1号", "2号", "3号")
PLANTS = ("本社工場", "第一工場", "第二工場", "北工場", "東工場", "九州工場", "滋賀工場", "物流センター")


def _symptom(c: Ctx) -> str:
    r = c.rng
    form = r.randrange(4)
    if form == 0:
        return f"{choice(r, PARTS)}{choice(r, ('から', '付近から', 'の周辺で'))}{choice(r, NOISES)}が{choice(r, ('発生していた', '確認された', '認められた', '断続的に発生した'))}"
    if form == 1:
        return f"運転中に{choice(r, GAUGES)}が{choice(r, GAUGE_STATES)}"
    if form == 2:
        a = r.randrange(20, 60)
        return f"サイクルタイムが通常の{a}秒から{a + r.randrange(3, 15)}秒に延びていた"
    return f"{choice(r, PRODUCTS)}の不良率が{r.randrange(1, 9)}.{r.randrange(10)}%に上昇した"


def _cause(c: Ctx) -> str:
    r = c.rng
    return f"{choice(r, PARTS)}の{choice(r, CAUSES)}"


def _action(c: Ctx) -> str:
    r = c.rng
    return f"{choice(r, PARTS)}を{choice(r, ACTIONS)}"


def _location(c: Ctx) -> str:
    r = c.rng
    return f"{choice(r, PLANTS)} {choice(r, LINES)}ライン"


def _timestamps(c: Ctx, n: int) -> list[Piece]:
    """Increasing log timestamps within one shift, in one format per log."""
    r = c.rng
    y, mo, d = random_ymd(r)
    fmt = choice(r, ("{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}", "{y}/{mo:02d}/{d:02d} {h:02d}:{mi:02d}",
                     "{mo:02d}/{d:02d} {h:02d}:{mi:02d}:{s:02d}"))
    minute = r.randrange(6 * 60, 20 * 60)
    out = []
    for _ in range(n):
        minute = min(minute + r.randrange(1, 50), 23 * 60 + 59)
        text = fmt.format(y=y, mo=mo, d=d, h=minute // 60, mi=minute % 60, s=r.randrange(60))
        out.append(Piece(text, DECOY, "DATE"))
    return out


SLOTS = {
    "m_symptom": _symptom,
    "m_cause": _cause,
    "m_action": _action,
    "location": _location,
    "part": lambda c: choice(c.rng, PARTS),
    "product": lambda c: choice(c.rng, PRODUCTS),
    "cycle_s": lambda c: str(c.rng.randrange(20, 90)),
}

HEADERS = ("【設備保全記録】", "設備点検報告書", "保全日報", "点検記録票", "■定期点検結果報告", "設備異常報告書",
           "TPM活動記録", "【保全作業報告】", "突発故障対応記録")

FIELD_LINES = (
    ("{点検日|実施日|作業日}：{doc_date}", "作業日時：{doc_date} {time_range}"),
    ("設備名：{eq_name}（型式 {eq_model}）", "対象設備：{eq_model} {eq_name}", "設備：{eq_name}／{eq_model}",
     "設備名称 {eq_name} 型式：{eq_model}"),
    ("設置場所：{location}", "場所：{location}"),
    ("担当者：{staff}", "担当：{staff}", "点検者 {staff}", "作成者：{staff}", "担当 {staff}（{dept}）"),
)
OPTIONAL_FIELDS = (
    "管理番号：{mgmt_no}", "製造番号：{serial_no}", "交換部品：品番 {part_no}", "使用部品ロット：{lot_no}",
    "ファームウェア：{fw}", "立会者：{helper}さん", "報告先：{boss}課長", "PLCアドレス：{ipv4}",
    "緊急連絡先：{mobile}", "連絡先：{staff_email}", "受付番号 {mgmt_no}",
)

SYMPTOM_SENT = (
    "{m_symptom}。", "{m_symptom}ため、ラインを一時停止した。", "始業点検時、{m_symptom}。",
    "{doc_date}の夜勤帯に{m_symptom}との報告あり。", "オペレーターより「{m_symptom}」との連絡を受けた。",
    "{eq_model}にて{m_symptom}。", "作業開始直後に{m_symptom}。",
)
ERROR_SENT = (
    "操作パネルにエラーコード{err_code}（{err_cause}）が表示され、設備が停止した。",
    "{err_code}のアラームが発生。{err_cause}を示すアラームである。",
    "アラーム履歴を確認したところ、{err_code}：{err_cause}が{small}回記録されていた。",
    "{eq_model}が{err_code}で停止した。取扱説明書によれば{err_code}は{err_cause}を意味する。",
)
FIX_SENT = (
    "取扱説明書に従い、{err_fix}ことで復旧した。", "処置：{err_fix}。", "{err_fix}ことで{err_code}は解除された。",
    "{err_code}の対処手順どおり{err_fix}こととし、その後再発はない。",
)
CAUSE_SENT = (
    "原因は{m_cause}と推定される。", "{m_cause}が原因と考えられる。", "調査の結果、{m_cause}が判明した。",
    "分解点検により{m_cause}を確認した。", "直接原因：{m_cause}。",
    "メーカーサービスの{boss}氏によると、{m_cause}が原因とのこと。",
)
ACTION_SENT = (
    "{m_action}し、試運転で異常がないことを確認した。", "{m_action}した。", "不具合対応として{m_action}した。",
    "{part}を予備品（品番 {part_no}）に交換した。", "{m_action}後、{product}を{small}ショット試作し品質に問題ないことを確認した。",
    "暫定処置として{m_action}し、恒久対策は次回停止時に実施する。",
)
FACT_SENT = (
    "本設備の定期点検周期は{f_interval}である。", "{eq_model}は{f_interval}ごとの定期点検が義務付けられている。",
    "次回点検は周期どおり{f_interval}後に実施予定。", "点検周期（{f_interval}）に従い、次回は{date}に実施する。",
    "{bolt}を規定トルク{f_torque}で増し締めした。", "{bolt}の締付トルクを確認（規定値{f_torque}）。",
    "{f_lubricant}を規定量まで補充した。", "給油には指定の{f_lubricant}を使用した。",
    "{filter_name}の交換目安は稼働{f_filter}である。", "{filter_name}は稼働{f_filter}で交換する規定のため、本日交換した。",
    "始業時は{f_warmup}以上の暖機運転を行うこと。", "暖機運転（{f_warmup}）後に負荷運転へ移行した。",
)
NETWORK_SENT = (
    "監視サーバ（{ipv4}）による死活監視でPLCからの応答が途絶えた。", "PLC（{ipv4}）との通信が{small}分間途絶した。",
    "ゲートウェイ{ipv4}経由でリモート接続し、ログを取得した。", "管理インタフェース {ipv6} への疎通を確認した。",
    "死活監視のping（{ip}）に応答なし。ハブの電源を入れ直して復旧。",
    "応答のないデータ収集プロセスをkillし、サービスを再起動した。",
)
MISC_SENT = (
    "殺菌工程の温度記録に欠損があったため、記録計の設定を確認した。", "廃油は産業廃棄物として適切に処理した。",
    "サイクルタイムは{cycle_s}秒で安定している。", "品番 {part_no} の在庫が残り{small}個のため発注を依頼した。",
    "ロット{lot_no}の製品は念のため全数検査とした。", "ファームウェアを{fw}に更新した。",
    "{location}の他設備には同様の不具合は見られない。", "バッチ処理が異常終了したため再実行した。",
)
FOLLOW_SENT = (
    "引き続き経過観察とする。", "次回の定期点検時に再確認する。", "{staff_sur}が{helper}さんに引き継ぎ済み。",
    "夜勤の{helper_sur}君に申し送り済み。",
    "詳細は{boss}課長へ報告済み。", "再発時は{staff_sur}（内線{ext}）まで連絡のこと。", "以上。",
    "不明点は{staff_email}までお問い合わせください。", "部品手配は購買部の{helper}さんに依頼した。",
)
NARRATIVE_OPEN = (
    "{doc_date}、{location}の{eq_name}（{eq_model}）について{点検|保全作業|修理}を実施したので報告する。",
    "本日、{eq_model}（{eq_name}）の定期点検を{staff}が実施しました。",
    "{location}に設置されている{eq_name} {eq_model}で不具合が発生したため、対応内容を記録する。",
    "{staff_sur}です。{doc_date}に実施した{eq_name}の点検結果をご報告します。",
)
LOG_FIRST = ("[{ts}] 作業開始 {eq_model} 始業点検 異常なし", "[{ts}] 作業開始（担当 {staff}）", "[{ts}] 始業点検開始")
LOG_LAST = ("[{ts}] 作業終了 報告者：{staff}", "[{ts}] 作業終了", "[{ts}] 引継ぎ完了 {helper_sur}へ")
LOG_LINES = (
    "[{ts}] {m_symptom}", "[{ts}] アラーム {err_code} 発生",
    "[{ts}] {err_fix}（担当 {staff_sur}）", "[{ts}] 死活監視 {ipv4} 応答なし",
    "[{ts}] 死活監視 {ipv4} 応答復帰", "[{ts}] サイクル再開 {cycle_s}秒/個",
    "[{ts}] {m_action}", "[{ts}] 殺菌工程 温度{temp}℃ 到達", "[{ts}] 品番 {part_no} 段取り替え完了",
)


def build(ctx: Ctx) -> list[Block]:
    """One maintenance record for a random equipment item; states 1-4 of its facts."""
    r = ctx.rng
    world = ctx.world
    eq = choice(r, world.equipment)
    set_equipment(ctx, eq)
    set_error(ctx, choice(r, world.errors))
    set_person(ctx, "staff")
    set_person(ctx, "helper")
    set_person(ctx, "boss")
    ctx.values["doc_date"] = decoys.date(r)
    has_error = r.random() < 0.55
    layout = r.choices(("form", "narrative", "log"), (45, 40, 15))[0]
    blocks: list[Block] = []

    if layout == "log":
        head = [fill(choice(r, HEADERS), ctx), fill("設備：{eq_name} {eq_model}", ctx)]
        blocks.append(Block(head, "\n"))
        middle = r.sample(LOG_LINES, r.randrange(3, 9))
        templates = [choice(r, LOG_FIRST), *middle, choice(r, LOG_LAST)]
        lines = []
        for ts, template in zip(_timestamps(ctx, len(templates)), templates, strict=True):
            ctx.values["ts"] = ts
            lines.append(fill(template, ctx))
        blocks.append(Block(lines, "\n"))
        blocks.append(Block([pick_fill(FACT_SENT, ctx) for _ in range(r.randrange(1, 3))]))
        return blocks

    if layout == "form":
        head = [fill(choice(r, HEADERS) + (" No.{record_no}" if r.random() < 0.5 else ""), ctx)]
        head += [pick_fill(opts, ctx) for opts in FIELD_LINES]
        k = r.randrange(1, 4)
        head += [fill(t, ctx) for t in r.sample(OPTIONAL_FIELDS, k)]
        blocks.append(Block(head, "\n"))
    else:
        blocks.append(Block([pick_fill(NARRATIVE_OPEN, ctx)]))

    label = layout == "form" and r.random() < 0.7
    body = [pick_fill(SYMPTOM_SENT, ctx)]
    if has_error:
        body.append(pick_fill(ERROR_SENT, ctx))
    if r.random() < 0.4:
        body.append(pick_fill(NETWORK_SENT, ctx))
    blocks.append(Block(([["【異常内容】"]] if label else []) + body, "\n" if label else ""))

    cause = [pick_fill(CAUSE_SENT, ctx)] if r.random() < 0.7 else []
    treat = [pick_fill(ACTION_SENT, ctx) for _ in range(r.randrange(1, 3))]
    if has_error and r.random() < 0.8:
        treat.append(pick_fill(FIX_SENT, ctx))
    treat += [fill(t, ctx) for t in r.sample(FACT_SENT, r.randrange(1, 4))]
    if r.random() < 0.5:
        treat.append(pick_fill(MISC_SENT, ctx))
    r.shuffle(treat)
    if label:
        blocks.append(Block([["【原因】"], *cause] if cause else [["【原因】"], ["調査中。"]], "\n"))
        blocks.append(Block([["【処置】"], *treat], "\n"))
    else:
        blocks.append(Block(cause + treat))
    follow = [pick_fill(FOLLOW_SENT, ctx) for _ in range(r.randrange(1, 3))]
    blocks.append(Block(follow, "\n" if label else ""))
    return blocks
