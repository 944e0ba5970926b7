"""Seed 000's habit: the published "production" SSE recipe with ``AsyncOpenAI``.

``POST /chat/stream`` takes a pydantic body ``{"prompt": ...}``, awaits a streaming
chat completion from a module-level ``AsyncOpenAI()`` and relays each token JSON-wrapped
as ``data: {"token": "..."}`` then ``data: [DONE]`` (``text/event-stream``), with
``Cache-Control: no-cache`` and ``X-Accel-Buffering: no``. Inside the loop it asks
``await request.is_disconnected()`` before every token, the recipe's way to stop paying
for tokens nobody reads (on uvicorn it is Starlette's disconnect listener that actually
cancels the stream: docs/behaviours.md#client-disconnect). Forwards no headers
upstream; the upstream comes from the SDK's own ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

Run: ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=x
uvicorn tests.user_services.seed000_style:app``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from openai import AsyncOpenAI
from pydantic import BaseModel

app = FastAPI()
client = AsyncOpenAI()  # OPENAI_API_KEY and OPENAI_BASE_URL from the environment


class ChatRequest(BaseModel):
    prompt: str


@app.post("/chat/stream")
async def chat_stream(body: ChatRequest, request: Request) -> StreamingResponse:
    async def sse_events() -> AsyncIterator[str]:
        completion = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": body.prompt}],
            stream=True,
        )
        async for chunk in completion:
            if await request.is_disconnected():
                break
            token = chunk.choices[0].delta.content or ""
            if token:
                yield f"data: {json.dumps({'token': token})}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        sse_events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
