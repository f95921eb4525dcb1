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
from typing import Any

# OpenBLAS (NumPy's wheels), OpenMP runtimes, Intel MKL (other NumPy builds).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_native_threads(environ: os._Environ[str] | dict[str, str] | None = None) -> None:
    """Set each of :data:`THREAD_VARIABLES` to 1 unless it is set already."""
    env = os.environ if environ is None else environ
    for name in THREAD_VARIABLES:
        env.setdefault(name, "1")


# Exported names of OpenBLAS's thread-count calls: NumPy >= 2's wheels (scipy-openblas, 64-bit
# integers, prefixed and suffixed), older wheels and system builds.
_OPENBLAS_PREFIXES = ("scipy_openblas_", "openblas_")
_OPENBLAS_SUFFIXES = ("64_", "")


def _openblas_call(library: Any, name: str) -> Any:
    for prefix in _OPENBLAS_PREFIXES:
        for suffix in _OPENBLAS_SUFFIXES:
            function = getattr(library, f"{prefix}{name}{suffix}", None)
            if function is not None:
                return function
    return None


def _loaded_openblas() -> list[Any]:
    """ctypes handles of the OpenBLAS libraries this process has loaded (Linux: /proc/self/maps);
    empty when none is, or where that cannot be read. Loads nothing new."""
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split(None, 5)[5].strip() for line in maps
                     if line.count(" ") >= 5 and "openblas" in line.rsplit("/", 1)[-1].lower()}
    except (OSError, IndexError):
        return []
    handles = []
    for path in sorted(paths):
        try:
            handles.append(ctypes.CDLL(path))  # already mapped: only a new reference to it
        except OSError:
            continue
    return handles


def _server_threads(library: Any) -> int | None:
    """Threads this OpenBLAS runs for itself now (0 while they are stopped); None when it cannot say."""
    import ctypes

    try:
        available = ctypes.c_int.in_dll(library, "blas_server_avail").value
        started = ctypes.c_int.in_dll(library, "blas_num_threads").value
    except ValueError:  # not exported by this build
        return None
    return max(0, started - 1) if available else 0


def stop_openblas_threads_if_alone(threads: int) -> bool:
    """With ``threads`` OS threads in this process: when exactly those beside the calling one are
    OpenBLAS's own, stop them and return True (the process is then single-threaded); otherwise leave
    everything as it is and return False.

    How: OpenBLAS's ``blas_thread_shutdown_`` is what its own ``pthread_atfork`` handler calls before
    each fork (its threads are joined and started again by the next BLAS call that wants them), and it
    is called only when no other thread exists, so none can be inside a BLAS call meanwhile.

    Why. NumPy's OpenBLAS starts a thread per core when NumPy is imported, so a script that imported
    NumPy before calling ``curate`` was never single-threaded, and the local executor, which forks
    its workers only from a single-threaded process (:mod:`deshi.data.executor`), started a fork
    server instead: a fresh interpreter importing deshi again, ~0.3 s of CPU before its first
    worker could start (measured at 20,000 documents, 2 workers: curate 2.29 → 2.15 s). Any other
    thread (rensa's rayon pool after a curation, a user's thread) still means no fork."""
    libraries = _loaded_openblas()
    counts = [_server_threads(library) for library in libraries]
    if not libraries or None in counts or threads != 1 + sum(c for c in counts if c is not None):
        return False
    for library in libraries:
        shutdown = getattr(library, "blas_thread_shutdown_", None)
        if shutdown is None:
            return False
        shutdown()
    return True


def limit_loaded_openblas() -> None:
    """Set the OpenBLAS libraries already loaded in this process to one thread: the environment
    variables of :func:`limit_native_threads` only reach a library loaded after them, and a worker
    forked from a process that had imported NumPy inherits a loaded one."""
    for library in _loaded_openblas():
        set_threads = _openblas_call(library, "set_num_threads")
        if set_threads is not None:
            set_threads(1)
