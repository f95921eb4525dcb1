"""Accounts: per-minute windows are enforced where configured and cost nothing where they are not."""

from __future__ import annotations

import pytest

from deshi.serve.auth import Accounts, AuthError, hash_key
from deshi.serve.config import AuthConfig


def _accounts(**limits):
    return Accounts(AuthConfig(enabled=True, keys=[{"id": "k", "sha256": hash_key("sk-x"), **limits}]))


def test_tokens_per_minute_counts_actual_use_and_slides():
    acc = _accounts(tokens_per_minute=100)
    r1 = acc.reserve("k", 60, 0.0, now=0.0)
    with pytest.raises(AuthError) as err:
        acc.reserve("k", 60, 0.0, now=1.0)  # 60 held + 60 > 100
    assert err.value.status == 429 and err.value.code == "rate_limit_exceeded"
    acc.settle(r1, 10, 0.0)  # used 10 of 60: the unused 50 come back to the window
    acc.reserve("k", 60, 0.0, now=2.0)
    with pytest.raises(AuthError):
        acc.reserve("k", 60, 0.0, now=3.0)
    acc.reserve("k", 60, 0.0, now=63.0)  # the first minute has slid out


def test_key_without_window_limits_keeps_no_per_request_events():
    # A long-running gateway must not hold a minute of timestamps for keys that have no per-minute limit.
    acc = _accounts(token_budget=10**9)
    for i in range(5000):
        acc.settle(acc.reserve("k", 50, 0.0, now=i * 0.001), 20, 0.0)
    state = acc._by_id["k"]
    assert len(state.requests) == 0 and len(state.token_events) == 0
    assert acc.usage("k") == (5000 * 20, 0.0)
