"""Curation steps one by one: what each keeps, changes and drops, and why."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from deshi.data.config import (
    ContentConfig,
    DedupConfig,
    LanguageConfig,
    NormaliseConfig,
    PIIConfig,
    QualityConfig,
)
from deshi.data.content import ContentFilter
from deshi.data.dedup import EXACT, KEEP, NEAR, ShardArrays, Signer, cluster
from deshi.data.document import Document
from deshi.data.language import JapaneseFilter
from deshi.data.normalise import Normalise
from deshi.data.quality import QualityFilter, char_repetition_exceeds, char_repetition_ratio
from deshi.data.steps import run_steps
from test_curate_support import LEGIT_TRICKY, TOXIC, _doc_text, near_copy

REPORT = "作業報告。第3号機のポンプを点検し、インペラの摩耗を確認したため交換した。運転を再開し異常がないことを確認した。"


def doc(text: str, i: int = 0) -> Document:
    return Document(f"t{i}", text)


def test_normalise_nfkc_controls_html_and_whitespace() -> None:
    step = Normalise(NormaliseConfig())
    raw = "<div><p>ＡＢＣ１２３　ｶﾀｶﾅ</p><script>alert(1)</script>\x07点検&amp;交換&nbsp;済み\u200b</div>\n\n\n\n次   の行  "
    out = list(step.run([doc(raw)]))[0]
    assert out.text == "ABC123 カタカナ\n点検&交換 済み\n\n次 の行"
    assert step.stats.changed == 1 and step.stats.dropped == 0
    # Markup that is only markup leaves nothing: dropped with a reason, not passed on empty.
    empty = list(step.run([doc("<br><br/>\x00", 1)]))[0]
    assert empty.rejected and empty.reason == "empty_after_normalise"


def test_nfkc_fast_path_equals_unicodedata_nfkc() -> None:
    """The normaliser maps compatibility characters one by one before (maybe) running the full NFKC;
    the text must come out exactly as ``unicodedata.normalize("NFKC", …)`` writes it, also for
    combining sequences, half-width voiced marks, many distinct characters and non-BMP letters."""
    import unicodedata

    from deshi.data.normalise import _FOLD, nfkc

    rng = random.Random(5)
    pool = [*_FOLD, "\u0308", "\u0327", "\u3099", "\u309a", "か", "ｶ", "ﾞ", "C", "a", " ", "𝐀", "𝟙", "ㄱ", "e\u0301", "漢"]
    texts = ["℃\u0327", "ｶﾞｷﾞ", "か\u3099", "㈱テスト①②", "ＡＢＣ℃ｱｲｳ¼½¾", "".join(list(_FOLD)[:300])]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    for text in texts:
        assert nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


def test_language_keeps_japanese_by_script_share() -> None:
    step = JapaneseFilter(LanguageConfig())
    docs = [doc(REPORT, 0), doc("This pump report is written in English, with one word 点検.", 1),
            doc("我们今天检查了三号机的水泵并更换了叶轮。", 2), doc("ＰＣ-９８０１の点検マニュアル（第２版）を改訂した。", 3)]
    out = list(step.run(docs))
    assert [d.reason for d in out] == [None, "not_japanese", "no_kana", None]
    assert step.stats.to_dict()["reasons"] == {"no_kana": 1, "not_japanese": 1}


QUALITY_CASES = [
    ("点検済み。", "too_short"),
    ("★★★■■■◆◆◆●●●▲▲▲" * 3 + REPORT, "symbol_ratio"),
    ("\n".join(["本日は晴天なり。設備は正常です。"] * 6 + [REPORT]), "line_repetition"),
    ("安全第一安全第一" * 30 + REPORT, "char_repetition"),
    ("期間限定！激安セール開催中、送料無料。今だけクーポンプレゼント、会員登録で10倍。" + REPORT, "advertising"),
    ("æœ¬æ›¸ã�¯ç¬¬ä¸€å·¥å ´ " + REPORT, "mojibake"),
    ("縺薙ｓ縺ｫ縺｡縺ｯ縲∫せ讀懊ｒ螳滓命縺励∪縺励◆ " + REPORT, "mojibake"),
    (REPORT + "温度は25°C、寸法は10×20mm、公差±0.5。", None),
]


@pytest.mark.parametrize(("text", "reason"), QUALITY_CASES)
def test_quality_rules(text: str, reason: str | None) -> None:
    step = QualityFilter(QualityConfig())
    d = Normalise(NormaliseConfig()).apply(doc(text))
    assert step.apply(d).reason == reason


OFF = {"symbol_ratio": {"max_symbol_ratio": 1.0}, "line_repetition": {"max_duplicate_line_ratio": 1.0},
       "char_repetition": {"max_char_repetition": 1.0}, "advertising": {"max_ad_keywords": None},
       "mojibake": {"max_mojibake_ratio": 1.0}}


@pytest.mark.parametrize(("text", "reason"), [case for case in QUALITY_CASES if case[1] in OFF])
def test_a_quality_rule_turned_off_keeps_what_it_would_drop(text: str, reason: str) -> None:
    """A share limit of 1.0 (or no ad-keyword limit) turns that one rule off; the other rules still drop."""
    steps = [Normalise(NormaliseConfig()), JapaneseFilter(LanguageConfig()),
             QualityFilter(QualityConfig(**OFF[reason])), ContentFilter(ContentConfig())]
    config = {k: v for off, fields in OFF.items() if off != reason for k, v in fields.items()}
    assert list(run_steps(steps, [doc(text)]))[0].reason is None
    assert QualityFilter(QualityConfig(**config)).apply(Normalise(NormaliseConfig()).apply(doc(text))).reason == reason


def test_char_repetition_decision_matches_the_ratio() -> None:
    """The quality step decides with a bound first; it must drop exactly the texts the ratio drops."""
    rng = random.Random(3)
    texts = [REPORT * 3, "ああああ" * 50, "abc", "", "abcde", "同じ行。\n" * 12, "お得なセール開催中！" * 9]
    texts += [_doc_text(rng) for _ in range(40)]
    texts += ["".join(rng.choice("あいうえおかきくけこ") for _ in range(rng.randrange(5, 300))) for _ in range(40)]
    for text in texts:
        ratio = char_repetition_ratio(text, 5)
        for limit in (0.0, 0.05, 0.2, 0.33, 0.5, 0.9, ratio, max(0.0, ratio - 1e-9)):
            assert char_repetition_exceeds(text, 5, limit) == (ratio > limit), (text[:40], limit, ratio)


def test_char_repetition_ratio_equals_hojichar() -> None:
    hojichar = pytest.importorskip("hojichar.filters.document_filters")
    rng = random.Random(1)
    for text in [REPORT * 3, "ああああ" * 50, _doc_text(rng), "abc", ""]:
        expected = hojichar.CharRepetitionRatioFilter.compute_character_repetition_ratio(text, 5)
        assert char_repetition_ratio(text, 5) == pytest.approx(expected)


def test_char_table_counts_equal_the_regex_definitions() -> None:
    """The per-character table behind the language and quality ratios gives exactly the counts of
    the regex classes that define them, for every code point (in chunks) and beyond the table."""
    from deshi.data import chars

    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chunks = ["".join(points[i : i + 251]) for i in range(0, chars.TABLE_SIZE + 2000, 251)]
    chunks += ["点検\U00030000かな", "ｶﾀｶﾅ\ufffd縺繧★★"]
    for chunk in chunks:
        assert chars.char_counts(chunk) == chars._counts_by_regex(chunk), repr(chunk[:3])
    # Past the table a code point is one letter of another script (no double counting).
    assert chars.char_counts("か\U00030000。") == (1, 0, 1, 0, 0)


def test_sorted_counts_and_signatures_ignore_repeats() -> None:
    """Counting n-grams without np.unique gives np.unique's answer; MinHash of all n-grams (with
    repeats) equals MinHash of the distinct ones, so signatures need no per-document unique."""
    from deshi.data.dedup import shingle_hashes
    from deshi.data.quality import ngram_hashes, sorted_counts

    rng = random.Random(3)
    texts = [REPORT * 3, "ああああ" * 50, _doc_text(rng), _doc_text(rng) * 2, "短い"]
    for text in texts:
        hashes = ngram_hashes(text.ljust(5, "\0"), 5)
        values, counts = sorted_counts(hashes)
        expected_values, expected_counts = np.unique(hashes, return_counts=True)
        assert np.array_equal(values, expected_values) and np.array_equal(counts, expected_counts)
        assert np.array_equal(shingle_hashes(text, 5), expected_values)
    signer = Signer(DedupConfig())
    rows = signer._minhash.digest_matrix_from_flat_token_hashes
    distinct = [shingle_hashes(t, 5) for t in texts]
    offsets = np.cumsum([0] + [d.size for d in distinct]).astype(np.uint64)
    by_distinct = np.asarray(rows(np.concatenate(distinct), offsets, num_perm=128, seed=42).to_rows(), dtype=np.uint32)
    assert np.array_equal(signer.signatures(texts), by_distinct)


def test_batch_shingle_hashes_equal_per_text_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures hash the n-grams of a whole batch of texts at once (joined, crossing n-grams dropped,
    in pieces of at most BATCH_CHARS characters); each text must get exactly its own n-gram hashes,
    also for empty and shorter-than-n texts and pieces that end anywhere."""
    from deshi.data import dedup

    rng = random.Random(4)
    for limit in (1 << 20, 1, 7, 64):
        monkeypatch.setattr(dedup, "BATCH_CHARS", limit)
        for _ in range(60):
            texts = ["".join(rng.choice("あいabc漢 \n") for _ in range(rng.choice([0, 1, 4, 5, 6, 40])))
                     for _ in range(rng.randrange(1, 9))]
            hashes, offsets = dedup.batch_shingle_hashes(texts, 5)
            expected = [dedup.shingle_hashes(t, 5, distinct=False) for t in texts]
            assert np.array_equal(hashes, np.concatenate(expected))
            assert offsets.tolist() == np.cumsum([0] + [e.size for e in expected]).tolist()


def test_keyword_scanner_finds_every_occurrence_at_string_offsets() -> None:
    """The word lists' first pass reports every (overlapping) occurrence of every key, at Python string
    offsets also past the BMP, in document order: compared with a brute-force search."""
    from deshi.data.keywords import KeywordScanner

    keys = ["殺す", "死", "アダルト動画", "AV女優", "shit", "Shit", "893", "\U00030000字", "エロ", "ロ", "A-8", "A-893"]
    scanner = KeywordScanner((k, i) for i, k in enumerate(keys))
    rng = random.Random(5)
    filler = "点検の結果、異常なし。SHIFT班のshitaji作業で性能を確認する。品番 A-8930 と字と殺と\U0001F600ロ"
    for _ in range(300):
        text = "".join(rng.choice(filler) for _ in range(rng.randint(0, 60)))
        cut = rng.randint(0, len(text))
        text = text[:cut] + rng.choice(keys) + text[cut:]
        expected = sorted(((s, s + len(k), i) for i, k in enumerate(keys) for s in range(len(text)) if text.startswith(k, s)),
                          key=lambda hit: (hit[1], hit[0]))
        assert scanner.find(text) == expected
        assert scanner.distinct(text) == {keys[i] for _, _, i in expected}
    assert scanner.find("ポンプのインペラを交換した。サイクル試験は良好。") == []
    assert KeywordScanner([]).find("死") == [] and KeywordScanner([("死", 1)]).find("") == []
    assert KeywordScanner([("死", 1), ("死", 2)]).find("死") == [(0, 1, 2)]  # a repeated key keeps its last value


def test_content_filter_matches_whole_morphemes_only() -> None:
    """The labelled set: tricky legitimate text is kept, text with listed words is dropped."""
    step = ContentFilter(ContentConfig())
    legit = [doc(REPORT + s, i) for i, s in enumerate(LEGIT_TRICKY)]
    legit += [doc("サイクル試験でイクラ状の付着物を確認。キャストの不具合。", 50), doc("Check the assassin bug class and analysis.", 51)]
    toxic = [doc(REPORT + s, 100 + i) for i, s in enumerate(TOXIC)]
    toxic += [doc("Watch free PORN videos here.", 120), doc("あいつを殺す。", 121)]
    out = list(step.run(legit + toxic))
    assert [d.id for d in out if d.rejected] == [d.id for d in toxic]
    assert {d.reason for d in toxic} == {"violence", "adult", "discrimination"}
    stats = step.stats.to_dict()
    assert stats["dropped"] == len(toxic) and stats["kept"] == len(legit)
    # Substring matching (HojiChar's NgWordsFilterJa way) would have dropped legitimate documents:
    listed = ["イク", "不具", "893", "反社"]
    assert sum(any(w in d.text for w in listed) for d in legit) >= 4


def test_content_filter_custom_and_allowed_words(tmp_path) -> None:
    words = tmp_path / "ng.txt"
    words.write_text("# our own list\n社外秘\n", encoding="utf-8")
    step = ContentFilter(ContentConfig(words_file=str(words), extra_words=["極秘"], allow_words=["死ね"]))
    out = list(step.run([doc("この資料は社外秘です。", 0), doc("これは極秘です。", 1), doc("お前なんか死ね。", 2)]))
    assert [d.reason for d in out] == ["custom", "custom", None]


def test_words_file_saved_with_a_bom_and_crlf_keeps_its_first_word(tmp_path) -> None:
    """Windows Notepad writes UTF-8 with a byte-order mark; the first word must still match."""
    words = tmp_path / "ng.txt"
    words.write_bytes("\ufeff社外秘\r\n極秘\r\n".encode())
    step = ContentFilter(ContentConfig(categories=[], words_file=str(words)))
    out = list(step.run([doc("この資料は社外秘です。", 0), doc("これは極秘です。", 1)]))
    assert [d.reason for d in out] == ["custom", "custom"]


def test_a_large_word_list_keeps_its_own_automaton_and_the_same_answers(tmp_path) -> None:
    """Past SHARED_SCAN_MAX_WORDS the content words and the ad keywords are scanned apart (the merged
    automaton doubled the memory of big lists); the drops are the same either way."""
    from deshi.data import content, runner
    from deshi.data.config import CurateConfig, QualityConfig

    words = tmp_path / "big.txt"
    words.write_text("\n".join(["社外秘"] + [f"禁止語{i:05d}" for i in range(content.SHARED_SCAN_MAX_WORDS)]),
                     encoding="utf-8")
    texts = ["この資料は社外秘です。" * 3, "期間限定！激安セール開催中、送料無料。今だけクーポンプレゼント、会員登録で10倍。" * 2,
             "ポンプの点検を実施した。異常なし。" * 3]
    answers = []
    for share_limit in (10**9, 0):
        default_limit = content.SHARED_SCAN_MAX_WORDS
        content.SHARED_SCAN_MAX_WORDS = share_limit
        try:
            steps = runner.build_steps(CurateConfig(pii={"enabled": False}, content={"words_file": str(words)},
                                                    quality=QualityConfig(min_chars=5)))
        finally:
            content.SHARED_SCAN_MAX_WORDS = default_limit
        quality = next(s for s in steps if s.name == "quality")
        assert (quality.shared is not None) == (share_limit > 0)
        answers.append([d.reason for d in run_steps(steps, [doc(t, i) for i, t in enumerate(texts)])])
    assert answers[0] == answers[1] == ["custom", "advertising", None]


def test_pii_step_replaces_drops_and_counts_without_values() -> None:
    from deshi.data.pii_step import PIIStep

    step = PIIStep(PIIConfig())
    text = "担当：山田太郎（電話 03-1234-5678、メール taro.yamada@example.co.jp）まで連絡してください。"
    out = list(step.run([doc(text)]))[0]
    assert "03-1234-5678" not in out.text and "taro.yamada@example.co.jp" not in out.text
    assert "<PHONE>" in out.text or "<EMAIL>" in out.text
    counters = step.stats.to_dict()["counters"]
    assert counters.get("detected.PHONE") == 1 and counters.get("detected.EMAIL") == 1
    assert not any("5678" in k or "example" in k for k in counters)

    dropper = PIIStep(PIIConfig(actions={"EMAIL": "drop"}))
    dropped = list(dropper.run([doc(text, 1)]))[0]
    assert dropped.rejected and dropped.reason == "pii_EMAIL"
    with pytest.raises(Exception, match="unknown PII type"):
        PIIStep(PIIConfig(actions={"SHOE_SIZE": "drop"}))


def test_run_steps_counts_add_up() -> None:
    steps = [Normalise(NormaliseConfig()), JapaneseFilter(LanguageConfig()), QualityFilter(QualityConfig())]
    docs = [doc(REPORT, 0), doc("English only text for the filter to drop here.", 1), doc("短い。", 2)]
    out = list(run_steps(steps, docs))
    assert len(out) == 3 and sum(d.rejected for d in out) == 2
    for step in steps:
        s = step.stats
        assert s.seen == s.kept + s.changed + s.dropped


def _save_arrays(directory, texts: list[str], config: DedupConfig, shards: int) -> list[ShardArrays]:
    """Write phase-1 style files for ``texts`` split into ``shards`` shards."""
    import orjson

    directory.mkdir()
    signer = Signer(config)
    out = []
    for k, chunk in enumerate(np.array_split(np.arange(len(texts)), shards)):
        sig = np.stack([signer.signature(texts[i]) for i in chunk])
        hashes, bands, sigs, docs, offsets = (
            directory / f"{k}.{n}" for n in ("hash.npy", "bands.npy", "sig.npy", "docs.jsonl", "offsets.npy")
        )
        np.save(hashes, np.array([signer.exact_hash(texts[i]) for i in chunk], dtype=np.uint64).reshape(-1, 2))
        np.save(bands, signer.band_keys(sig))
        np.save(sigs, sig)
        lines = [orjson.dumps({"id": str(i), "text": texts[i]}) + b"\n" for i in chunk]
        docs.write_bytes(b"".join(lines))
        np.save(offsets, np.cumsum([0] + [len(line) for line in lines[:-1]]).astype(np.uint64))
        out.append(ShardArrays(hashes, bands, sigs, docs, offsets, len(chunk)))
    return out


def test_dedup_keeps_earliest_of_each_cluster_and_is_deterministic(tmp_path) -> None:
    rng = random.Random(3)
    originals = [_doc_text(rng) for _ in range(120)]
    texts, truth = [], []
    for i, text in enumerate(originals):
        texts.append(text)
        truth.append(KEEP)
        if i % 4 == 0:
            texts.append(near_copy(rng, text))
            truth.append(NEAR)
        if i % 10 == 0:
            texts.append(text)
            truth.append(EXACT)
    config = DedupConfig()
    kind1, keeper1 = cluster(_save_arrays(tmp_path / "a", texts, config, 1), config)
    kind3, keeper3 = cluster(_save_arrays(tmp_path / "b", texts, config, 3), config)
    assert kind1.tolist() == kind3.tolist() and keeper1.tolist() == keeper3.tolist()
    assert kind1.tolist() == truth
    dropped = np.flatnonzero(kind1 != KEEP)
    assert (keeper1[dropped] < dropped).all()  # the kept member is always the earlier one
    assert (kind1[keeper1[dropped]] == KEEP).all()


def test_dedup_in_bounded_passes_gives_the_same_clusters(tmp_path, monkeypatch) -> None:
    """Large corpora are clustered in several hash-partition passes, candidate pairs made in slices,
    to bound memory; a user must get exactly the same kept/dropped documents as in one go."""
    from deshi.data import dedup

    rng = random.Random(5)
    texts = []
    for i in range(90):
        text = _doc_text(rng)
        texts.append(text)
        if i % 3 == 0:
            texts.append(near_copy(rng, text))
        if i % 7 == 0:
            texts.append(text)
    config = DedupConfig()
    shards = _save_arrays(tmp_path / "a", texts, config, 4)
    kind1, keeper1 = cluster(shards, config)
    monkeypatch.setattr(dedup, "PASS_DOCS", 20)
    monkeypatch.setattr(dedup, "EXACT_PASS_DOCS", 20)
    monkeypatch.setattr(dedup, "ALL_KEYS_BYTES", 16 * 20 * 3)  # three bands' keys of a partition at a time
    monkeypatch.setattr(dedup, "PAIR_SLICE", 3)  # candidate pairs made a few at a time too
    assert dedup._passes(len(texts)) > 5
    work = Path(shards[0].docs).parent
    before = sorted(work.iterdir())
    kind_n, keeper_n = cluster(shards, config)  # the pair path: candidates in several buckets on disk
    assert (kind1 == EXACT).sum() == 13 and (kind1 == NEAR).sum() >= 25
    assert kind_n.tolist() == kind1.tolist() and keeper_n.tolist() == keeper1.tolist()
    # Hashes and band keys are scattered to partition files once: each unit alone (buffer smaller than a
    # unit), a few units per buffer, or all units in one buffer (several writes to each partition,
    # appended in input order), the clusters are the same, and no partition file is left behind.
    scattered: list[int] = []
    write = dedup._Scatter.write
    monkeypatch.setattr(dedup._Scatter, "write", lambda self, part_of, rows: (scattered.append(len(rows)),
                                                                               write(self, part_of, rows)))
    for scatter_bytes in (1, 3_000, 1 << 20):
        monkeypatch.setattr(dedup, "SCATTER_BYTES", scatter_bytes)
        scattered.clear()
        kind_c, keeper_c = cluster(shards, config)
        assert kind_c.tolist() == kind1.tolist() and keeper_c.tolist() == keeper1.tolist()
        assert sum(scattered) > len(texts)  # the exact hashes and the band keys went through partition files
        assert sorted(work.iterdir()) == before
    # Too many pairs to hold: the sequential path, failed verifications forgotten early.
    monkeypatch.setattr(dedup, "PARALLEL_PAIRS_MAX", 0)
    monkeypatch.setattr(dedup, "FAILED_MAX", 2)
    kind_s, keeper_s = cluster(shards, config)
    assert kind_s.tolist() == kind1.tolist() and keeper_s.tolist() == keeper1.tolist()
