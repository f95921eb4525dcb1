"""The request fast path accepts only what pydantic accepts, with the same values (so errors stay pydantic's)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from deshi.serve import protocol as P

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.integers(2**63 - 2, 2**63 + 1),
                     st.integers(999_999, 1_000_001), st.floats(-0.5, 2.5, allow_nan=False), st.text(max_size=5),
                     st.text(min_size=255, max_size=258))
_message = st.dictionaries(st.sampled_from(["role", "content", "name", "extra"]),
                           st.one_of(_scalars, st.sampled_from(["user", "system", "assistant", "tool", "developer", "bot"]),
                                     st.just([{"type": "text", "text": "hi"}])), max_size=4)
_value = st.one_of(_scalars, st.lists(_message, max_size=3), st.just([]), st.just({"include_usage": True}))
_keys = st.sampled_from([*P._FAST_COMMON, "messages", "prompt", "echo", "stop", "stream_options", "response_format", "tools"])
_ATTRS = ("model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stream", "n", "user",
          "stop", "stream_options", "response_format")


def _check(raw: dict, chat: bool) -> bool:
    fast = P.fast_request(raw, chat)
    if fast is None:
        return False
    model = P.ChatCompletionRequest if chat else P.CompletionRequest
    try:
        slow = model.model_validate(raw)
    except ValidationError as exc:  # pragma: no cover - the property under test
        raise AssertionError(f"fast path accepted what pydantic rejects: {raw!r}: {exc}") from None
    for name in _ATTRS:
        a, b = getattr(fast, name, None), getattr(slow, name, None)
        assert a == b and type(a) is type(b), (name, a, b, raw)
    assert (fast.limit(), fast.deterministic(), fast.stops()) == (slow.limit(), slow.deterministic(), slow.stops())
    if chat:
        assert [(m.role, m.content, m.name, m.text()) for m in fast.messages] == \
               [(m.role, m.content, m.name, m.text()) for m in slow.messages]
    else:
        assert (fast.prompt, fast.echo, fast.prompt_text()) == (slow.prompt, slow.echo, slow.prompt_text())
    return True


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(_keys, _value, max_size=8), st.booleans())
def test_fast_path_never_accepts_what_pydantic_rejects(raw, chat):
    _check(raw, chat)


def _mostly(valid, edge):
    """Mostly valid values (so the fast path is taken), sometimes an edge or a wrong type."""
    return st.integers(0, 4).flatmap(lambda i: edge if i == 0 else valid)


_edge = st.one_of(st.booleans(), st.text(max_size=2), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False))
_near_message = st.fixed_dictionaries(
    {"role": _mostly(st.sampled_from(["system", "user", "assistant", "tool", "developer"]), st.sampled_from(["bot", "", "USER"])),
     "content": _mostly(st.text(max_size=5), st.one_of(st.none(), st.just([{"type": "text", "text": "hi"}]), st.integers()))},
    optional={"name": _mostly(st.one_of(st.none(), st.text(max_size=3)), st.integers())})
_near_fields = {
    "temperature": _mostly(st.one_of(st.none(), st.floats(0, 2), st.integers(0, 2)), st.one_of(st.floats(-1, 3), _edge)),
    "top_p": _mostly(st.one_of(st.none(), st.floats(0, 1, exclude_min=True), st.just(1)), st.one_of(st.just(0), st.just(0.0), _edge)),
    "max_tokens": _mostly(st.one_of(st.none(), st.integers(1, 1_000_000)), st.one_of(st.integers(-2, 0), st.just(1_000_001), _edge)),
    "max_completion_tokens": _mostly(st.integers(1, 64), st.one_of(st.just(0), st.floats(1, 2), _edge)),
    "seed": _mostly(st.one_of(st.none(), st.integers(0, 2**63 - 1)), st.one_of(st.just(-1), st.just(2**63), _edge)),
    "stream": _mostly(st.booleans(), st.one_of(st.none(), st.integers(0, 1))),
    "n": _mostly(st.just(1), st.one_of(st.just(2), st.just(True), st.just(1.0))),
    "user": _mostly(st.one_of(st.none(), st.text(max_size=4)), st.one_of(st.text(min_size=257, max_size=257), st.integers())),
}


@settings(max_examples=1000, deadline=None)
@given(st.fixed_dictionaries({"model": _mostly(st.text(min_size=1, max_size=3), st.one_of(st.just(""), st.integers())),
                              "messages": _mostly(st.lists(_near_message, min_size=1, max_size=3), st.just([]))},
                             optional=_near_fields))
def test_fast_path_on_near_valid_chat_bodies(raw):
    _check(raw, True)


@settings(max_examples=500, deadline=None)
@given(st.fixed_dictionaries({"model": _mostly(st.text(min_size=1, max_size=3), st.just("")),
                              "prompt": _mostly(st.text(max_size=5), st.one_of(st.lists(st.text(max_size=2), max_size=2), st.none()))},
                             optional={**_near_fields, "echo": _mostly(st.booleans(), st.one_of(st.none(), st.integers(0, 1)))}))
def test_fast_path_on_near_valid_completion_bodies(raw):
    _check(raw, False)


@pytest.mark.parametrize("raw, chat", [
    ({"model": "m", "temperature": 0, "max_tokens": 32, "seed": 7, "messages": [{"role": "user", "content": "hi"}]}, True),
    ({"model": "m", "messages": [{"role": "system", "content": "s", "name": None}, {"role": "user", "content": "u"}],
      "stream": True, "top_p": 1, "n": 1, "user": "u1", "max_completion_tokens": 5}, True),
    ({"model": "m", "prompt": "once upon", "echo": False, "temperature": 1.5}, False),
])
def test_common_shapes_take_the_fast_path(raw, chat):
    assert _check(raw, chat)


@pytest.mark.parametrize("raw", [
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stop": ["\n"]},  # field validator
    {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]},  # content parts
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "logit_bias": {}},  # extra field
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": True},  # bool as int: pydantic decides
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 3},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": -0.1},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "top_p": 0},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1_000_001},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": -1},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 2**63},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 2},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": True},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": None},
    {"model": "m", "messages": [{"role": "user", "content": "hi"}], "user": "u" * 257},
    {"model": "m" * 257, "messages": [{"role": "user", "content": "hi"}]},
    {"model": "m", "messages": [{"role": "user", "content": "hi", "name": 3}]},
    {"model": "m", "messages": [{"role": "bot", "content": "hi"}]},
    {"model": "m", "messages": [{"role": "user"}]},  # content missing: pydantic's default, not ours
    {"model": "m", "messages": []},
    {"model": "", "messages": [{"role": "user", "content": "hi"}]},
])
def test_everything_else_goes_to_pydantic(raw):
    assert P.fast_request(raw, True) is None


def test_fast_metrics_export_what_prometheus_client_would():
    """The gateway's lock-free counters and histograms render exactly like prometheus_client's own."""
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from deshi.serve.metrics import _LATENCY_BUCKETS, FastCounter, FastHistogram, _Collector

    reference = CollectorRegistry()
    ref_counter = Counter("x_requests", "Requests.", ["model", "status"], registry=reference)
    ref_hist = Histogram("x_latency_seconds", "Latency.", ["model"], buckets=_LATENCY_BUCKETS, registry=reference)
    ours = CollectorRegistry()
    counter = FastCounter("x_requests", "Requests.", ["model", "status"])
    hist = FastHistogram("x_latency_seconds", "Latency.", ["model"], _LATENCY_BUCKETS)
    ours.register(_Collector([counter, hist]))
    for c in (ref_counter, counter):
        c.labels("a", "200").inc()
        c.labels("a", "200").inc(2.5)
        c.labels("b", "500").inc()
    for h in (ref_hist, hist):
        for v in (0.0, 0.0005, 0.00050001, 0.001, 0.3, 1, 2.5, 119.9, 120, 121, 1e9):  # on, just above, past the bounds
            h.labels("a").observe(v)
        h.labels("b").observe(0.01)
    assert generate_latest(ours) == generate_latest(reference)
    with pytest.raises(ValueError):
        counter.labels("a", "200").inc(-1)
