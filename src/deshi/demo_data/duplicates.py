"""Near-duplicate editing and the similarity measure used to keep edits "near".

Near-duplicates in real corpora are re-posts with small edits: a typo fixed, a date
changed, a line added, whitespace reflowed. Edits operate on the block structure (never
inside a labelled piece, except replacing a DATE decoy by another date), so the copy gets
exact labels of its own. Each candidate is checked against the original with character
5-gram Jaccard similarity and retried if it drifted below the target.
"""

from __future__ import annotations

from random import Random

from . import decoys
from .doc import Block, Piece, copy_blocks, render

SHINGLE = 5
TARGET_JACCARD = 0.85

# Characters that an edit may change, and what they may become: typos and style changes
# seen in re-posted Japanese text (never ASCII, so model numbers and codes survive).
_SWAPS = {
    "。": "．", "、": "，", "を": "お", "は": "わ", "が": "か", "で": "て", "し": "じ", "た": "だ", "る": "ろ",
    "い": "ぃ", "つ": "っ", "よ": "ょ", "や": "ゃ", "ー": "－", "：": ":", "（": "(", "）": ")", "です": "でした",
}
_ADDED = (
    "以上、ご報告いたします。", "※本記録は保全システムより自動出力。", "確認済み。", "（追記）関係者へ共有済み。",
    "ご確認のほどよろしくお願いいたします。", "※転載禁止", "（再掲）", "訂正版です。",
)


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """Character k-grams (the whole text if shorter than k)."""
    if len(text) <= k:
        return {text}
    return {text[i : i + k] for i in range(len(text) - k + 1)}


def jaccard(a: str, b: str, k: int = SHINGLE) -> float:
    sa, sb = shingles(a, k), shingles(b, k)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _plain_positions(blocks: list[Block]) -> list[tuple[int, int, int]]:
    return [(bi, si, gi) for bi, b in enumerate(blocks) for si, s in enumerate(b.sentences)
            for gi, seg in enumerate(s) if isinstance(seg, str) and seg]


def _edit_chars(blocks: list[Block], rng: Random) -> None:
    pos = _plain_positions(blocks)
    for _ in range(rng.randrange(1, 4)):
        if not pos:
            return
        bi, si, gi = pos[rng.randrange(len(pos))]
        seg: str = blocks[bi].sentences[si][gi]  # type: ignore[assignment]
        if not seg:  # emptied by an earlier edit in this loop
            continue
        hits = [k for k in _SWAPS if k in seg]
        if hits:
            k = hits[rng.randrange(len(hits))]
            at = seg.find(k)
            seg = seg[:at] + _SWAPS[k] + seg[at + len(k) :]
        else:
            i = rng.randrange(len(seg))
            seg = seg[:i] + seg[i + 1 :] if not seg[i].isascii() else seg + "。"
        blocks[bi].sentences[si][gi] = seg


def _edit_whitespace(blocks: list[Block], rng: Random) -> str:
    """Returns the block separator to use (reflowing paragraphs is a whitespace edit too)."""
    form = rng.randrange(3)
    if form == 0:
        return "\n"
    if form == 1:
        return "\n\n\n"
    b = blocks[rng.randrange(len(blocks))]
    if b.sentences:
        s = b.sentences[rng.randrange(len(b.sentences))]
        s.insert(0, rng.choice(("\u3000", " ", "  ")))
        s.append(rng.choice((" ", "\u3000", "\t")))
    return "\n\n"


def _add_sentence(blocks: list[Block], rng: Random) -> None:
    b = blocks[rng.randrange(len(blocks))]
    b.sentences.append([_ADDED[rng.randrange(len(_ADDED))]])


def _remove_sentence(blocks: list[Block], rng: Random) -> None:
    cands = [b for b in blocks if len(b.sentences) >= 3]
    if cands:
        b = cands[rng.randrange(len(cands))]
        del b.sentences[rng.randrange(1, len(b.sentences))]


def _change_date(blocks: list[Block], rng: Random) -> bool:
    hits = [(b, s, gi) for b in blocks for s in b.sentences for gi, seg in enumerate(s)
            if isinstance(seg, Piece) and seg.label == "DATE"]
    if not hits:
        return False
    _, s, gi = hits[rng.randrange(len(hits))]
    s[gi] = decoys.date(rng)
    return True


def near_duplicate(blocks: list[Block], block_sep: str, rng: Random) -> tuple[list[Block], str, float]:
    """Return (edited blocks, block separator, Jaccard to the original).

    Tries up to four random edit combinations; if none stays at or above the target (short
    documents are fragile), falls back to a single character edit, which always differs.
    """
    original, _ = render(blocks, block_sep)
    for _ in range(4):
        cand = copy_blocks(blocks)
        sep = block_sep
        ops = rng.sample(("chars", "space", "add", "remove", "date"), rng.randrange(1, 4))
        for op in ops:
            if op == "chars":
                _edit_chars(cand, rng)
            elif op == "space":
                sep = _edit_whitespace(cand, rng)
            elif op == "add":
                _add_sentence(cand, rng)
            elif op == "remove":
                _remove_sentence(cand, rng)
            else:
                _change_date(cand, rng)
        text, _ = render(cand, sep)
        if text != original:
            sim = jaccard(original, text)
            if sim >= TARGET_JACCARD:
                return cand, sep, sim
    cand = copy_blocks(blocks)
    cand[-1].sentences.append(["（再送）"])
    text, _ = render(cand, block_sep)
    return cand, block_sep, jaccard(original, text)
