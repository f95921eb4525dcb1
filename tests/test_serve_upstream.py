"""Upstream backends: the pooled keep-alive client, retries and the fallback chain, through the gateway.

A scripted raw-socket upstream answers each request in a chosen way (Content-Length, chunked,
``Connection: close``, a 500, silence), so the client's HTTP handling is exercised on the wire.
"""

from __future__ import annotations

import asyncio

import orjson

from test_serve_support import AppClient, ScriptedUpstream, make_config


def _ask(c, model="up"):
    return c.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5})


def test_keep_alive_chunked_and_connection_close(tmp_path):
    up = ScriptedUpstream(["length", "length", "chunked", "close", "length"])

    async def go():
        port = await up.start()
        config = make_config(tmp_path, None, models=[{"name": "up", "upstreams": [{"url": f"http://127.0.0.1:{port}/v1", "model": "real"}]}])
        async with AppClient(config) as c:
            out = [await _ask(c) for _ in range(5)]
        await up.stop()
        return out

    out = asyncio.run(go())
    assert [r.status_code for r in out] == [200] * 5
    assert all(r.json()["choices"][0]["message"]["content"] == "hello" for r in out)
    assert orjson.loads(up.requests[0])["model"] == "real"  # the alias is rewritten to the upstream's model name
    assert up.connections == 2  # requests 1-4 shared one kept-alive socket; the upstream closed it after the 4th


def test_idle_socket_closed_by_upstream_is_reopened_transparently(tmp_path):
    up = ScriptedUpstream(["drop_idle"])

    async def go():
        port = await up.start()
        config = make_config(tmp_path, None, upstream_retries=0,
                             models=[{"name": "up", "upstreams": [{"url": f"http://127.0.0.1:{port}/v1"}]}])
        async with AppClient(config) as c:
            out = []
            for i in range(6):
                out.append(await _ask(c))
                # The upstream's close reaches us first (pool drops the socket), or not yet (a stale write).
                await asyncio.sleep(0.05 if i % 2 else 0)
        await up.stop()
        return out

    out = asyncio.run(go())
    assert [r.status_code for r in out] == [200] * 6  # no retries configured: a stale socket is not an error
    assert len(up.requests) == 6  # and no request was sent twice


def test_retry_on_500_then_fallback_after_timeout(tmp_path):
    flaky = ScriptedUpstream(["500", "length"], text="second try")
    silent = ScriptedUpstream(["hang"])
    backup = ScriptedUpstream(["length"], text="from backup")

    async def go():
        p1, p2, p3 = await flaky.start(), await silent.start(), await backup.start()
        config = make_config(tmp_path, None, upstream_retries=1, upstream_timeout_s=0.3, models=[
            {"name": "flaky", "upstreams": [{"url": f"http://127.0.0.1:{p1}/v1"}]},
            {"name": "slow", "upstreams": [{"url": f"http://127.0.0.1:{p2}/v1"}], "fallbacks": ["backup"]},
            {"name": "backup", "upstreams": [{"url": f"http://127.0.0.1:{p3}/v1"}]},
        ])
        async with AppClient(config) as c:
            a = await _ask(c, "flaky")
            b = await _ask(c, "slow")
        for u in (flaky, silent, backup):
            await u.stop()
        return a, b

    a, b = asyncio.run(go())
    assert a.status_code == 200 and a.json()["choices"][0]["message"]["content"] == "second try"
    assert len(flaky.requests) == 2
    assert b.status_code == 200 and b.json()["choices"][0]["message"]["content"] == "from backup"
    assert len(silent.requests) == 2  # timed out, retried once, then the fallback answered


def test_bad_upstream_url_is_a_config_error(tmp_path):
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="http:// or https://"):
        make_config(tmp_path, None, models=[{"name": "up", "upstreams": [{"url": "127.0.0.1:8000/v1"}]}])


def test_pool_resends_once_on_a_socket_the_upstream_already_closed():
    """Back-to-back requests: the upstream closes each socket after answering, and the next request is
    written before the close is noticed. It must be resent on a fresh socket, exactly once."""
    from deshi.serve.httpclient import HttpPool

    up = ScriptedUpstream(["drop_idle"])

    async def go():
        port = await up.start()
        pool = HttpPool(f"http://127.0.0.1:{port}/v1")
        out = [await pool.post("/chat/completions", b"{}", {"content-type": "application/json"}, 5) for _ in range(4)]
        pool.close()
        await up.stop()
        return out

    out = asyncio.run(go())
    assert [s for s, _ in out] == [200] * 4 and all(orjson.loads(b)["choices"] for _, b in out)
    assert len(up.requests) == 4 and up.connections == 4
