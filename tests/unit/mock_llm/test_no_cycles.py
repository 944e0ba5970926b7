"""A served stream leaves no reference cycle behind.

Why it matters: the mock keeps up to 100k ledger records; with cycles per
stream the cyclic GC has garbage to find on every pass, and a pass over a
large young generation once stalled the token path for 40 ms.
"""

from __future__ import annotations

import asyncio
import gc

from mock_llm.engine.folding import FOLD_MIN, FOLD_SLICE
from mock_llm.engine.scheduler import TimerWheel
from mock_llm.http.connection import HttpConnection
from mock_llm.server import create_app
from mock_llm.settings import MockSettings
from tests.unit.mock_llm.fake_client import SinkTransport, raw_post, request


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


async def test_reads_that_fold_live_streams_in_slices_leave_no_cyclic_garbage() -> None:
    """/mock/stats, /metrics and /mock/requests over more live streams than one slice."""
    server = create_app(MockSettings(ttft_ms=1, itl_ms=100, tokens=5))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    # Open connections are kept referenced (a live one holds its parser cycle
    # until connection_lost breaks it, see the closed-connection test below).
    conns = []
    for _ in range(FOLD_SLICE * 2 + 1):
        conn = HttpConnection(server.dispatch, 1 << 20)
        conn.connection_made(SinkTransport())  # type: ignore[arg-type]
        conn.data_received(request(stream=True))
        conns.append(conn)
    await asyncio.sleep(0.02)
    gc.collect()
    gc.disable()
    try:
        readers = []
        for path in (b"/mock/stats", b"/metrics", b"/mock/requests"):
            transport = SinkTransport()
            conn = HttpConnection(server.dispatch, 1 << 20)
            conn.connection_made(transport)  # type: ignore[arg-type]
            conn.data_received(b"GET %b HTTP/1.1\r\nHost: x\r\n\r\n" % path)
            conns.append(conn)
            readers.append(transport)
        # A few turns, or up to one per FOLD_MIN streams if the wheel is behind.
        for _ in range(len(conns) // FOLD_MIN + 5):
            if all(t.writes for t in readers):
                break
            await asyncio.sleep(0)
        assert all(t.writes and t.writes[0].startswith(b"HTTP/1.1 200") for t in readers)
        assert gc.collect() == 0
    finally:
        gc.enable()
        server.close()


class ProtocolHoldingTransport(SinkTransport):
    """Like uvloop's transport: it references its protocol, and tells it when it closes."""

    def __init__(self, protocol: HttpConnection) -> None:
        super().__init__()
        self.protocol = protocol
        self.closing = False

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    abort = close


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


async def test_errors_faults_and_rejections_leave_no_cyclic_garbage() -> None:
    """The mock runs with the cyclic GC off: every other exit path must not cycle either."""
    server = create_app(
        MockSettings(ttft_ms=1, itl_ms=1, tokens=4, max_concurrent=2, when_full="reject")
    )
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    faults = [
        {"kind": "status", "status": 503},
        {"kind": "error_event", "at": 2},
        {"kind": "drop", "at": 2},
        {"kind": "drop", "at": 2, "mode": "reset"},
        {"kind": "malformed", "at": 2},
        {"kind": "no_done"},
        {"kind": "stall", "at": 2, "seconds": 0.01},
    ]
    payloads = [
        raw_post(b"{not json"),
        raw_post(b'{"model": "nope", "messages": []}'),
        raw_post(b'{"model": 5}'),
        raw_post(b"{}", path=b"/v1/nowhere"),
        b"GARBAGE / HTTP/1.1\r\n\r\n",
        *(request(True, mock={"fault": fault}) for fault in faults),
        request(False, mock={"fault": {"kind": "drop"}}),
        # The prompt's marker: used, malformed (each way of failing), under a bad body field.
        *(
            request(True, messages=[{"role": "user", "content": f"hi {marker}"}])
            for marker in (
                "[sg:c-1 tokens=2 fault=drop fault-at=1]",
                "[sg:c-2 text-mode=poetry] [sg:c-3 nope=1] [sg:c-4",
            )
        ),
        request(True, messages=[{"role": "user", "content": "[sg:c-5]"}], mock={"tokens": 0}),
    ]
    gc.collect()
    gc.disable()
    try:
        for payload in payloads:
            conn = HttpConnection(server.dispatch, 1 << 20)
            transport = ProtocolHoldingTransport(conn)
            conn.connection_made(transport)  # type: ignore[arg-type]
            conn.data_received(payload)
            await asyncio.sleep(0.03)
            transport.close()  # the client leaves (if the server has not closed already)
            del conn, transport
        transports = []
        for _ in range(4):  # at once, over max_concurrent: two get 429
            conn = HttpConnection(server.dispatch, 1 << 20)
            transports.append(ProtocolHoldingTransport(conn))
            conn.connection_made(transports[-1])  # type: ignore[arg-type]
            conn.data_received(request(True))
        del conn
        await asyncio.sleep(0.05)
        for transport in transports:
            transport.close()
        del transports, transport
        await asyncio.sleep(0.01)
        statuses = server.stats.responses_by_status
        assert {400, 404, 429, 503} <= set(statuses), statuses
        assert server.stats.active_streams == 0
        assert gc.collect() == 0
    finally:
        gc.enable()
        server.close()
