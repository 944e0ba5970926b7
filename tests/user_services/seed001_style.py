"""Seed 001's habit: the sync ``OpenAI`` client called inside an ``async def`` generator.

The shape of a widely copied example: ``POST /chat/stream`` reads ``{"messages":
[...]}`` with ``await request.json()``, creates a streaming completion with the
*synchronous* SDK client and yields each ``delta.content`` as raw text
(``text/plain``, no SSE framing). Every iteration of the SDK's ``Stream`` is a blocking
socket read on the event loop, so while one stream runs, ``GET /healthz`` and every
other stream wait; a client that leaves is not noticed and the upstream generates to
the end. Forwards no headers upstream; the upstream comes from the SDK's own
``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

Run: ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=x
uvicorn tests.user_services.seed001_style:app``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from openai import OpenAI

app = FastAPI()
# As in the seed: one sync client at import, key read from the environment.
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])


async def stream_tokens(messages: list[dict[str, Any]]) -> AsyncIterator[str]:
    completion = client.chat.completions.create(
        model="gpt-4o",
        messages=messages,
        stream=True,
    )
    for chunk in completion:
        text = chunk.choices[0].delta.content
        if text:
            yield text


@app.post("/chat/stream")
async def chat_stream(request: Request) -> StreamingResponse:
    payload = await request.json()
    messages = payload.get("messages", [{"role": "user", "content": "Hello"}])
    return StreamingResponse(stream_tokens(messages), media_type="text/plain")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
