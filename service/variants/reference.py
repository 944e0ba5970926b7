"""reference: the streaming endpoint done right; every other variant is a diff from it.

- AsyncOpenAI, warmed up at startup, through ``with_streaming_response``: the
  SDK still authenticates, retries, times out and maps HTTP errors, but the
  body is parsed by :mod:`service.upstream_stream` instead of the SDK's
  per-chunk pydantic models (190-280 us of CPU per chunk), and the client runs
  on :mod:`service.upstream_transport` instead of httpcore2/h11
  (``--upstream-http httpx2`` switches back). Service CPU per relayed token at
  50-200 streams: ~130-155 us, from ~400-440 (tests/bench/service_overhead.py).
- The upstream stream is held in ``async with`` inside the body generator, and
  the response (:class:`ClosingStreamingResponse`) ``aclose()``s that generator
  in a shielded ``finally``. Together they close the upstream on every exit
  path: normal end, client gone while we await the upstream, client gone while
  ``send()`` is blocked, upstream error, timeout, server shutdown.
- The first token is pulled before the response is built, so an upstream
  failure before it is an HTTP status (429 + Retry-After, 502, 504); a client
  that leaves during that wait is noticed at once (raced against ``receive``).
- After the first token, a failure is an SSE error event and the stream ends.
- The number: <= 1 token generated upstream after any disconnect, upstream
  connection closed within 100 ms (tests/integration/test_service_disconnect.py).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext, request_id_of
from ..errors import (
    INCOMPLETE,
    UpstreamFailure,
    classify_upstream_error,
    error_response,
    log_upstream_error,
)
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
        another (~0.5 ms of CPU each), so the last upstream close waits for all
        of them: 100 clients at once, last upstream close 53-101 ms after the
        clients left; with this ``shutdown()`` in the disconnect listener,
        21-38 ms (same run, 2 shared cores). The regular close still follows.
        Only while the response is open: a finished response's connection may
        already serve another request from the pool.
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


def _failure_of(exc: Exception, ctx: StreamContext, request_id: str) -> UpstreamFailure | None:
    failure = classify_upstream_error(exc)
    if failure is not None:
        log_upstream_error(exc, request_id, failure)
        ctx.metrics.upstream_errors.labels(type=failure.error_type).inc()
    return failure


async def _open(
    call: UpstreamCall, ctx: StreamContext, request_id: str
) -> _Opened | UpstreamFailure:
    """Start the upstream stream and read up to its first token (or report why not).

    Failures are returned, not raised: this runs inside a task group, which
    would wrap them in an ExceptionGroup.
    """
    metrics = ctx.metrics
    try:
        upstream = await open_stream(ctx.reference_client, call)
    except Exception as exc:
        failure = _failure_of(exc, ctx, request_id)
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
        failure = _failure_of(exc, ctx, request_id) if isinstance(exc, Exception) else None
        if failure is None:
            raise
        return failure
    return _Opened(upstream, tokens, finished, ended)


async def _unless_client_leaves(
    request: Request, opener: Callable[[], Awaitable[_Opened | UpstreamFailure]]
) -> _Opened | UpstreamFailure | None:
    """``await opener()``, cancelled (returning ``None``) if the client disconnects first.

    Before the response starts nothing in Starlette listens for the disconnect,
    so a client that gives up during a long TTFT would otherwise cost a whole
    upstream generation start.
    """
    result: list[_Opened | UpstreamFailure] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(watch)
        result.append(await opener())
        group.cancel_scope.cancel()
    return result[0] if result else None


async def _relay(opened: _Opened, ctx: StreamContext, request_id: str) -> AsyncIterator[bytes]:
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
                    failure = _failure_of(exc, ctx, request_id)
                    if failure is None:
                        raise
                    yield failure.as_event()
                    return
            if not finished:
                metrics.upstream_errors.labels(type=INCOMPLETE.error_type).inc()
                yield INCOMPLETE.as_event()
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
    request_id = request_id_of(request)
    call = ctx.call_for(request, chat)
    opened = await _unless_client_leaves(request, lambda: _open(call, ctx, request_id))
    if isinstance(opened, UpstreamFailure):
        return error_response(opened.as_service_error())
    if opened is None:
        ctx.metrics.client_disconnects.inc()
        # Nobody is there to read it; 204 keeps the (dropped) reply honest.
        return Response(status_code=204)
    return ClosingStreamingResponse(
        _relay(opened, ctx, request_id),
        headers=headers,
        media_type=SSE_MEDIA_TYPE,
        metrics=ctx.metrics,
        # If the response dies before the generator's first step (a cancel in
        # the first send), aclose() runs none of its code: close directly.
        on_close=lambda: opened.close(ctx.metrics),
        on_disconnect=opened.abort,
    )
