"""Prometheus metrics and honest cost accounting.

Cost per 1K tokens for a self-hosted model is the configured hardware cost per hour divided by the
throughput this gateway actually measured for it (tokens per second of wall time during which the
model had work in flight) — not $0. Models priced per token use the configured price.
Each gateway owns its own ``CollectorRegistry`` so several apps (tests) never share counters.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from deshi.serve.config import CostConfig

disable_created_metrics()  # *_created series double the scrape size and nobody graphs them

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def _memoise_labels(metric: Any) -> None:
    """Make ``metric.labels(...)`` a dict lookup after the first call for those values.

    prometheus_client's ``labels()`` validates and locks on every call (a few µs, several times per
    request); the children it returns live as long as the metric (we never ``remove()``), and every
    label here has a small fixed set of values (configured models, endpoints, statuses, guard types).
    """
    children: dict[tuple[str, ...], Any] = {}
    make = metric.labels

    def labels(*values: str) -> Any:
        child = children.get(values)
        if child is None:
            child = children[values] = make(*values)
        return child

    metric.labels = labels


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("deshi_requests", "Requests by model, endpoint and HTTP status.", ["model", "endpoint", "status"], registry=r)
        self.e2e = Histogram("deshi_e2e_latency_seconds", "End-to-end request latency.", ["model"], buckets=_LATENCY_BUCKETS, registry=r)
        self.ttft = Histogram("deshi_time_to_first_token_seconds", "Time to first token (streaming and engine).", ["model"], buckets=_LATENCY_BUCKETS, registry=r)
        self.tpot = Histogram("deshi_time_per_output_token_seconds", "Time per output token after the first.", ["model"], buckets=_TPOT_BUCKETS, registry=r)
        self.tokens = Counter("deshi_tokens", "Tokens by model and kind (prompt|completion).", ["model", "kind"], registry=r)
        self.cache = Counter("deshi_cache_requests", "Cache lookups by result (hit|miss).", ["result"], registry=r)
        self.queue_depth = Gauge("deshi_queue_depth", "Requests waiting in the in-process engine queue.", ["model"], registry=r)
        self.incidents = Counter("deshi_safety_incidents", "Guard actions by kind and type.", ["kind", "type"], registry=r)
        self.cost_per_1k = Gauge("deshi_cost_per_1k_tokens", "Current cost per 1K tokens by model.", ["model"], registry=r)
        self.cost = Counter("deshi_cost", "Cost charged, by model.", ["model"], registry=r)
        self.throughput = Gauge("deshi_measured_tokens_per_second", "Measured throughput while busy.", ["model"], registry=r)
        self.errors = Counter("deshi_upstream_errors", "Upstream attempts that failed, by model.", ["model"], registry=r)

        for metric in (self.requests, self.e2e, self.ttft, self.tpot, self.tokens, self.cache, self.queue_depth,
                       self.incidents, self.cost_per_1k, self.cost, self.throughput, self.errors):
            _memoise_labels(metric)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class CostMeter:
    """Tracks busy time and tokens for one model and turns them into a price per token."""

    model: str
    config: CostConfig
    tokens: int = 0
    busy_s: float = 0.0
    in_flight: int = 0
    _since: float = 0.0

    MIN_TOKENS = 200  # below this, measured throughput is noise: use the configured assumption

    def begin(self) -> None:
        if self.in_flight == 0:
            self._since = time.perf_counter()
        self.in_flight += 1

    def end(self, tokens: int) -> None:
        self.in_flight -= 1
        self.tokens += tokens
        if self.in_flight == 0:
            self.busy_s += time.perf_counter() - self._since

    def tokens_per_second(self) -> float:
        busy = self.busy_s + (time.perf_counter() - self._since if self.in_flight else 0.0)
        if self.tokens < self.MIN_TOKENS or busy <= 0:
            return self.config.assumed_tokens_per_second
        return self.tokens / busy

    def prices(self) -> tuple[float, float]:
        """(price per prompt token, price per completion token) right now."""
        cfg = self.config
        if cfg.hardware_per_hour is not None:
            per_token = cfg.hardware_per_hour / 3600.0 / self.tokens_per_second()
            return per_token, per_token
        return (cfg.input_per_1k or 0.0) / 1000.0, (cfg.output_per_1k or 0.0) / 1000.0

    def per_1k(self) -> float:
        """Blended price per 1K tokens for the /metrics gauge."""
        p_in, p_out = self.prices()
        if self.config.hardware_per_hour is not None:
            return p_out * 1000.0
        return (p_in + p_out) * 500.0
