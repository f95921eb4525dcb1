"""Noise a curation stage must clean or drop: HTML, ads, mojibake, short, toxic texts,
plus width/control-character variation inside otherwise clean documents.

Transforms work on the block structure and only rewrite plain strings, so the PII labels
of an HTML-wrapped or width-varied document stay exact. Mojibake is the exception: a
garbled block is replaced by one plain string, and its labels disappear with it (the
name is no longer in the text, so it must not be labelled either).
"""

from __future__ import annotations

import unicodedata
from random import Random

from .doc import PII, Block, Ctx, Piece, Sentence, fill, map_text, render
from .templates.common import choice

# ------------------------------------------------------------------ HTML boilerplate

HTML_HEAD = (
    '<div class="nav">ホーム | 会社概要 | 製品情報 | サポート | お問い合わせ</div>',
    '<header><h1>{company}</h1><p class="tagline">ものづくりの未来を支える</p></header>',
    '<ul class="menu"><li><a href="/">トップ</a></li><li><a href="/news/">ニュース</a></li><li><a href="/support/">サポート</a></li></ul>',
    '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{company} | 技術情報</title></head><body>',
    '<div id="breadcrumb">ホーム&nbsp;&gt;&nbsp;サポート&nbsp;&gt;&nbsp;技術資料</div>',
    'メニュー&nbsp;&nbsp;ログイン&nbsp;|&nbsp;新規登録&nbsp;|&nbsp;カート(0)',
)
HTML_TAIL = (
    "<footer>Copyright &copy; 2024 {company} All Rights Reserved.</footer>",
    '<div class="share">この記事をシェアする&nbsp;|&nbsp;Twitter&nbsp;|&nbsp;Facebook&nbsp;|&nbsp;LINE</div>',
    "<script>var _gaq = _gaq || []; _gaq.push(['_trackPageview']);</script>",
    '<div class="cookie">当サイトではCookieを使用しています。&nbsp;<button>同意する</button></div>',
    '<p class="pagetop"><a href="#top">ページの先頭へ戻る</a></p>',
    "</body></html>",
    '<div class="related">関連記事：<a href="/faq/1">よくある質問</a>&nbsp;<a href="/faq/2">保守契約について</a></div>',
)


def wrap_html(blocks: list[Block], ctx: Ctx) -> list[Block]:
    """Wrap a document in navigation/footer boilerplate and tag its paragraphs.

    Spaces inside plain text sometimes become ``&nbsp;`` and 、 sometimes ``&#12289;``:
    entity decoding is part of what the cleaner must do.
    """
    r = ctx.rng
    amp = r.random() < 0.5

    def entity(s: str) -> str:
        if amp:
            s = s.replace(" ", "&nbsp;").replace("&nbsp;&nbsp;", "&nbsp; ")
        return s

    body = map_text(blocks, entity)
    tagged: list[Block] = []
    for b in body:
        if not b.sentences:
            continue
        if b.sep == "\n":
            sents = [s + ["<br>"] for s in b.sentences]
            tagged.append(Block([["<div>"], *sents, ["</div>"]], "\n"))
        else:
            first, *rest = b.sentences
            sents = [["<p>", *first], *rest]
            sents[-1] = [*sents[-1], "</p>"]
            tagged.append(Block(sents, b.sep))
    head = [Block([fill(t, ctx)], "\n") for t in r.sample(HTML_HEAD, r.randrange(1, 3))]
    tail = [Block([fill(t, ctx)], "\n") for t in r.sample(HTML_TAIL, r.randrange(1, 4))]
    return head + tagged + tail


# ------------------------------------------------------------------ advertising

AD_LINES = (
    "【期間限定】今すぐクリック！", "激安！", "送料無料！", "在庫一掃セール開催中！！", "最大80%OFF", "先着100名様限定",
    "★☆★今だけ★☆★", "ポイント10倍キャンペーン実施中", "今なら初回限定500円！", "↓↓詳しくはこちら↓↓",
    "楽して稼げる副業、月収100万円も夢じゃない！", "※効果には個人差があります", "会員登録で1,000円クーポンプレゼント",
    "売り切れ御免！お早めに！", "人気ランキング第1位獲得", "工具・作業用品が驚きの価格", "業界最安値に挑戦中",
    "ご注文はこちら→ http://shop.example.jp/sale?id={ext}", "お得な情報をメルマガでお届け",
)
AD_PHONE = ("お電話でのご注文はフリーダイヤル{tollfree}まで", "ご相談無料！{tollfree}（24時間受付）")


def advert(ctx: Ctx) -> list[Block]:
    """Spammy advertising copy, sometimes with a labelled toll-free number."""
    r = ctx.rng
    lines = [fill(t, ctx) for t in r.sample(AD_LINES, r.randrange(4, 10))]
    if r.random() < 0.5:
        lines.insert(r.randrange(len(lines) + 1), fill(choice(r, AD_PHONE), ctx))
    return [Block(lines, choice(r, ("\n", " ", "")))]


# ------------------------------------------------------------------ short / toxic

SHORT_TEXTS = ("確認しました。", "了解", "TEST", "テスト投稿", "ok", "（本文なし）", "詳細は別紙参照", "—", "ああああ", "123",
               "済", "後ほど連絡します", "NG", "下書き", "添付のとおり", "。。。", "よろしくお願いします")

# Placeholder-style hostile content, present so that a content filter can be shown to
# drop it. Slurs are represented by placeholders (〇〇) rather than spelled out.
TOXIC_LINES = (
    "お前なんか死ね。二度と来るな。", "殺すぞ、覚えておけ。", "あいつを殺す方法を教えろ。", "死ね死ね死ね",
    "アダルト動画見放題！無料エロ画像はこちら", "出会い系 アダルト 無修正 エロ動画 今すぐ登録",
    "障害者は社会の迷惑だから出ていけ。", "〇〇人は全員犯罪者だ、国に帰れ。", "〇〇（差別用語）どもは消えろ。",
    "女は黙って従っていればいい。", "エロ写真を送ってくれたら金を払う。", "この住所に火をつけてやる。",
)


def short_text(ctx: Ctx) -> list[Block]:
    return [Block([[choice(ctx.rng, SHORT_TEXTS)]])]


def toxic(ctx: Ctx) -> list[Block]:
    r = ctx.rng
    lines = [[t] for t in r.sample(TOXIC_LINES, r.randrange(2, 5))]
    return [Block(lines, choice(r, ("\n", "")))]


# ------------------------------------------------------------------ mojibake


def _garble(text: str, rng: Random) -> str:
    """Classic encoding accidents, the ones seen in scraped Japanese text."""
    form = rng.randrange(5)
    if form == 0:  # UTF-8 bytes read as Shift_JIS: 縺薙ｓ縺ｫ縺｡縺ｯ
        return text.encode("utf-8").decode("cp932", errors="replace")
    if form == 1:  # UTF-8 read as Latin-1: ã\x81\x93ã\x82\x93
        return text.encode("utf-8").decode("latin-1")
    if form == 2:  # UTF-8 read as Windows-1252: ã“ã‚“
        return text.encode("utf-8").decode("cp1252", errors="replace")
    if form == 3:  # Shift_JIS read as UTF-8: mostly U+FFFD
        return text.encode("cp932", errors="replace").decode("utf-8", errors="replace")
    chars = list(text)  # lossy transcoding: a share of characters became U+FFFD
    for i in range(len(chars)):
        if chars[i] not in "\n " and rng.random() < 0.35:
            chars[i] = "\ufffd"
    return "".join(chars)


# PII types recognisable from the value alone (format, check digits), whatever surrounds it.
SELF_EVIDENT = frozenset(("EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD", "MY_NUMBER", "CORPORATE_NUMBER"))


def mojibake(blocks: list[Block], rng: Random) -> list[Block]:
    """Garble all blocks, or (40%) only some of them.

    A garbled block keeps the label of every self-evident PII value that survived the accident
    verbatim (ASCII e-mails, phone digits and IPs read as Latin-1 stay readable): that is still
    personal data, and an unlabelled one would count as a recogniser's false positive in ``pii-eval``.
    Names, postal codes and addresses are not relabelled: without the context the accident destroyed
    (〒, 住所, an honorific) a bare 7-digit number or a surname is not identifiable as personal data.
    """
    if len(blocks) > 1 and rng.random() < 0.4:
        idx = set(rng.sample(range(len(blocks)), max(1, len(blocks) // 2)))
    else:
        idx = set(range(len(blocks)))
    out: list[Block] = []
    for i, b in enumerate(blocks):
        if i in idx:
            text, spans = render([b])
            survivors = {s.piece for s in spans if s.piece.category == PII and s.piece.label in SELF_EVIDENT}
            out.append(Block([_relabel(_garble(text, rng), survivors)]))
        else:
            out.append(b)
    return out


def _relabel(text: str, pieces: set[Piece]) -> Sentence:
    """``text`` as segments, each verbatim occurrence of a piece's value labelled (longest values first)."""
    segments: Sentence = [text]
    for piece in sorted(pieces, key=lambda p: (-len(p.text), p.text, p.label)):
        split: Sentence = []
        for seg in segments:
            if isinstance(seg, Piece) or piece.text not in seg:
                split.append(seg)
                continue
            parts = seg.split(piece.text)
            for j, part in enumerate(parts):
                if j:
                    split.append(piece)
                if part:
                    split.append(part)
        segments = split
    return segments


# ------------------------------------------------------------------ width / control chars


def _build_halfwidth_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in range(0xFF61, 0xFFA0):
        half = chr(cp)
        full = unicodedata.normalize("NFKC", half)
        if len(full) == 1 and "\u30a0" <= full <= "\u30ff":
            table.setdefault(full, half)
    for cp in range(0xFF66, 0xFF9E):
        base = chr(cp)
        for mark in ("\uff9e", "\uff9f"):
            full = unicodedata.normalize("NFKC", base + mark)
            if len(full) == 1:
                table.setdefault(full, base + mark)
    return table


_HALF_KANA = str.maketrans(_build_halfwidth_table())
_FULL_ASCII = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
CONTROL_CHARS = ("\x0b", "\x0c", "\x07", "\x1b", "\u200b", "\ufeff", "\x00", "\u200e", "\x7f")


def vary_width(blocks: list[Block], rng: Random) -> list[Block]:
    """Half-width katakana (ｶﾀｶﾅ) and full-width ASCII (ＡＢＣ１２３) in some sentences."""
    out = []
    for b in blocks:
        sents: list[Sentence] = []
        for s in b.sentences:
            if rng.random() < 0.3:
                table = _HALF_KANA if rng.random() < 0.6 else _FULL_ASCII
                s = [seg.translate(table) if isinstance(seg, str) else seg for seg in s]
            sents.append(s)
        out.append(Block(sents, b.sep))
    return out


def insert_control_chars(blocks: list[Block], rng: Random) -> list[Block]:
    """Sprinkle 1-3 control / zero-width characters into plain text."""
    out = [Block([list(s) for s in b.sentences], b.sep) for b in blocks]
    slots = [(bi, si, gi) for bi, b in enumerate(out) for si, s in enumerate(b.sentences)
             for gi, seg in enumerate(s) if isinstance(seg, str) and len(seg) > 1]
    if not slots:
        return out
    for _ in range(rng.randrange(1, 4)):
        bi, si, gi = slots[rng.randrange(len(slots))]
        seg = out[bi].sentences[si][gi]
        assert not isinstance(seg, Piece)
        pos = rng.randrange(len(seg) + 1)
        out[bi].sentences[si][gi] = seg[:pos] + choice(rng, CONTROL_CHARS) + seg[pos:]
    return out
