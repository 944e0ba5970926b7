"""Streams stamp writes and fold them in later; every reader still sees every write so far."""

from __future__ import annotations

import asyncio
import json

from mock_llm.engine.folding import FOLD_MIN, FOLD_SLICE
from mock_llm.engine.scheduler import TimerWheel
from mock_llm.http.connection import HttpConnection
from mock_llm.server import MockServer, create_app
from mock_llm.settings import MockSettings
from tests.unit.mock_llm.fake_client import SinkTransport, request


def get_json(server: MockServer, path: str) -> dict[str, object]:
    transport = SinkTransport()
    conn = HttpConnection(server.dispatch, 1 << 20)
    conn.connection_made(transport)  # type: ignore[arg-type]
    conn.data_received(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    body = b"".join(transport.writes).split(b"\r\n\r\n", 1)[1]
    result: dict[str, object] = json.loads(body)
    return result


def start_stream(server: MockServer) -> None:
    conn = HttpConnection(server.dispatch, 1 << 20)
    conn.connection_made(SinkTransport())  # type: ignore[arg-type]
    conn.data_received(request(stream=True))


async def test_reads_mid_stream_see_every_write_so_far() -> None:
    """20 tokens 20 ms apart, read at ~110 ms: the record and the stats agree on the count."""
    server = create_app(MockSettings(ttft_ms=10, itl_ms=20, tokens=20))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    try:
        start_stream(server)
        await asyncio.sleep(0.11)
        stats = get_json(server, "/mock/stats")
        (record,) = get_json(server, "/mock/requests")["requests"]  # type: ignore[misc]
        written = record["tokens_written"]
        assert 3 <= written <= 8
        assert stats["tokens_written"] == written == record["tokens_generated"]
        assert len(record["token_write_ns"]) == written
        assert stats["lateness_tokens"] == written
        assert record["finish_reason"] is None
    finally:
        server.close()


async def test_multi_token_chunks_fold_into_per_token_times() -> None:
    """7 tokens, 3 per chunk: chunks of 3, 3 and 1; seven token times, lateness per chunk."""
    server = create_app(MockSettings(ttft_ms=1, itl_ms=1, tokens=7, tokens_per_chunk=3))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    try:
        start_stream(server)
        await asyncio.sleep(0.05)
        (record,) = get_json(server, "/mock/requests")["requests"]  # type: ignore[misc]
        times = record["token_write_ns"]
        assert record["finish_reason"] == "completed"
        assert record["tokens_written"] == record["tokens_generated"] == 7
        assert len(times) == 7
        assert times[0] == times[1] == times[2] <= times[3] == times[4] == times[5] <= times[6]
        stats = get_json(server, "/mock/stats")
        assert stats["tokens_written"] == 7
        assert stats["lateness_tokens"] == 3
    finally:
        server.close()


STREAMS = FOLD_SLICE * 5 // 2


async def server_with_written_streams() -> MockServer:
    """2.5 slices of live streams, each with its first token written and its second 200 ms away."""
    server = create_app(MockSettings(ttft_ms=1, itl_ms=200, tokens=10))
    server._scheduler = TimerWheel(asyncio.get_running_loop())
    for _ in range(STREAMS):
        start_stream(server)
    await asyncio.sleep(0.05)
    return server


def read_stats(server: MockServer) -> SinkTransport:
    """Send GET /mock/stats; the transport collects the answer when it comes."""
    transport = SinkTransport()
    conn = HttpConnection(server.dispatch, 1 << 20)
    conn.connection_made(transport)  # type: ignore[arg-type]
    conn.data_received(b"GET /mock/stats HTTP/1.1\r\nHost: x\r\n\r\n")
    return transport


async def test_a_read_folds_many_streams_a_slice_per_loop_turn() -> None:
    """2.5 slices of live streams: answered after three loop turns, nothing written lost.

    The streams were all written to before the read; the answer counts at least
    those writes, and was not produced inside the request's own callback.
    """
    server = await server_with_written_streams()
    try:
        transport = read_stats(server)
        assert transport.writes == []  # first slice folded, the rest on later turns
        for _ in range(3):
            await asyncio.sleep(0)
        body = b"".join(transport.writes).split(b"\r\n\r\n", 1)[1]
        stats = json.loads(body)
        assert stats["tokens_written"] == STREAMS
        assert stats["lateness_tokens"] == STREAMS
    finally:
        server.close()


async def test_a_read_while_a_slot_is_due_folds_only_the_minimum_per_turn() -> None:
    """Always behind: FOLD_MIN streams a turn, so 2.5 slices take 25 turns, and still answer."""
    server = await server_with_written_streams()
    assert server._scheduler is not None
    server._scheduler.behind = lambda: True  # type: ignore[method-assign]
    try:
        transport = read_stats(server)
        turns = 0
        while not transport.writes:
            await asyncio.sleep(0)
            turns += 1
        assert turns == -(-STREAMS // FOLD_MIN) - 1
        stats = json.loads(b"".join(transport.writes).split(b"\r\n\r\n", 1)[1])
        assert stats["tokens_written"] == STREAMS
    finally:
        server.close()
