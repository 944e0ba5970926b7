"""The least a Python server can do per token: the write path's own cost here.

A bare ``asyncio.Protocol`` on uvloop that answers every POST with the same
stream as the mock (same bytes per chunk, same timer wheel with the mock's
default slots), but with no HTTP parser, no planning, no ledger. What it costs per token is what the
kernel's loopback write (and, on a VM, waking the reader's vCPU) costs plus a
minimum of Python: the benchmark reports it beside the mock so the mock's own
overhead can be read off as a difference. Not a usable server: it reads one
fixed-shape request per response.

It does keep the one statistic the mock's timing target is about: lateness,
stamped per write (its time and deadline appended to two arrays) and folded
into the mock's own histogram in batches and when ``GET /mock/stats`` asks,
much as the mock stamps and folds. Its
lateness is the floor for any Python server on this machine: when the host
stalls the core, the floor is late too, and the benchmark shows both side by
side from the same minutes.

Run: ``python -m tests.bench.bare_stream_app TTFT_MS ITL_MS TOKENS``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from array import array

import uvloop

from mock_llm.cli import announce_listening
from mock_llm.engine.scheduler import TimerWheel
from mock_llm.http.wire import DONE_EVENT, ChunkEncoder, http_chunk
from mock_llm.stats import MockStats

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
)


FOLD_BATCH = 1024


class WriteStamps:
    """Every token's write time and deadline, server-wide, until folded into ``stats``."""

    def __init__(self) -> None:
        self.written_ns: array[int] = array("q")
        self.deadlines_ns: array[int] = array("q")
        self.stats = MockStats()

    def fold(self) -> None:
        self.stats.observe_written(self.written_ns, self.deadlines_ns)
        self.stats.tokens_written += len(self.written_ns)
        del self.written_ns[:], self.deadlines_ns[:]

    def snapshot(self) -> bytes:
        """The lateness part of the mock's /mock/stats, as JSON."""
        self.fold()
        full = self.stats.snapshot()
        keys = (
            "tokens_written",
            "lateness_max_ns",
            "lateness_bucket_bounds_ns",
            "lateness_bucket_counts",
        )
        return json.dumps({k: full[k] for k in keys}).encode()


class BareStream(asyncio.Protocol):
    def __init__(
        self, wheel: TimerWheel, stamps: WriteStamps, ttft_ns: int, itl_ns: int, tokens: int
    ) -> None:
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
        self._stamps = stamps
        # The arrays themselves, bound once: _due appends to them per token.
        self._written_ns, self._deadlines_ns = stamps.written_ns, stamps.deadlines_ns
        self._ttft_ns, self._itl_ns, self._tokens = ttft_ns, itl_ns, tokens
        self._transport: asyncio.Transport | None = None
        self._due_ns = 0
        self._sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self._transport is None:
            return
        if data.startswith(b"GET /mock/stats "):
            body = self._stamps.snapshot()
            self._transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%b" % (len(body), body)
            )
            self._transport.close()
        # wrk sends one small POST per response; its last byte is the body's '}'.
        elif data.endswith(b"}"):
            self._transport.write(self._first)
            self._sent = 0
            self._due_ns = time.monotonic_ns() + self._ttft_ns
            self._wheel.call_at(self._due_ns, self._due)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def _due(self, now_ns: int) -> None:
        if self._transport is None:
            return
        written = self._written_ns
        written.append(now_ns)
        self._deadlines_ns.append(self._due_ns)
        # Folded in small batches (the mock folds per stream): one big fold at
        # the stats read, or at the end of long streams, would stall the server.
        if len(written) >= FOLD_BATCH:
            self._stamps.fold()
        self._sent += 1
        if self._sent == self._tokens:
            self._transport.write(self._last)
            return
        self._transport.write(self._frame)
        # Absolute deadlines, as the mock's: first + k x ITL, no drift.
        self._due_ns += self._itl_ns
        self._wheel.call_at(self._due_ns, self._due)


async def serve(ttft_ms: float, itl_ms: float, tokens: int) -> None:
    loop = asyncio.get_running_loop()
    wheel = TimerWheel(loop)
    stamps = WriteStamps()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await loop.create_server(
        lambda: BareStream(wheel, stamps, round(ttft_ms * 1e6), round(itl_ms * 1e6), tokens),
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
