"""seed_recipe: the published recipe's disconnect handling in the reference.

The recipe polls ``is_disconnected()``, ``break``s, and returns a plain
``StreamingResponse``; nothing closes the upstream stream.
Symptom: passes the obvious disconnect test. Starlette cancels the response
when the client leaves; while the generator awaits the upstream, that cancel
unwinds through the SDK stream, whose own ``finally`` closes it. It leaks when
the cancel lands in ``send()`` instead: the generator stays parked at
``yield``, nothing closes it, and the upstream generates to the end into an
idle connection (until the cyclic GC, if ever). ``is_disconnected()`` is no
help: it is never reached, and under uvicorn Starlette's own listener eats the
disconnect message anyway. With bare uvicorn under ``send()`` the cancel does
not land there (uvicorn wakes the blocked write in the same callback); any
await of the send path's own does (a middleware doing async work per chunk).
The number: mode 2 (client stops reading, send path awaits, client closes):
every remaining token generated after the client left, upstream connection
still open; the reference: none, closed within 100 ms
(tests/integration/service/test_disconnect.py).
Fix: the reference: hold the stream in ``async with`` and have the response
``aclose()`` the generator in a shielded ``finally`` (ClosingStreamingResponse).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..first_event import peek_first_event
from ..responses import InstrumentedStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_finished, chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        finished = relayed = False
        try:
            async for chunk in stream:
                if await request.is_disconnected():
                    break  # the mistake: the upstream stream is never closed
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
    # The mistake, second half: a plain StreamingResponse never closes the generator.
    return InstrumentedStreamingResponse(
        body, headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
