"""sync_client_in_async: the reference with the sync ``OpenAI`` client.

Symptom: every upstream read blocks the event loop. One stream at a time makes
progress; every other request, /healthz included, waits for the current
stream to end; TTFTs are serialized. On disconnect it relays to the end into
the dead socket (the loop never gets to deliver the cancel).
The number: 5 concurrent streams of 20 tokens x 50 ms: the 5th TTFT > 3 s after
the 1st and a 50/s /healthz prober sees p99 > 500 ms (reference: < 100 ms).
/debug/stalls names the socket read in the sync HTTP client and the
``for chunk in stream`` line below (tests/integration/service/test_blocking.py).
Fix: ``AsyncOpenAI``, ``await`` and ``async for`` (the reference). If a
blocking client is unavoidable, run it in a thread (and then see
sync_generator.py).
Unlike the reference, the generator goes to the response unpeeked, as in the
published sync-client recipe: reading every request's first token up front
(blocking too) would start all upstreams before any stream relays, and the
serialization would show at the second TTFT instead of at every one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import STREAM_HEADERS, StreamContext
from ..responses import ClosingStreamingResponse
from ..sse import DONE_EVENT, SSE_MEDIA_TYPE, token_event
from ..upstream import chunk_finished, chunk_text


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    call = ctx.call_for(request, chat)

    async def events() -> AsyncIterator[bytes]:
        # The mistake: blocking calls on the event loop thread.
        stream = ctx.sync_client.chat.completions.create(**call.stream_args())
        finished = False
        with stream:
            try:
                for chunk in stream:  # blocks the loop until the next chunk arrives
                    if (text := chunk_text(chunk)) is not None:
                        ctx.metrics.tokens_relayed.inc()
                        yield token_event(text)
                    finished = finished or chunk_finished(chunk)
            except Exception as exc:
                if (failure := ctx.upstream_failure(exc, request)) is None:
                    raise
                yield failure.as_event()
                return
        yield DONE_EVENT if finished else ctx.incomplete_event()

    return ClosingStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
