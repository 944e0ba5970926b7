"""An Ollama-compatible facade: Ollama's native ``/api/chat`` NDJSON in front of OpenAI.

Teams that started on a local Ollama keep its wire format when they move to an
OpenAI-compatible backend, so their clients need no change: ``POST /api/chat`` takes
``{"model": ..., "messages": [...]}`` and answers ``application/x-ndjson``, one JSON
object per line, no SSE framing: ``{"model": ..., "created_at": ..., "message":
{"role": "assistant", "content": "..."}, "done": false}`` per token, then a final
``{"done": true, "done_reason": "stop", "eval_count": N, "total_duration": NS, ...}``
with empty content. Upstream is ``AsyncOpenAI()`` (``OPENAI_BASE_URL`` /
``OPENAI_API_KEY``); the body's model id is passed on; no headers are forwarded.

Run: ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 OPENAI_API_KEY=x
uvicorn tests.user_services.ndjson_service:app``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from openai import AsyncOpenAI
from pydantic import BaseModel

app = FastAPI()
client = AsyncOpenAI()


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str = "llama3.2"
    messages: list[Message]


def _line(model: str, content: str, *, done: bool, **extra: Any) -> str:
    obj = {
        "model": model,
        "created_at": datetime.now(UTC).isoformat(),
        "message": {"role": "assistant", "content": content},
        "done": done,
        **extra,
    }
    return json.dumps(obj) + "\n"


@app.post("/api/chat")
async def chat(body: ChatRequest) -> StreamingResponse:
    async def ndjson_lines() -> AsyncIterator[str]:
        started_ns = time.perf_counter_ns()
        completion = await client.chat.completions.create(
            model=body.model,
            messages=[m.model_dump() for m in body.messages],
            stream=True,
        )
        eval_count = 0
        done_reason = "stop"
        async for chunk in completion:
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            if choice.delta.content:
                eval_count += 1
                yield _line(body.model, choice.delta.content, done=False)
            if choice.finish_reason is not None:
                done_reason = choice.finish_reason
        yield _line(
            body.model,
            "",
            done=True,
            done_reason=done_reason,
            total_duration=time.perf_counter_ns() - started_ns,
            eval_count=eval_count,
        )

    return StreamingResponse(ndjson_lines(), media_type="application/x-ndjson")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
