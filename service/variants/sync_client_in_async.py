"""sync_client_in_async: the sync ``OpenAI`` client inside an ``async def`` generator.

Symptom: every upstream read blocks the event loop. One stream at a time makes
progress; every other request, /healthz included, waits for the current
stream to end; TTFTs are serialized. On disconnect it relays to the end into
the dead socket (the loop never gets to deliver the cancel).
The number: 5 concurrent streams of 20 tokens x 50 ms: TTFTs ~0.06, 1.1, 2.1,
3.2, 4.2 s (the 5th > 3 s after the 1st) and a 50/s /healthz prober sees p99
> 500 ms (reference: < 100 ms). /debug/stalls names the socket read in the
sync HTTP client and the ``for chunk in stream`` line below
(tests/integration/test_service_blocking.py).
Fix: ``AsyncOpenAI`` and ``async for`` (the reference). If a blocking client
is unavoidable, run it in a thread (and then see sync_generator.py).
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
    client = ctx.sync_client

    async def events() -> AsyncIterator[bytes]:
        # The mistake: blocking calls on the event loop thread.
        stream = client.chat.completions.create(**call.stream_args())
        for chunk in stream:  # blocks the loop until the next chunk arrives
            text = chunk_text(chunk)
            if text is not None:
                ctx.metrics.tokens_relayed.inc()
                yield token_event(text)
        yield DONE_EVENT

    return InstrumentedStreamingResponse(
        events(), headers=STREAM_HEADERS, media_type=SSE_MEDIA_TYPE, metrics=ctx.metrics
    )
