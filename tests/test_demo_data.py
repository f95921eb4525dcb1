"""Tests for the demo corpus generator (deshi.demo_data) and deshi.checksums.

The generator is the ground truth every later stage is scored against, so these tests
check the ground truth itself: offsets slice exactly, check digits are (in)valid as
claimed, duplicates are what they say, golden answers are really in their sources, and
output is byte-identical for the same seed (also across processes with different hash
salts, which catches accidental iteration over sets of strings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from deshi.checksums import (
    corporate_number_check_digit,
    digits_only,
    is_luhn_valid,
    is_valid_corporate_number,
    is_valid_my_number,
    luhn_check_digit,
    my_number_check_digit,
)
from deshi.demo_data import DECOY_TYPES, DOC_KINDS, DOMAINS, MALFORMED_KINDS, PII_TYPES, generate_demo_corpus
from deshi.demo_data.lexicon import PREFECTURES

SRC = Path(__file__).resolve().parents[1] / "src"
HONORIFICS = ("様", "さん", "氏", "殿", "君")


# ----------------------------------------------------------------------------- helpers


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def read_corpus(path: Path) -> tuple[dict[str, dict], list[int]]:
    """(valid records by id, 1-based numbers of lines that are not valid records)."""
    docs: dict[str, dict] = {}
    bad: list[int] = []
    for n, raw in enumerate(path.read_bytes().split(b"\n")[:-1], 1):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            bad.append(n)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"]:
            bad.append(n)
            continue
        docs[obj["id"]] = obj
    return docs, bad


def shingle_jaccard(a: str, b: str, k: int = 5) -> float:
    """Independent re-implementation (the test must not trust the generator's own)."""
    sa = {a[i : i + k] for i in range(max(1, len(a) - k + 1))}
    sb = {b[i : i + k] for i in range(max(1, len(b) - k + 1))}
    return len(sa & sb) / len(sa | sb)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus_2000(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo2000")
    summary = generate_demo_corpus(out, docs=2000, seed=0, malformed=7)
    return out, summary


@pytest.fixture(scope="module")
def docs_2000(corpus_2000: tuple[Path, dict]) -> dict[str, dict]:
    return read_corpus(corpus_2000[0] / "corpus.jsonl")[0]


# ----------------------------------------------------------------------------- checksums


def test_check_digit_known_values() -> None:
    assert is_valid_corporate_number("7000012050002")  # 国税庁 itself
    assert corporate_number_check_digit("000012050002") == 7
    assert not is_valid_corporate_number("8000012050002")
    assert is_valid_my_number("123456789018")  # the commonly published sample
    assert my_number_check_digit("12345678901") == 8
    assert not is_valid_my_number("123456789017")
    assert is_valid_my_number("1234 5678 9018") and is_valid_my_number("１２３４－５６７８－９０１８")
    assert is_luhn_valid("4111 1111 1111 1111") and not is_luhn_valid("4111111111111112")
    assert is_luhn_valid("378282246310005")  # Amex test number
    assert luhn_check_digit("411111111111111") == 1
    assert not is_luhn_valid("18")  # valid Luhn but not a card length
    assert digits_only("12a4") is None and digits_only("０３－１２") == "0312"
    assert not is_valid_my_number("12345678901") and not is_valid_corporate_number("abc")


# ----------------------------------------------------------------------------- determinism


def test_same_seed_is_byte_identical_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    sa = generate_demo_corpus(a, docs=300, seed=7, malformed=3)
    sb = generate_demo_corpus(b, docs=300, seed=7, malformed=3)
    generate_demo_corpus(c, docs=300, seed=8, malformed=3)
    ta, tb, tc = tree_bytes(a), tree_bytes(b), tree_bytes(c)
    assert sa == sb
    assert ta == tb
    assert set(ta) == set(tc)
    assert ta["corpus.jsonl"] != tc["corpus.jsonl"]
    assert ta["labels.jsonl"] != tc["labels.jsonl"]


def test_deterministic_across_processes_with_different_hash_seeds(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from deshi.demo_data import generate_demo_corpus; "
        "generate_demo_corpus(Path(sys.argv[1]), docs=150, seed=3, malformed=2, heldout_docs=20)"
    )
    outs = []
    for hash_seed in ("0", "4242"):
        out = tmp_path / f"h{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed,
               "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
        subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
        outs.append(tree_bytes(out))
    assert outs[0] == outs[1]


# ----------------------------------------------------------------------------- labels


def test_labels_and_decoys_slice_exactly(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, summary = corpus_2000
    labels = read_jsonl(out / "labels.jsonl")
    decoys = read_jsonl(out / "decoys.jsonl")
    assert labels and decoys
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for rec, allowed, what in ((labels, PII_TYPES, "pii"), (decoys, DECOY_TYPES, "decoy")):
        for item in rec:
            assert set(item) == {"doc_id", "start", "end", "type", "value"}
            assert item["type"] in allowed
            text = docs_2000[item["doc_id"]]["text"]
            assert text[item["start"] : item["end"]] == item["value"], item
            spans.setdefault(item["doc_id"], []).append((item["start"], item["end"], what))
    for doc_id, ss in spans.items():  # no two labelled spans overlap (PII vs decoy included)
        ss.sort()
        for (_, e1, _), (s2, _, _) in zip(ss, ss[1:], strict=False):
            assert e1 <= s2, doc_id
    assert Counter(x["type"] for x in labels) == Counter({k: v for k, v in summary["pii"].items() if v})
    assert Counter(x["type"] for x in decoys) == Counter({k: v for k, v in summary["decoys"].items() if v})
    assert all(summary["pii"][t] > 0 for t in PII_TYPES)
    assert all(summary["decoys"][t] > 0 for t in DECOY_TYPES)


def test_identifier_checksums_in_corpus(corpus_2000: tuple[Path, dict]) -> None:
    out, _ = corpus_2000
    labels = read_jsonl(out / "labels.jsonl")
    decoys = read_jsonl(out / "decoys.jsonl")
    by_type: dict[str, list[str]] = {}
    for item in labels + decoys:
        by_type.setdefault(item["type"], []).append(item["value"])
    assert all(is_valid_my_number(v) for v in by_type["MY_NUMBER"])
    assert all(is_valid_corporate_number(v) for v in by_type["CORPORATE_NUMBER"])
    assert all(is_luhn_valid(v) for v in by_type["CREDIT_CARD"])
    lengths = Counter(len(digits_only(v) or "") for v in by_type["CREDIT_CARD"])
    assert lengths[16] and lengths[15]  # Amex too
    for v in by_type["INVALID_MY_NUMBER"]:
        assert len(v) == 12 and v.isdigit() and not is_valid_my_number(v)
    for v in by_type["INVALID_CORPORATE_NUMBER"]:
        assert len(v) == 13 and v.isdigit() and not is_valid_corporate_number(v) and not is_luhn_valid(v)
    for v in by_type["SERIAL_NUMBER"]:
        d = digits_only(v)
        if d is not None:
            assert not is_valid_my_number(d) and not is_valid_corporate_number(d) and not is_luhn_valid(d), v


def test_pii_surface_variety(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, _ = corpus_2000
    labels = read_jsonl(out / "labels.jsonl")
    values: dict[str, list[str]] = {}
    for item in labels:
        values.setdefault(item["type"], []).append(item["value"])
    persons = values["PERSON"]
    assert not any(p.endswith(HONORIFICS) for p in persons)
    assert len(set(persons)) > 500
    followed = Counter()
    for item in labels:
        if item["type"] == "PERSON":
            nxt = docs_2000[item["doc_id"]]["text"][item["end"] : item["end"] + 2]
            followed[next((h for h in HONORIFICS if nxt.startswith(h)), "")] += 1
    assert all(followed[h] for h in HONORIFICS) and followed[""]
    phones = values["PHONE"]
    assert any(p.startswith("+81") for p in phones)
    assert any("(" in p for p in phones)
    assert any("０" in p for p in phones)  # full-width digits
    assert any(p.startswith(("0120", "0800")) for p in phones)
    assert any(p.isdigit() for p in phones)
    assert any("＠" in e for e in values["EMAIL"]) and any(e.endswith(".co.jp") for e in values["EMAIL"])
    assert not any(p.startswith("〒") for p in values["POSTAL_CODE"])
    prefs = {p for a in values["ADDRESS"] for p in PREFECTURES if a.startswith(p)}
    assert len(PREFECTURES) == 47 and len(prefs) >= 40
    assert any("郡" in a for a in values["ADDRESS"])
    assert any(":" in ip for ip in values["IP_ADDRESS"]) and any("::" in ip for ip in values["IP_ADDRESS"])


# ----------------------------------------------------------------------------- malformed


def test_malformed_lines_present_when_asked(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, summary = corpus_2000
    _, bad = read_corpus(out / "corpus.jsonl")
    listed = summary["malformed"]
    assert len(listed) == 7
    assert bad == [m["line"] for m in listed]
    assert {m["kind"] for m in listed} == set(MALFORMED_KINDS)
    assert len(docs_2000) == 2000
    assert summary["files"]["corpus.jsonl"]["lines"] == 2007


def test_no_malformed_lines_by_default(tmp_path: Path) -> None:
    summary = generate_demo_corpus(tmp_path, docs=250, seed=1)
    docs, bad = read_corpus(tmp_path / "corpus.jsonl")
    assert bad == [] and summary["malformed"] == []
    assert len(docs) == 250
    assert sorted(docs) == [f"doc-{i:06d}" for i in range(250)]
    for d in docs.values():
        assert set(d) == {"id", "text", "meta"}
        assert d["meta"]["source"] == "demo" and d["meta"]["kind"] in DOC_KINDS
        assert d["meta"]["language"] in ("ja", "en")


# ----------------------------------------------------------------------------- duplicates


def test_duplicate_groups(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, summary = corpus_2000
    groups = read_jsonl(out / "duplicates.jsonl")
    kinds = Counter(g["kind"] for g in groups)
    assert kinds["near"] == summary["duplicates"]["near_groups"] > 0
    assert kinds["exact"] == summary["duplicates"]["exact_groups"] > 0
    n_dup_docs = Counter()
    for g in groups:
        orig, *dups = g["ids"]
        assert dups
        assert docs_2000[orig]["meta"]["kind"] == "clean"
        for d in dups:
            assert orig < d  # the original comes earlier in the corpus
            a, b = docs_2000[orig]["text"], docs_2000[d]["text"]
            if g["kind"] == "exact":
                assert a == b and docs_2000[d]["meta"]["kind"] == "exact_dup"
            else:
                assert a != b and docs_2000[d]["meta"]["kind"] == "near_dup"
                assert shingle_jaccard(a, b) >= 0.7, (orig, d)
            n_dup_docs[g["kind"]] += 1
    assert n_dup_docs["near"] == 200 and n_dup_docs["exact"] == 40  # 10% / 2% of 2000


def test_unrelated_documents_are_not_near_duplicates(docs_2000: dict[str, dict]) -> None:
    """Template-built documents must not be accidental near-duplicates of each other, or a
    dedup stage would be scored wrong against duplicates.jsonl (intended near-dups are
    kept >= 0.85, so a clear gap must remain)."""
    by_domain: dict[str, list[set[str]]] = {}
    for d in docs_2000.values():
        if d["meta"]["kind"] == "clean" and len(by_domain.setdefault(d["meta"]["domain"], [])) < 120:
            t = d["text"]
            by_domain[d["meta"]["domain"]].append({t[i : i + 5] for i in range(len(t) - 4)})
    worst = 0.0
    for sets in by_domain.values():
        for i, a in enumerate(sets):
            for b in sets[i + 1 :]:
                inter = len(a & b)
                worst = max(worst, inter / (len(a) + len(b) - inter))
    assert worst < 0.75


# ----------------------------------------------------------------------------- golden


def test_golden_answers_are_in_their_sources(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, _ = corpus_2000
    qa = read_jsonl(out / "golden" / "qa.jsonl")
    assert len(qa) >= 100
    assert len({q["id"] for q in qa}) == len(qa)
    for q in qa:
        assert set(q) == {"id", "domain", "question", "answer", "aliases", "source_doc_ids"}
        assert q["source_doc_ids"]
        assert any(q["answer"] in docs_2000[d]["text"] for d in q["source_doc_ids"]), q["id"]
        # Stronger: every listed source really states the answer (facts are consistent).
        assert all(q["answer"] in docs_2000[d]["text"] for d in q["source_doc_ids"]), q["id"]
        assert q["question"].endswith("？")
    assert {q["domain"] for q in qa} >= set(DOMAINS)
    choices = read_jsonl(out / "golden" / "choice.jsonl")
    assert len(choices) >= 100
    answers = {(q["answer"]) for q in qa}
    for c in choices:
        assert set(c) >= {"id", "question", "choices", "answer_index"}
        assert 2 <= len(c["choices"]) == len(set(c["choices"]))
        assert 0 <= c["answer_index"] < len(c["choices"])
        assert c["choices"][c["answer_index"]] in answers


def test_facts_are_consistent_across_documents(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    """The same equipment never gets two different inspection intervals."""
    out, _ = corpus_2000
    qa = read_jsonl(out / "golden" / "qa.jsonl")
    interval = [q for q in qa if q["question"].startswith("設備 ") and "点検周期" in q["question"]]
    interval += [q for q in qa if "定期点検は何日ごと" in q["question"]]
    assert interval
    seen: dict[str, str] = {}
    for q in interval:
        model = q["question"].split(" ")[1] if q["question"].startswith("設備 ") else q["question"].split("（")[1].split("）")[0]
        assert seen.setdefault(model, q["answer"]) == q["answer"]


# ----------------------------------------------------------------------------- composition


def test_domains_kinds_and_heldout(corpus_2000: tuple[Path, dict], docs_2000: dict[str, dict]) -> None:
    out, summary = corpus_2000
    clean_domains = {d["meta"]["domain"] for d in docs_2000.values() if d["meta"]["kind"] == "clean"}
    assert clean_domains >= set(DOMAINS) and len(clean_domains) >= 4
    assert {d["meta"]["kind"] for d in docs_2000.values()} == set(DOC_KINDS)
    assert all(d["meta"]["language"] == "en" for d in docs_2000.values() if d["meta"]["kind"] == "english")
    assert all(len(d["text"]) < 20 for d in docs_2000.values() if d["meta"]["kind"] == "short")
    clean_lengths = [len(d["text"]) for d in docs_2000.values() if d["meta"]["kind"] == "clean"]
    assert sum(200 <= n <= 1500 for n in clean_lengths) / len(clean_lengths) > 0.8
    toxic = [d["text"] for d in docs_2000.values() if d["meta"]["kind"] == "toxic"]
    assert toxic and all(any(w in t for w in ("死ね", "殺", "アダルト", "エロ", "障害者", "〇〇")) for t in toxic)
    texts = "\n".join(d["text"] for d in docs_2000.values())
    for word in ("サイクル", "不具合対応", "殺菌", "死活監視", "作業開始", "処理", "893"):
        assert word in texts
    held = read_jsonl(out / "heldout.jsonl")
    held_en = read_jsonl(out / "heldout_en.jsonl")
    assert len(held) == summary["heldout"]["ja"] == 200 and len(held_en) == 50
    corpus_texts = {d["text"] for d in docs_2000.values()}
    assert not any(h["text"] in corpus_texts for h in held + held_en)
    assert all(h["meta"]["language"] == "ja" for h in held)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8")) == summary
    for name in summary["files_written"]:
        assert (out / name).is_file()


def test_progress_and_small_sizes(tmp_path: Path) -> None:
    calls: list[int] = []
    summary = generate_demo_corpus(tmp_path / "p", docs=230, seed=5, heldout_docs=3, progress=calls.append)
    assert calls == [100, 200, 230]
    assert summary["heldout"]["ja"] == 3
    empty = generate_demo_corpus(tmp_path / "e", docs=0, seed=5, heldout_docs=0)
    assert empty["docs"] == 0 and (tmp_path / "e" / "corpus.jsonl").read_bytes() == b""
    tiny = generate_demo_corpus(tmp_path / "t", docs=5, seed=5, malformed=2, heldout_docs=1)
    docs, bad = read_corpus(tmp_path / "t" / "corpus.jsonl")
    assert len(docs) == 5 and len(bad) == 2 and tiny["docs"] == 5


def test_garbled_blocks_keep_labels_of_surviving_self_evident_pii() -> None:
    """Mojibake that leaves an e-mail readable still holds personal data: it stays labelled, at its new offset."""
    from random import Random

    from deshi.demo_data.doc import PII, Block, Piece, render
    from deshi.demo_data.noise import mojibake

    email, name = Piece("k.sato@example.co.jp", PII, "EMAIL"), Piece("佐藤", PII, "PERSON")
    block = Block([["担当の", name, "さんの連絡先は", email, "です。再送先も", email, "。"]])
    labelled_somewhere = False
    for seed in range(40):
        text, spans = render(mojibake([block], Random(seed)))
        assert all(text[s.start:s.end] == s.piece.text for s in spans)
        assert all(s.piece.label == "EMAIL" for s in spans)  # a garbled-context surname is not relabelled
        assert len(spans) == text.count(email.text)  # every surviving copy, and only those
        labelled_somewhere |= len(spans) == 2
    assert labelled_somewhere
