"""Span regression and CPU cost of the PII recognisers, for speed work on deshi.data.pii.

An optimisation of the recognisers must find exactly the same spans. This records, for a fixed text
set, every span (start, end, type, recogniser, score) of ``find_pii`` and the text ``redact`` returns,
and compares them after a change; it also reports the CPU microseconds per text of find_pii and of
redact (best of --rounds, ``time.process_time``: the machine is shared, CPU time is the steadier number).

Texts: the documents of three demo corpora (seeds 11, 12, 13; 20,000 each by default), their held-out
and English held-out documents, and the hand-written realistic set in tests/pii_realistic.py (written
independently of the generator) -- so a change tuned to the generator's templates still has to keep
the other texts' spans.

Run: .venv/bin/python benchmarks/pii_regression.py --save /tmp/pii-ref.json    (before)
     .venv/bin/python benchmarks/pii_regression.py --check /tmp/pii-ref.json   (after)
     .venv/bin/python benchmarks/pii_regression.py --time-only                 (CPU cost only)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))


def read_texts(path: Path) -> list[str]:
    """The ``text`` of every well-formed record of a JSONL file (malformed lines skipped)."""
    texts = []
    for raw in path.read_bytes().splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("text"), str):
            texts.append(record["text"])
    return texts


def load_texts(workdir: Path, docs: int) -> dict[str, list[str]]:
    """Named text sets: demo corpora of three seeds, their held-out sets, the realistic hand-written cases."""
    from deshi.demo_data import generate_demo_corpus

    sets: dict[str, list[str]] = {}
    for seed in (11, 12, 13):
        out = workdir / f"corpus-{docs}-{seed}"
        if not (out / "corpus.jsonl").exists():
            generate_demo_corpus(out, docs=docs, seed=seed)
        for name in ("corpus", "heldout", "heldout_en"):
            sets[f"{name}-{seed}"] = read_texts(out / f"{name}.jsonl")
    from pii_realistic import CASES

    sets["realistic"] = [text for text, _ in CASES]
    return sets


def spans_digest(texts: list[str]) -> tuple[str, str, int]:
    """SHA-256 of all spans and of all redacted texts, and the span count."""
    from deshi.data.pii import find_pii, redact

    spans_hash, redact_hash, count = hashlib.sha256(), hashlib.sha256(), 0
    for i, text in enumerate(texts):
        spans = find_pii(text)
        count += len(spans)
        for s in spans:
            spans_hash.update(f"{i}:{s.start}:{s.end}:{s.type.value}:{s.recognizer}:{s.score:.6f}\n".encode())
        redact_hash.update(redact(text).text.encode() + b"\x00")
    return spans_hash.hexdigest(), redact_hash.hexdigest(), count


def cpu_us_per_text(texts: list[str], rounds: int) -> dict[str, float]:
    """Best-of-rounds CPU microseconds per text for find_pii and for redact (warm: one untimed pass first)."""
    from deshi.data.pii import find_pii, redact

    for text in texts[:200]:
        redact(text)
    best = {"find_pii": float("inf"), "redact": float("inf")}
    for _ in range(rounds):
        for name, fn in (("find_pii", find_pii), ("redact", redact)):
            started = time.process_time()
            for text in texts:
                fn(text)
            best[name] = min(best[name], (time.process_time() - started) * 1e6 / max(1, len(texts)))
    return {k: round(v, 2) for k, v in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path)
    mode.add_argument("--check", type=Path)
    mode.add_argument("--time-only", action="store_true")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "deshi-pii-regression")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    sets = load_texts(args.workdir, args.docs)

    corpus = sets["corpus-11"]
    timing = cpu_us_per_text(corpus, args.rounds)
    print(json.dumps({"cpu_us_per_text_corpus-11": timing, "texts": len(corpus)}))
    if args.time_only:
        return 0
    digests = {name: spans_digest(texts) for name, texts in sets.items()}
    if args.save:
        args.save.write_text(json.dumps(digests, indent=1), encoding="utf-8")
        print(f"saved {sum(d[2] for d in digests.values())} spans over {sum(map(len, sets.values()))} texts to {args.save}")
        return 0
    reference = json.loads(args.check.read_text(encoding="utf-8"))
    failed = [name for name in digests if list(digests[name]) != list(reference.get(name, []))]
    for name in failed:
        print(f"DIFFERENT: {name}: {reference.get(name)} -> {list(digests[name])}")
    print("identical" if not failed else f"{len(failed)} text set(s) differ")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
