"""The upstream's SSE body read as bytes and parsed by us, for reference_fast.

The SDK's ``AsyncStream`` builds a pydantic ``ChatCompletionChunk`` for every
chunk (``construct_type`` walks the model's annotations): more CPU per chunk
than everything else the service does per token (tests/bench/service_overhead.py
compares the variants). reference_fast still calls the upstream through
``AsyncOpenAI`` (auth, retries, timeouts, HTTP status errors as SDK
exceptions), via ``with_streaming_response``, and reads the body itself: split
into events, ``json.loads`` the data, take ``choices[0]``. Failures while
reading are raised as the SDK's exceptions (``APITimeoutError``,
``APIConnectionError``, ``APIError`` for an ``{"error": ...}`` event) or
:class:`MalformedChunkError` (a ``ValueError``), so they are classified like
the SDK's own (:mod:`service.errors`).

Chunk rules are those of :mod:`service.upstream`: the text is
``choices[0].delta.content`` when non-empty; role-only, empty-delta and usage
chunks (``choices == []``) carry none; a non-null ``finish_reason`` finishes.
"""

from __future__ import annotations

import json
import ssl
from collections import deque
from collections.abc import AsyncGenerator
from types import TracebackType
from typing import Any, NamedTuple

import anyio
import httpx2
import openai

from .upstream import UpstreamCall

# After ``[DONE]`` the rest of the body (normally only the chunked-encoding
# terminator, already buffered) is read so the connection can be reused; like
# the SDK's own drain, give up after this long and close the connection instead.
DRAIN_TIMEOUT_S = 0.1
# What the SDK maps to APIConnectionError while reading a stream
# (openai/_httpx2.py request_exceptions).
_CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    httpx2.RequestError,
    ssl.SSLError,
    anyio.EndOfStream,
)


class MalformedChunkError(ValueError):
    """The upstream sent an event that is not a chat completion chunk."""


class InStreamError(Exception):
    """The upstream sent ``data: {"error": ...}`` inside the stream."""

    def __init__(self, message: str, body: object) -> None:
        super().__init__(message)
        self.message = message
        self.body = body


class Delta(NamedTuple):
    """What one chunk means to the relay."""

    text: str | None  # None: no token in this chunk
    finished: bool  # the chunk carries a finish_reason


NO_TOKEN = Delta(None, False)


def parse_chunk(data: bytes) -> Delta:
    """One event's data (a chat completion chunk as JSON) -> its :class:`Delta`.

    Raises :class:`InStreamError` for an ``{"error": ...}`` event (as the SDK
    does, a falsy ``error`` is not one) and :class:`MalformedChunkError` when the
    data is not JSON or not shaped like a chunk where it matters.
    """
    try:
        obj = json.loads(data)
    except ValueError:
        raise MalformedChunkError("an event's data is not JSON") from None
    if not isinstance(obj, dict):
        raise MalformedChunkError("an event's data is not a JSON object")
    error = obj.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else None
        if not isinstance(message, str) or not message:
            message = "An error occurred during streaming"  # the SDK's wording
        raise InStreamError(message, error)
    choices = obj.get("choices")
    if not choices:  # usage chunk: [], some servers send null or omit it
        return NO_TOKEN
    if not isinstance(choices, list) or not isinstance(choices[0], dict):
        raise MalformedChunkError("'choices' is not a list of objects")
    choice = choices[0]
    finished = choice.get("finish_reason") is not None
    delta = choice.get("delta")
    if delta is None:
        return Delta(None, finished)
    if not isinstance(delta, dict):
        raise MalformedChunkError("'delta' is not an object")
    text = delta.get("content")
    if text is not None and not isinstance(text, str):
        raise MalformedChunkError("'content' is not a string")
    return Delta(text or None, finished)


def _event_data(block: bytes) -> bytes | None:
    """The data of one event (its lines, ``\\n``-separated), or None without data lines."""
    if block.startswith(b"data:") and b"\n" not in block:  # the usual one-line event
        value = block[5:]
        return value[1:] if value.startswith(b" ") else value
    values: list[bytes] = []
    for line in block.split(b"\n"):
        if not line or line.startswith(b":"):  # blank or comment
            continue
        name, _, value = line.partition(b":")
        if name == b"data":
            values.append(value[1:] if value.startswith(b" ") else value)
        # event, id, retry and unknown fields carry nothing a chat stream needs
    return b"\n".join(values) if values else None


class EventSplitter:
    """Bytes as they arrive -> the data of each complete event (WHATWG SSE rules).

    Lines end in ``\\r\\n``, ``\\n`` or ``\\r``; a blank line ends an event; an
    event without ``data`` lines is not dispatched, nor is an unfinished one at
    the end of the body. Works on bytes, so a UTF-8 character split between
    reads is whole again before anything decodes it.
    """

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._rest + data if self._rest else data
        if b"\r" in buf:
            # A trailing CR may be the first half of a CRLF: keep it for the next read.
            held = buf.endswith(b"\r")
            buf = buf[:-1] if held else buf
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            return self._split(buf, b"\r" if held else b"")
        return self._split(buf, b"")

    def finish(self) -> list[bytes]:
        """At the end of the body: a held CR was a line end after all."""
        rest, self._rest = self._rest, b""
        return self._split(rest.replace(b"\r", b"\n"), b"") if rest.endswith(b"\r") else []

    def _split(self, buf: bytes, held: bytes) -> list[bytes]:
        out: list[bytes] = []
        start = 0
        while (end := buf.find(b"\n\n", start)) >= 0:
            data = _event_data(buf[start:end])
            start = end + 2
            if data is not None:
                out.append(data)
        self._rest = buf[start:] + held
        return out


class UpstreamStream:
    """One streamed chat completion: :meth:`next_delta` until ``None``, then :meth:`aclose`.

    Use it as an async context manager: every way out closes the upstream
    response (the connection is closed unless the body was read to its end).
    """

    def __init__(self, api_response: openai.AsyncAPIResponse[Any]) -> None:
        self.response: httpx2.Response = api_response.http_response
        self._api_response = api_response
        encoding = self.response.headers.get("content-encoding", "identity").lower()
        # Raw bytes unless the upstream compressed them: one async generator less per read.
        self._body: AsyncGenerator[bytes, None] = (
            self.response.aiter_raw()
            if encoding in ("", "identity")
            else self.response.aiter_bytes()
        )
        self._splitter = EventSplitter()
        self._events: deque[bytes] = deque()
        self.done = False  # [DONE] arrived
        self.ended = False  # the body is over (or unreadable)

    async def next_delta(self) -> Delta | None:
        """The next chunk's :class:`Delta`; ``None`` at ``[DONE]`` or the end of the body."""
        events = self._events
        while True:
            if events:
                data = events.popleft()
                if data.startswith(b"[DONE]"):  # the SDK's test too
                    self.done = True
                    events.clear()
                    return None
                try:
                    return parse_chunk(data)
                except InStreamError as exc:
                    raise openai.APIError(
                        exc.message, self.response.request, body=exc.body
                    ) from None
            if self.done or self.ended:
                return None
            try:
                raw = await anext(self._body)
            except StopAsyncIteration:
                self.ended = True
                events.extend(self._splitter.finish())
                continue
            except httpx2.TimeoutException as exc:
                self.ended = True
                raise openai.APITimeoutError(request=self.response.request) from exc
            except _CONNECTION_ERRORS as exc:
                self.ended = True
                raise openai.APIConnectionError(request=self.response.request) from exc
            events.extend(self._splitter.feed(raw))

    async def drain(self) -> None:
        """After ``[DONE]``: read to the end of the body so the connection is reused."""
        if self.ended:
            return
        self.ended = True
        with anyio.move_on_after(DRAIN_TIMEOUT_S):
            try:
                async for _ in self._body:
                    pass
            except _CONNECTION_ERRORS:
                pass  # the answer is complete; the close below handles the connection

    async def aclose(self) -> None:
        """Close the upstream response; idempotent."""
        await self._body.aclose()  # httpx2's own cleanup, if the body was being read
        await self._api_response.close()  # what the SDK's context manager does on exit

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def open_stream(client: openai.AsyncOpenAI, call: UpstreamCall) -> UpstreamStream:
    """Send the request; returns once the upstream answered 2xx with its headers.

    HTTP status errors, connection errors and timeouts before that are raised
    by the SDK (after its retries), as with ``create(stream=True)``.
    """
    opening = client.chat.completions.with_streaming_response.create(**call.stream_args())
    return UpstreamStream(await opening.__aenter__())
