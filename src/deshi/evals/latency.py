"""Latency and cost, measured on the generations of the evaluation run itself.

Per request: TTFT (time to first token: the first streamed chunk for an endpoint, the prefill forward
pass for an in-process batch), time per output token ((end-to-end − TTFT) / (tokens − 1)) and
end-to-end latency. Throughput is generated tokens divided by the wall time spent generating, so a
batched backend is credited for its batching. Cost per 1K tokens follows from a configured hardware
price: cost_per_hour / 3600 / tokens_per_second × 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass
class RequestTiming:
    source: str  # "task:<name>" or "probe:<family>"
    ttft_s: float
    latency_s: float
    output_tokens: int
    prompt_tokens: int

    def tpot_s(self) -> float | None:
        if self.output_tokens < 2:
            return None
        return max(self.latency_s - self.ttft_s, 0.0) / (self.output_tokens - 1)


class LatencyRecorder:
    """Collects request timings and generation wall time while tasks and probes run."""

    def __init__(self) -> None:
        self.requests: list[RequestTiming] = []
        self.wall_s = 0.0
        self.output_tokens = 0

    def add_call(self, source: str, generations: Sequence[Any], wall_s: float) -> None:
        self.wall_s += wall_s
        for gen in generations:
            if gen.error is not None or gen.latency_s is None:
                continue
            self.output_tokens += gen.output_tokens
            ttft = gen.ttft_s if gen.ttft_s is not None else gen.latency_s
            self.requests.append(RequestTiming(source, ttft, gen.latency_s, gen.output_tokens, gen.prompt_tokens))

    def summary(self, hardware_cost_per_hour: float | None) -> dict[str, Any]:
        return summarise(self.requests, self.wall_s, self.output_tokens, hardware_cost_per_hour)


def _percentiles(values: Sequence[float], scale: float = 1000.0) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "mean": None}
    data = np.asarray(values, dtype=float) * scale
    p50, p95, p99 = np.percentile(data, [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(data.mean())}


def cost_per_1k_tokens(hardware_cost_per_hour: float | None, tokens_per_s: float | None) -> float | None:
    if hardware_cost_per_hour is None or not tokens_per_s:
        return None
    return hardware_cost_per_hour / 3600.0 / tokens_per_s * 1000.0


def summarise(requests: Sequence[RequestTiming], wall_s: float, output_tokens: int,
              hardware_cost_per_hour: float | None) -> dict[str, Any]:
    """The latency block of results.json (milliseconds; tokens/s; currency units per 1K tokens)."""
    tpots = [t for t in (r.tpot_s() for r in requests) if t is not None]
    tokens_per_s = output_tokens / wall_s if wall_s > 0 else None
    return {
        "requests": len(requests),
        "output_tokens": output_tokens,
        "generation_wall_s": wall_s,
        "ttft_ms": _percentiles([r.ttft_s for r in requests]),
        "tpot_ms": _percentiles(tpots),
        "e2e_ms": _percentiles([r.latency_s for r in requests]),
        "tokens_per_s": tokens_per_s,
        "hardware_cost_per_hour": hardware_cost_per_hour,
        "cost_per_1k_tokens": cost_per_1k_tokens(hardware_cost_per_hour, tokens_per_s),
    }


def timings_as_rows(requests: Sequence[RequestTiming]) -> list[dict[str, Any]]:
    return [asdict(r) for r in requests]
