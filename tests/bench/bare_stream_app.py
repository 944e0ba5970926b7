"""The least a Python server can do per token: the write path's own cost here.

A bare ``asyncio.Protocol`` on uvloop that answers every POST with the same
stream as the mock (same bytes per chunk, same 1 ms timer wheel), but with no
HTTP parser, no planning, no ledger, no stats. What it costs per token is what
the kernel's loopback write (and, on a VM, waking the reader's vCPU) costs plus
a minimum of Python: the benchmark reports it beside the mock so the mock's
own overhead can be read off as a difference. Not a usable server: it reads
one fixed-shape request per response.

Run: ``python -m tests.bench.bare_stream_app TTFT_MS ITL_MS TOKENS``.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time

import uvloop

from loadtests.processes import announce_listening
from mock_llm.scheduler import TimerWheel
from mock_llm.wire import DONE_EVENT, ChunkEncoder, http_chunk

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)


class BareStream(asyncio.Protocol):
    def __init__(self, wheel: TimerWheel, ttft_ns: int, itl_ns: int, tokens: int) -> None:
        encoder = ChunkEncoder(
            endpoint="chat",
            completion_id="chatcmpl-x",
            created=0,
            model="mock-gpt",
            include_usage=False,
        )
        self._first = HEAD + http_chunk(encoder.role())
        self._frame = http_chunk(encoder.content(b'" token"'))
        self._last = self._frame + http_chunk(encoder.finish("stop") + DONE_EVENT) + b"0\r\n\r\n"
        self._wheel = wheel
        self._ttft_ns, self._itl_ns, self._tokens = ttft_ns, itl_ns, tokens
        self._transport: asyncio.Transport | None = None
        self._start_ns = 0
        self._sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        # wrk sends one small POST per response; its last byte is the body's '}'.
        if data.endswith(b"}") and self._transport is not None:
            self._transport.write(self._first)
            self._start_ns = time.monotonic_ns()
            self._sent = 0
            self._wheel.call_at(self._start_ns + self._ttft_ns, self._due)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def _due(self, now_ns: int) -> None:
        if self._transport is None:
            return
        self._sent += 1
        if self._sent == self._tokens:
            self._transport.write(self._last)
            return
        self._transport.write(self._frame)
        self._wheel.call_at(self._start_ns + self._ttft_ns + self._sent * self._itl_ns, self._due)


async def serve(ttft_ms: float, itl_ms: float, tokens: int) -> None:
    loop = asyncio.get_running_loop()
    wheel = TimerWheel(loop)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await loop.create_server(
        lambda: BareStream(wheel, round(ttft_ms * 1e6), round(itl_ms * 1e6), tokens),
        sock=sock,
        backlog=4096,
    )
    announce_listening(f"http://127.0.0.1:{sock.getsockname()[1]}")
    async with server:
        await server.serve_forever()


def main() -> None:
    uvloop.run(serve(float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])))


if __name__ == "__main__":
    main()
