"""uvicorn's httptools protocol, with plain (non-streaming) completion POSTs handed straight to the gateway.

Why: at one client the gateway's whole budget is ~0.3 ms of CPU per request, and uvicorn's generic ASGI
cycle (a ``RequestResponseCycle`` with its ``asyncio.Event``, the receive/send message dicts, a regex
check of every response header, the Starlette-shaped request and response objects on our side) was
~15-20 µs of it. For ``POST /v1/chat/completions`` and ``POST /v1/completions`` whose body does not ask
for streaming, this protocol buffers the body itself, runs ``Gateway.handle`` as a task and writes the
status line, headers and body in one ``write``. Everything else — other routes and methods, streaming,
``Expect: 100-continue``, upgrades, pipelined requests behind a busy one, a concurrency limit — goes
through uvicorn's own code path unchanged, as does the connection's life (keep-alive timer, pipelining,
flow control, graceful shutdown). uvicorn is pinned (pyproject); ``tests/test_serve_server.py`` drives
this protocol over real sockets (keep-alive, pipelining, ``Connection: close``, fallbacks).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from deshi.log import get_logger
from deshi.serve import protocol as P
from deshi.serve.app import JsonResponse, _GatewayApp, _RawRequest

log = get_logger("deshi.serve.server")
_FAST = {path.encode(): kind for path, kind in _GatewayApp._FAST.items()}  # uvicorn gives the path as bytes
_ERROR_500 = JsonResponse(P.error_body("internal error", "server_error"), 500)  # immutable: shared


class _FastRequest(_RawRequest):
    """What ``Gateway.handle`` reads from a request (a header, the body), already buffered: the header
    lookup of the raw-ASGI stand-in over uvicorn's (lower-cased) header list, and the body as read."""

    __slots__ = ("_body",)

    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__({"headers": headers}, None)
        self._body = body

    async def body(self) -> bytes:
        return self._body


class _FastCycle:
    """Stands in for uvicorn's ``RequestResponseCycle`` while a fast request is read and answered
    (uvicorn's callbacks look at these attributes: pipelining, disconnects, shutdown)."""

    __slots__ = ("kind", "chunks", "response_complete", "disconnected", "keep_alive", "message_event", "more_body")

    def __init__(self, kind: str, keep_alive: bool) -> None:
        self.kind = kind
        self.chunks: list[bytes] = []
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = keep_alive
        self.message_event = self  # connection_lost() calls message_event.set()
        self.more_body = True

    def set(self) -> None:
        pass


class GatewayHttpProtocol(HttpToolsProtocol):
    """Subclassed per app by ``protocol_for``; ``gateway`` is the ``Gateway`` to call."""

    gateway: Any = None

    def on_headers_complete(self) -> None:
        kind = _FAST.get(self.url)
        if (kind is None or self.parser.get_method() != b"POST" or self.parser.get_http_version() != "1.1"
                or self.expect_100_continue or self.parser.should_upgrade() or self.limit_concurrency is not None
                or (self.cycle is not None and not self.cycle.response_complete)):
            super().on_headers_complete()
            return
        self.scope["method"] = "POST"
        self.cycle = _FastCycle(kind, self.parser.should_keep_alive())  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if type(cycle) is _FastCycle:
            cycle.chunks.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if type(cycle) is not _FastCycle:
            super().on_message_complete()
            return
        cycle.more_body = False
        body = b"".join(cycle.chunks)
        cycle.chunks = []
        if b'"stream"' in body or b"\\u" in body:
            # May ask for streaming (``\u`` could spell the key): uvicorn's own cycle and the ASGI app.
            self._to_asgi(body)
            return
        task = self.loop.create_task(self._answer(cycle, _FastRequest(self.headers, body)))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def _to_asgi(self, body: bytes) -> None:
        self.cycle = None  # type: ignore[assignment]
        super().on_headers_complete()  # builds the scope and cycle from this message's parser state
        self.cycle.body = body
        self.cycle.more_body = False
        self.cycle.message_event.set()

    async def _answer(self, cycle: _FastCycle, request: _FastRequest) -> None:
        try:
            response = await self.gateway.handle(request, cycle.kind)
        except Exception:
            log.exception("unhandled error")
            response = _ERROR_500
        status, headers, body = response.status_code, response.raw_headers, response.body
        if cycle.disconnected or self.transport.is_closing():
            return  # the client went away (uvicorn's own cycle drops the response the same way)
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content += (name, b": ", value, b"\r\n")
        for name, value in headers:
            content += (name, b": ", value, b"\r\n")
        if not cycle.keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", body)
        self.transport.write(b"".join(content))
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()


def protocol_for(gateway: Any) -> type[GatewayHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to ``gateway``."""
    return type("GatewayHttpProtocolBound", (GatewayHttpProtocol,), {"gateway": gateway})
