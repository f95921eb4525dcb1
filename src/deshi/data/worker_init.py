"""One thread per worker process for native libraries' thread pools (BLAS, OpenMP).

Why. The local executor runs one worker process per core (:mod:`deshi.data.executor`), so a
library's own pool of one thread per core inside each worker only oversubscribes the CPU, and it
costs even when nothing uses it: on import, NumPy's OpenBLAS starts a thread per core that spins for
about 0.1 s before it sleeps (measured here: ``import numpy`` took 0.05 s of CPU with
``OPENBLAS_NUM_THREADS=1``, 0.10-0.14 s without). In a worker's start-up that spinning thread runs
on the core the coordinating process is already working on, so each worker start stole ~0.1 s of
CPU from the run's first work units (the fork server's start-up: 0.38 → 0.27 s of CPU). The same
reasoning as ``RAYON_NUM_THREADS=1`` in :mod:`deshi.data.dedup`.

These variables are read when a library loads, so they must be set before the worker imports NumPy:
the fork server imports :mod:`deshi.data.worker_preload` (which calls :func:`limit_native_threads`)
first of its preload list (:data:`deshi.data.executor.PRELOAD`), and a worker forked from a process
that has not loaded NumPy yet calls it in its initializer. Values the user set are kept; the
coordinating process's own environment is not changed (the CLI's ``curate run`` sets it for itself).
"""

from __future__ import annotations

import os

# OpenBLAS (NumPy's wheels), OpenMP runtimes, Intel MKL (other NumPy builds).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_native_threads(environ: os._Environ[str] | dict[str, str] | None = None) -> None:
    """Set each of :data:`THREAD_VARIABLES` to 1 unless it is set already."""
    env = os.environ if environ is None else environ
    for name in THREAD_VARIABLES:
        env.setdefault(name, "1")
