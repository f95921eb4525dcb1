"""The local executor: the coordinating process and a pool of worker processes share the work units.

Why the coordinator works too. With ``workers = N`` the run uses N processes in phase 1: this one and
a pool of N - 1. A pool of N left the coordinator idle while the pool started (a fresh interpreter
that imports numpy, the PII recognisers and the word lists: ~0.35 s of one core) and both workers
began late by that much; now the coordinator starts on the first unit at once and the pool's worker
joins when it is ready. Units are handed out one at a time from a shared counter (not pre-split), so
a late or slower process simply takes fewer of them and all processes finish within about one unit
of each other.

Why the pool starts early. :meth:`LocalExecutor.start` launches the pool in a background thread and
warms it (one warm-up task per worker, which imports deshi's steps and builds them for the run's
config; usually each worker takes one) while the coordinator is still importing and planning: on two cores that start-up overlaps the coordinator's
own instead of following it. The CLI calls it before it even imports the runner.

How workers start. ``fork`` when this process runs no other thread once OpenBLAS's are stopped
(nothing can hold a lock in the child; OpenBLAS stops its threads around a fork itself, so a script
that imported NumPy first forks too), otherwise ``forkserver`` (``spawn`` where unavailable). Forking a process that had already run a curation
deadlocked children on a lock inherited from a library thread pool (rensa's rayon pool, BLAS) in our
tests, so a multi-threaded process never forks. Forking saves the fork server's fresh interpreter
and the resource tracker's (~0.1 s of CPU). As with any ``multiprocessing`` use, scripts calling
:func:`deshi.data.runner.curate` with ``workers > 1`` need an ``if __name__ == "__main__":`` guard.
The fork server is started from the coordinating thread as the pool is created, and its workers (and
forked ones) run native libraries on one thread (:mod:`deshi.data.worker_init`: NumPy's OpenBLAS
otherwise spun a thread per core for ~0.1 s of CPU at each worker's start, on the coordinator's core).

Workers exit when the coordinator dies (SIGKILL included), so a killed run leaves no idle workers
behind. Each worker holds the read end of a pipe whose only write end the coordinator holds: the
kernel closes it when the coordinator dies, and the worker's read sees end-of-file. Unlike asking
whether the coordinator's pid still exists, this is not fooled by a coordinator left as an unreaped
zombie or by its pid being reused, and it works whether a worker's parent is the coordinator (fork)
or the fork server (which outlives a worker).

This module imports nothing heavy (no numpy), so the CLI can start the pool before the rest.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Modules a fork server imports once, before it forks workers; worker_preload first, as it must come
# before NumPy (it limits native thread pools to one thread per worker process).
PRELOAD = ["deshi.data.worker_preload", "deshi.data.runner", "deshi.data.content", "deshi.data.language", "deshi.data.quality",
           "deshi.data.normalise", "deshi.data.pii_step", "deshi.data.pii"]
_TRACE = os.environ.get("DESHI_CURATE_TRACE")


def trace(event: str, **fields: Any) -> None:
    """Diagnostics: with ``DESHI_CURATE_TRACE=FILE`` every process of a run appends one JSON line per
    event (wall clock, process id, its CPU seconds so far) to FILE, to show where the time goes
    (``benchmarks/curate_scaling.py`` reads it). Nothing is written without the variable."""
    if _TRACE:
        import json

        line = json.dumps({"event": event, "t": time.time(), "pid": os.getpid(), "cpu": time.process_time(), **fields})
        fd = os.open(_TRACE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode() + b"\n")
        finally:
            os.close(fd)


def _traced(fn: Callable[..., Any], index: int, *args: Any) -> Any:
    """``fn(*args)``, with a trace event at its start and end (see :func:`trace`)."""
    if not _TRACE:
        return fn(*args)
    trace("call_start", fn=fn.__name__, call=index)
    result = fn(*args)
    trace("call_end", fn=fn.__name__, call=index)
    return result


def _single_threaded() -> bool:
    """True when this process runs no other OS thread (Linux: /proc/self/task); False when unknown.
    When the only others are OpenBLAS's (NumPy's, started on import), they are stopped first, as a
    fork stops them anyway (:func:`deshi.data.worker_init.stop_openblas_threads_if_alone`)."""
    from deshi.data.worker_init import stop_openblas_threads_if_alone

    try:
        threads = len(os.listdir("/proc/self/task"))
        if threads == 1:
            return True
        return stop_openblas_threads_if_alone(threads) and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _watch_parent(alive: Any, inherited_writer: int | None) -> None:
    """Worker initializer: leave when the coordinating process is gone (SIGKILL included) instead of
    waiting forever for work that will not come.

    ``alive`` is the read end of the coordinator's pipe; nothing is ever written to it, so it turns
    readable only at end-of-file, when the last write end is closed: the coordinator's, at its death.
    A forked worker inherited a copy of the write end too (``inherited_writer``) and closes it first,
    or it would keep its own pipe open.

    Also limits native libraries to one thread (:mod:`deshi.data.worker_init`): through the
    environment while a forked worker has not imported them yet (a fork server's workers got that
    from their preload), and directly for an OpenBLAS it inherited already loaded."""
    from deshi.data.worker_init import limit_loaded_openblas, limit_native_threads

    limit_native_threads()
    limit_loaded_openblas()
    if inherited_writer is not None:
        os.close(inherited_writer)

    def watch() -> None:
        try:
            alive.poll(None)
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="deshi-parent-watch", daemon=True).start()


def _warm(config_json: str) -> None:
    """A warm-up task: imports the steps and builds them for this config (cached per process)."""
    from deshi.data.config import CurateConfig
    from deshi.data.runner import _steps_for

    _steps_for(CurateConfig.model_validate_json(config_json))
    trace("worker_ready")


class LocalExecutor:
    """Runs tasks in this process (1 worker) or in this process plus a pool of ``workers - 1``.

    ``map`` returns results in call order whoever ran each call; the pool is reused by every phase.
    """

    def __init__(self, workers: int, config_json: str | None = None) -> None:
        self.workers = workers
        self.config_json = config_json
        self._pool: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._alive: tuple[Any, Any] | None = None  # (read end, write end): see _watch_parent
        self._forked = False  # the pool's workers are forked from this process (warm-ups queued at creation)

    @property
    def pool_size(self) -> int:
        return max(0, self.workers - 1)

    def start(self) -> LocalExecutor:
        """Launch and warm the pool in the background (no-op for one worker); returns at once.

        Warming submits one warm-up task per pool worker. A worker that finishes its own early may
        take another's, so a worker is not guaranteed to be warm; one that is not builds the steps
        on its first unit instead (the same work, done later)."""
        if self.pool_size and self._thread is None:
            self._create_pool()  # in this thread: fork (when chosen) must happen before any other thread exists
            self._thread = threading.Thread(target=self._warm_pool, name="deshi-pool-start", daemon=True)
            self._thread.start()
        return self

    def _create_pool(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if _single_threaded() and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
        else:
            # Workers must import the same deshi as this process (a checkout on sys.path may shadow
            # an installed copy): the fork server is a fresh interpreter that only sees PYTHONPATH.
            root = str(Path(__file__).resolve().parents[2])
            paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if root not in paths:
                os.environ["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p]])
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                # Start the fork server now, from this thread (two process spawns, ~2 ms): left to the
                # pool's first submit in the background thread, its start waited for that thread to get
                # the GIL from this one, busy planning, several times (up to 5 ms each).
                from multiprocessing import forkserver

                forkserver.ensure_running()
            else:
                context = multiprocessing.get_context("spawn")
        trace("pool_start", method=context.get_start_method())
        reader, writer = context.Pipe(duplex=False)
        self._alive = (reader, writer)
        # A forked worker inherits the write end under the same number and must close it; a fork
        # server's worker never has it (the fork server is a fresh interpreter given only its own fds).
        inherited = writer.fileno() if context.get_start_method() == "fork" else None
        self._pool = ProcessPoolExecutor(self.pool_size, mp_context=context, initializer=_watch_parent,
                                         initargs=(reader, inherited))
        if context.get_start_method() == "fork":
            self._forked = True
            # A fork pool launches all its processes at the first submit: do it now, single-threaded.
            self._warmups = [self._pool.submit(_warm, self.config_json) for _ in range(self.pool_size)] \
                if self.config_json else [self._pool.submit(os.getpid)]
        else:
            self._warmups = []

    def _warm_pool(self) -> None:
        try:
            if not self._warmups:  # fork server / spawn: starting a worker blocks until it is ready
                self._warmups = [self._pool.submit(_warm, self.config_json) if self.config_json
                                 else self._pool.submit(os.getpid) for _ in range(self.pool_size)]
            for future in self._warmups:
                future.result()
        except BaseException as exc:  # reported to the caller of map
            self._error = exc
        finally:
            self._ready.set()

    def wait_ready(self) -> None:
        """Start the pool if needed and block until its warm-up tasks are done (raising what
        starting it raised). ``map`` does not need this: it runs calls in this process meanwhile."""
        if not self.pool_size:
            return
        self.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]], on_done: Callable[[], None],
            idle: Callable[[], None] | None = None) -> list[Any]:
        """``[fn(*args) for args in calls]``, shared between this process and the pool.

        ``idle``: called once, in this thread, when no call is left for this process to claim while
        the pool still runs some: work the caller needs afterwards, done while it would wait (the
        last calls of a phase end up to one call apart). Not called when nothing is left to wait for."""
        if not self.pool_size or len(calls) <= 1:
            results = []
            for args in calls:
                results.append(fn(*args))
                on_done()
            return results
        self.start()
        n = len(calls)
        results: list[Any] = [None] * n
        lock = threading.Lock()
        next_call = [0]
        stop = threading.Event()
        finished: queue.Queue[tuple[int, Any]] = queue.Queue()

        def claim() -> int | None:
            with lock:
                if stop.is_set() or next_call[0] >= n:
                    return None
                next_call[0] += 1
                return next_call[0] - 1

        def feed() -> None:
            # The pool's share, claimed a call at a time. Two calls per pool worker are in flight
            # while many are left, so a worker finds its next call already queued: handing it one
            # takes this thread, the pool's manager thread and its queue thread, and each waits for
            # the GIL that this process's own calls hold (up to the 5 ms switch interval, several
            # times). Near the end one per worker, so the pool holds no call this process could run.
            from concurrent.futures import FIRST_COMPLETED, wait

            def fill(inflight: dict[Any, int]) -> None:
                while True:
                    with lock:
                        left = n - next_call[0]
                    if len(inflight) >= self.pool_size * (2 if left > 2 * self.pool_size else 1):
                        return
                    i = claim()
                    if i is None:
                        return
                    inflight[self._pool.submit(_traced, fn, i, *calls[i])] = i

            try:
                # A forked pool has its warm-up tasks queued already (in _create_pool): calls queued
                # behind them start the moment a worker is warm. Waiting for the warm-ups first left
                # the worker idle ~20 ms while this thread got the GIL from the coordinator's own calls.
                # A fork server's pool is still being started by _warm_pool: wait for it.
                if not self._forked:
                    self._ready.wait()
                if self._error is not None:
                    raise self._error
                inflight: dict[Any, int] = {}
                fill(inflight)
                while inflight:
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in done:
                        finished.put((inflight.pop(future), future))
                    fill(inflight)
            except BaseException as exc:
                finished.put((-1, exc))

        feeder = threading.Thread(target=feed, name="deshi-pool-feed", daemon=True)
        feeder.start()
        outstanding = n
        try:
            while True:
                while True:  # collect what the pool finished meanwhile (progress stays live)
                    try:
                        item = finished.get_nowait()
                    except queue.Empty:
                        break
                    outstanding -= self._collect(item, results, on_done)
                i = claim()
                if i is None:
                    break
                results[i] = _traced(fn, i, *calls[i])
                outstanding -= 1
                on_done()
            if idle is not None and outstanding:
                idle()
            while outstanding:
                outstanding -= self._collect(finished.get(), results, on_done)
        finally:
            stop.set()
        feeder.join()
        return results

    @staticmethod
    def _collect(item: tuple[int, Any], results: list[Any], on_done: Callable[[], None]) -> int:
        index, value = item
        if index < 0:
            raise value
        results[index] = value.result()
        on_done()
        return 1

    def release(self) -> None:
        """No more calls will come: let the workers exit now, while this process finishes up."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        if self._alive is not None:  # after shutdown: workers that are gone no longer need the pipe
            for end in self._alive:
                end.close()
            self._alive = None


def make_executor(workers: int, engine: str, config_json: str | None = None) -> Any:
    """The executor for ``engine``: ``local`` (this module) or ``ray`` (:mod:`deshi.data.ray_engine`)."""
    if engine == "ray":
        from deshi.data.ray_engine import RayExecutor

        return RayExecutor(workers)
    return LocalExecutor(workers, config_json)

