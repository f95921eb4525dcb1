"""Two training processes under torchrun (as `accelerate launch` / `torchrun` start them on a multi-GPU box;
here two CPU processes with the gloo backend): one model trained together, and resumable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("distill_two_process_script.py")


def _torchrun(out: Path, port: int, **env: str) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port), str(SCRIPT), str(out)]
    done = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1", **env}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.slow
def test_two_processes_train_one_model_and_resume(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    whole = _torchrun(tmp_path / "whole", port)
    assert [r["world"] for r in whole] == [2, 2]
    assert whole[0]["weights"] == whole[1]["weights"]  # gradients were averaged across the processes
    assert whole[0]["loss"] != whole[1]["loss"]  # ... which read different slices of the data
    assert whole[0]["steps"] == 6
    assert len((tmp_path / "whole" / "run" / "metrics.jsonl").read_text().splitlines()) == 6  # one writer

    # Interrupted after the step-3 checkpoint, then the same command again: the run continues and ends
    # with the weights of the uninterrupted one.
    _torchrun(tmp_path / "resumed", port, STOP_AFTER="3")
    resumed = _torchrun(tmp_path / "resumed", port)
    assert resumed[0]["weights"] == resumed[1]["weights"] == whole[0]["weights"]
    assert len((tmp_path / "resumed" / "run" / "metrics.jsonl").read_text().splitlines()) == 6
