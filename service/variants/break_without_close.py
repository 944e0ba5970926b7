"""break_without_close: the response closes the generator; the generator never closes the stream.

Half of the reference: :class:`ClosingStreamingResponse` does ``aclose()`` the
body generator on every exit path, but the generator reads the upstream with a
bare ``async for`` and no ``async with``. ``aclose()`` throws GeneratorExit at
``yield``, which breaks out of the ``async for``: the generator stops reading
and nothing closes the upstream stream (only the GC might, much later). Any
``break`` out of the loop does the same.
Symptom: the upstream keeps generating to the end for a client that left while
the response was in ``send()``; upstream connections pile up.
The number: mode 2 (client stops reading, send path awaits, client closes):
all remaining tokens (19 of 60) generated after the client left
(tests/integration/test_service_disconnect.py). Mode 1 passes: a cancel that
lands in the SDK's read is closed by the SDK's own ``finally``.
Fix: ``async with stream:`` around the loop (the reference), or
``try: ... finally: await stream.close()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        # The mistake: no ``async with stream``. Leaving this loop early (a
        # ``break``, or GeneratorExit at the ``yield``) leaves the stream open.
        async for chunk in stream:
            text = chunk_text(chunk)
            if text is not None:
                ctx.metrics.tokens_relayed.inc()
                yield token_event(text)
        yield DONE_EVENT

    return ClosingStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
