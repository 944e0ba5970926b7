"""The corpus base: a chat streaming service written the way a careful team writes it.

``POST /chat/stream`` takes ``{"prompt": ...}`` and streams the model's reply as
server-sent events, one JSON object per token (``data: {"token": "..."}``), then
``data: [DONE]``. An upstream failure, before or after the first token, ends the stream
with an error event (``data: {"error": {...}}``): the status line is already sent by
then. ``GET /healthz`` answers at once.

The upstream is ``AsyncOpenAI`` configured from the environment (``OPENAI_BASE_URL``,
``OPENAI_API_KEY``), created in the lifespan and closed at shutdown, with a read timeout
(2 s) and the SDK's own two retries. No request header is forwarded upstream. The
upstream stream is held in ``async with`` so it is closed however the reply ends.

The seeded regressions (``tests/gate/corpus/regressions/``) each subclass
:class:`ChatRelay` and override one method or attribute, or add one middleware through
:func:`make_app`, so that each module's diff against this one is the mistake and
nothing else.

Run: ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=x
uvicorn tests.gate.corpus.service:app``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing, asynccontextmanager
from typing import Any, ClassVar

import openai
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletionChunk
from pydantic import BaseModel
from starlette.middleware import Middleware

__all__ = ["DONE", "UPSTREAM_ERRORS", "ChatRelay", "ChatRequest", "app", "make_app", "make_client"]

logger = logging.getLogger(__name__)

MODEL = os.environ.get("CHAT_MODEL", "gpt-4o-mini")
DONE = "data: [DONE]\n\n"
#: What a failing upstream raises while we wait for or read the stream: the SDK wraps
#: statuses, timeouts and a connection dropped mid-stream in its own exceptions.
UPSTREAM_ERRORS: tuple[type[Exception], ...] = (openai.OpenAIError,)


class ChatRequest(BaseModel):
    prompt: str


def make_client() -> AsyncOpenAI:
    """The SDK client from the environment: 2 s to connect and between reads, 2 retries."""
    return AsyncOpenAI(
        api_key=os.environ["OPENAI_API_KEY"],
        base_url=os.environ.get("OPENAI_BASE_URL"),
        max_retries=2,
        timeout=openai.Timeout(2.0, connect=2.0),  # the SDK's httpx Timeout
    )


def sse(payload: dict[str, Any]) -> str:
    """One server-sent event carrying ``payload`` as JSON (newlines inside are escaped)."""
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


class ChatRelay:
    """One chat reply: the upstream call, its tokens, and the events the client reads."""

    headers: ClassVar[dict[str, str]] = {
        "Cache-Control": "no-cache",
        # nginx (and proxies that honour it) must pass each event on as it comes.
        "X-Accel-Buffering": "no",
    }

    def __init__(self, client: AsyncOpenAI) -> None:
        self.client = client

    async def open(self, prompt: str) -> AsyncStream[ChatCompletionChunk]:
        """The upstream call; the SDK retries 429/5xx and connection errors itself."""
        return await self.client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": prompt}], stream=True
        )

    async def tokens(self, prompt: str) -> AsyncGenerator[str]:
        """The reply's text, chunk by chunk, as the upstream sends it."""
        async with await self.open(prompt) as stream:
            async for chunk in stream:
                if chunk.choices and (token := chunk.choices[0].delta.content):
                    yield token

    async def events(self, prompt: str) -> AsyncIterator[str]:
        """What the client reads: a token event per chunk, then [DONE] or an error event."""
        try:
            async with aclosing(self.tokens(prompt)) as tokens:
                async for token in tokens:
                    yield self.token_event(token)
        except UPSTREAM_ERRORS as exc:
            logger.warning("upstream failed: %r", exc)
            yield self.error_event(exc)
            return
        yield DONE

    def token_event(self, token: str) -> str:
        return sse({"token": token})

    def error_event(self, exc: BaseException) -> str:
        return sse({"error": {"type": type(exc).__name__, "message": "the model is unavailable"}})


def make_app(relay: type[ChatRelay] = ChatRelay, middleware: Sequence[Middleware] = ()) -> FastAPI:
    """The service, streaming each reply through ``relay``, behind ``middleware``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = make_client()
        try:
            yield
        finally:
            await app.state.client.close()

    app = FastAPI(lifespan=lifespan, middleware=list(middleware))

    @app.post("/chat/stream")
    async def chat_stream(body: ChatRequest, request: Request) -> StreamingResponse:
        reply = relay(request.app.state.client)
        return StreamingResponse(
            reply.events(body.prompt), media_type="text/event-stream", headers=reply.headers
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = make_app()
