"""Backends behind a model alias: the in-process engine, or upstream OpenAI-compatible servers.

Upstreams (vLLM, another deshi) are reached over pooled keep-alive connections with a per-request
timeout, retries with backoff on connection errors/5xx/429, then the alias's fallback chain. Plain
completions use ``httpclient.HttpPool`` (httptools-parsed, ~4x less CPU per call than aiohttp's client,
which matters at a sub-millisecond budget); streamed completions use one aiohttp session.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from deshi.serve.config import ModelConfig, UpstreamConfig
from deshi.serve.engine import Engine
from deshi.serve.httpclient import HttpClientError, HttpPool


class UpstreamError(Exception):
    def __init__(self, message: str, status: int = 502, body: bytes | None = None):
        super().__init__(message)
        self.status, self.body = status, body


@dataclass
class _Endpoint:
    url: str
    model: str
    headers: dict[str, str]
    pool: HttpPool


class UpstreamBackend:
    def __init__(self, config: ModelConfig, timeout_s: float, retries: int) -> None:
        self.name = config.name
        self.endpoints = [self._endpoint(config.name, u) for u in config.upstreams]
        self.timeout_s = timeout_s
        self.retries = retries
        self._session: Any = None

    @staticmethod
    def _endpoint(alias: str, up: UpstreamConfig) -> _Endpoint:
        headers = {"content-type": "application/json"}
        key = up.api_key or (os.environ.get(up.api_key_env) if up.api_key_env else None)
        if key:
            headers["authorization"] = f"Bearer {key}"
        base = up.url.rstrip("/")
        return _Endpoint(base, up.model or alias, headers, HttpPool(base))

    def session(self) -> Any:
        import aiohttp

        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60, ttl_dns_cache=300)
            # DummyCookieJar: cookies an upstream sets for one tenant's request must never ride along
            # with another tenant's, and skipping the jar saves its per-request filtering.
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                cookie_jar=aiohttp.DummyCookieJar(),
                json_serialize=lambda o: orjson.dumps(o).decode(), skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def close(self) -> None:
        for endpoint in self.endpoints:
            endpoint.pool.close()
        if self._session is not None:
            await self._session.close()

    async def complete(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to each endpoint in turn (with retries); the parsed JSON of the first success."""
        last: UpstreamError | None = None
        for endpoint in self.endpoints:
            payload = orjson.dumps({**body, "model": endpoint.model})
            for attempt in range(self.retries + 1):
                try:
                    status, data = await endpoint.pool.post(path, payload, endpoint.headers, self.timeout_s)
                    if status == 200:
                        return orjson.loads(data)
                    if status < 500 and status != 429:
                        # The upstream refused the request itself: retrying or falling back won't help.
                        raise UpstreamError(f"upstream {endpoint.url} answered {status}", status, data)
                    last = UpstreamError(f"upstream {endpoint.url} answered {status}", 502, data)
                except (TimeoutError, HttpClientError, orjson.JSONDecodeError) as exc:
                    last = UpstreamError(f"upstream {endpoint.url} failed: {type(exc).__name__}", 502)
                if attempt < self.retries:
                    await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
        raise last or UpstreamError("no upstream configured", 502)

    async def stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Yield parsed SSE chunks from the first endpoint that accepts the stream."""
        import aiohttp

        session = self.session()
        last: UpstreamError | None = None
        for endpoint in self.endpoints:
            payload = orjson.dumps({**body, "model": endpoint.model, "stream": True,
                                    "stream_options": {"include_usage": True}})
            try:
                async with session.post(endpoint.url + path, data=payload, headers=endpoint.headers) as resp:
                    if resp.status != 200:
                        data = await resp.read()
                        if resp.status < 500 and resp.status != 429:
                            raise UpstreamError(f"upstream {endpoint.url} answered {resp.status}", resp.status, data)
                        last = UpstreamError(f"upstream {endpoint.url} answered {resp.status}", 502, data)
                        continue
                    async for line in resp.content:
                        line = line.strip()
                        if not line.startswith(b"data:"):
                            continue
                        data = line[5:].strip()
                        if data == b"[DONE]":
                            return
                        yield orjson.loads(data)
                    return
            except (TimeoutError, aiohttp.ClientError) as exc:
                last = UpstreamError(f"upstream {endpoint.url} failed: {type(exc).__name__}", 502)
        raise last or UpstreamError("no upstream configured", 502)


class LocalBackend:
    """The in-process engine for one HF model directory."""

    def __init__(self, config: ModelConfig) -> None:
        self.name = config.name
        self.config = config
        self.engine = Engine(config.path, config.max_batch_size, config.batch_wait_ms, config.queue_size,
                             config.chat_template, config.device, config.dtype)

    async def close(self) -> None:
        await asyncio.to_thread(self.engine.close)
