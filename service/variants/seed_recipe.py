"""seed_recipe: the recipe as published: poll ``is_disconnected()``, ``break``, no close.

Symptom: passes the obvious disconnect test (client reads a few events and
closes: Starlette cancels the stream while it awaits the upstream, and that
cancel happens to close the SDK stream). Leaks when the client stops reading
first: the cancel lands in ``send()``, the generator stays parked at ``yield``
forever, ``is_disconnected()`` is never reached (and never returns True under
uvicorn anyway: Starlette's own listener eats the disconnect message), and the
upstream generates to the end into an idle connection.
The number: mode 2 (client stops reading, then closes): every remaining token
is generated upstream after the client left, and the upstream connection stays
open (tests/integration/test_service_disconnect.py).
Fix: the reference: hold the stream in ``async with`` and have the response
``aclose()`` the generator in a shielded ``finally``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from service.chat_request import ChatRequest
from service.context import STREAM_HEADERS, StreamContext
from service.responses import InstrumentedStreamingResponse
from service.sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from service.upstream import chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(
            model=call.model,
            messages=call.messages,
            max_tokens=call.max_tokens,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=call.headers,
        )
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
