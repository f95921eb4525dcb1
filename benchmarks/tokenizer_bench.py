"""Tokenizer benchmark: deshi SentencePiece tokenizers vs a byte-level BPE (HF ``tokenizers``), same data.

Generates a ~50 MB demo corpus (or uses ``--corpus-dir``), trains at the same vocabulary size:

* deshi BPE (the default: raw text, digits split, byte fallback, identity normalisation, kana + JIS
  level-1 kanji reserved) and deshi Unigram with the same options;
* both with MeCab pre-segmentation (``presegment``), where the data supports the vocabulary;
* the peer: byte-level BPE trained with HF ``tokenizers`` (GPT-2/Llama-3 recipe);

then reports chars/token, tokens/word, byte-token rate and round-trip exactness on the demo
held-out Japanese and English sets AND on independently written text (tests/data/*_independent.txt),
because the generator's text is templated and flatters every tokenizer trained on it.
Training runs one after another in the same process (2 shared cores: timings are noisy; the ratio
between the tokenizers is the comparable number).

Run: .venv/bin/python benchmarks/tokenizer_bench.py [--docs 45000] [--vocab-size 32000] [--corpus-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from deshi.dataset import iter_texts  # noqa: E402
from deshi.tokenizer.baseline import train_byte_level_bpe  # noqa: E402
from deshi.tokenizer.build import train_tokenizer  # noqa: E402
from deshi.tokenizer.errors import TokenizerError  # noqa: E402
from deshi.tokenizer.fertility import measure  # noqa: E402
from deshi.tokenizer.loading import load_tokenizer  # noqa: E402
from deshi.tokenizer.train import TrainOptions  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _independent(name: str) -> list[str]:
    lines = (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


# Rust by Example's Japanese translation ships with rustup's docs: real, human-written Japanese prose the
# demo generator never saw. Only its lines with Japanese characters are used (code lines dropped).
RUST_BY_EXAMPLE_JA = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html/rust-by-example/ja"


def rust_by_example_ja() -> list[str]:
    import html
    import re

    docs = []
    for page in sorted(RUST_BY_EXAMPLE_JA.rglob("*.html")):
        match = re.search(r"<main>(.*?)</main>", page.read_text(encoding="utf-8"), re.S)
        if not match:
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))
        lines = [line.strip() for line in text.splitlines() if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line)]
        if lines:
            docs.append("\n".join(lines))
    return docs


def corpus_dir(args: argparse.Namespace, scratch: Path) -> Path:
    if args.corpus_dir:
        return Path(args.corpus_dir)
    from deshi.demo_data import generate_demo_corpus

    out = scratch / "demo"
    started = time.perf_counter()
    generate_demo_corpus(out, docs=args.docs, seed=args.seed, malformed=0)
    print(f"generated {args.docs} demo documents in {time.perf_counter() - started:.1f}s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=45000, help="demo documents to generate (45000 = ~50 MB of text)")
    parser.add_argument("--vocab-size", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus-dir", help="an existing demo corpus directory (corpus.jsonl, heldout*.jsonl)")
    parser.add_argument("--heldout-limit", type=int, default=1000, help="held-out documents per language")
    parser.add_argument("--no-presegment", action="store_true", help="skip the pre-segmented variant")
    parser.add_argument("--unigram", action=argparse.BooleanOptionalAction, default=True, help="also train the SentencePiece Unigram variant")
    parser.add_argument("--small-docs", type=int, default=2000, help="also train on the first N documents (demo size; 0: skip)")
    parser.add_argument("--small-vocab", type=int, default=8000, help="vocabulary for the demo-size run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="deshi-tokbench-") as tmp:
        scratch = Path(tmp)
        demo = corpus_dir(args, scratch)
        corpus = demo / "corpus.jsonl"
        texts = list(iter_texts(corpus))
        text_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        print(f"corpus: {len(texts)} documents, {text_mb:.1f} MB of UTF-8 text", flush=True)
        heldout = {
            "demo-ja": list(iter_texts(demo / "heldout.jsonl", limit=args.heldout_limit)),
            "demo-en": list(iter_texts(demo / "heldout_en.jsonl", limit=args.heldout_limit)),
            "independent-ja": _independent("ja_independent.txt"),
            "independent-en": _independent("en_independent.txt"),
        }
        if RUST_BY_EXAMPLE_JA.is_dir():
            heldout["rust-by-example-ja"] = rust_by_example_ja()
        timings: dict[str, float] = {}
        errors: dict[str, str] = {}
        rows: list[dict] = []
        parity: dict[str, str] = {}
        runs = [("full", corpus, texts, args.vocab_size)]
        if args.small_docs:
            small = scratch / "small.jsonl"
            with open(corpus, encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
                for index, line in enumerate(src):
                    if index >= args.small_docs:
                        break
                    dst.write(line)
            runs.append(("demo-size", small, list(iter_texts(small)), args.small_vocab))
        for run_name, data, data_texts, v in runs:
            variants = [(f"deshi-bpe-{v}", TrainOptions(vocab_size=v, model_type="bpe", seed=args.seed))]
            if args.unigram:
                variants.append((f"deshi-unigram-{v}", TrainOptions(vocab_size=v, model_type="unigram", seed=args.seed)))
            if not args.no_presegment:
                for model_type in ("bpe", "unigram") if args.unigram else ("bpe",):
                    options = TrainOptions(vocab_size=v, model_type=model_type, presegment=True, seed=args.seed)
                    variants.append((f"deshi-{model_type}-presegmented-{v}", options))
            trained: dict[str, Path] = {}
            for name, options in variants:
                started = time.perf_counter()
                try:
                    summary = train_tokenizer(data, scratch / run_name / name, options)
                except TokenizerError as exc:
                    errors[f"{run_name}/{name}"] = str(exc)
                    print(f"{run_name}/{name}: {exc}", flush=True)
                    continue
                timings[f"{run_name}/{name}"] = time.perf_counter() - started
                trained[name] = scratch / run_name / name
                parity[f"{run_name}/{name}"] = f"{summary.parity_checked - summary.parity_mismatch}/{summary.parity_checked}"
                print(f"{run_name}/{name}: trained in {timings[f'{run_name}/{name}']:.1f}s (HF ids == SentencePiece ids on {parity[f'{run_name}/{name}']} docs)", flush=True)
            peer = f"hf-byte-level-bpe-{v}"
            started = time.perf_counter()
            train_byte_level_bpe(data_texts, v, scratch / run_name / peer)
            timings[f"{run_name}/{peer}"] = time.perf_counter() - started
            trained[peer] = scratch / run_name / peer
            print(f"{run_name}/{peer}: trained in {timings[f'{run_name}/{peer}']:.1f}s", flush=True)
            for name, path in trained.items():
                tok = load_tokenizer(f"{name}={path}")
                for set_name, docs in heldout.items():
                    result = measure(tok, docs, "ja" if set_name.endswith("ja") else "en")
                    rows.append({"run": run_name, "training_docs": len(data_texts), "set": set_name, **result.to_dict()})
                    print(f"  {name:34s} {set_name:15s} {result.chars_per_token:.3f} chars/token  round trip {result.roundtrip:.1%}", flush=True)

    record = {
        "benchmark": "tokenizer",
        "command": " ".join([".venv/bin/python benchmarks/tokenizer_bench.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus (shared)",
        "corpus": {"documents": len(texts), "text_mb": round(text_mb, 2), "source": "deshi demo generator" if not args.corpus_dir else args.corpus_dir},
        "vocab_size": args.vocab_size,
        "train_seconds": {k: round(t, 1) for k, t in timings.items()},
        "hf_sentencepiece_parity": parity,
        "errors": errors,
        "results": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tokenizer.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "tokenizer.md").write_text(markdown(record), encoding="utf-8")
    print((RESULTS / "tokenizer.md").read_text(encoding="utf-8"))


def markdown(record: dict) -> str:
    lines = [
        "## Tokenizer: deshi SentencePiece (BPE default, Unigram) vs byte-level BPE (HF tokenizers)",
        "",
        f"Command: `{record['command']}`  ",
        f"Corpus: {record['corpus']['documents']} demo documents, {record['corpus']['text_mb']} MB of text; vocabulary {record['vocab_size']} "
        "(and a demo-size run on the first documents); "
        f"machine: {record['machine']}.",
        "",
        "| trained on | tokenizer | held-out set | chars/token | tokens/word | byte-token rate | round-trip exact |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in record["results"]:
        lines.append(f"| {r['training_docs']} docs | {r['tokenizer']} | {r['set']} ({r['documents']} docs) | {r['chars_per_token']:.3f} | "
                     f"{r['tokens_per_word']:.3f} | {r['byte_rate']:.2%} | {r['roundtrip']:.1%} |")
    lines += ["", "Training time (same run, one after another; includes reading, SentencePiece training, HF export and the parity check):", ""]
    lines += [f"- {k}: {t:.1f} s" for k, t in record["train_seconds"].items()]
    lines += ["", "HF tokenizer ids == SentencePiece ids (documents checked at training time): "
              + ", ".join(f"{k} {p}" for k, p in record["hf_sentencepiece_parity"].items())]
    for k, e in record["errors"].items():
        lines.append(f"- {k}: failed: {e}")
    lines += [
        "",
        "Caveat: the demo generator's text is templated, so chars/token on `demo-ja` is optimistic for every "
        "tokenizer trained on it; `independent-*` are paragraphs written separately (tests/data) and "
        "`rust-by-example-ja` is the Japanese prose of Rust by Example (from rustup's local docs, code lines "
        "dropped): real text with vocabulary the corpus never shows.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
