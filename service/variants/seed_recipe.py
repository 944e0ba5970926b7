"""seed_recipe: the recipe as published: poll ``is_disconnected()``, ``break``, no close.

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
every remaining token (20 of 60) generated after the client left, upstream
connection still open; reference 0, closed within ms
(tests/integration/test_service_disconnect.py).
Fix: the reference: hold the stream in ``async with`` and have the response
``aclose()`` the generator in a shielded ``finally`` (ClosingStreamingResponse).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..responses import InstrumentedStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        async for chunk in stream:
            if await request.is_disconnected():
                break  # the mistake: the upstream stream is never closed
            text = chunk_text(chunk)
            if text is not None:
                ctx.metrics.tokens_relayed.inc()
                yield token_event(text)
        yield DONE_EVENT

    return InstrumentedStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
