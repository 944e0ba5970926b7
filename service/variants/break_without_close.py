"""break_without_close: the reference without ``async with stream``.

The response is the reference's :class:`ClosingStreamingResponse`: it does
``aclose()`` the body generator on every exit path. But ``aclose()`` throws
GeneratorExit at ``yield``, which only leaves the ``async for`` (as any
``break`` would): nothing closes the upstream stream (only the GC might, much
later). Closing the generator is half the fix.
Symptom: the upstream keeps generating to the end for a client that left while
the response was in ``send()``; upstream connections pile up.
The number: mode 2 (client stops reading, send path awaits, client closes):
every remaining token generated after the client left
(tests/integration/service/test_disconnect.py). Mode 1 passes: a cancel that
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
from ..first_event import peek_first_event
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_finished, chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        finished = relayed = False
        # The mistake: no ``async with stream``. Leaving this loop early (a
        # ``break``, or GeneratorExit at the ``yield``) leaves the stream open.
        try:
            async for chunk in stream:
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
