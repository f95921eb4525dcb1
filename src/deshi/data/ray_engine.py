"""Ray Data executor (``--engine ray``; install ``deshi[ray]``).

Phase 1 and phase 3 run as Ray Data ``map_batches`` over the shard list (one shard per batch), calling
exactly the functions the local executor calls, so both engines write the same intermediate files and
the same output bytes; phase 2 (global dedup) runs in the driver either way. Shards read their input
from a path every Ray worker can see (local disk for a single node, a shared filesystem for a cluster),
as datatrove's Ray executor does. Telemetry is off: ``RAY_USAGE_STATS_ENABLED=0``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from deshi.errors import DeshiError


class RayMissingError(DeshiError):
    """--engine ray needs the ray extra."""


def _call_batch(batch: dict[str, Any], fn: Callable[..., Any]) -> dict[str, Any]:
    import json

    results = [json.dumps(fn(*json.loads(args))) for args in batch["args"]]
    return {"result": results}


def worker_env_vars(pythonpath: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Ray's workers get: this deshi on their path, no usage statistics, and one
    thread for native libraries' pools (rensa's rayon, OpenBLAS, OpenMP, MKL), as the local executor's
    workers (:mod:`deshi.data.worker_init`): Ray runs one task per CPU, so a pool of one thread per core
    inside each task only oversubscribes the cores. A thread variable the user set is left to them
    (Ray's workers inherit the driver's environment)."""
    from deshi.data.worker_init import THREAD_VARIABLES

    env = os.environ if environ is None else environ
    result = {"PYTHONPATH": pythonpath, "RAY_USAGE_STATS_ENABLED": "0"}
    for name in ("RAYON_NUM_THREADS", *THREAD_VARIABLES):
        if name not in env:
            result[name] = "1"
    return result


class RayExecutor:
    def __init__(self, workers: int) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        try:
            import ray
        except ImportError:
            raise RayMissingError("--engine ray needs Ray: pip install 'deshi[ray]'") from None
        self.ray = ray
        self.workers = workers
        self._started = False
        if not ray.is_initialized():
            src = str(Path(__file__).resolve().parents[2])  # so workers import this deshi checkout
            path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     runtime_env={"env_vars": worker_env_vars(path)})
            self._started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.execution_options.preserve_order = True  # results come back in shard order

    # The executor interface of deshi.data.executor.LocalExecutor. Ray schedules its own workers:
    # there is no pool to start early or to let go before close, and dedup's verification stays in
    # the driver (pool_size 0: no processes beside it to share with).
    pool_size = 0

    def start(self) -> RayExecutor:
        return self

    def release(self) -> None:
        pass

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], on_done: Callable[[], None],
            idle: Callable[[], None] | None = None) -> list[Any]:
        """As LocalExecutor.map; ``idle`` is not called (the driver runs no calls of its own)."""
        import json

        if not calls:
            return []
        items = [{"args": json.dumps(list(args))} for args in calls]
        dataset = self.ray.data.from_items(items, override_num_blocks=len(items))
        mapped = dataset.map_batches(_call_batch, fn_kwargs={"fn": fn}, batch_size=1, num_cpus=1,
                                     concurrency=max(1, self.workers))
        results = [json.loads(row["result"]) for row in mapped.take_all()]
        for _ in results:
            on_done()
        return results

    def close(self) -> None:
        if self._started:
            self.ray.shutdown()
