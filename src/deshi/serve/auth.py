"""API keys (sha256 at rest), per-key token and cost budgets, requests/tokens per minute.

Exactness under concurrency: before a request runs, its worst case (prompt tokens + max_tokens, and
that many tokens at the price fixed for this request) is *reserved*; the check and the reservation
happen together with no ``await`` in between (the event loop is single-threaded, and a lock guards
against callers from other threads), so N concurrent requests at a budget edge can never jointly
overspend. After the response the reservation is settled to the actual usage.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from deshi.serve.config import AuthConfig, KeyConfig


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh API key and its sha256 (put only the hash in serve.yaml)."""
    key = "sk-deshi-" + secrets.token_urlsafe(24)
    return key, hash_key(key)


class AuthError(Exception):
    def __init__(self, status: int, message: str, code: str):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


@dataclass
class _KeyState:
    config: KeyConfig
    tokens_used: int = 0
    cost_used: float = 0.0
    tokens_reserved: int = 0
    cost_reserved: float = 0.0
    requests: deque[float] = field(default_factory=deque)
    token_events: deque[tuple[float, int]] = field(default_factory=deque)
    tokens_in_window: int = 0


@dataclass
class Reservation:
    key_id: str | None
    tokens: int
    cost: float


ANONYMOUS = Reservation(None, 0, 0.0)


class Accounts:
    def __init__(self, config: AuthConfig, spent: dict[str, tuple[int, float]] | None = None) -> None:
        self.enabled = config.enabled
        self._by_hash: dict[str, _KeyState] = {}
        self._by_id: dict[str, _KeyState] = {}
        for key in config.keys:
            state = _KeyState(key)
            if spent and key.id in spent:
                state.tokens_used, state.cost_used = spent[key.id]
            self._by_hash[key.sha256.lower()] = state
            self._by_id[key.id] = state
        self._lock = threading.Lock()

    def authenticate(self, authorization: str | None) -> str | None:
        """Key id for a ``Bearer`` header; None when auth is off."""
        if not self.enabled:
            return None
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError(401, "missing API key: send 'Authorization: Bearer <key>'", "invalid_api_key")
        digest = hash_key(authorization[7:].strip())
        state = self._by_hash.get(digest)
        if state is None or not hmac.compare_digest(state.config.sha256.lower(), digest):
            raise AuthError(401, "invalid API key", "invalid_api_key")
        return state.config.id

    def allowed_model(self, key_id: str | None, model: str) -> bool:
        if key_id is None:
            return True
        models = self._by_id[key_id].config.models
        return models is None or model in models

    def reserve(self, key_id: str | None, max_tokens: int, max_cost: float, now: float | None = None) -> Reservation:
        """Check limits and budgets for the worst case and hold it; raise AuthError(429) if it does not fit."""
        if key_id is None:
            return ANONYMOUS
        now = time.monotonic() if now is None else now
        with self._lock:
            state = self._by_id[key_id]
            cfg = state.config
            self._expire(state, now)
            if cfg.requests_per_minute is not None and len(state.requests) >= cfg.requests_per_minute:
                raise AuthError(429, f"rate limit: {cfg.requests_per_minute} requests per minute", "rate_limit_exceeded")
            if cfg.tokens_per_minute is not None and state.tokens_in_window + max_tokens > cfg.tokens_per_minute:
                raise AuthError(429, f"rate limit: {cfg.tokens_per_minute} tokens per minute", "rate_limit_exceeded")
            if cfg.token_budget is not None and state.tokens_used + state.tokens_reserved + max_tokens > cfg.token_budget:
                raise AuthError(429, "token budget exhausted for this key (prompt + max_tokens would exceed it)", "insufficient_quota")
            if cfg.cost_budget is not None and state.cost_used + state.cost_reserved + max_cost > cfg.cost_budget + 1e-12:
                raise AuthError(429, "cost budget exhausted for this key", "insufficient_quota")
            # The sliding windows only for the limits a key has: a key without them would otherwise hold
            # a minute of events (at 2,500 requests/s, ~25 MB found by the soak's RSS growth).
            if cfg.requests_per_minute is not None:
                state.requests.append(now)
            if cfg.tokens_per_minute is not None:
                state.token_events.append((now, max_tokens))
                state.tokens_in_window += max_tokens
            state.tokens_reserved += max_tokens
            state.cost_reserved += max_cost
        return Reservation(key_id, max_tokens, max_cost)

    def settle(self, reservation: Reservation, tokens: int, cost: float) -> None:
        """Replace the held worst case with what the request actually used (never more than reserved)."""
        if reservation.key_id is None:
            return
        with self._lock:
            state = self._by_id[reservation.key_id]
            state.tokens_reserved -= reservation.tokens
            state.cost_reserved -= reservation.cost
            state.tokens_used += tokens
            state.cost_used += cost
            # Tokens-per-minute counts actual use: give back the unused part of the reservation.
            unused = reservation.tokens - tokens
            if unused > 0 and state.config.tokens_per_minute is not None:
                state.token_events.append((time.monotonic(), -unused))
                state.tokens_in_window -= unused

    @staticmethod
    def _expire(state: _KeyState, now: float) -> None:
        cutoff = now - 60.0
        while state.requests and state.requests[0] <= cutoff:
            state.requests.popleft()
        while state.token_events and state.token_events[0][0] <= cutoff:
            state.tokens_in_window -= state.token_events.popleft()[1]

    def usage(self, key_id: str) -> tuple[int, float]:
        state = self._by_id[key_id]
        return state.tokens_used, state.cost_used
