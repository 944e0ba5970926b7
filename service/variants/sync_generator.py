"""sync_generator: the reference with the sync ``OpenAI`` client in a plain ``def`` generator.

Starlette runs each ``next()`` of a sync iterator in anyio's thread pool (so
does :func:`service.first_event.peek_first_event` for the first one), so the
loop stays responsive, but:
- a stream holds a worker thread while it waits for the upstream (its TTFT),
  and the pool has 40 threads: the 41st concurrent stream waits for one;
- ``iterate_in_threadpool`` never closes the iterator, so a client that leaves
  leaves the upstream generating to the end.
The number: 60 concurrent streams with a 1 s upstream TTFT arrive in two
waves, 40 at ~1.1 s and 20 at ~2.2 s (tests/integration/service/test_blocking.py);
on disconnect every remaining token is generated upstream
(tests/integration/service/test_disconnect.py).
Fix: ``AsyncOpenAI`` in an ``async def`` generator (the reference).
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..first_event import peek_first_event
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_finished, chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    def events() -> Iterator[bytes]:
        # The mistake: a sync generator; each next() borrows a pool thread.
        stream = ctx.sync_client.chat.completions.create(**call.stream_args())
        finished = relayed = False
        with stream:
            try:
                for chunk in stream:
                    if (text := chunk_text(chunk)) is not None:
                        relayed = True
                        ctx.metrics.tokens_relayed.inc()
                        yield token_event(text)
                    finished = finished or chunk_finished(chunk)
            except Exception as exc:
                if not relayed:
                    raise
                if (failure := ctx.upstream_failure(exc, request)) is None:
                    raise
                yield failure.as_event()
                return
        yield DONE_EVENT if finished else ctx.incomplete_event()

    body = await peek_first_event(request, ctx, events())
    if isinstance(body, Response):
        return body
    return ClosingStreamingResponse(
        body, headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
