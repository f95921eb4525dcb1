"""`deshi curate` on files other tools write: Windows exports (BOM, CRLF, Shift_JIS), Python's json
extensions, other field names, damaged gzip, Parquet from pyarrow/pandas/Hive-style writers, mixed
directories, and path mistakes. Every input is built here, not by the demo generator.

Each test checks what a user sees: which records come out, what is quarantined with which reason
and line, that the counts reconcile (lines = records + quarantined; records = kept + rejected), and
that a mistake is one DeshiError line, not a traceback, and deletes nothing.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deshi.data.config import CurateConfig
from deshi.data.io import InputError
from deshi.data.runner import curate

ROOT = Path(__file__).resolve().parents[1]

SENTENCES = [
    "設備の定期点検を実施し、異常がないことを確認しました。", "来週の会議では新しい製品の仕様について議論します。",
    "お客様からの問い合わせに対して丁寧に回答することが大切です。", "工場の生産ラインで不具合が見つかり、対策を検討している。",
    "今年の売上は前年に比べて大きく伸びた。", "新入社員の研修は四月から始まる予定です。", "部品の在庫が不足しているため、追加で発注した。",
    "品質管理の手順書を改訂して、全員に周知しました。", "台風の影響で物流が遅れる可能性があります。", "安全衛生委員会の議事録を共有します。",
    "システムの更新作業は夜間に行われる。", "顧客満足度の調査結果がまとまりました。", "海外拠点との連携を強化する方針です。",
    "エネルギー使用量を削減するための取り組みを始めた。", "検査装置の校正記録を保管してください。", "次の四半期の目標を設定しました。",
    "作業手順を見直して、時間を短縮できた。", "報告書の提出期限は月末です。", "倉庫の整理整頓を徹底しましょう。",
    "新しい機械の導入について説明会を開きます。", "保守契約の更新手続きを進めています。", "温度と湿度の記録を毎日確認すること。",
    "取引先との打ち合わせは午後三時からです。", "社内報の原稿を金曜日までに提出してください。", "駐車場の利用規則が変更になりました。",
    "防災訓練を来月の第二水曜日に実施します。", "経費精算の締め切りが近づいています。", "試作品の評価結果を共有いたします。",
    "梱包材の仕様を見直し、廃棄物を減らした。", "出張報告には訪問先と目的を記載すること。",
]


def _pool(size: int = 400) -> list[str]:
    """Distinct documents: 6 of the 30 sentences each, no two sharing more than 3 (character 5-gram
    Jaccard well below the 0.8 near-duplicate threshold), so every one of them passes every step."""
    import random

    rng = random.Random(0)
    chosen: list[frozenset[int]] = []
    while len(chosen) < size:
        pick = frozenset(rng.sample(range(len(SENTENCES)), 6))
        if all(len(pick & other) <= 3 for other in chosen):
            chosen.append(pick)
    return ["".join(SENTENCES[k] for k in sorted(pick, key=lambda k: (k * 7) % 30)) for pick in chosen]


POOL = _pool()
_taken = [0]


def texts(n: int, seed: int = 0) -> list[str]:
    """The next n documents of the pool (never the same one twice in a test session; ``seed`` only
    labels the call site)."""
    start = _taken[0]
    _taken[0] += n
    return POOL[start: start + n]


def jsonl(records: list[dict], newline: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + newline for r in records)


def run(path: Path, out: Path, **config) -> tuple[dict, list[dict], list[dict]]:
    """curate() with small shards (several shards per file), returning stats, kept records, quarantine."""
    config.setdefault("shard_size", 7)
    result = curate(path, out, CurateConfig(**config))
    kept = [json.loads(line) for part in sorted((out / "data").iterdir()) for line in part.read_bytes().splitlines()]
    quarantine = [json.loads(line) for line in (out / "quarantine.jsonl").read_text().splitlines()]
    stats = result.stats
    rejected = (out / "rejected.jsonl").read_text().splitlines()
    assert stats["input"]["quarantined"] == len(quarantine)
    assert stats["input"]["records"] == stats["output"]["documents"] + len(rejected) == len(kept) + len(rejected)
    return stats, kept, quarantine


def test_windows_style_jsonl_bom_crlf_blank_lines_and_no_final_newline(tmp_path) -> None:
    """A BOM (at the start, and mid-file where two such files were concatenated), CRLF line ends, blank
    lines and an unterminated last line lose no record (before: each BOM line was malformed_json)."""
    first, second = texts(8, 1), texts(8, 2)
    body = (b"\xef\xbb\xbf" + jsonl([{"id": f"a{i}", "text": t} for i, t in enumerate(first)], b"\r\n") + b"\r\n  \r\n"
            + b"\xef\xbb\xbf" + jsonl([{"id": f"b{i}", "text": t} for i, t in enumerate(second)], b"\r\n"))
    path = tmp_path / "export.jsonl"
    path.write_bytes(body[:-2])  # no line end after the last record
    stats, kept, quarantine = run(path, tmp_path / "out")
    assert quarantine == []
    assert [r["id"] for r in kept] == [f"a{i}" for i in range(8)] + [f"b{i}" for i in range(8)]
    assert kept[-1]["text"] == second[-1]


def test_python_json_dumps_extensions_are_read_and_unwritable_values_quarantined(tmp_path) -> None:
    """NaN (Python's json.dumps writes it) and a raw tab inside a string are read; a lone surrogate
    escape cannot be written as UTF-8 and is quarantined with its line (before: all three quarantined)."""
    t = texts(3, 3)
    path = tmp_path / "py.jsonl"
    path.write_bytes(b'{"id": "nan", "text": "%s", "meta": {"score": NaN}}\n' % t[0].encode()
                     + b'{"id": "tab", "text": "raw\ttab %s"}\n' % t[1].encode()
                     + b'{"id": "sur", "text": "half an emoji \\ud83d %s"}\n' % t[2].encode())
    stats, kept, quarantine = run(path, tmp_path / "out")
    assert {r["id"]: r["meta"] for r in kept} == {"nan": {"score": None}, "tab": {}}
    assert [(q["line"], q["reason"]) for q in quarantine] == [(3, "malformed_json")]


def test_text_and_id_under_other_field_names(tmp_path) -> None:
    """A dataset with `body`/`uid` fields: the default run quarantines every record and its hint names
    the string fields; --text-field/--id-field (config) read them all."""
    rows = [{"uid": f"u{i}", "body": t, "url": f"https://example.jp/{i}"} for i, t in enumerate(texts(10, 4))]
    path = tmp_path / "hf.jsonl"
    path.write_bytes(jsonl(rows))
    result = curate(path, tmp_path / "default", CurateConfig())
    assert result.stats["input"]["quarantine_reasons"] == {"missing_text": 10}
    assert len(result.hints) == 1 and "string fields in the input: uid, body, url" in result.hints[0]
    assert "--text-field" in result.hints[0]
    stats, kept, quarantine = run(path, tmp_path / "named", text_field="body", id_field="uid")
    assert quarantine == [] and [r["id"] for r in kept] == [f"u{i}" for i in range(10)]
    assert all(r["meta"] == {} for r in kept)  # url is not carried over unless asked for


def test_odd_ids_meta_and_kept_fields(tmp_path) -> None:
    """Ids: strings and ints as written, pandas-style 7.0 as 7, missing/unusable ones as file:line;
    a non-object meta is kept under "value" (before: dropped); keep_fields carries url into meta."""
    t = texts(6, 5)
    rows = [{"id": "s", "text": t[0], "url": "u0"}, {"id": 12, "text": t[1], "url": "u1"},
            {"id": 7.0, "text": t[2], "meta": "free text note"}, {"text": t[3], "meta": [1, 2]},
            {"id": [1], "text": t[4], "meta": {"k": {"nested": True}}, "url": "u4"},
            {"id": True, "text": t[5], "meta": '{"json": "string"}'}]
    path = tmp_path / "ids.jsonl"
    path.write_bytes(jsonl(rows))
    _, kept, _ = run(path, tmp_path / "out", keep_fields=["url"])
    assert [(r["id"], r["meta"]) for r in kept] == [
        ("s", {"url": "u0"}), ("12", {"url": "u1"}), ("7", {"value": "free text note"}),
        ("ids.jsonl:4", {"value": [1, 2]}), ("ids.jsonl:5", {"k": {"nested": True}, "url": "u4"}),
        ("ids.jsonl:6", {"json": "string"})]


@pytest.mark.parametrize("workers", [1, 2])
def test_truncated_gzip_keeps_every_line_before_the_cut(tmp_path, workers) -> None:
    """A .jsonl.gz cut short (interrupted copy): the lines that decompress come out, the cut is one
    quarantine entry at the next line, and 1 and 2 workers agree (before: EOFError traceback)."""
    rows = [{"id": f"g{i}", "text": t} for i, t in enumerate(texts(60, 6))]
    whole = gzip.compress(jsonl(rows))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    readable = 0
    with gzip.open(path, "rb") as handle, pytest.raises(EOFError):
        while handle.readline():
            readable += 1
    assert 0 < readable < 60
    stats, kept, quarantine = run(path, tmp_path / f"out{workers}", workers=workers, unit_size=5)
    assert [r["id"] for r in kept] == [f"g{i}" for i in range(readable)]
    assert [(q["line"], q["reason"]) for q in quarantine] == [(readable + 1, "truncated_gzip")]


def test_gzip_failing_its_checksum_is_reported_after_its_lines(tmp_path) -> None:
    """A .jsonl.gz whose CRC does not match (bit rot, a bad copy): its lines are read, shard by shard, and
    the damage is a `corrupt_gzip` entry after the last of them (before: BadGzipFile traceback)."""
    rows = [{"id": f"k{i}", "text": t} for i, t in enumerate(texts(20, 21))]
    data = bytearray(gzip.compress(jsonl(rows)))
    data[-8] ^= 0xFF  # the trailer's CRC-32
    path = tmp_path / "rot.jsonl.gz"
    path.write_bytes(bytes(data))
    _, kept, quarantine = run(path, tmp_path / "out")
    assert [r["id"] for r in kept] == [f"k{i}" for i in range(20)]
    assert [(q["line"], q["reason"]) for q in quarantine] == [(21, "corrupt_gzip")]
    assert "CRC check failed" in quarantine[0]["detail"]


def test_multi_member_gzip_is_read_to_the_end(tmp_path) -> None:
    """`cat a.jsonl.gz b.jsonl.gz > c.jsonl.gz` (or pigz/bgzip output) is several gzip members."""
    first = [{"id": f"m{i}", "text": t} for i, t in enumerate(texts(5, 7))]
    second = [{"id": f"n{i}", "text": t} for i, t in enumerate(texts(5, 8))]
    path = tmp_path / "multi.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(first)) + gzip.compress(jsonl(second)))
    _, kept, quarantine = run(path, tmp_path / "out")
    assert quarantine == [] and len(kept) == 10


def test_shift_jis_export_with_encoding_option(tmp_path) -> None:
    """A CP932 (Windows Shift_JIS) export: by default every line is quarantined as invalid_utf8 and the
    hint names --encoding; with encoding=cp932 every record comes out with its text intact."""
    docs = texts(12, 9)
    docs[0] = "①②の丸数字と髙﨑の異体字も含む。" + docs[0]  # CP932-only characters (not in plain Shift_JIS)
    rows = [{"id": f"j{i}", "text": t} for i, t in enumerate(docs)]
    path = tmp_path / "sjis.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows).encode("cp932"))
    result = curate(path, tmp_path / "default", CurateConfig())
    assert result.stats["input"]["quarantine_reasons"] == {"invalid_utf8": 12}
    assert any("--encoding cp932" in hint for hint in result.hints)
    _, kept, quarantine = run(path, tmp_path / "cp932", encoding="cp932")
    assert quarantine == [] and [r["id"] for r in kept] == [f"j{i}" for i in range(12)]
    assert kept[0]["text"].startswith("12の丸数字と髙﨑の異体字")  # NFKC folds ①② as for UTF-8 input
    euc = tmp_path / "euc.jsonl"
    euc.write_bytes(jsonl(rows[1:]).decode().encode("euc-jp") + b'{"id": "bad", "text": "\xff\xfe"}\n')
    _, kept, quarantine = run(euc, tmp_path / "euc", encoding="euc-jp")
    assert len(kept) == 11 and [(q["line"], q["reason"]) for q in quarantine] == [(12, "invalid_encoding")]


def test_a_stray_bad_line_gives_no_hint(tmp_path) -> None:
    """One broken line among many is quarantined without a misleading --encoding/--text-field hint."""
    rows = [{"id": f"h{i}", "text": t} for i, t in enumerate(texts(11, 20))]
    path = tmp_path / "mostly_fine.jsonl"
    path.write_bytes(jsonl(rows[:5]) + b'{"id": "bad", "text": "\xff"}\n{"id": "none"}\n' + jsonl(rows[5:]))
    result = curate(path, tmp_path / "out", CurateConfig())
    assert result.stats["input"]["quarantine_reasons"] == {"invalid_utf8": 1, "missing_text": 1}
    assert result.hints == [] and result.stats["output"]["documents"] == 11


def test_json_array_instead_of_json_lines_is_quarantined_with_a_hint(tmp_path) -> None:
    """A pretty-printed JSON array saved as .jsonl: nothing is silently read wrong, every line is
    quarantined and the hint says how to convert it."""
    path = tmp_path / "array.jsonl"
    path.write_text(json.dumps([{"id": "a", "text": t} for t in texts(2, 19)], ensure_ascii=False, indent=1))
    result = curate(path, tmp_path / "out", CurateConfig())
    lines = len(path.read_text().splitlines())
    assert result.stats["input"]["quarantine_reasons"] == {"malformed_json": lines}
    assert any("jq -c" in hint for hint in result.hints)


def test_encoding_that_cannot_be_split_into_lines_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not ASCII-compatible"):
        CurateConfig(encoding="utf-16")
    with pytest.raises(ValueError, match="unknown encoding"):
        CurateConfig(encoding="sjis-typo")


def test_parquet_from_other_writers(tmp_path) -> None:
    """Parquet as pandas/pyarrow/Hive write it: a `content` column, nulls, large_string, strings stored
    as plain binary, many row groups, a meta struct holding bytes and decimals, extra columns (read
    only when kept: keep_fields)."""
    docs = texts(23, 10)
    table = pa.table({
        "doc_id": pa.array([f"p{i}" for i in range(23)], pa.large_string()),
        "content": pa.array([None if i == 4 else t.encode() if i % 2 else t for i, t in enumerate(docs)], pa.binary()),
        "meta": pa.array([{"raw": b"\x00\x01", "price": Decimal("1.50")}] * 23),
        "url": [f"https://example.jp/{i}" for i in range(23)],
        "embedding": [[0.1] * 8] * 23,
    })
    path = tmp_path / "export.parquet"
    pq.write_table(table, path, row_group_size=5)
    _, kept, quarantine = run(path, tmp_path / "out", text_field="content", id_field="doc_id", keep_fields=["url"])
    assert [(q["line"], q["reason"]) for q in quarantine] == [(5, "missing_text")]
    assert [r["id"] for r in kept] == [f"p{i}" for i in range(23) if i != 4]
    assert kept[1]["text"] == docs[1]
    assert kept[0]["meta"] == {"raw": "AAE=", "price": "1.50", "url": "https://example.jp/0"}


def test_parquet_row_group_that_cannot_be_read_quarantines_its_rows(tmp_path) -> None:
    """A damaged data page costs its row group's rows (each quarantined with its row number), not the run."""
    path = tmp_path / "damaged.parquet"
    pq.write_table(pa.table({"id": [str(i) for i in range(20)], "text": texts(20, 11)}), path, row_group_size=10,
                   compression="none", use_dictionary=False)
    column = pq.ParquetFile(path).metadata.row_group(1).column(1)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset: column.data_page_offset + 40] = b"\xab" * 40
    path.write_bytes(bytes(data))
    _, kept, quarantine = run(path, tmp_path / "out")
    assert [r["id"] for r in kept] == [str(i) for i in range(10)]
    assert [q["line"] for q in quarantine] == list(range(11, 21))
    assert {q["reason"] for q in quarantine} == {"unreadable_parquet"}


def test_directory_of_mixed_files_reads_every_format_and_names_what_it_skips(tmp_path, caplog) -> None:
    folder = tmp_path / "raw"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.jsonl").write_bytes(jsonl([{"id": f"a{i}", "text": t} for i, t in enumerate(texts(3, 12))]))
    (folder / "sub" / "b.jsonl.gz").write_bytes(gzip.compress(jsonl([{"id": "b", "text": texts(1, 13)[0]}])))
    pq.write_table(pa.table({"id": ["c"], "text": texts(1, 14)}), folder / "c.parquet")
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "dataset_info.json").write_text("{}")
    (folder / "notes.csv").write_text("a,b\n")
    (folder / "._a.jsonl").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")  # macOS AppleDouble
    (folder / "__MACOSX").mkdir()
    (folder / "__MACOSX" / "a.jsonl").write_bytes(b"\x00\x05\x16\x07")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    with caplog.at_level("WARNING", logger="deshi.data"):
        _, kept, quarantine = run(folder, tmp_path / "out")
    assert sorted(r["id"] for r in kept) == ["a0", "a1", "a2", "b", "c"] and quarantine == []
    assert "2 file(s) skipped" in caplog.text and "dataset_info.json" in caplog.text


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse file names that are not UTF-8")
def test_file_names_in_shift_jis_bytes(tmp_path) -> None:
    """A Windows zip unpacked without `-O cp932` leaves 議事録.jsonl as Shift_JIS bytes in the name: the
    run reads it, and ids, quarantine.jsonl and the manifest show the name's bytes as \\x escapes
    (before: TypeError, surrogates not allowed)."""
    folder = tmp_path / "raw"
    folder.mkdir()
    name = os.fsencode(folder) + b"/" + "議事録".encode("cp932") + b".jsonl"
    with open(name, "wb") as handle:
        handle.write(jsonl([{"text": t} for t in texts(2, 22)] + [{"id": "no text"}]))
    _, kept, quarantine = run(folder, tmp_path / "out")
    shown = "\\x8bc\\x8e\\x96\\x98^.jsonl"  # 議事録 in CP932: 8B 63 8E 96 98 5E
    assert [r["id"] for r in kept] == [f"{shown}:1", f"{shown}:2"]
    assert quarantine[0]["source"].endswith(shown) and quarantine[0]["line"] == 3
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"][0]["path"].endswith(shown)


def test_empty_inputs_give_an_empty_dataset(tmp_path) -> None:
    for name, body in (("empty.jsonl", b""), ("blank.jsonl", b"\n \r\n\t\n")):
        path = tmp_path / name
        path.write_bytes(body)
        stats, kept, quarantine = run(path, tmp_path / f"out-{name}")
        assert kept == [] and quarantine == [] and stats["input"]["records"] == 0


def test_unicode_that_other_clients_write_survives(tmp_path) -> None:
    """Half-width katakana, full-width alphanumerics, emoji, combining marks, escaped NUL, U+2028 and
    \\u-escaped (ensure_ascii) text are documents, normalised, not quarantined (before: the same, but
    U+2028 stayed raw in the output text)."""
    base = texts(6, 15)
    specials = ["ｶﾀｶﾅの文書。", "ＡＢＣ１２３の文書。", "絵文字😀🎌の文書。", "か\u3099の文書。", "NUL\u0000の文書。", "行\u2028区切りの文書。"]
    rows = [{"id": f"u{i}", "text": s + b} for i, (s, b) in enumerate(zip(specials, base, strict=True))]
    path = tmp_path / "unicode.jsonl"
    path.write_bytes(b"".join(json.dumps(r, ensure_ascii=i % 2 == 0).encode() + b"\n" for i, r in enumerate(rows)))
    _, kept, quarantine = run(path, tmp_path / "out")
    assert quarantine == [] and len(kept) == 6
    heads = [r["text"].split("の文書")[0] for r in kept]
    assert heads == ["カタカナ", "ABC123", "絵文字😀🎌", "が", "NUL", "行\n区切り"]  # U+2028 is a line break


def test_path_mistakes_are_clear_errors_that_delete_nothing(tmp_path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl([{"id": "x", "text": texts(1, 16)[0]}]))
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_bytes(good.read_bytes())
    with pytest.raises(InputError, match="cannot decompress"):
        curate(not_gzip, tmp_path / "o1")
    bad_parquet = tmp_path / "bad.parquet"
    bad_parquet.write_bytes(b"PAR1 not parquet")
    previous = tmp_path / "previous"  # an earlier run's artifact survives a later run's input mistake
    curate(good, previous)
    before = {p.relative_to(previous): p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    with pytest.raises(InputError, match="not a readable Parquet file"):
        curate(bad_parquet, previous)
    assert {p.relative_to(previous): p.read_bytes() for p in previous.rglob("*") if p.is_file()} == before
    a_file = tmp_path / "out.txt"
    a_file.write_text("keep me")
    with pytest.raises(InputError, match="is a file"):
        curate(good, a_file)
    dataset = tmp_path / "dataset"  # someone else's dataset directory given as --out (and as input)
    (dataset / "data").mkdir(parents=True)
    (dataset / "data" / "train.jsonl").write_bytes(good.read_bytes())
    with pytest.raises(InputError, match="not a deshi curate output"):
        curate(good, dataset)
    with pytest.raises(InputError, match="not a deshi curate output"):
        curate(dataset, dataset)
    assert (dataset / "data" / "train.jsonl").read_bytes() == good.read_bytes() and a_file.read_text() == "keep me"
    with pytest.raises(InputError, match="inside the output directory"):
        curate(good, tmp_path)
    (previous / "manifest.json").unlink()  # killed after .work was removed, before the manifest: still ours
    assert curate(good, previous).stats["output"]["documents"] == 1
    lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 1234\n"
    for name, body, message in (("m.jsonl", gzip.compress(good.read_bytes()), "gzip-compressed"),
                                ("m.jsonl", good.read_text().encode("utf-16"), "UTF-16"),
                                ("m.jsonl", lfs, "Git LFS pointer"), ("m.parquet", lfs, "Git LFS pointer")):
        misnamed = tmp_path / name
        misnamed.write_bytes(body)
        with pytest.raises(InputError, match=message):
            curate(misnamed, tmp_path / "o3")


def test_output_directory_inside_the_input_directory_is_not_read_back(tmp_path, caplog) -> None:
    """`deshi curate run raw/ --out raw/curated`, run twice: the second run does not take the first
    one's shards (or quarantine.jsonl) as input (before: FileNotFoundError after deleting them)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(jsonl([{"id": f"r{i}", "text": t} for i, t in enumerate(texts(4, 17))]))
    first = run(raw, raw / "curated")
    with caplog.at_level("WARNING", logger="deshi.data"):
        second = run(raw, raw / "curated")
    assert first[1] == second[1] and len(second[1]) == 4 and second[0]["input"]["files"] == 1
    assert "skipped" not in caplog.text  # the output's own stats.json, report … are not input


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run([sys.executable, "-m", "deshi.cli", "curate", "run", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_flags_for_foreign_files_and_one_line_errors(tmp_path) -> None:
    rows = [{"uid": f"c{i}", "body": t, "url": f"https://example.jp/{i}"} for i, t in enumerate(texts(5, 18))]
    path = tmp_path / "sjis.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows).encode("cp932"))
    done = _cli(str(path), "--out", str(tmp_path / "out"), "--encoding", "cp932", "--text-field", "body",
                "--id-field", "uid", "--keep-field", "url")
    assert done.returncode == 0, done.stderr
    kept = [json.loads(line) for line in (tmp_path / "out" / "data" / "part-00000.jsonl").read_text().splitlines()]
    assert [(r["id"], r["meta"]) for r in kept] == [(f"c{i}", {"url": f"https://example.jp/{i}"}) for i in range(5)]
    failed = _cli(str(path), "--out", str(tmp_path / "o2"), "--encoding", "utf-16")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert "not ASCII-compatible" in " ".join(failed.stderr.split())  # rich wraps the line
    (tmp_path / "o3").write_text("")
    failed = _cli(str(path), "--out", str(tmp_path / "o3"))
    assert failed.returncode == 2 and "Traceback" not in failed.stderr and "is a file" in " ".join(failed.stderr.split())
