"""Streaming responses: counted, and (for the references) closed on every exit path.

Starlette's ``StreamingResponse`` cancels the stream when the client leaves
(ASGI spec 2.3 under uvicorn). If the cancel lands while the response is
awaiting ``send()`` (slow or non-reading client), the body generator is parked
at ``yield`` and nothing ever closes it: the upstream keeps generating
(docs/behaviours.md#client-disconnect; tests/unit/service/test_responses.py).
:class:`ClosingStreamingResponse` closes the generator in a ``finally``,
shielded from that very cancellation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import anyio
from starlette.background import BackgroundTask
from starlette.responses import ContentStream, StreamingResponse
from starlette.types import Receive, Send

from .metrics import ServiceMetrics

# Closing an upstream stream is a socket close; if it ever hangs, give up
# rather than pin the task forever.
CLOSE_TIMEOUT_S = 5.0


class InstrumentedStreamingResponse(StreamingResponse):
    """Starlette's behaviour unchanged, plus active-stream and disconnect metrics."""

    def __init__(
        self,
        content: ContentStream,
        *,
        metrics: ServiceMetrics,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)
        self.metrics = metrics
        self.completed = False

    async def listen_for_disconnect(self, receive: Receive) -> None:
        await super().listen_for_disconnect(receive)
        if not self.completed:
            self.metrics.client_disconnects.inc()

    async def stream_response(self, send: Send) -> None:
        self.metrics.active_streams.inc()
        try:
            await super().stream_response(send)
            self.completed = True
        finally:
            self.metrics.active_streams.dec()


class ClosingStreamingResponse(InstrumentedStreamingResponse):
    """Always ``aclose()`` the body iterator (then ``on_close``), whatever ended the response."""

    def __init__(
        self,
        content: ContentStream,
        *,
        metrics: ServiceMetrics,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(content, metrics=metrics, headers=headers, media_type=media_type)
        self._on_close = on_close
        self._on_disconnect = on_disconnect

    async def listen_for_disconnect(self, receive: Receive) -> None:
        await super().listen_for_disconnect(receive)
        if not self.completed and self._on_disconnect is not None:
            # Synchronous and first: runs before the cancellation unwinds.
            self._on_disconnect()

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        finally:
            # Shielded: this runs while the task is being cancelled (the
            # disconnect), and the close must still reach the upstream.
            with anyio.CancelScope(shield=True) as scope:
                scope.deadline = anyio.current_time() + CLOSE_TIMEOUT_S
                aclose = getattr(self.body_iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
                if self._on_close is not None:
                    await self._on_close()
