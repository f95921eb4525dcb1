"""lm-evaluation-harness interop: run its tasks on the model and fold the scores into deshi results.

lm-eval is optional (``pip install deshi[lmeval]``). Its results (``"acc,none"``,
``"acc_stderr,none"``, …) become ordinary deshi task blocks named ``<task>`` with the filter suffix
dropped, so the same gate.yaml can put floors and non-inferiority checks on them. Nothing is
downloaded at run time here: pass local task YAMLs with ``--lm-eval-include DIR`` (``dataset_path:
json`` + ``dataset_kwargs: {data_files: …}``); hub-hosted tasks need their datasets in the HF cache.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from deshi.errors import DeshiError


class LmEvalError(DeshiError):
    """lm-eval is missing or its run failed."""


def lm_eval_available() -> bool:
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        return False
    return True


def convert_lm_eval_results(raw: dict[str, Any]) -> dict[str, Any]:
    """lm-eval's ``simple_evaluate`` output → deshi ``tasks`` blocks (value, stderr, n per metric)."""
    out: dict[str, Any] = {}
    samples = raw.get("n-samples", {})
    higher = raw.get("higher_is_better", {})
    for task, block in raw.get("results", {}).items():
        n_info = samples.get(task, {})
        n = int(n_info.get("effective", n_info.get("original", 0)) or 0)
        metrics: dict[str, Any] = {}
        for key, value in block.items():
            if key == "alias" or "," not in key or "_stderr," in key:
                continue
            metric, _, filt = key.partition(",")
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            name = metric if filt in ("none", "") else f"{metric}:{filt}"
            stderr = block.get(f"{metric}_stderr,{filt}")
            stderr = float(stderr) if isinstance(stderr, int | float) and not math.isnan(float(stderr)) else None
            metrics[name] = {"value": float(value), "stderr": stderr, "n": n}
        if not metrics:
            continue
        primary = "acc" if "acc" in metrics else next(iter(metrics))
        out[task] = {"type": "lm_eval", "file": f"lm-eval:{task}", "n": n, "errors": 0, "primary_metric": primary,
                     "metrics": metrics, "higher_is_better": higher.get(task, {})}
    return out


def run_lm_eval(model_dir: Path | str, tasks: list[str], include_path: Path | str | None = None,
                batch_size: int = 8, limit: int | None = None, adapter: Path | str | None = None,
                seed: int = 0) -> dict[str, Any]:
    """Run lm-eval's HF backend on a model directory; returns converted deshi task blocks."""
    if not lm_eval_available():
        raise LmEvalError("lm-eval is not installed; `pip install lm-eval==0.4.13` (or deshi[lmeval]) to use --lm-eval")
    # deshi runs air-gapped: never let lm-eval, datasets or the Hub client try the network (on a
    # machine without it they wait for timeouts). An explicit user setting still wins.
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(var, "1")
    import lm_eval
    from lm_eval.tasks import TaskManager

    args = f"pretrained={Path(model_dir).resolve()},dtype=float32"
    if adapter:
        args += f",peft={Path(adapter).resolve()}"
    manager = None
    if include_path:
        # Indexing lm-eval's ~15k bundled task files takes ~40 s; skip it when the local tasks suffice.
        local = TaskManager(include_path=str(Path(include_path).resolve()), include_defaults=False)
        if all(task in local.all_tasks for task in tasks):
            manager = local
    if manager is None:
        manager = TaskManager(include_path=str(Path(include_path).resolve()) if include_path else None)
    try:
        raw = lm_eval.simple_evaluate(model="hf", model_args=args, tasks=tasks, batch_size=batch_size, limit=limit,
                                      device="cpu", task_manager=manager, random_seed=seed, numpy_random_seed=seed,
                                      torch_random_seed=seed, fewshot_random_seed=seed, log_samples=False)
    except Exception as exc:  # noqa: BLE001 - lm-eval raises many types; one clear message for the user
        raise LmEvalError(f"lm-eval failed on tasks {tasks}: {type(exc).__name__}: {exc}") from exc
    if raw is None:
        raise LmEvalError("lm-eval returned no results")
    return convert_lm_eval_results(raw)
