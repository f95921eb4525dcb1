"""作業手順書: numbered work instructions with tools, torque values and cautions.

Procedures are assembled from a bank of steps (a random subset in a sensible order), so
documents for the same equipment differ in their steps while agreeing on its torque,
lubricant and warm-up facts.
"""

from __future__ import annotations

from ..doc import Block, Ctx, fill, pick_fill
from .common import choice, set_equipment, set_person
from .maintenance import PARTS

TASKS = ("定期点検", "金型交換", "フィルタ交換", "給油作業", "ベルト交換", "段取り替え", "始業点検", "清掃・殺菌作業",
         "ノズル交換", "軸受交換", "消耗品交換", "非定常作業")
TOOLS = ("トルクレンチ", "六角レンチ（5mm・6mm）", "スパナ", "ソケットレンチ", "グリースガン", "ウエス", "保護メガネ",
         "耐油手袋", "安全帯", "テスター", "ダイヤルゲージ", "隙間ゲージ", "ドライバー", "懐中電灯", "ロックアウト用南京錠",
         "防塵マスク", "耐熱手袋", "オイルジョッキ")

TITLES = (
    "作業手順書：{eq_name}（{eq_model}）{task}", "{eq_model} {task}手順書", "【作業標準書】{eq_name} {task}",
    "{task}作業手順（対象：{eq_model}）",
)
META = (
    ("文書番号：WI-{docno}", "管理番号：SOP-{docno}", "文書No. {docno}"),
    ("改訂：第{small}版（{date}）", "制定日：{date}", "改訂日 {date}"),
    ("作成者：{author}", "作成：{author}", "作成者 {author}（{dept}）"),
    ("承認者：{approver}", "承認：{approver}", "確認者：{approver}"),
)
PURPOSE = (
    "本手順書は、{eq_name}（{eq_model}）の{task}を安全かつ確実に実施するための手順を定める。",
    "{eq_model}の{task}における作業方法と注意事項を標準化し、品質の安定と災害防止を図る。",
    "本書は{location}に設置された{eq_name}の{task}手順を示すものである。",
)
SCOPE = (
    "{location}に設置された{eq_model}に適用する。", "当社が保有するすべての{eq_name}（型式{eq_model}）に適用する。",
    "本手順は保全担当者および教育を修了した作業者が実施する。",
)
STEP_FIRST = (
    "作業開始前に主電源を遮断し、ロックアウト・タグアウトを実施する。",
    "作業開始前にKY（危険予知）活動を行い、作業者全員で危険ポイントを共有する。",
    "設備を停止し、操作パネルに「点検中」の表示札を掛ける。",
)
# In working order: sampled subsets keep this order so procedures stay plausible.
STEPS = (
    "残圧がないことを圧力計で確認する。", "ロット番号（{lot_no}）を記録用紙に転記する。",
    "カバーを取り外し、{part}の状態を目視で確認する。", "{part}に摩耗や亀裂がないか点検する。",
    "{part}の取付位置をダイヤルゲージで確認する。", "殺菌工程に移行する前に、洗浄液を完全に排出する。",
    "{filter_name}を取り外し、新品に交換する（交換目安：稼働{f_filter}）。",
    "古いグリースをウエスで拭き取り、新しい{f_lubricant}を塗布する。", "{f_lubricant}を給油口から規定量給油する。",
    "{bolt}を仮締めした後、トルクレンチで{f_torque}に本締めする。", "{bolt}を対角順に{f_torque}で締め付ける。",
    "締付後、{bolt}に合いマークを付ける。", "異物の混入がないことを確認してからカバーを取り付ける。",
    "配管継手からの漏れがないことを確認する。", "サイクルタイムが基準値（{cycle_s}秒）以内であることを確認する。",
    "処理済みの部品は所定の容器に入れ、品番ラベル（{part_no}）を貼付する。",
)
STEP_LAST = (
    "主電源を投入し、{f_warmup}以上の暖機運転を行う。", "試運転を行い、異音・振動がないことを確認する。",
    "作業結果を点検記録票に記入し、{approver_sur}課長の確認を受ける。", "作業終了後、工具の員数確認を行い、持ち出し漏れがないことを確認する。",
)
CAUTIONS = (
    "作業は必ず2名以上で行うこと。", "回転部に手を近づけないこと。", "規定トルクを超えて締め付けないこと。{bolt}の規定トルクは{f_torque}である。",
    "定期点検周期（{f_interval}）を超過した設備は使用しないこと。", "高温部（{temp}℃以上）に注意すること。",
    "廃油・廃ウエスは産業廃棄物として適切に処理すること。", "不具合を発見した場合は作業を中止し、直ちに上長へ報告すること。",
    "指定外の油脂を使用しないこと（指定：{f_lubricant}）。", "殺菌剤を取り扱う際は保護メガネと手袋を着用すること。",
    "始業時は必ず{f_warmup}以上の暖機運転を行うこと。", "停電復旧後は原点復帰を行ってから運転すること。",
)
CONTACT = (
    "問い合わせ先：{dept} {author}（内線{ext}）", "本書に関する問い合わせは{author_email}まで。",
    "不明点は{approver}（{phone}）に確認すること。", "緊急時連絡先：設備保全課 {landline}",
)


def _docno(c: Ctx) -> str:
    return f"{c.rng.randrange(1, 10000):04d}"


SLOTS = {
    "task": lambda c: choice(c.rng, TASKS),
    "docno": _docno,
}


def build(ctx: Ctx) -> list[Block]:
    """A work instruction for one equipment item."""
    r = ctx.rng
    eq = choice(r, ctx.world.equipment)
    set_equipment(ctx, eq)
    set_person(ctx, "author")
    set_person(ctx, "approver")
    ctx.values["task"] = choice(r, TASKS)
    ctx.values["part"] = choice(r, PARTS)
    numbered = r.random() < 0.6
    blocks: list[Block] = [Block([pick_fill(TITLES, ctx)] + [pick_fill(m, ctx) for m in META if r.random() < 0.8], "\n")]

    def section(n: int, title: str) -> list[str]:
        return [f"{n}. {title}" if numbered else f"■{title}"]

    blocks.append(Block([section(1, "目的"), pick_fill(PURPOSE, ctx)], "\n"))
    if r.random() < 0.6:
        blocks.append(Block([section(2, "適用範囲"), pick_fill(SCOPE, ctx)], "\n"))
    tools = r.sample(TOOLS, r.randrange(3, 7))
    tool_lines = [[f"・{t}"] for t in tools]
    if r.random() < 0.5:
        tool_lines.append(fill("・{f_lubricant}", ctx))
    blocks.append(Block([section(3, "使用工具・保護具"), *tool_lines], "\n"))

    steps = [pick_fill(STEP_FIRST, ctx)]
    steps += [fill(STEPS[i], ctx) for i in sorted(r.sample(range(len(STEPS)), r.randrange(3, 8)))]
    steps += [fill(STEP_LAST[i], ctx) for i in sorted(r.sample(range(len(STEP_LAST)), r.randrange(1, 3)))]
    step_style = r.randrange(3)
    step_lines = []
    for i, s in enumerate(steps, 1):
        prefix = (f"手順{i}：", f"({i}) ", f"{i}) ")[step_style]
        step_lines.append([prefix, *s])
    blocks.append(Block([section(4, "作業手順"), *step_lines], "\n"))

    cautions = [["・", *fill(t, ctx)] for t in r.sample(CAUTIONS, r.randrange(2, 5))]
    blocks.append(Block([section(5, "注意事項"), *cautions], "\n"))
    if r.random() < 0.7:
        blocks.append(Block([pick_fill(CONTACT, ctx)], "\n"))
    return blocks
