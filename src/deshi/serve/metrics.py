"""Prometheus metrics and honest cost accounting.

Cost per 1K tokens for a self-hosted model is the configured hardware cost per hour divided by the
throughput this gateway actually measured for it (tokens per second of wall time during which the
model had work in flight) — not $0. Models priced per token use the configured price.
Each gateway owns its own ``CollectorRegistry`` so several apps (tests) never share counters.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from deshi.serve.config import CostConfig

disable_created_metrics()  # *_created series double the scrape size and nobody graphs them

_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def _memoise_labels(metric: Any) -> None:
    """Make ``metric.labels(...)`` a dict lookup after the first call for those values.

    prometheus_client's ``labels()`` validates and locks on every call; the children it returns live
    as long as the metric (we never ``remove()``), and every label here has a small fixed set of values.
    """
    children: dict[tuple[str, ...], Any] = {}
    make = metric.labels

    def labels(*values: str) -> Any:
        child = children.get(values)
        if child is None:
            child = children[values] = make(*values)
        return child

    metric.labels = labels


# Counters and histograms updated on every request. Why not prometheus_client's own Counter and
# Histogram: each ``inc``/``observe`` takes a lock and re-checks the metric (a histogram also walks its
# buckets in Python); six of them per request cost ~10 µs of CPU at one client. Every update here
# happens on the gateway's event-loop thread, as does the scrape, so plain numbers need no lock. They
# are exported through prometheus_client's public custom-collector API, in the same exposition format.


class _CounterChild:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        if amount < 0:
            raise ValueError("counters can only increase")
        self.value += amount


class _HistogramChild:
    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        self.counts[bisect_left(self.bounds, amount)] += 1  # first bucket with amount <= le
        self.sum += amount


class _Family:
    def __init__(self, name: str, documentation: str, labelnames: list[str]) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.children: dict[tuple[str, ...], Any] = {}

    def labels(self, *values: str) -> Any:
        child = self.children.get(values)
        if child is None:
            if len(values) != len(self.labelnames):
                raise ValueError(f"{self.name}: expected labels {self.labelnames}, got {values}")
            child = self.children[values] = self._child()
        return child

    def _child(self) -> Any:
        raise NotImplementedError


class FastCounter(_Family):
    def _child(self) -> _CounterChild:
        return _CounterChild()

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in list(self.children.items()):
            family.add_metric([str(v) for v in values], child.value)
        yield family


class FastHistogram(_Family):
    def __init__(self, name: str, documentation: str, labelnames: list[str], buckets: tuple[float, ...]) -> None:
        super().__init__(name, documentation, labelnames)
        self.bounds = tuple(float(b) for b in buckets)
        self._les = [floatToGoString(b) for b in self.bounds] + ["+Inf"]

    def _child(self) -> _HistogramChild:
        return _HistogramChild(self.bounds)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in list(self.children.items()):
            cumulative, buckets = 0, []
            for le, count in zip(self._les, child.counts, strict=True):
                cumulative += count
                buckets.append((le, cumulative))
            family.add_metric([str(v) for v in values], buckets, child.sum)
        yield family


class _Collector:
    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        for family in self.families:
            yield from family.collect()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = FastCounter("deshi_requests", "Requests by model, endpoint and HTTP status.", ["model", "endpoint", "status"])
        self.e2e = FastHistogram("deshi_e2e_latency_seconds", "End-to-end request latency.", ["model"], _LATENCY_BUCKETS)
        self.ttft = FastHistogram("deshi_time_to_first_token_seconds", "Time to first token (streaming and engine).", ["model"], _LATENCY_BUCKETS)
        self.tpot = FastHistogram("deshi_time_per_output_token_seconds", "Time per output token after the first.", ["model"], _TPOT_BUCKETS)
        self.tokens = FastCounter("deshi_tokens", "Tokens by model and kind (prompt|completion).", ["model", "kind"])
        self.cache = FastCounter("deshi_cache_requests", "Cache lookups by result (hit|miss).", ["result"])
        self.queue_depth = Gauge("deshi_queue_depth", "Requests waiting in the in-process engine queue.", ["model"], registry=None)
        self.incidents = FastCounter("deshi_safety_incidents", "Guard actions by kind and type.", ["kind", "type"])
        self.cost_per_1k = Gauge("deshi_cost_per_1k_tokens", "Current cost per 1K tokens by model.", ["model"], registry=None)
        self.cost = FastCounter("deshi_cost", "Cost charged, by model.", ["model"])
        self.throughput = Gauge("deshi_measured_tokens_per_second", "Measured throughput while busy.", ["model"], registry=None)
        self.errors = FastCounter("deshi_upstream_errors", "Upstream attempts that failed, by model.", ["model"])
        # One collector, in the order the metrics are declared (the exposition order users saw before).
        r.register(_Collector([self.requests, self.e2e, self.ttft, self.tpot, self.tokens, self.cache, self.queue_depth,
                               self.incidents, self.cost_per_1k, self.cost, self.throughput, self.errors]))
        for gauge in (self.queue_depth, self.cost_per_1k, self.throughput):
            _memoise_labels(gauge)

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
