"""Startup warm-up: one full streamed call through each client path, over loopback.

The first ``create()`` in a process stalls the loop for tens of milliseconds
(lazy imports of the SDK, httpcore2 and anyio's backend, pydantic schema
building; docs/behaviours.md#sync-client-inside-async-def).
Paying it at startup keeps it out of the first user's TTFT, without needing the
upstream to be up: a throwaway loopback server answers with a canned stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio.to_thread
import openai
from openai.types.chat import ChatCompletionMessageParam

from .upstream import UpstreamCall, chunk_text
from .upstream_stream import open_stream
from .upstream_transport import LeanTransport

# A complete stream in OpenAI's format, served in-process at startup.
_WARM_UP_SSE = b"".join(
    b"data: " + line + b"\n\n"
    for line in (
        b'{"id":"w","object":"chat.completion.chunk","created":0,"model":"w",'
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
        b'{"id":"w","object":"chat.completion.chunk","created":0,"model":"w",'
        b'"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}',
        b'{"id":"w","object":"chat.completion.chunk","created":0,"model":"w",'
        b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
        b'{"id":"w","object":"chat.completion.chunk","created":0,"model":"w","choices":[],'
        b'"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
        b"[DONE]",
    )
)
_WARM_UP_MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "warm up"}]


async def _answer_canned(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n"
        b"content-length: %d\r\n\r\n%b" % (len(_WARM_UP_SSE), _WARM_UP_SSE)
    )
    await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def _canned_upstream() -> AsyncIterator[str]:
    """A throwaway loopback server answering any request with the canned stream."""
    server = await asyncio.start_server(_answer_canned, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()
        await server.wait_closed()


async def warm_up_async() -> None:
    """reference_fast's path (``with_streaming_response``, our parser), then ``AsyncStream``'s
    (the reference's), each over both HTTP stacks an async client may use."""
    async with _canned_upstream() as base_url:
        for http_client in (openai.DefaultAsyncHttpxClient(transport=LeanTransport()), None):
            client = openai.AsyncOpenAI(
                api_key="warm-up", base_url=base_url, max_retries=0, http_client=http_client
            )
            async with client:
                await _async_calls(client)


async def _async_calls(client: openai.AsyncOpenAI) -> None:
    call = UpstreamCall("w", _WARM_UP_MESSAGES, None, {})
    async with await open_stream(client, call) as upstream:
        while await upstream.next_delta() is not None:
            pass
    stream = await client.chat.completions.create(
        model="w",
        messages=_WARM_UP_MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    async with stream:
        async for chunk in stream:
            chunk_text(chunk)


async def warm_up_sync() -> None:
    """The same for the sync client (teaching variants), run in a worker thread."""
    async with _canned_upstream() as base_url:
        await anyio.to_thread.run_sync(_sync_call, base_url)


def _sync_call(base_url: str) -> None:
    with openai.OpenAI(api_key="warm-up", base_url=base_url, max_retries=0) as client:
        stream = client.chat.completions.create(
            model="w",
            messages=_WARM_UP_MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        with stream:
            for chunk in stream:
                chunk_text(chunk)
