"""Completions that arrive while tokens are due are planned after those tokens are written."""

from __future__ import annotations

import asyncio
import time

from mock_llm.connection import HttpConnection
from mock_llm.scheduler import TimerWheel
from mock_llm.server import MockServer, create_app
from mock_llm.settings import MockSettings
from tests.unit.mock_llm.fake_client import SinkTransport, request

MS = 1_000_000


def server_behind(written: list[int]) -> MockServer:
    """A mock whose wheel has a callback 5 ms overdue (it appends its run time to ``written``)."""
    server = create_app(MockSettings(ttft_ms=20, itl_ms=5, tokens=3))
    wheel = TimerWheel(asyncio.get_running_loop())
    server._scheduler = wheel
    wheel.call_at(time.monotonic_ns() - 5 * MS, written.append)
    assert wheel.behind()
    return server


def connect(server: MockServer) -> tuple[HttpConnection, SinkTransport]:
    transport = SinkTransport()
    conn = HttpConnection(server.dispatch, 1 << 20)
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport


async def test_a_request_waits_for_due_tokens_and_keeps_its_arrival() -> None:
    """Nothing is written for it until the overdue slot ran; its deadlines count from arrival."""
    overdue: list[int] = []
    server = server_behind(overdue)
    try:
        conn, transport = connect(server)
        conn.data_received(request(stream=True))
        (record,) = server.ledger.query()
        assert transport.writes == []
        assert record.headers_ns is None
        await asyncio.sleep(0.005)
        assert len(overdue) == 1
        assert record.headers_ns is not None
        assert overdue[0] <= record.headers_ns
        assert record.admitted_ns == record.arrival_ns
        assert record.first_token_due_ns == record.arrival_ns + 20 * MS
        await asyncio.sleep(0.06)
        assert record.finish_reason == "completed"
        assert record.tokens_written == 3
    finally:
        server.close()


async def test_requests_behind_a_deferred_one_keep_their_order() -> None:
    """Three arrive while behind: planned in arrival order, ledger sequence and headers alike."""
    server = server_behind([])
    try:
        for _ in range(3):
            conn, _ = connect(server)
            conn.data_received(request(stream=True))
        await asyncio.sleep(0.005)
        records = server.ledger.query()
        heads = [r.headers_ns for r in records]
        assert [r.seq for r in records] == [1, 2, 3]
        assert None not in heads
        assert heads == sorted(heads)  # type: ignore[type-var]
    finally:
        server.close()


async def test_a_client_gone_before_planning_is_ledgered_and_nothing_is_generated() -> None:
    """Closed while waiting: client_disconnected, 0 tokens, no writes; the next one streams."""
    server = server_behind([])
    try:
        conn, transport = connect(server)
        conn.data_received(request(stream=True))
        conn.connection_lost(None)
        await asyncio.sleep(0.005)
        (record,) = server.ledger.query()
        assert record.finish_reason == "client_disconnected"
        assert record.disconnected
        assert record.disconnect_ns == record.closed_ns is not None
        assert record.tokens_generated == 0
        assert transport.writes == []
        assert server.stats.disconnects == 1
        assert server.stats.active_streams == 0
        conn2, transport2 = connect(server)
        conn2.data_received(request(stream=True))
        await asyncio.sleep(0.06)
        assert server.ledger.query()[-1].finish_reason == "completed"
        assert b"[DONE]" in b"".join(transport2.writes)
    finally:
        server.close()


async def test_a_request_waits_at_most_half_the_ttft() -> None:
    """TTFT 20 ms: a request still waiting 10 ms after arrival is planned although still behind."""
    server = server_behind([])
    assert server._scheduler is not None
    server._scheduler.behind = lambda: True  # type: ignore[method-assign]  # behind for good
    try:
        conn, _ = connect(server)
        conn.data_received(request(stream=True))
        (record,) = server.ledger.query()
        await asyncio.sleep(0.004)
        assert record.headers_ns is None
        await asyncio.sleep(0.012)
        assert record.headers_ns is not None
        assert 10 * MS <= record.headers_ns - record.arrival_ns < 15 * MS
    finally:
        server.close()


async def test_at_ttft_zero_nothing_waits() -> None:
    """Zero delay: every token is due at once, so planning never waits for the wheel."""
    server = create_app(MockSettings(ttft_ms=0, itl_ms=0, tokens=3))
    wheel = TimerWheel(asyncio.get_running_loop())
    server._scheduler = wheel
    wheel.call_at(time.monotonic_ns() - 5 * MS, lambda now: None)
    try:
        conn, transport = connect(server)
        conn.data_received(request(stream=True))
        assert transport.writes != []
    finally:
        server.close()
