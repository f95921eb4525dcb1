"""Loss curves and tables for the pretrain/distil HTML reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_metrics(path: Path) -> list[dict[str, Any]]:
    if not Path(path).is_file():
        return []
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def loss_curve_html(runs: dict[str, list[dict[str, Any]]], title: str = "loss") -> str:
    """One figure: training loss per step (solid) and eval loss (markers) for each named run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from deshi.report import img_html

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, history in runs.items():
        if not history:
            continue
        steps = [h["step"] for h in history]
        axes[0].plot(steps, [h["loss"] for h in history], label=name, linewidth=1)
        evals = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
        if evals:
            axes[1].plot(*zip(*evals, strict=True), marker="o", label=name)
    axes[0].set_title(f"{title}: training loss")
    axes[1].set_title("held-out cross-entropy (nats/token)")
    for ax in axes:
        ax.set_xlabel("optimizer step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return img_html(fig, f"{title} curves")
