"""A minimal, fast OpenAI-compatible upstream for gateway benchmarks (raw asyncio + uvloop, keep-alive).

It answers every POST with the same small chat completion, so what a gateway adds on top of it is the
gateway's own cost. Hand-written (not FastAPI) so the mock is never the bottleneck.
Run: python benchmarks/mock_upstream.py PORT
"""

from __future__ import annotations

import asyncio
import sys

BODY = (
    b'{"id":"chatcmpl-mock","object":"chat.completion","created":1700000000,"model":"mock",'
    b'"choices":[{"index":0,"message":{"role":"assistant","content":"The meeting is at 3pm."},'
    b'"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":8,"total_tokens":20}}'
)
MODELS = b'{"object":"list","data":[{"id":"mock","object":"model","created":1700000000,"owned_by":"mock"}]}'


def _response(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


CHAT = _response(BODY)
LIST = _response(MODELS)


class MockProtocol(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            head_end = self.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buf[:head_end].lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None].strip())
            total = head_end + 4 + length
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            self.transport.write(LIST if head.startswith(b"get") else CHAT)


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(MockProtocol, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1])))
