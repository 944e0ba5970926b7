"""reference_fast: the reference with its per-token cost cut, same guarantees.

What it buys: service CPU per relayed token. Two parts of the SDK's stack cost
more than everything else the service does per token, and are replaced:
- the body is parsed by :mod:`service.upstream_stream` instead of the SDK's
  per-chunk pydantic models (``with_streaming_response``: the SDK still
  authenticates, retries, times out and maps HTTP errors);
- the client runs on :mod:`service.upstream_transport` (HTTP/1.1 on
  ``asyncio.Protocol`` + httptools) instead of httpcore2/h11;
  ``--upstream-http httpx2`` keeps the parser and puts the SDK's stack back.
The number: service CPU per relayed token at 50 and 200 concurrent streams
(mock_llm, 50 tokens 20 ms apart; tests/bench/service_overhead.py's levels,
both variants in one run on 2 shared cores): 117-160 us against 381-489 us for
the reference, about a third. At 200 streams the reference saturates its core
(TTFT p50 2.3-2.8 s against 0.42-0.49 s).
What it costs: ~600 more lines to trust. The structure is the reference's:
the stream held in ``async with`` inside the generator, closed by
:class:`ClosingStreamingResponse` on every exit path, the first token read
before the headers (HTTP status for early failures), an error event after.
Two additions: when many clients leave at once, the disconnect listener shuts
the upstream socket down at once (:meth:`_Opened.abort`), and after ``[DONE]``
the body is drained so the connection is reused.
The guarantees are the reference's, tested the same way
(tests/integration/service/test_disconnect.py and test_blocking.py run both).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..errors import UpstreamFailure, error_response
from ..first_event import unless_client_leaves
from ..metrics import ServiceMetrics
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import UpstreamCall
from ..upstream_stream import UpstreamStream, open_stream


@dataclass
class _Opened:
    """An upstream stream whose first token (or end) has already arrived."""

    upstream: UpstreamStream
    first_tokens: list[str]
    finished: bool  # a chunk carried finish_reason
    ended: bool  # the upstream stream is exhausted
    closed: bool = False
    aborted: bool = False

    def abort(self) -> None:
        """Send the upstream its FIN now, without waiting for the cancel to unwind.

        When many clients leave at once, the cancellations unwind one after
        another on the loop, so the last upstream close waits for all of them
        (test_mode3_hundred_clients_leave_at_once). This ``shutdown()`` runs in
        the disconnect listener, before the unwinding; the regular close still
        follows. Only while the response is open: a finished response's
        connection may already serve another request from the pool.
        """
        response = self.upstream.response
        if self.closed or response.is_closed:
            return
        self.aborted = True
        network = response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is None:
            return
        # asyncio hands out a TransportSocket, which refuses shutdown(): act on
        # a dup of the descriptor (shutdown applies to the connection, not the fd).
        with contextlib.suppress(OSError, ValueError):
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
            with dup:
                dup.shutdown(socket.SHUT_RDWR)

    async def close(self, metrics: ServiceMetrics) -> None:
        """Close the upstream stream once (idempotent), and count it."""
        if not self.closed:
            self.closed = True
            # Shielded: this also runs while a disconnect cancels the task.
            with anyio.CancelScope(shield=True):
                await self.upstream.aclose()
            metrics.upstream_streams_closed.inc()


async def _open(
    call: UpstreamCall, ctx: StreamContext, request: Request
) -> _Opened | UpstreamFailure:
    """Start the upstream stream and read up to its first token (or report why not).

    Upstream failures are returned, not raised: the caller answers them with
    their HTTP status.
    """
    metrics = ctx.metrics
    try:
        upstream = await open_stream(ctx.fast_client, call)
    except Exception as exc:
        failure = ctx.upstream_failure(exc, request)
        if failure is None:
            raise
        return failure
    metrics.upstream_streams_opened.inc()
    tokens: list[str] = []
    finished = ended = False
    try:
        while not tokens:
            delta = await upstream.next_delta()
            if delta is None:
                ended = True
                break
            if delta.text is not None:
                tokens.append(delta.text)
            finished = finished or delta.finished
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            await upstream.aclose()
        metrics.upstream_streams_closed.inc()
        failure = ctx.upstream_failure(exc, request) if isinstance(exc, Exception) else None
        if failure is None:
            raise
        return failure
    return _Opened(upstream, tokens, finished, ended)


async def _relay(opened: _Opened, ctx: StreamContext, request: Request) -> AsyncIterator[bytes]:
    metrics: ServiceMetrics = ctx.metrics
    upstream = opened.upstream
    try:
        # ``async with`` closes the upstream on every way out of this block,
        # GeneratorExit from the response's aclose() included.
        async with upstream:
            for token in opened.first_tokens:
                metrics.tokens_relayed.inc()
                yield token_event(token)
            finished = opened.finished
            if not opened.ended:
                try:
                    while (delta := await upstream.next_delta()) is not None:
                        if delta.text is not None:
                            metrics.tokens_relayed.inc()
                            yield token_event(delta.text)
                        finished = finished or delta.finished
                except Exception as exc:
                    if opened.aborted:
                        return  # our own abort (the client left), not an upstream failure
                    failure = ctx.upstream_failure(exc, request)
                    if failure is None:
                        raise
                    yield failure.as_event()
                    return
            if not finished:
                yield ctx.incomplete_event()
                return
            yield DONE_EVENT
            # After the client has its [DONE]: lets the connection go back to the pool.
            await upstream.drain()
    finally:
        await opened.close(metrics)  # already closed: only counts it


async def stream_chat(
    request: Request,
    chat: ChatRequest,
    ctx: StreamContext,
    *,
    headers: Mapping[str, str] = STREAM_HEADERS,
) -> Response:
    call = ctx.call_for(request, chat)
    opened = await unless_client_leaves(request, lambda: _open(call, ctx, request))
    if isinstance(opened, UpstreamFailure):
        return error_response(opened.as_service_error())
    if opened is None:
        ctx.metrics.client_disconnects.inc()
        # Nobody is there to read it; 204 keeps the (dropped) reply honest.
        return Response(status_code=204)
    return ClosingStreamingResponse(
        _relay(opened, ctx, request),
        headers=headers,
        media_type=SSE_MEDIA_TYPE,
        metrics=ctx.metrics,
        # If the response dies before the generator's first step (a cancel in
        # the first send), aclose() runs none of its code: close directly.
        on_close=lambda: opened.close(ctx.metrics),
        on_disconnect=opened.abort,
    )
