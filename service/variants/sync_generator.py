"""sync_generator: the sync ``OpenAI`` client in a plain ``def`` generator.

Starlette runs each ``next()`` of a sync iterator in anyio's thread pool, so
the loop stays responsive, but:
- a stream holds a worker thread while it waits for the upstream (its TTFT),
  and the pool has 40 threads: the 41st concurrent stream waits for one;
- ``iterate_in_threadpool`` never closes the iterator, so a client that leaves
  leaves the upstream generating to the end.
The number: 60 concurrent streams with a 1 s upstream TTFT arrive in two
waves, 40 at ~1.1 s and 20 at ~2.2 s (tests/integration/test_service_blocking.py);
on disconnect every remaining token is generated upstream
(tests/integration/test_service_disconnect.py).
Fix: ``AsyncOpenAI`` in an ``async def`` generator (the reference).
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..responses import InstrumentedStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)
    client = ctx.sync_client

    def events() -> Iterator[bytes]:
        # The mistake: a sync generator; each next() borrows a pool thread.
        stream = client.chat.completions.create(**call.stream_args())
        for chunk in stream:
            text = chunk_text(chunk)
            if text is not None:
                ctx.metrics.tokens_relayed.inc()
                yield token_event(text)
        yield DONE_EVENT

    return InstrumentedStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
