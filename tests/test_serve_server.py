"""The gateway's HTTP protocol (uvicorn's, plus a fast path for plain completion POSTs) over real sockets:
keep-alive, pipelining, ``Connection: close``, and the requests it must leave to uvicorn's own path."""

from __future__ import annotations

import asyncio

import orjson
import uvicorn

from deshi.serve.app import build, create_app
from deshi.serve.server import protocol_for
from test_serve_support import ScriptedUpstream, make_config

BODY = orjson.dumps({"model": "up", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.5})


def _post(body: bytes = BODY, path: str = "/v1/chat/completions", extra: bytes = b"") -> bytes:
    return (b"POST %s HTTP/1.1\r\nHost: deshi\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n"
            % (path.encode(), extra, len(body)) + body)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
    if "content-length" in headers:
        return status, headers, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, headers, body
        body += chunk[:-2]


def _serve_and(tmp_path, client, paths: list[str] | None = None):
    """Run the gateway under uvicorn with the fast protocol; ``paths`` collects which path answered
    each completion request ('fast' or 'asgi')."""
    up = ScriptedUpstream(["length"])

    async def go():
        up_port = await up.start()
        gateway = build(make_config(tmp_path, None, models=[{"name": "up", "upstreams": [{"url": f"http://127.0.0.1:{up_port}/v1"}]}]),
                        force=True)
        handle = gateway.handle

        async def recording(request, kind):
            if paths is not None:
                paths.append("fast" if type(request).__name__ == "_FastRequest" else "asgi")
            return await handle(request, kind)

        gateway.handle = recording
        config = uvicorn.Config(create_app(gateway), host="127.0.0.1", port=0, http=protocol_for(gateway), loop="none",
                                log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            return await client(port)
        finally:
            server.should_exit = True
            await serving
            await gateway.close()
            await up.stop()

    return asyncio.run(go())


def test_keep_alive_and_pipelined_requests_are_answered_in_order(tmp_path):
    async def client(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post())
        first = await _read_response(reader)
        # Three pipelined in one write: fast, fast behind a busy one, then a GET (uvicorn's own path).
        writer.write(_post() + _post(path="/v1/completions", body=orjson.dumps({"model": "up", "prompt": "hi"}))
                     + b"GET /health HTTP/1.1\r\nHost: deshi\r\n\r\n")
        rest = [await _read_response(reader) for _ in range(3)]
        writer.close()
        return [first, *rest]

    paths: list[str] = []
    out = _serve_and(tmp_path, client, paths)
    assert [s for s, _, _ in out] == [200, 200, 200, 200]
    assert paths[0] == "fast" and paths.count("fast") >= 2  # a pipelined one behind a busy one may take uvicorn's path
    chat, chat2, completion, health = (orjson.loads(b) for _, _, b in out)
    assert chat["object"] == "chat.completion" and chat["choices"][0]["message"]["content"] == "hello"
    assert chat2["id"] != chat["id"] and chat2["id"] == out[1][1]["x-request-id"]
    assert out[0][1]["content-type"] == "application/json" and out[0][1]["x-deshi-cache"] == "miss"
    assert completion["id"].startswith("cmpl-") and health["status"] == "ok"


def test_connection_close_errors_and_escaped_keys(tmp_path):
    async def client(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # A key spelled with a JSON escape ("stream"): may ask for streaming, so uvicorn's ASGI path answers.
        writer.write(_post(b'{"model": "up", "str\\u0065am": false, "messages": [{"role": "user", "content": "hi"}]}'))
        escaped = await _read_response(reader)
        writer.write(_post(b"{not json"))
        bad = await _read_response(reader)
        writer.write(_post(extra=b"Connection: close\r\n"))
        closing = await _read_response(reader)
        eof = await reader.read()
        writer.close()
        return escaped, bad, closing, eof

    paths: list[str] = []
    escaped, bad, closing, eof = _serve_and(tmp_path, client, paths)
    assert paths == ["asgi", "fast", "fast"]
    assert escaped[0] == 200 and orjson.loads(escaped[2])["choices"][0]["message"]["content"] == "hello"
    assert bad[0] == 400 and orjson.loads(bad[2])["error"]["code"] == "invalid_json"
    assert closing[0] == 200 and closing[1]["connection"] == "close" and eof == b""
