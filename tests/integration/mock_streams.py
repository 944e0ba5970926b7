"""Streams straight to mock_llm, started a fixed interval apart (shared by timing tests)."""

from __future__ import annotations

import asyncio
import uuid

from loadtests.client.records import RequestRecord
from loadtests.client.stream_client import stream_request

BODY = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}], "stream": True}


async def staggered_streams(url: str, n: int, stagger_s: float) -> list[RequestRecord]:
    """``n`` chat streams to the mock at ``url``, stream i started ``i * stagger_s`` late."""
    tag = uuid.uuid4().hex[:8]

    async def one(i: int) -> RequestRecord:
        await asyncio.sleep(i * stagger_s)
        return await stream_request(f"{url}/v1/chat/completions", BODY, request_id=f"{tag}-{i}")

    return await asyncio.gather(*(one(i) for i in range(n)))
