"""The straightforward FastAPI implementation of mock_llm's stream, for comparison.

Same bytes, same absolute deadlines, but one coroutine per stream sleeping
until each deadline and a Starlette StreamingResponse sending each chunk: what
a team would write first. Run: ``python -m tests.bench.fastapi_stream_app PORT``.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator

import uvicorn
import uvloop
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from mock_llm.http.wire import DONE_EVENT, ChunkEncoder
from service.cli import announce_listening


def create_app(ttft_ms: float, itl_ms: float, tokens: int) -> FastAPI:
    app = FastAPI()
    encoder = ChunkEncoder(
        endpoint="chat",
        completion_id="chatcmpl-x",
        created=0,
        model="mock-gpt",
        include_usage=False,
    )
    role = encoder.role()
    content = encoder.content(b'" token"')
    tail = encoder.finish("stop") + DONE_EVENT

    async def events(start_ns: int) -> AsyncIterator[bytes]:
        yield role
        for k in range(tokens):
            due = start_ns + int((ttft_ms + k * itl_ms) * 1e6)
            delay = (due - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            yield content
        yield tail

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> StreamingResponse:
        await request.body()
        return StreamingResponse(events(time.monotonic_ns()), media_type="text/event-stream")

    return app


def main() -> None:
    ttft_ms, itl_ms, tokens = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(ttft_ms, itl_ms, tokens),
        loop="uvloop",
        http="httptools",
        log_level="warning",
        backlog=4096,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        sock.listen(4096)
        announce_listening(f"http://127.0.0.1:{sock.getsockname()[1]}")
        await server.serve(sockets=[sock])

    uvloop.run(serve())


if __name__ == "__main__":
    main()
