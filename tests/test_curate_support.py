"""Corpus builder for the curation tests (no tests here).

Independent of deshi's demo generator on purpose: curation must work on text we did not design it
for. Documents are maintenance/support/HR-style Japanese with names, phones and e-mails; near
duplicates are small edits of an original; noise covers English, mojibake, ads, toxic text and
malformed lines.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SENTENCES = [
    "第{n}号機の定期点検を実施した。", "ポンプの吐出圧力が規定値より{n}%低いことを確認した。", "インペラの摩耗が進んでいたため交換した。",
    "サイクルタイムは{n}秒で安定している。", "不具合の再発は現時点で確認されていない。", "部品番号AB-893-{n}を発注済みである。",
    "軸受の温度が{n}度まで上昇したため運転を停止した。", "潤滑油の交換周期を{n}時間に見直す。", "作業前にロックアウトを実施すること。",
    "顧客から製品{n}型の電源が入らないとの問い合わせがあった。", "ヒューズの交換手順を電話で案内した。", "現地で動作確認を行い正常復帰した。",
    "次回の訪問は{n}月に予定している。", "異音の原因はベルトの緩みであった。", "ベルトの張りを調整し記録に残した。",
    "従業員の時間外労働は月{n}時間を上限とする。", "有給休暇の申請は三日前までに行うこと。", "就業規則第{n}条に基づき処理した。",
    "制御盤の配線を点検し端子の緩みを締め直した。", "センサーの校正値を再設定した。", "バルブの開度を{n}%に調整した。",
    "冷却水の流量が不足していたためストレーナを清掃した。", "エアコンプレッサの圧力計を交換した。", "検査結果は合格であった。",
    "金型の摩耗量を測定し記録した。", "搬送コンベアの速度を毎分{n}メートルに設定した。", "安全カバーの破損を発見し応急処置を行った。",
    "品質管理部門へ報告書を提出した。", "ロット番号{n}の製品を出荷停止とした。", "再発防止策として点検項目を追加した。",
    "油圧ユニットの作動油に汚れが見られた。", "フィルターを新品に交換した。", "モーターの絶縁抵抗を測定した。",
    "測定値は{n}メガオームで基準を満たしている。", "溶接部の亀裂を目視で確認した。", "非破壊検査を外部業者に依頼した。",
    "チェーンの伸びが限界値に近い。", "予備品の在庫を確認し{n}個を補充した。", "点検表に署名し保管した。",
    "作業者に保護具の着用を再指導した。", "騒音レベルは{n}デシベルであった。", "振動値が前回より増加している。",
]
NAMES = ["山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲", "田中健太", "伊藤陽子", "渡辺直樹", "中村由美"]
TOXIC = ["お前なんか死ね。", "殺してやるから覚えておけ。", "無料エロ動画はこちら。", "このキチガイめ、消えろ。"]
LEGIT_TRICKY = [  # substrings of listed words, inside ordinary industrial text
    "サイクルタイムを短縮した。", "不具合の原因を調査した。", "部品番号AB-893-12を交換した。", "2023年8月9日に点検した。",
    "契約書に反社会的勢力の排除条項を追加した。", "アスペクト比を確認した。", "基板のエッチング処理を行った。",
]


def _doc_text(rng: random.Random, sentences: int = 10) -> str:
    picks = rng.sample(SENTENCES, sentences)
    body = "".join(s.format(n=rng.randint(10, 999)) for s in picks)
    name = rng.choice(NAMES)
    phone = f"03-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
    return f"作業報告\n担当者：{name}（電話 {phone}）\n{body}"


def near_copy(rng: random.Random, text: str) -> str:
    """A re-post: one or two characters changed and a closing remark appended."""
    chars = list(text)
    for _ in range(2):
        i = rng.randrange(20, len(chars))
        chars[i] = "、" if chars[i] != "、" else "。"
    return "".join(chars) + "以上。"


def make_corpus(path: Path, docs: int, seed: int = 0, noise: bool = True) -> dict[str, object]:
    """Write a JSONL corpus; returns ids of originals and their near/exact copies and noise kinds."""
    rng = random.Random(seed)
    lines: list[str] = []
    truth: dict[str, object] = {"near": [], "exact": [], "toxic": [], "tricky": [], "clean": []}
    originals: list[tuple[str, str]] = []
    for i in range(docs):
        doc_id = f"d{i:05d}"
        roll = rng.random()
        if originals and roll < 0.08:
            orig_id, orig = rng.choice(originals)
            text = near_copy(rng, orig)
            truth["near"].append((orig_id, doc_id))  # type: ignore[union-attr]
        elif originals and roll < 0.10:
            orig_id, text = rng.choice(originals)
            truth["exact"].append((orig_id, doc_id))  # type: ignore[union-attr]
        elif noise and roll < 0.115:
            text = _doc_text(rng, 4) + rng.choice(TOXIC)
            truth["toxic"].append(doc_id)  # type: ignore[union-attr]
        elif noise and roll < 0.13:
            text = _doc_text(rng, 6) + rng.choice(LEGIT_TRICKY)
            truth["tricky"].append(doc_id)  # type: ignore[union-attr]
        else:
            text = _doc_text(rng)
            originals.append((doc_id, text))
            truth["clean"].append(doc_id)  # type: ignore[union-attr]
        lines.append(json.dumps({"id": doc_id, "text": text, "meta": {"n": i}}, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return truth


def append_bad_lines(path: Path) -> dict[int, str]:
    """Append one line per quarantine reason; returns {line number: expected reason}."""
    existing = path.read_bytes().count(b"\n")
    bad = [
        (b'{"id": "broken", "text": "\xe3\x81\x82', "malformed_json"),
        (b'{"id": "bytes", "text": "\xff\xfe\xe3\x81"}', "invalid_utf8"),
        (b'{"id": "notext", "meta": {}}', "missing_text"),
        (b'{"id": "numtext", "text": 42}', "text_not_string"),
        (b'{"id": "blank", "text": "   "}', "empty_text"),
        (b'["not", "an", "object"]', "not_an_object"),
    ]
    with open(path, "ab") as handle:
        for raw, _ in bad:
            handle.write(raw + b"\n")
    return {existing + i + 1: reason for i, (_, reason) in enumerate(bad)}


DETERMINISTIC = ("stats.json", "quarantine.jsonl", "rejected.jsonl", "summary.md")


def outputs(out: Path) -> dict[str, bytes]:
    """Every output file that must be byte-identical between equivalent runs (the HTML report and
    manifest carry a timestamp)."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted((out / "data").iterdir())}
    files.update({name: (out / name).read_bytes() for name in DETERMINISTIC})
    return files
