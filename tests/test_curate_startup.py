"""Start-up and finishing costs of a curate run that must not change what it computes: the shipped
character table, one native thread per worker process, hashing off the serial path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deshi.artifacts import describe_input, hash_tree, sha256_file, verify
from deshi.data import chars
from deshi.data.config import CurateConfig
from deshi.data.executor import LocalExecutor
from deshi.data.runner import curate
from deshi.data.worker_init import THREAD_VARIABLES, limit_native_threads
from test_curate_support import make_corpus, outputs

SRC = Path(__file__).resolve().parents[1] / "src"


def test_the_shipped_character_table_is_the_one_the_definitions_build() -> None:
    built = chars._build_table()
    shipped = chars.load_table()
    if shipped is None:  # another Unicode database than the file was written for: built at import
        assert np.array_equal(chars.TABLE, built)
        pytest.skip("chars_table.zlib was written for another Unicode version (python -m deshi.data.chars)")
    assert np.array_equal(shipped, built)
    assert np.array_equal(chars.TABLE, built)


def test_a_character_table_with_another_key_is_not_used(tmp_path, monkeypatch) -> None:
    path = tmp_path / "table.zlib"
    chars.write_table(path)
    assert np.array_equal(chars.load_table(path), chars._build_table())
    # A changed definition (here: another kana class) changes the key, so the stored table is ignored.
    monkeypatch.setattr(chars, "KANA_RE", chars.re.compile("[\u3041-\u3096]"))
    assert chars.load_table(path) is None
    # So is a damaged or missing file.
    monkeypatch.undo()
    path.write_bytes(path.read_bytes()[:-10])
    assert chars.load_table(path) is None
    assert chars.load_table(tmp_path / "missing.zlib") is None


def test_the_shipped_nfkc_fold_map_is_the_one_nfkc_gives(tmp_path, monkeypatch) -> None:
    from deshi.data import normalise

    built = normalise._build_fold()
    assert normalise._FOLD == built
    shipped = normalise.load_fold()
    if shipped is None:
        pytest.skip("nfkc_fold.json was written for another Unicode version (python -m deshi.data.normalise)")
    assert shipped == built
    # Another Unicode database (another key) or a damaged file: not used.
    path = tmp_path / "fold.json"
    normalise.write_fold(path)
    assert normalise.load_fold(path) == built
    monkeypatch.setattr(normalise, "fold_key", lambda: "nfkc-bmp-0080/unicode-0.0")
    assert normalise.load_fold(path) is None
    monkeypatch.undo()
    path.write_text("{")
    assert normalise.load_fold(path) is None


def test_limit_native_threads_sets_one_thread_and_keeps_what_the_user_set() -> None:
    env = {"OMP_NUM_THREADS": "4"}
    limit_native_threads(env)
    assert env == {**{name: "1" for name in THREAD_VARIABLES}, "OMP_NUM_THREADS": "4"}


def _worker_env(_: int) -> tuple[int, str | None]:
    return os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS")


_COORDINATOR = """
import json, os, sys, threading, time
from deshi.data.executor import LocalExecutor
from test_curate_startup import _worker_env
if sys.argv[1] == "forkserver":  # a second thread: the executor may not fork, it uses the fork server
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
executor = LocalExecutor(2)
executor.wait_ready()
try:
    print(json.dumps([os.getpid(), os.environ.get("OPENBLAS_NUM_THREADS"),
                      executor.map(_worker_env, [(i,) for i in range(8)], lambda: None)]))
finally:
    executor.close()
"""


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_pool_workers_run_native_libraries_on_one_thread(method) -> None:
    """The pool's workers (forked, or from the fork server) import NumPy with one BLAS thread; the
    coordinating process's own setting is left alone."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(Path(__file__).parent)])
    done = subprocess.run([sys.executable, "-c", _COORDINATOR, method], env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    coordinator, own_setting, results = json.loads(done.stdout.strip().splitlines()[-1])
    assert own_setting is None
    in_workers = {value for pid, value in results if pid != coordinator}
    assert in_workers == {"1"}, results  # the worker ran some calls (wait_ready), each with one thread


def _parent_and_blas_threads(_: int) -> tuple[int, int, list[int]]:
    from deshi.data.worker_init import _loaded_openblas, _openblas_call

    return os.getpid(), os.getppid(), [int(_openblas_call(lib, "get_num_threads")()) for lib in _loaded_openblas()]


_NUMPY_COORDINATOR = """
import json, os
import numpy as np
from deshi.data.executor import LocalExecutor
from test_curate_startup import _parent_and_blas_threads
threads_after_import = len(os.listdir("/proc/self/task"))
executor = LocalExecutor(2)
executor.wait_ready()
try:
    calls = executor.map(_parent_and_blas_threads, [(i,) for i in range(8)], lambda: None)
    square = np.ones((300, 300)) @ np.ones((300, 300))  # BLAS still works here: its threads restart
    print(json.dumps([os.getpid(), threads_after_import, calls, float(square[0, 0])]))
finally:
    executor.close()
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_a_script_that_imported_numpy_forks_its_workers() -> None:
    """NumPy's OpenBLAS runs its own threads from import on; the executor stops them (as a fork does)
    and forks its worker from this process instead of starting a fork server, the worker's OpenBLAS
    set to one thread, and the script's own BLAS keeps working."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["OPENBLAS_NUM_THREADS"] = "2"  # OpenBLAS starts a thread of its own even on a one-core machine
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(Path(__file__).parent)])
    done = subprocess.run([sys.executable, "-c", _NUMPY_COORDINATOR], env=env, capture_output=True, text=True,
                          check=True, timeout=120)
    coordinator, threads_after_import, calls, square = json.loads(done.stdout.strip().splitlines()[-1])
    assert threads_after_import >= 2  # the script was not single-threaded when it started the pool
    in_workers = [(parent, blas) for pid, parent, blas in calls if pid != coordinator]
    assert in_workers, calls
    assert all(parent == coordinator for parent, _ in in_workers)  # forked by the script, no fork server
    assert all(blas == [1] for _, blas in in_workers)
    assert square == 300.0


def test_hash_tree_in_threads_gives_every_file_its_own_digest(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for i in range(4):  # large enough to be hashed by threads
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / f"part-{i}.bin").write_bytes(rng.bytes((1 << 20) + i))
    (tmp_path / "small.txt").write_text("x")
    tree = hash_tree(tmp_path)
    assert tree == {p.relative_to(tmp_path).as_posix(): sha256_file(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert len(set(tree.values())) == 5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "corpus.jsonl"
    make_corpus(path, 300, seed=11)
    return path


def test_two_workers_record_the_inputs_and_outputs_one_worker_does(corpus, tmp_path) -> None:
    """With a pool the input's hash is taken by a thread during the dedup phase: the manifest still
    names the input with its hash, and verifies."""
    one, two = tmp_path / "one", tmp_path / "two"
    curate(corpus, one, CurateConfig(shard_size=100, workers=1))
    curate(corpus, two, CurateConfig(shard_size=100, workers=2, unit_size=40))
    assert outputs(two) == outputs(one)
    manifests = [json.loads((out / "manifest.json").read_text()) for out in (one, two)]
    assert manifests[0]["inputs"] == manifests[1]["inputs"] == [describe_input(corpus).to_dict()]
    data = [{k: v for k, v in m["outputs"].items() if k.startswith("data/")} for m in manifests]
    assert data[0] == data[1] and data[0]  # the same parts, with the same digests (report.html has a timestamp)
    assert verify(two).ok


def test_a_failing_input_description_fails_the_run(corpus, tmp_path, monkeypatch) -> None:
    """An error in the background description reaches the caller; no manifest is written."""
    import deshi.artifacts

    def broken(path):
        raise OSError(f"cannot read {path}")

    monkeypatch.setattr(deshi.artifacts, "describe_input", broken)
    with pytest.raises(OSError, match="cannot read"):
        curate(corpus, tmp_path / "out", CurateConfig(shard_size=100, workers=2, unit_size=40))
    assert not (tmp_path / "out" / "manifest.json").exists()


def _slow_in_worker(i: int, coordinator: int) -> int:
    import time

    time.sleep(0.3 if os.getpid() != coordinator else 0.01)
    return i


def test_map_calls_idle_once_while_the_pool_still_works() -> None:
    """``idle`` runs once, when this process has nothing left to claim but the pool's calls are still
    running (here the pool's are slow), and not at all without a pool."""
    executor = LocalExecutor(2)
    seen: list[int] = []
    try:
        executor.wait_ready()
        results = executor.map(_slow_in_worker, [(i, os.getpid()) for i in range(8)], lambda: seen.append(0),
                               idle=lambda: seen.append(1))
    finally:
        executor.close()
    assert results == list(range(8))
    assert seen.count(1) == 1 and seen[-1] == 0  # once, and before the pool's last call was collected
    single: list[int] = []
    assert LocalExecutor(1).map(_slow_in_worker, [(0, os.getpid())], lambda: None, idle=lambda: single.append(1)) == [0]
    assert not single


def test_ray_workers_run_native_libraries_on_one_thread_unless_the_user_said_otherwise() -> None:
    from deshi.data.ray_engine import worker_env_vars

    env = worker_env_vars("/src", {"OMP_NUM_THREADS": "4"})
    assert env["PYTHONPATH"] == "/src" and env["RAY_USAGE_STATS_ENABLED"] == "0"
    assert {name: env.get(name) for name in ("RAYON_NUM_THREADS", *THREAD_VARIABLES)} == {
        "RAYON_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": None, "MKL_NUM_THREADS": "1"}


_THREAD_CHECK = """
import json, os, sys, threading, time
import numpy as np
from deshi.data.executor import _single_threaded
if sys.argv[1] == "with-thread":
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
before = len(os.listdir("/proc/self/task"))
single = _single_threaded()
print(json.dumps([before, single, len(os.listdir("/proc/self/task"))]))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
@pytest.mark.parametrize("case", ["numpy-only", "with-thread"])
def test_openblas_threads_are_stopped_only_when_they_are_the_only_others(case) -> None:
    """Another thread could be inside a BLAS call: then OpenBLAS is left running and the pool will not fork."""
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env["OPENBLAS_NUM_THREADS"] = "2"
    env["PYTHONPATH"] = str(SRC)
    done = subprocess.run([sys.executable, "-c", _THREAD_CHECK, case], env=env, capture_output=True, text=True,
                          check=True, timeout=60)
    before, single, after = json.loads(done.stdout.strip().splitlines()[-1])
    if case == "numpy-only":
        assert (before, single, after) == (2, True, 1)
    else:
        assert (before, single, after) == (3, False, 3)
