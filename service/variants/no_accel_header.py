"""no_accel_header: the reference without ``X-Accel-Buffering: no``.

Symptom: direct to the service, nothing is wrong. Behind nginx the reply can be
held until ~4 KB or its end: TTFT becomes "time to the end of the first 4 KB".
nginx's defaults ask the upstream with HTTP/1.0, so it depends on uvicorn's
protocol (``--http``): httptools answers chunked and nginx relays per chunk
(streams, by accident); h11 answers close-delimited and nginx buffers it all.
gzip on ``text/event-stream`` buffers under both.
The number: 50 events x 44 B, 20 ms apart, through nginx 1.22: defaults on h11
first event at ~1020-1045 ms in 1 read, on httptools 40 ms in 50 reads; gzip
~1020 ms in 1 read on either; the reference 29-46 ms, 50 reads, on every path.
Caught by: tests/proxy/test_buffering.py (needs nginx; both protocols);
tests/integration/service/test_framing.py asserts the header is missing here
and present on the reference.
Fix: send ``X-Accel-Buffering: no`` on every SSE response (the reference does),
or ``proxy_buffering off`` for the location in nginx.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..chat_request import ChatRequest
from ..context import StreamContext
from . import reference

# The mistake: only Cache-Control, nothing telling a buffering proxy to stream.
HEADERS = {"Cache-Control": "no-cache"}


async def stream_chat(request: Request, chat: ChatRequest, ctx: StreamContext) -> Response:
    return await reference.stream_chat(request, chat, ctx, headers=HEADERS)
