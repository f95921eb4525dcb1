"""Faster paths of the curation steps give exactly the answers of the plain ones they replace."""

from __future__ import annotations

import random

import pytest

from deshi.data import steps as steps_module
from deshi.data.chars import char_counts, doc_char_counts
from deshi.data.config import ContentConfig, LanguageConfig, NormaliseConfig, QualityConfig
from deshi.data.content import ContentFilter, morpheme_boundaries, on_boundaries
from deshi.data.document import Document
from deshi.data.language import JapaneseFilter
from deshi.data.normalise import Normalise
from deshi.data.quality import QualityFilter
from deshi.data.steps import Step, run_steps
from test_curate_support import LEGIT_TRICKY, TOXIC, _doc_text

REPORT = "作業報告。第3号機のポンプを点検し、インペラの摩耗を確認したため交換した。運転を再開し異常がないことを確認した。"
# Characters MeCab treats differently: spaces it skips (ASCII, tab, newline), the ideographic space it
# keeps as a token, half-width kana, combining marks, characters beyond the BMP (4 UTF-8 bytes),
# zero-width and control characters, Latin words and digits.
ALPHABET = list("あいうえおかきくけこアイウエオカキクケコ漢字日本語不具合死点検 \t\n\r　、。!?.,-_/:#0123456789abcXYZｶﾀﾅﾞﾟ「」（）~") + [
    "\u0301", "😀", "𠮷", "\u200b", "\ufeff", "\x07", "\u3099", "\ufffd", "\u00a0", "\x0b", "é", "\x00"]


def _windows() -> list[str]:
    rng = random.Random(7)
    windows = ["", " ", "  a", "テスト\n\nです\t\tね ", "😀絵文字😀テスト", "ｶﾀｶﾅ半角", "a\x00b不具合", "\u3000全角\u3000空白"]
    windows += [s for s in LEGIT_TRICKY + TOXIC]
    for _ in range(60):
        text = _doc_text(rng)
        i = rng.randrange(len(text))
        windows.append(text[max(0, i - 20) : i + 20])
    windows += ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 30))) for _ in range(120)]
    return windows


def test_byte_offset_boundaries_equal_fugashi_nodes() -> None:
    """MeCab's printed byte offsets answer the boundary question exactly as the fugashi node list
    (whitespace skipping, 4-byte characters, combining marks, a NUL), for every span of every window."""
    for window in _windows():
        bounds = morpheme_boundaries(window)
        for start in range(len(window)):
            for end in range(start + 1, len(window) + 1):
                assert on_boundaries(window, start, end) == (start in bounds and end in bounds), (window, start, end)


def test_content_filter_repeated_windows_give_the_same_answers() -> None:
    """A window seen before (cached) is decided as the first time: same documents dropped, same reasons."""
    texts = [REPORT + s for s in LEGIT_TRICKY + TOXIC]
    first = list(ContentFilter(ContentConfig()).run([Document(str(i), t) for i, t in enumerate(texts)]))
    again = list(ContentFilter(ContentConfig()).run([Document(str(i), t) for i, t in enumerate(texts * 2)]))
    assert [(d.rejected_by, d.reason) for d in again] == [(d.rejected_by, d.reason) for d in first] * 2


class _Recorder(Step):
    """Drops documents whose id is in ``drop``; records the ids it was applied to, in order."""

    def __init__(self, name: str, drop: set[str], calls: list[tuple[str, str]]) -> None:
        super().__init__()
        self.name, self.drop, self.calls = name, drop, calls

    def apply(self, doc: Document) -> Document:
        self.calls.append((self.name, doc.id))
        if doc.id in self.drop:
            doc.reject(self.name, "listed")
        return doc


def _chain(steps: list[Step], docs: list[Document]) -> list[Document]:
    """The reference: each document through every step before the next document."""
    for doc in docs:
        for step in steps:
            if not doc.rejected:
                step.apply_counted(doc)
    return docs


def _real_steps() -> list[Step]:
    return [Normalise(NormaliseConfig()), JapaneseFilter(LanguageConfig()), QualityFilter(QualityConfig()),
            ContentFilter(ContentConfig())]


@pytest.mark.parametrize(("block_docs", "block_chars"), [(1, 1 << 21), (3, 1 << 21), (64, 300), (512, 1 << 21)])
def test_run_steps_in_blocks_equals_the_chain(monkeypatch, block_docs: int, block_chars: int) -> None:
    """Blocks of documents (by count, and cut short by characters) give the documents in input order
    with the texts, rejections and per-step counts of the document-by-document chain."""
    monkeypatch.setattr(steps_module, "BLOCK_DOCS", block_docs)
    monkeypatch.setattr(steps_module, "BLOCK_CHARS", block_chars)
    rng = random.Random(3)
    texts = [_doc_text(rng) for _ in range(25)] + ["<p>ＡＢＣ　" + REPORT + "</p>", "English only, dropped by language.",
                                                    "短い。", REPORT + TOXIC[0], "   ", REPORT * 2]
    rng.shuffle(texts)
    expected_steps = _real_steps()
    expected = _chain(expected_steps, [Document(str(i), t) for i, t in enumerate(texts)])
    got_steps = _real_steps()
    got = list(run_steps(got_steps, [Document(str(i), t) for i, t in enumerate(texts)]))
    assert [(d.id, d.text, d.rejected_by, d.reason) for d in got] == [(d.id, d.text, d.rejected_by, d.reason) for d in expected]
    assert [s.stats.to_dict() for s in got_steps] == [s.stats.to_dict() for s in expected_steps]
    assert any(d.rejected for d in got) and any(not d.rejected for d in got)


def test_run_steps_blocks_skip_rejected_documents_and_stream(monkeypatch) -> None:
    """A step never sees a document an earlier step rejected; output starts before the input ends."""
    monkeypatch.setattr(steps_module, "BLOCK_DOCS", 4)
    calls: list[tuple[str, str]] = []
    steps = [_Recorder("a", {"1", "6"}, calls), _Recorder("b", {"2"}, calls), _Recorder("c", set(), calls)]
    pulled: list[int] = []

    def source():  # noqa: ANN202
        for i in range(10):
            pulled.append(i)
            yield Document(str(i), "x")

    stream = run_steps(steps, source())
    first = next(stream)
    assert first.id == "0" and len(pulled) == 4  # one block read, not the whole input
    out = [first, *stream]
    assert [d.id for d in out] == [str(i) for i in range(10)]
    assert [(d.rejected_by or "") for d in out] == ["", "a", "b", "", "", "", "a", "", "", ""]
    assert [doc for name, doc in calls if name == "b"] == ["0", "2", "3", "4", "5", "7", "8", "9"]
    assert [doc for name, doc in calls if name == "c"] == ["0", "3", "4", "5", "7", "8", "9"]
    assert [s.stats.seen for s in steps] == [10, 8, 7] and [s.stats.dropped for s in steps] == [2, 1, 0]


def test_doc_char_counts_follow_the_documents_text() -> None:
    """Counts kept on a document are reused only while its text is the same object."""
    doc = Document("d", "かなカナ漢字")
    assert doc_char_counts(doc) == char_counts("かなカナ漢字") == (4, 2, 0, 0, 0)
    doc.text = "English words ★"
    assert doc_char_counts(doc) == char_counts("English words ★") == (0, 0, 12, 1, 0)


def _old_reasons(lines: list[bytes]) -> list[tuple[str, str] | str]:
    """Reference: decode, then parse the str (what read_shard did before parsing bytes directly)."""
    import orjson

    out: list[tuple[str, str] | str] = []
    for raw in lines:
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            out.append(("invalid_utf8", f"byte {exc.start}"))
            continue
        try:
            record = orjson.loads(text.removeprefix("\ufeff"))  # a byte-order mark is dropped (parse_line)
        except orjson.JSONDecodeError as exc:
            out.append(("malformed_json", str(exc).split(":")[0][:80]))
            continue
        out.append(repr(record))
    return out


def test_read_shard_parses_bytes_with_the_old_reasons_for_bad_lines(tmp_path) -> None:
    """Valid lines parse to the same records; invalid UTF-8 (inside and outside strings), a lone surrogate
    escape and broken JSON are quarantined with the reasons and details of decode-then-parse; a line
    starting with a byte-order mark is read (the mark dropped)."""
    from deshi.data.io import Quarantined, plan_shards, read_shard

    lines = [b'{"id": "a", "text": "\xe7\x82\xb9\xe6\xa4\x9c\xe3\x81\x97\xe3\x81\x9f"}\n', b'{"id": "b", "text": "bad \xff byte"}\n',
             b'\xff{"id": "c"}\n', b'\xef\xbb\xbf{"id": "d", "text": "bom"}\n', b'{"id": "e", "text": "\\ud800"}\n',
             b'{"id": "f", "text": "cut\n', b"\n", b'  {"id": 7, "text": "padded", "meta": {"k": 1}}  \n', b'[1, 2]\n',
             b'{"id": "g", "text": "\\u3042\\n\xe3\x81\x84"}']
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(lines))
    got: list[tuple[str, str] | str] = []
    for shard in plan_shards([path], 3):
        for item in read_shard(shard):
            if isinstance(item, Quarantined):
                got.append((item.reason, item.detail) if item.reason in ("invalid_utf8", "malformed_json") else item.reason)
            else:
                got.append(repr({"id": item.id, "text": item.text, **({"meta": item.meta} if item.meta else {})}))
    expected = _old_reasons(lines)
    assert [g if isinstance(g, tuple) else "record" if g.startswith("{") else g for g in got] == [
        e if isinstance(e, tuple) else "record" if "'text'" in e else "not_an_object" for e in expected]
    assert ("invalid_utf8", "byte 25") in got and ("invalid_utf8", "byte 0") in got and got.count("not_an_object") == 1
    assert repr({"id": "g", "text": "あ\nい"}) in got and repr({"id": "d", "text": "bom"}) in got


def test_duplicate_line_ratio_shortcut_equals_the_definition() -> None:
    from deshi.data.quality import duplicate_line_ratio

    def definition(text: str) -> float:
        lines = [line for line in text.split("\n") if line.strip()]
        return 0.0 if len(lines) < 3 else 1 - len(set(lines)) / len(lines)

    rng = random.Random(5)
    pieces = ["", " ", "\t", "a", "b", "点検", "点検 ", "　"]
    texts = ["", "\n", "a\n\nb\n\nc", "a\na\na", " \n \n \n", "a\nb\na\n\n\n"]
    texts += ["\n".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9))) for _ in range(3000)]
    for text in texts:
        assert duplicate_line_ratio(text) == definition(text), repr(text)


def test_ngram_hashes_and_tables_equal_their_definitions() -> None:
    import numpy as np

    from deshi.data.chars import _all_code_points
    from deshi.data.normalise import _WIDE
    from deshi.data.quality import _MULT, ngram_hashes

    for text in ["", "ab", "点検しました。😀𠮷", REPORT * 3]:
        for n in (1, 2, 5):
            cp = [ord(c) for c in text]
            expected = []
            for i in range(len(cp) - n + 1):
                h = cp[i]
                for k in range(1, n):
                    h = (h * int(_MULT)) % 2**64 ^ cp[i + k]
                expected.append(h)
            assert ngram_hashes(text, n).tolist() == expected and ngram_hashes(text, n).dtype == np.uint64
    assert _all_code_points(0xE000) == "".join(map(chr, range(0xE000)))
    assert _WIDE == "".join(chr(c - 0xFEE0) if 0xFF01 <= c <= 0xFF5E else " " if c == 0x3000 else chr(c) for c in range(0x10000))


def test_shared_scan_gives_each_set_its_own_hits() -> None:
    """One automaton over two keyword sets answers each set exactly as its own scanner: overlapping
    words, words ending together, a word in both sets, a word given twice, ASCII variants."""
    from deshi.data.keywords import KeywordScanner, SharedScan

    ads = [("送料", "送料"), ("送料無料", "送料無料"), ("無料", "無料"), ("①", "①"), ("エロ", "エロ")]
    words = [("エロ", ("adult", False)), ("エロ動画", ("adult", False)), ("動画", ("x", False)), ("死", ("v", False)),
             ("死ね", ("v", False)), ("SM", ("adult", True)), ("sm", ("adult", True)), ("死", ("w", False))]
    shared = SharedScan({"ads": ads, "content": words})
    rng = random.Random(11)
    pieces = ["送料無料", "無料", "エロ動画", "動画", "死ね", "死", "①", "SM", "sm", "smart", "点検", "。", " "]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12))) for _ in range(400)]
    for text in texts:
        doc = Document("d", text)
        assert shared.hits(doc, "content") == KeywordScanner(words).find(text), text
        assert shared.hits(doc, "ads") == KeywordScanner(ads).find(text), text
        doc.text = text + "死"  # a changed text is scanned again, not answered from the kept hits
        assert shared.hits(doc, "content") == KeywordScanner(words).find(text + "死")


def test_quality_and_content_with_a_shared_scan_decide_as_alone() -> None:
    from deshi.data.content import share_keyword_scan

    rng = random.Random(2)
    ad = "送料無料。お問い合わせください。営業時間は9時から。求人情報はこちら。よくある質問。"
    texts = [REPORT + s for s in LEGIT_TRICKY + TOXIC] + [REPORT + ad, ad + TOXIC[2], REPORT] + [_doc_text(rng) for _ in range(20)]
    alone = [QualityFilter(QualityConfig()), ContentFilter(ContentConfig())]
    shared = [QualityFilter(QualityConfig()), ContentFilter(ContentConfig())]
    share_keyword_scan(shared[0], shared[1])  # type: ignore[arg-type]
    a = list(run_steps(alone, [Document(str(i), t) for i, t in enumerate(texts)]))
    b = list(run_steps(shared, [Document(str(i), t) for i, t in enumerate(texts)]))
    assert [(d.rejected_by, d.reason) for d in a] == [(d.rejected_by, d.reason) for d in b]
    assert {d.reason for d in a} >= {"advertising", "adult", "violence", None}
    assert [s.stats.to_dict() for s in alone] == [s.stats.to_dict() for s in shared]
