"""The upstream side: SDK clients from settings, the per-request call, chunk reading.

Chunk rules (shared by every variant): a chunk's text is ``choices[0].delta.content``
when non-empty; the role-only first chunk (``content == ""``) and the usage chunk
(``choices == []`` under ``include_usage``) carry no token.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import anyio.to_thread
import httpx2
import openai
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from service.settings import ServiceSettings

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_MOCK_PREFIX = "x-mock-"


def request_id_from(headers: Mapping[str, str]) -> str:
    """The client's ``x-request-id`` when it is a sane token, else a fresh one."""
    given = headers.get(REQUEST_ID_HEADER)
    if given is not None and _REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


@dataclass(frozen=True)
class UpstreamCall:
    """What one ``/chat/stream`` request asks of the upstream."""

    model: str
    messages: list[ChatCompletionMessageParam]
    max_tokens: int | None
    headers: dict[str, str]


def forwarded_headers(
    request_id: str, client_headers: Mapping[str, str], settings: ServiceSettings
) -> dict[str, str]:
    """``x-request-id`` always; ``X-Mock-*`` only when the settings allow it."""
    out = {REQUEST_ID_HEADER: request_id}
    if settings.forward_mock_headers:
        for name, value in client_headers.items():
            if name.lower().startswith(_MOCK_PREFIX):
                out[name.lower()] = value
    return out


def _timeout(settings: ServiceSettings) -> httpx2.Timeout:
    return httpx2.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)


def async_client(settings: ServiceSettings) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.upstream_base_url,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
    )


def sync_client(settings: ServiceSettings) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=settings.api_key.get_secret_value(),
        base_url=settings.upstream_base_url,
        timeout=_timeout(settings),
        max_retries=settings.max_retries,
    )


def chunk_text(chunk: ChatCompletionChunk) -> str | None:
    """The token text of a chunk, or ``None`` (role-only, empty, usage-only)."""
    if not chunk.choices:
        return None
    content = chunk.choices[0].delta.content
    return content or None


def chunk_finished(chunk: ChatCompletionChunk) -> bool:
    return bool(chunk.choices) and chunk.choices[0].finish_reason is not None


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
    """One full streamed call through the SDK and its real HTTP stack, over loopback.

    The first ``create()`` in a process stalls the loop 50-110 ms (lazy imports
    of the SDK, httpcore2 and anyio's backend, pydantic schema building;
    FACTS.md). Paying it at startup keeps it out of the first user's TTFT,
    without needing the upstream to be up.
    """
    async with _canned_upstream() as base_url:
        client = openai.AsyncOpenAI(api_key="warm-up", base_url=base_url, max_retries=0)
        async with client:
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
