"""Interleaved A/B of the PII recognisers' CPU cost per text: two source trees, same texts, same machine.

For speed work on ``deshi.data.pii``: the machine is shared, so one tree's numbers mean little on their
own; this alternates the trees (A, B, A, B, ...) in fresh processes and reports, per run, the best-of-2
CPU microseconds per text (``time.process_time``) of

- ``find_nonames``: ``PIIRecognizer(names=False).find`` (everything except person names),
- ``find_all``: ``PIIRecognizer().find``,
- ``redact_plan_all``: ``redact_with_plan`` with the default actions (what the curate PII step calls),

with the 1-minute load average before each run. Texts: the documents of a demo corpus (the one
``benchmarks/pii_regression.py`` generates, seed 11), raw or NFKC-normalised (``--nfkc``: what the curate
PII step sees after the normalise step).

Run: .venv/bin/python benchmarks/pii_cpu_ab.py --a /work/base5/src --b src --rounds 3 [--nfkc]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, os, sys, time, unicodedata
from deshi.data.pii import PIIRecognizer
from deshi.data.pii.redact import parse_actions, redact_with_plan
texts = json.load(open(sys.argv[1], encoding="utf-8"))
if sys.argv[2] == "nfkc":
    texts = [unicodedata.normalize("NFKC", t) for t in texts]
nonames, everything, plan = PIIRecognizer(names=False), PIIRecognizer(), parse_actions(None)
out = {}
for name, fn in (("find_nonames", nonames.find), ("find_all", everything.find),
                 ("redact_plan_all", lambda t: redact_with_plan(t, plan, everything))):
    for t in texts[:300]:
        fn(t)
    best = float("inf")
    for _ in range(2):
        started = time.process_time()
        for t in texts:
            fn(t)
        best = min(best, time.process_time() - started)
    out[name] = round(best * 1e6 / len(texts), 2)
print(json.dumps(out))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="source tree A (its src/ directory)")
    parser.add_argument("--b", required=True, help="source tree B (its src/ directory)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nfkc", action="store_true", help="NFKC-normalise the texts first")
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "deshi-pii-regression")
    args = parser.parse_args()
    corpus = args.workdir / f"corpus-{args.docs}-11" / "corpus.jsonl"
    if not corpus.exists():
        sys.path.insert(0, str(Path(args.a).resolve()))
        from deshi.demo_data import generate_demo_corpus

        generate_demo_corpus(corpus.parent, docs=args.docs, seed=11)
    from pii_regression import read_texts  # this folder's: the same reading as the span regression check

    texts_json = args.workdir / f"texts-{args.docs}-11.json"
    texts_json.write_text(json.dumps(read_texts(corpus), ensure_ascii=False), encoding="utf-8")
    results: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    for _ in range(args.rounds):
        for side, src in (("A", args.a), ("B", args.b)):
            load = os.getloadavg()[0]
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            run = subprocess.run([sys.executable, "-c", CHILD, str(texts_json), "nfkc" if args.nfkc else "raw"],
                                 env=env, capture_output=True, text=True, check=True)
            numbers = json.loads(run.stdout.strip().splitlines()[-1])
            results[side].append(numbers)
            print(json.dumps({"side": side, "src": src, "load1": round(load, 2), **numbers}), flush=True)
    for key in results["A"][0]:
        a = statistics.median(r[key] for r in results["A"])
        b = statistics.median(r[key] for r in results["B"])
        print(f"{key}: median A {a:.2f} µs, B {b:.2f} µs, B/A {b / a:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
