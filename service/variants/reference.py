"""reference: the seed recipe done right, on the openai SDK's own stack.

Each teaching variant is this module with one mistake: diff them.
- ``async with stream`` in the generator, and a response that ``aclose()``s the
  generator in a shielded ``finally`` (:class:`ClosingStreamingResponse`):
  together they close the upstream on every way out (end, upstream error,
  client gone while we await the upstream or while ``send()`` is blocked,
  shutdown). Polling ``is_disconnected()`` is not needed.
- The first event is read before the headers are sent, so a failure before the
  first token is an HTTP status (429 + Retry-After, 502, 504) and a client who
  leaves during the TTFT stops the upstream at once (:mod:`service.first_event`).
- After it, a failure is an SSE error event and the stream ends (no ``[DONE]``).
- Tokens are JSON (``data: {"token": "..."}``): no token text can end or forge
  an event. ``X-Accel-Buffering: no`` keeps nginx from buffering the stream.
The number: <= 1 token generated upstream after any disconnect, the upstream
connection closed within 100 ms (tests/integration/service/test_disconnect.py).
reference_fast does the same for about a third of the CPU per token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..first_event import peek_first_event
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_finished, chunk_text


async def stream_chat(
    request: Request,
    chat: ChatRequest,
    ctx: StreamContext,
    *,
    headers: Mapping[str, str] = STREAM_HEADERS,
) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        stream = await ctx.async_client.chat.completions.create(**call.stream_args())
        finished = relayed = False
        async with stream:  # closes the upstream on every way out, GeneratorExit included
            try:
                async for chunk in stream:
                    if (text := chunk_text(chunk)) is not None:
                        relayed = True
                        ctx.metrics.tokens_relayed.inc()
                        yield token_event(text)
                    finished = finished or chunk_finished(chunk)
            except Exception as exc:
                if not relayed:
                    raise  # nothing sent yet: peek_first_event makes it an HTTP status
                if (failure := ctx.upstream_failure(exc, request)) is None:
                    raise
                yield failure.as_event()  # the 200 is out: an error event ends the stream
                return
        yield DONE_EVENT if finished else ctx.incomplete_event()

    body = await peek_first_event(request, ctx, events())
    if isinstance(body, Response):
        return body  # the upstream failed before its first token, or the client left
    return ClosingStreamingResponse(
        body, headers=headers, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
