#!/usr/bin/env python
"""The distill stage in the demo configuration with overrides: how the quality A/B numbers in
benchmarks/results/distill.md and docs/distill.md were measured.

It runs exactly what the pipeline's distill stage runs (``deshi.distill.stage.run_distill``) with the
``distill`` section of examples/demo/pipeline.yaml, on an existing demo workspace (its ``pretrain/model``,
``generate/set`` and ``demo_data``), plus the overrides given as JSON. By default only the KD student is
trained and scored (no CE baseline, ablations or teacher scoring) so one variant costs one training run;
pass ``{"compare_ce": true, ...}`` etc. to get them. Appends one JSON line per run to ``--log``.

Run:  .venv/bin/python benchmarks/distill_quality_ab.py --workspace workspace --name whole_s1 \\
          --set '{"whole_examples": true, "seed": 1}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, required=True, help="a demo workspace with pretrain/, generate/ and demo_data/")
    ap.add_argument("--name", required=True)
    ap.add_argument("--set", default="{}", help="JSON object of distill-stage fields to override")
    ap.add_argument("--out", type=Path, default=None, help="run directory root (default: <workspace>/distill-ab)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: robust on a shared machine)")
    ap.add_argument("--run-seed", type=int, default=None,
                    help="seed of the training runs (data order, per-step seeding); default as the stage: the config's "
                    "seed, else the pipeline's. The student's initialisation always follows the config's seed (else 0)")
    ap.add_argument("--log", type=Path, default=None, help="JSONL to append the result to (default: <out>/results.jsonl)")
    args = ap.parse_args()

    import torch
    import yaml

    from deshi.distill.stage import Config, run_distill

    torch.set_num_threads(args.threads)
    overrides = json.loads(args.set)
    pipeline = yaml.safe_load((ROOT / "examples" / "demo" / "pipeline.yaml").read_text(encoding="utf-8"))
    section = dict(pipeline["stages"]["distill"])
    section.update({"compare_ce": False, "ablation_losses": [], "evaluate_teacher": False})
    section.update(overrides)
    config = Config(**section)
    ws = args.workspace
    out = (args.out or ws / "distill-ab") / args.name
    seed = args.run_seed if args.run_seed is not None else int(overrides.get("seed", pipeline.get("seed", 0)))
    t0, c0 = time.perf_counter(), time.process_time()
    _, summary = run_distill(config, ws / "pretrain" / "model", ws / "generate" / "set", out, seed, ws / "demo_data", show_progress=False)
    line = {
        "name": args.name, "set": overrides, "threads": args.threads, "run_seed": seed,
        "rows": [(r["model"], r.get("golden_correct"), round(r.get("heldout_perplexity", 0)), r["parameters"]) for r in summary["metrics"]["table"]],
        "steps": summary["counts"]["steps"], "train_blocks": summary["counts"]["train_blocks"],
        "wall_s": round(time.perf_counter() - t0), "cpu_s": round(time.process_time() - c0),
        "final_eval_loss": summary["metrics"]["final_eval_loss"],
    }
    print(json.dumps(line, ensure_ascii=False))
    log = args.log or out.parent / "results.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
