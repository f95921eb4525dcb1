"""Evaluation throughput: batched vs one example at a time, same run.

Batched: deshi's HFModel as configured by default (continuous batching for generation, all choices of
a multiple-choice context in one packed row, length-bucketed scoring batches). Peer: the same HFModel
with batch_size=1 — the way an ad-hoc evaluation loop calls ``model.generate`` (and one forward pass)
per example. Both evaluate the same tasks (generative QA, 4-way multiple choice by
log-likelihood, held-out perplexity) through deshi's full runner (metrics and bootstrap included),
interleaved round by round so machine noise hits both alike; the batched answers are checked to be
identical to the one-at-a-time answers (batching must not change results).

Model: ``--model DIR`` (the demo student, ``workspace/distill``) or, without it, Llamas built from
config in the demo student's shape (hidden 96, 2 layers, vocab 8000) and the demo teacher default's
shape (~10M parameters: hidden 256, 6 layers), random weights, with a character tokenizer.

    .venv/bin/python benchmarks/eval_bench.py               # built-from-config models
    .venv/bin/python benchmarks/eval_bench.py --model workspace/distill
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

SHAPES = {
    "demo-student": dict(hidden_size=96, num_hidden_layers=2, intermediate_size=256, num_attention_heads=4,
                         num_key_value_heads=2),
    "10m": dict(hidden_size=256, num_hidden_layers=6, intermediate_size=704, num_attention_heads=4,
                num_key_value_heads=2),
}
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
KANJI = "日本東京大阪会社部長課設備点検報告書契約見積品質保証営業工場製品価格予算年月度"


def _text(rng: random.Random, n: int) -> str:
    pool = KANA + KANJI
    return "".join(rng.choice(pool) for _ in range(n))


def build_model(shape: str, out: Path, vocab_size: int = 8000, seed: int = 0) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from evals_fixtures import char_tokenizer  # tests/: the same character tokenizer the eval tests use

    fast = char_tokenizer([KANA + KANJI + "質問答え:?\n 0123456789。、"], vocab_size=vocab_size)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(fast), max_position_embeddings=512, pad_token_id=0, bos_token_id=1,
                         eos_token_id=2, tie_word_embeddings=True, **SHAPES[shape])
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out


def write_tasks(root: Path, n: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "qa.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"q{i}", "question": _text(rng, rng.randint(10, 60)) + "?",
                                "answer": _text(rng, 4)}, ensure_ascii=False) + "\n")
    with open(root / "choice.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"c{i}", "question": _text(rng, rng.randint(10, 60)),
                                "choices": [_text(rng, rng.randint(2, 8)) for _ in range(4)], "answer": rng.randrange(4)},
                               ensure_ascii=False) + "\n")
    with open(root / "heldout.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"h{i}", "text": _text(rng, rng.randint(60, 200))}, ensure_ascii=False) + "\n")
    (root / "qa.yaml").write_text("name: qa\ntype: generate\ndata: qa.jsonl\nprompt: \"質問: {question}\\n答え:\"\n"
                                  "few_shot: 2\nmax_new_tokens: 24\nstop: []\nmetrics: [exact_match, char_f1, rouge_l]\n", encoding="utf-8")
    (root / "choice.yaml").write_text("name: choice\ntype: multiple_choice\ndata: choice.jsonl\nprompt: \"{question}\"\n",
                                      encoding="utf-8")
    (root / "heldout.yaml").write_text("name: heldout\ntype: perplexity\ndata: heldout.jsonl\n", encoding="utf-8")
    return root


def run_one(model_dir: Path, tasks: list, probes: tuple, batch_size: int, out: Path) -> tuple[dict, float, float]:
    """One full evaluation; (summary, wall seconds, CPU seconds of this process)."""
    from deshi.evals.models import HFModel
    from deshi.evals.runner import evaluate

    model = HFModel(model_dir, batch_size=batch_size)
    started, cpu = time.perf_counter(), time.process_time()
    summary = evaluate(model, tasks, out, probes=probes[0], canaries=probes[1], resamples=1000, probe_max_new_tokens=32)
    return summary, time.perf_counter() - started, time.process_time() - cpu


def _outputs(run_dir: Path) -> dict:
    """What the model answered: QA predictions, probe outputs, multiple-choice log-likelihoods."""
    def rows(path: Path) -> list[dict]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return {"qa": [r["prediction"] for r in rows(run_dir / "tasks" / "qa.jsonl")],
            "probes": [r["output"] for r in rows(run_dir / "probes.jsonl")],
            "choice": [r["loglikelihoods"] for r in rows(run_dir / "tasks" / "choice.jsonl")],
            "heldout": [r.get("logprob") for r in rows(run_dir / "tasks" / "heldout.jsonl")]}


def bench(model_dir: Path, label: str, n: int, rounds: int, batch_size: int, work: Path) -> dict:
    from deshi.evals.probes import load_probes
    from deshi.evals.tasks import load_tasks

    tasks = load_tasks([write_tasks(work / "tasks", n)])
    probes = load_probes()
    examples = sum(len(t.examples) for t in tasks) + len(probes[0])
    per = {"batched": [], "one_at_a_time": []}
    per_cpu = {"batched": [], "one_at_a_time": []}
    latencies = {}
    per_task = {"batched": {}, "one_at_a_time": {}}
    outputs = {}
    for r in range(rounds):
        order = [("batched", batch_size), ("one_at_a_time", 1)]
        if r % 2:
            order.reverse()  # interleave: neither mode always runs first
        for mode, bs in order:
            summary, seconds, cpu = run_one(model_dir, tasks, probes, bs, work / f"{mode}-{r}")
            per[mode].append(examples / seconds)
            per_cpu[mode].append(examples / cpu)
            latencies[mode] = summary["latency"]
            for name, block in summary["tasks"].items():
                per_task[mode].setdefault(name, []).append(block["examples_per_s"])
            task_seconds = sum(b["seconds"] for b in summary["tasks"].values())
            per_task[mode].setdefault("probes", []).append(len(probes[0]) / max(seconds - task_seconds, 1e-9))
            outputs[mode] = _outputs(work / f"{mode}-{r}")
            print(f"  {label} round {r + 1} {mode:14s} {examples / seconds:8.1f} examples/s  "
                  f"{examples / cpu:8.1f} examples/CPU-s", flush=True)
    b, s = outputs["batched"], outputs["one_at_a_time"]
    # Batching must not change results: generated text identical, log-likelihoods equal to float noise.
    same = b["qa"] == s["qa"] and b["probes"] == s["probes"]
    choice_diff = max(abs(x - y) for bx, sx in zip(b["choice"], s["choice"], strict=True)
                      for x, y in zip(bx, sx, strict=True))
    choice_same_pick = all(max(range(len(bx)), key=bx.__getitem__) == max(range(len(sx)), key=sx.__getitem__)
                           for bx, sx in zip(b["choice"], s["choice"], strict=True))
    heldout_diff = max(abs(x - y) for x, y in zip(b["heldout"], s["heldout"], strict=True))
    med = {m: statistics.median(v) for m, v in per.items()}
    med_cpu = {m: statistics.median(v) for m, v in per_cpu.items()}
    return {
        "model": label,
        "examples_per_round": examples,
        "rounds": rounds,
        "batch_size": batch_size,
        "examples_per_s": {m: {"median": med[m], "all": v} for m, v in per.items()},
        "examples_per_cpu_s": {m: {"median": med_cpu[m], "all": v} for m, v in per_cpu.items()},
        "speedup": med["batched"] / med["one_at_a_time"],
        "speedup_cpu": med_cpu["batched"] / med_cpu["one_at_a_time"],
        "per_task_examples_per_s_median": {m: {t: statistics.median(v) for t, v in d.items()} for m, d in per_task.items()},
        "latency_last_round": {m: {k: latencies[m][k] for k in ("e2e_ms", "ttft_ms", "tpot_ms", "tokens_per_s")}
                               for m in latencies},
        "batched_answers_identical": same,
        "choice_max_abs_loglik_diff": choice_diff,
        "choice_same_picks": choice_same_pick,
        "heldout_max_abs_logprob_diff": heldout_diff,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="A model directory (e.g. workspace/distill, the demo student).")
    parser.add_argument("--shapes", default="demo-student,10m", help="Built-from-config shapes when --model is absent.")
    parser.add_argument("--examples", type=int, default=64, help="Examples per task (three tasks).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32,
                        help="Rows in flight / examples per forward pass of the batched mode (deshi's default).")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's own choice, all cores, as `deshi eval` runs). "
                             "Pass 1 on a machine shared with other jobs: spinning threads there are many times slower.")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    results = []
    with tempfile.TemporaryDirectory(prefix="eval-bench-") as tmp:
        work = Path(tmp)
        targets = [(args.model, f"model dir {args.model}")] if args.model else [
            (build_model(shape, work / shape), f"{shape} (built from config, random weights)")
            for shape in args.shapes.split(",")]
        for model_dir, label in targets:
            params = sum(p.numel() for p in __import__("transformers").AutoModelForCausalLM.from_pretrained(model_dir).parameters())
            print(f"{label}: {params / 1e6:.2f}M parameters, torch threads {torch.get_num_threads()}", flush=True)
            result = bench(model_dir, label, args.examples, args.rounds, args.batch_size, work / label.split()[0])
            result["parameters"] = params
            results.append(result)
    body = {"benchmark": "eval", "peer": "same runner, batch_size=1 (one example at a time)",
            "command": "  ".join(["python benchmarks/eval_bench.py", *sys.argv[1:]]), "target_speedup": 4.0,
            "torch_threads": torch.get_num_threads(), "results": results}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = ["## Evaluation throughput: batched vs one example at a time", "",
             f"Command: `.venv/bin/python benchmarks/eval_bench.py {' '.join(sys.argv[1:])}`".rstrip(), "",
             f"The demo's eval workload: three tasks × {args.examples} examples (generative QA, 2-shot, 24 new "
             f"tokens; 4-way multiple choice by log-likelihood; held-out perplexity) plus every bundled safety "
             f"probe (32 new tokens), through the full deshi runner incl. metrics and 1000-sample bootstrap; "
             f"{args.rounds} interleaved rounds, medians; torch threads {torch.get_num_threads()}"
             f"{' (torch default, as `deshi eval` runs)' if not args.threads else ''}. Target: ≥ 4× examples/s.", "",
             "| model | params | batched ex/s | one-at-a-time ex/s | speedup (wall) | speedup (CPU s) | "
             "QA | probes | multiple choice | perplexity | "
             "p50 / p95 / p99 e2e ms (batched) | p50 / p95 / p99 e2e ms (single) | identical answers | "
             "max Δ log-lik (MC / ppl) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        b, s = r["examples_per_s"]["batched"]["median"], r["examples_per_s"]["one_at_a_time"]["median"]
        qa = r["per_task_examples_per_s_median"]
        lb, ls = r["latency_last_round"]["batched"]["e2e_ms"], r["latency_last_round"]["one_at_a_time"]["e2e_ms"]
        lines.append(f"| {r['model']} | {r['parameters'] / 1e6:.2f}M | {b:.1f} | {s:.1f} | **{r['speedup']:.1f}×** | "
                     f"**{r['speedup_cpu']:.1f}×** | "
                     + " | ".join(f"{qa['batched'][t]:.1f} / {qa['one_at_a_time'][t]:.1f} "
                                  f"({qa['batched'][t] / qa['one_at_a_time'][t]:.1f}×)"
                                  for t in ("qa", "probes", "choice", "heldout")) + " | "
                     f"{lb['p50']:.0f} / {lb['p95']:.0f} / {lb['p99']:.0f} | {ls['p50']:.0f} / {ls['p95']:.0f} / {ls['p99']:.0f} | "
                     f"{r['batched_answers_identical']} (MC picks {r['choice_same_picks']}) | "
                     f"{r['choice_max_abs_loglik_diff']:.1e} / {r['heldout_max_abs_logprob_diff']:.1e} |")
    lines += ["", "Per-column cells: batched / one-at-a-time examples/s, wall clock (speedup). Speedup (CPU s): "
              "the same runs measured in CPU seconds of the benchmark process, which other processes on a shared machine "
              "disturb far less than wall time (with more than one torch thread, CPU seconds also count threads "
              "spinning while they wait, so wall clock is the measure that matters then). Identical answers: every QA "
              "prediction and every probe output of the last batched round equals the one-at-a-time round's, and "
              "multiple choice picks the same choice; max Δ log-lik: largest absolute difference of a multiple-choice "
              "log-likelihood / a held-out text's log-probability between the two modes (float rounding).", "",
              "Batched end-to-end latency is per request, from its admission into the running batch to its own "
              "last token (continuous batching), so it includes sharing every step with the other rows: batching "
              "trades per-request latency for throughput, which is why the gate's latency budgets should be "
              "measured in the serving configuration (e.g. against the gateway with `--endpoint`)."]
    (args.out / "eval.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
