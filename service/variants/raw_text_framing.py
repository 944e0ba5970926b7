"""raw_text_framing: ``text/plain`` and raw token text after ``data: `` (no JSON wrapping).

Symptom: most text streams fine; a token holding a newline splits or ends the
event, ``\\n\\n`` ends it early and the rest of the token is lost or becomes a
bogus field, a token ``data: [DONE]`` ends the stream for the client, and
clients that pick the parser by content type do not parse SSE at all.
The number: the echo of ``"alpha\\n\\ndata: beta"`` arrives as different text
(tests/integration/test_service_framing.py asserts the corruption).
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
from ..responses import ClosingStreamingResponse
from ..upstream import chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        async with stream:
            async for chunk in stream:
                text = chunk_text(chunk)
                if text is not None:
                    ctx.metrics.tokens_relayed.inc()
                    # The mistake: the token is written as is.
                    yield f"data: {text}\n\n".encode()
        yield b"data: [DONE]\n\n"

    return ClosingStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type="text/plain", metrics=ctx.metrics
    )
