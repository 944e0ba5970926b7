"""The leak and its fix, at the ASGI level: a cancel that lands in ``send()``.

A send that awaits something the disconnect does not complete (here: an event
that never fires) is where Starlette's disconnect cancel lands. The plain
response leaves the body generator parked at ``yield``; the closing response
closes it, and the close survives the cancellation (shielded).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.types import Message

from service.metrics import ServiceMetrics
from service.responses import ClosingStreamingResponse, InstrumentedStreamingResponse


class FakeUpstream:
    """Stands in for the SDK stream: its close takes an await, like a socket close."""

    def __init__(self) -> None:
        self.closed = False

    async def __aenter__(self) -> FakeUpstream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(0.01)  # would be interrupted without the shield
        self.closed = True


async def _body(upstream: FakeUpstream) -> AsyncIterator[bytes]:
    async with upstream:
        for i in range(1000):
            yield b"data: %d\n\n" % i
            await asyncio.sleep(0)


async def _serve_until_disconnect(response_cls: type[InstrumentedStreamingResponse]) -> bool:
    upstream = FakeUpstream()
    response = response_cls(_body(upstream), metrics=ServiceMetrics("test"))
    send_blocked = asyncio.Event()
    sent = 0

    async def send(message: Message) -> None:
        nonlocal sent
        if message["type"] == "http.response.body":
            sent += 1
            if sent == 3:
                send_blocked.set()
                await asyncio.Event().wait()  # a send that never finishes on its own

    async def receive() -> Message:
        await send_blocked.wait()
        return {"type": "http.disconnect"}

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}}
    await asyncio.wait_for(response(scope, receive, send), timeout=5)
    await asyncio.sleep(0.05)
    return upstream.closed


async def test_plain_streaming_response_leaves_the_generator_parked() -> None:
    assert await _serve_until_disconnect(InstrumentedStreamingResponse) is False


async def test_closing_streaming_response_closes_it_despite_the_cancel() -> None:
    assert await _serve_until_disconnect(ClosingStreamingResponse) is True


@pytest.mark.parametrize("response_cls", [InstrumentedStreamingResponse, ClosingStreamingResponse])
async def test_metrics_count_the_disconnect_and_the_stream(
    response_cls: type[InstrumentedStreamingResponse],
) -> None:
    metrics = ServiceMetrics("test")
    response = response_cls(_body(FakeUpstream()), metrics=metrics)
    blocked = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            blocked.set()
            await asyncio.Event().wait()

    async def receive() -> Message:
        await blocked.wait()
        return {"type": "http.disconnect"}

    await response({"type": "http", "asgi": {"spec_version": "2.3"}}, receive, send)
    assert metrics.client_disconnects._value.get() == 1
    assert metrics.active_streams._value.get() == 0


async def test_on_close_runs_when_the_body_never_started() -> None:
    """A cancel in the very first send: aclose() of an unstarted generator runs
    none of its code, so the upstream is closed by ``on_close``."""
    upstream = FakeUpstream()
    closed_by_hook: list[bool] = []

    async def on_close() -> None:
        await asyncio.sleep(0.01)  # survives the cancellation too
        closed_by_hook.append(True)

    response = ClosingStreamingResponse(
        _body(upstream), metrics=ServiceMetrics("test"), on_close=on_close
    )
    started = asyncio.Event()

    async def send(message: Message) -> None:
        started.set()
        await asyncio.Event().wait()  # blocks on http.response.start

    async def receive() -> Message:
        await started.wait()
        return {"type": "http.disconnect"}

    await response({"type": "http", "asgi": {"spec_version": "2.3"}}, receive, send)
    assert closed_by_hook == [True]
    assert upstream.closed is False  # the generator never ran: on_close had to do it
