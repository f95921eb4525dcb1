"""Run by ``test_distill_distributed`` under ``torchrun --nproc_per_node 2`` (not a test module itself).

Trains the same tiny student in each process with deshi's training loop and writes what each rank
ended with, so the test can check the processes trained one model together.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deshi.distill.packing import pack  # noqa: E402
from deshi.distill.trainer import PackedSource, TrainConfig, train  # noqa: E402
from distill_fixtures import SENTENCES, single_thread, tiny_llama, tiny_tokenizer  # noqa: E402


def main(out: Path) -> None:
    single_thread()
    tok = tiny_tokenizer()
    packed = pack(tok, SENTENCES * 8, 32)
    student = tiny_llama(len(tok), 32, 2, seed=1)
    cfg = TrainConfig(mode="ce", max_steps=int(os.environ.get("STEPS", "6")), batch_size=4, lr=3e-3, warmup_steps=1,
                      checkpoint_every=3)
    result = train(student, PackedSource(packed), out / "run", cfg, show_progress=False,
                   stop_after=int(os.environ["STOP_AFTER"]) if "STOP_AFTER" in os.environ else None)
    weights = b"".join(p.detach().contiguous().numpy().tobytes() for p in student.parameters())
    rank = int(os.environ.get("RANK", "0"))
    (out / f"rank{rank}.json").write_text(json.dumps({
        "world": int(os.environ.get("WORLD_SIZE", "1")), "weights": hashlib.sha256(weights).hexdigest(),
        "steps": result.steps, "loss": result.final_train_loss, "tokens": result.tokens,
    }))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
