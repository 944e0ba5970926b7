"""no_accel_header: the reference without ``X-Accel-Buffering: no``.

Symptom: direct to the service, nothing is wrong. Behind nginx with its
defaults (``proxy_buffering on``, upstream HTTP/1.0) the client gets the
headers and the first event ~1 s late, all events in one read, or per 4 KB
buffer: TTFT becomes "time to the end of the first 4 KB".
The number: 50 events x 44 B, 20 ms apart through nginx defaults: first byte
at ~1040 ms, 1 read; with the header 1.6 ms, 51 reads (FACTS.md "Proxies").
Caught by: tests/proxy (needs nginx); tests/integration/test_service_framing.py
asserts the header is missing here and present on the reference.
Fix: send ``X-Accel-Buffering: no`` on every SSE response (the reference does),
or ``proxy_buffering off`` for the location in nginx.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.chat_request import ChatRequest
from service.context import StreamContext
from service.variants import reference

# The mistake: only Cache-Control, nothing telling a buffering proxy to stream.
HEADERS = {"Cache-Control": "no-cache"}


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    return await reference.stream_chat(request, chat, ctx, headers=HEADERS)
