"""raw_text_framing: the reference with ``text/plain`` and raw token text after ``data: ``.

Symptom: most text streams fine; a token holding a newline splits or ends the
event, ``\\n\\n`` ends it early and the rest of the token is lost or becomes a
bogus field, a token ``data: [DONE]`` ends the stream for the client, and
clients that pick the parser by content type do not parse SSE at all.
The number: the echo of ``"alpha\\n\\ndata: beta"`` arrives as different text
(tests/integration/service/test_framing.py asserts the corruption).
Fix: wrap every token in JSON (``data: {"token": "..."}``; JSON escapes
newlines) and send ``text/event-stream``, as the reference does.
Everything else (closing, errors) is the reference's, so only framing differs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..first_event import peek_first_event
from ..responses import ClosingStreamingResponse
from ..upstream import chunk_finished, chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        finished = relayed = False
        async with stream:
            try:
                async for chunk in stream:
                    if (text := chunk_text(chunk)) is not None:
                        relayed = True
                        ctx.metrics.tokens_relayed.inc()
                        yield f"data: {text}\n\n".encode()  # the mistake: the token as is
                    finished = finished or chunk_finished(chunk)
            except Exception as exc:
                if not relayed:
                    raise
                if (failure := ctx.upstream_failure(exc, request)) is None:
                    raise
                yield failure.as_event()
                return
        yield b"data: [DONE]\n\n" if finished else ctx.incomplete_event()

    body = await peek_first_event(request, ctx, events())
    if isinstance(body, Response):
        return body
    return ClosingStreamingResponse(
        body, headers=STREAM_HEADERS, media_type="text/plain", metrics=ctx.metrics
    )
