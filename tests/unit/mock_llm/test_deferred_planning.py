"""Completions that arrive while tokens are due are planned after those tokens are written."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from mock_llm.engine.scheduler import TimerWheel
from mock_llm.http.connection import HttpConnection
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


async def until(condition: Callable[[], object], timeout_s: float = 2.0) -> None:
    """Let the loop run until ``condition()`` holds (generous: this machine is noisy)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


def connect(server: MockServer) -> tuple[HttpConnection, SinkTransport]:
    transport = SinkTransport()
    conn = HttpConnection(server.dispatch, 1 << 20)
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport


async def a_new_request_streams_to_the_end(server: MockServer) -> None:
    """The server keeps serving: a fresh connection's request completes, [DONE] included."""
    conn, transport = connect(server)
    conn.data_received(request(stream=True))
    record = server.ledger.query()[-1]
    await until(lambda: record.finish_reason is not None)
    assert record.finish_reason == "completed"
    assert b"[DONE]" in b"".join(transport.writes)


async def test_a_request_waits_for_due_tokens_and_keeps_its_dispatch_time() -> None:
    """Nothing is written for it until the overdue slot ran; its deadlines count from dispatch."""
    overdue: list[int] = []
    server = server_behind(overdue)
    try:
        conn, transport = connect(server)
        conn.data_received(request(stream=True))
        (record,) = server.ledger.query()
        assert transport.writes == []
        assert record.headers_ns is None
        await until(lambda: record.headers_ns is not None)
        assert len(overdue) == 1
        assert overdue[0] <= record.headers_ns  # type: ignore[operator]
        assert record.admitted_ns is not None
        assert record.arrival_ns <= record.admitted_ns < record.headers_ns  # type: ignore[operator]
        assert record.first_token_due_ns == record.admitted_ns + 20 * MS
        await until(lambda: record.finish_reason is not None)
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
        records = server.ledger.query()
        assert [r.headers_ns for r in records] == [None] * 3  # all three waited
        await until(lambda: all(r.headers_ns is not None for r in records))
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
        (record,) = server.ledger.query()
        await until(lambda: record.finish_reason is not None)
        assert record.finish_reason == "client_disconnected"
        assert record.disconnected
        assert record.disconnect_ns == record.closed_ns is not None
        assert record.tokens_generated == 0
        assert transport.writes == []
        assert server.stats.disconnects == 1
        assert server.stats.active_streams == 0
        await a_new_request_streams_to_the_end(server)
    finally:
        server.close()


async def test_a_request_waits_at_most_one_tick() -> None:
    """Behind for good: a request is planned once it has waited one slot, not starved."""
    server = server_behind([])
    assert server._scheduler is not None
    server._scheduler.behind = lambda: True  # type: ignore[method-assign]  # behind for good
    try:
        conn, _ = connect(server)
        conn.data_received(request(stream=True))
        (record,) = server.ledger.query()
        assert record.headers_ns is None
        await until(lambda: record.headers_ns is not None)
        assert record.admitted_ns is not None
        tick_ns = server.settings.tick_us * 1000
        assert record.headers_ns - record.admitted_ns >= tick_ns  # type: ignore[operator]
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


async def test_a_pipelined_request_counts_its_deadlines_from_its_turn() -> None:
    """Two requests in one read: the second's TTFT counts from the end of the first."""
    server = create_app(MockSettings(ttft_ms=10, itl_ms=10, tokens=3))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    try:
        conn, transport = connect(server)
        conn.data_received(request(stream=True) + request(stream=True))
        await until(lambda: len(server.ledger.query()) == 2)
        first, second = server.ledger.query()
        await until(lambda: second.finish_reason is not None)
        assert first.completed_ns is not None
        assert second.arrival_ns < first.completed_ns <= second.admitted_ns  # type: ignore[operator]
        assert second.first_token_due_ns == second.admitted_ns + 10 * MS  # type: ignore[operator]
        assert second.max_lateness_ns < 5 * MS
        assert b"".join(transport.writes).count(b"[DONE]") == 2
    finally:
        server.close()


class AbortRecorder(SinkTransport):
    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True


async def test_a_request_that_fails_to_plan_does_not_strand_the_rest() -> None:
    """Planning raises for the first deferred request: it is logged, its connection aborted,
    and the one behind it is still planned and streamed."""
    server = server_behind([])
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    accept = server._accept
    calls = 0

    def fail_once(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("planning failed")
        return accept(*args)  # type: ignore[arg-type]

    server._accept = fail_once  # type: ignore[assignment,method-assign]
    try:
        broken = AbortRecorder()
        conn = HttpConnection(server.dispatch, 1 << 20)
        conn.connection_made(broken)  # type: ignore[arg-type]
        conn.data_received(request(stream=True))
        await a_new_request_streams_to_the_end(server)
        assert broken.aborted
        assert [str(e["exception"]) for e in errors] == ["planning failed"]
    finally:
        loop.set_exception_handler(None)
        server.close()


async def test_the_wheel_and_the_deferral_bound_take_the_slot_width_from_settings() -> None:
    server = create_app(MockSettings(tick_us=2000, ttft_ms=100))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    listener = await server.serve(sock)
    try:
        assert server._scheduler is not None
        assert (server._scheduler._tick_ns, server._scheduler._early_ns) == (2 * MS, MS)
        assert server._max_defer_ns == 2 * MS
    finally:
        listener.close()
        server.close()
