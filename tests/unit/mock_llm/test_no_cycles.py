"""A served stream leaves no reference cycle behind.

Why it matters: the mock keeps up to 100k ledger records; with cycles per
stream the cyclic GC has garbage to find on every pass, and a pass over a
large young generation once stalled the token path for 40 ms.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections import deque

from mock_llm.connection import HttpConnection
from mock_llm.scheduler import TimerWheel
from mock_llm.server import create_app
from mock_llm.settings import MockSettings


class SinkTransport:
    def __init__(self) -> None:
        self.last: deque[bytes] = deque(maxlen=1)
        self.write = self.last.append

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default

    def close(self) -> None:
        pass


def request(stream: bool) -> bytes:
    body = json.dumps(
        {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    ).encode()
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
    )


async def test_streams_and_full_responses_leave_no_cyclic_garbage() -> None:
    server = create_app(MockSettings(ttft_ms=1, itl_ms=1, tokens=5))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    conns = []
    for _ in range(20):
        conn = HttpConnection(server.dispatch, 1 << 20)
        conn.connection_made(SinkTransport())  # type: ignore[arg-type]
        conns.append(conn)
    gc.collect()
    gc.disable()
    try:
        for stream in (True, False, True):
            for conn in conns:
                conn.data_received(request(stream))
            await asyncio.sleep(0.05)
        assert server.stats.tokens_written == 3 * 20 * 5
        assert gc.collect() == 0
    finally:
        gc.enable()
        server.close()


class ProtocolHoldingTransport(SinkTransport):
    """Like uvloop's transport: it references its protocol."""

    def __init__(self, protocol: HttpConnection) -> None:
        super().__init__()
        self.protocol = protocol


async def test_a_closed_connection_leaves_no_cyclic_garbage() -> None:
    """Clients that connect per request must not feed the cyclic GC (parser and transport)."""
    server = create_app(MockSettings(ttft_ms=1, itl_ms=1, tokens=3))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    gc.collect()
    gc.disable()
    try:
        for i in range(20):
            conn = HttpConnection(server.dispatch, 1 << 20)
            conn.connection_made(ProtocolHoldingTransport(conn))  # type: ignore[arg-type]
            conn.data_received(request(stream=True))
            if i % 2:  # half leave mid-stream, half after the end
                await asyncio.sleep(0.02)
            conn.connection_lost(None)
            del conn
        await asyncio.sleep(0.02)
        assert server.stats.requests == 20
        assert gc.collect() == 0
    finally:
        gc.enable()
        server.close()
