"""Compile deshi's sources to bytecode before a timed run, as an installed package has them.

Why: ``pip install`` compiles a wheel's modules (HojiChar's, NumPy's … all have ``__pycache__`` in
site-packages), but deshi runs here from an editable checkout, and an environment with
``PYTHONDONTWRITEBYTECODE=1`` (this machine's) never writes its ``.pyc`` files: every process that
imports deshi compiled ~60 modules from source (~0.03 s of CPU measured in a curate worker's fork
server). That cost lands only where the timed region includes an import — the worker processes of
a 2-worker run, not a 1-worker library call — and only on deshi's side of a peer comparison. Writing
the cache once, up front, makes both runs what a user's install runs. The cache is ``__pycache__``
(git-ignored); Python checks each file's source timestamp, so an edit is never run stale.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_deshi() -> bool:
    """Write ``__pycache__`` for every module under src/deshi (quietly); True when all compiled."""
    return bool(compileall.compile_dir(str(ROOT / "src" / "deshi"), quiet=1))
