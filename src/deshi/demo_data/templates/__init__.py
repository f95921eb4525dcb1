"""Per-domain document builders and the merged slot registry.

Each domain module exposes ``build(ctx) -> list[Block]`` and its own ``SLOTS``; they are
merged here once (a name clash is a bug, so it raises at import time).
"""

from __future__ import annotations

from collections.abc import Callable

from ..doc import Block, Ctx, SlotFn
from . import common, english, hr_legal, maintenance, support, work_instruction

DOMAINS = ("maintenance", "work_instruction", "support", "hr_legal")

BUILDERS: dict[str, Callable[[Ctx], list[Block]]] = {
    "maintenance": maintenance.build,
    "work_instruction": work_instruction.build,
    "support": support.build,
    "hr_legal": hr_legal.build,
}


def _merge(*registries: dict[str, SlotFn]) -> dict[str, SlotFn]:
    merged: dict[str, SlotFn] = {}
    for reg in registries:
        for name, fn in reg.items():
            if name in merged:
                raise RuntimeError(f"template slot {name!r} defined twice")
            merged[name] = fn
    return merged


SLOTS = _merge(
    common.SHARED_SLOTS, maintenance.SLOTS, work_instruction.SLOTS, support.SLOTS, hr_legal.SLOTS, english.SLOTS
)

build_english = english.build

__all__ = ["BUILDERS", "DOMAINS", "SLOTS", "build_english"]
