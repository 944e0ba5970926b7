"""Reading the upstream's SSE ourselves: event splitting, chunk rules, SDK-shaped errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import openai
import pytest

from service.upstream import UpstreamCall
from service.upstream_stream import (
    NO_TOKEN,
    Delta,
    EventSplitter,
    InStreamError,
    MalformedChunkError,
    open_stream,
    parse_chunk,
)


def _chunk(choices: list[dict[str, Any]], **extra: Any) -> bytes:
    body = {"id": "c", "object": "chat.completion.chunk", "choices": choices, **extra}
    return json.dumps(body).encode()


def _choice(delta: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish}


# EventSplitter


def _split(*reads: bytes) -> list[bytes]:
    splitter = EventSplitter()
    out = [data for read in reads for data in splitter.feed(read)]
    return out + splitter.finish()


def test_one_event_per_blank_line_whatever_the_line_ends() -> None:
    assert _split(b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\r\n") == [b"a", b"b", b"c", b"d"]


def test_events_split_across_reads_anywhere() -> None:
    """Including between CR and LF and inside a UTF-8 character."""
    body = 'data: {"t": "é"}\r\n\r\ndata: [DONE]\r\n\r\n'.encode()
    for cut in range(1, len(body)):
        assert _split(body[:cut], body[cut:]) == ['{"t": "é"}'.encode(), b"[DONE]"], cut


def test_data_lines_join_and_other_fields_are_ignored() -> None:
    body = b": ping\n\nevent: x\nid: 7\ndata: one\ndata:two\nretry: 5\n\nid: only\n\n"
    assert _split(body) == [b"one\ntwo"]


def test_an_unfinished_event_at_the_end_is_dropped() -> None:
    assert _split(b"data: a\n\ndata: cut") == [b"a"]
    assert _split(b"data: a\r") == []
    assert _split(b"data: a\r\r") == [b"a"]


# parse_chunk


@pytest.mark.parametrize(
    ("data", "delta"),
    [
        (_chunk([_choice({"content": " hi"})]), Delta(" hi", False)),
        (_chunk([_choice({"role": "assistant", "content": ""})]), NO_TOKEN),  # role-only
        (_chunk([_choice({})]), NO_TOKEN),  # empty delta
        (_chunk([_choice(None)]), NO_TOKEN),
        (_chunk([_choice({"content": None}, "stop")]), Delta(None, True)),  # finish chunk
        (_chunk([_choice({"content": "x"}, "length")]), Delta("x", True)),
        (_chunk([], usage={"prompt_tokens": 1, "completion_tokens": 2}), NO_TOKEN),  # usage
        (_chunk([], usage=None, error=None), NO_TOKEN),  # a null error is not an error
        (b'{"choices": null}', NO_TOKEN),
    ],
)
def test_chunk_rules(data: bytes, delta: Delta) -> None:
    assert parse_chunk(data) == delta


def test_an_error_event_carries_its_message_and_body() -> None:
    with pytest.raises(InStreamError) as info:
        parse_chunk(b'{"error": {"message": "overloaded", "type": "server_error"}}')
    assert info.value.message == "overloaded"
    assert info.value.body == {"message": "overloaded", "type": "server_error"}
    with pytest.raises(InStreamError, match="An error occurred during streaming"):
        parse_chunk(b'{"error": "boom"}')


@pytest.mark.parametrize(
    "data",
    [
        b'{"id": "c", "choices": [{"delta": ',  # cut JSON (mock_llm's malformed fault)
        b"42",
        b'{"choices": {"0": {}}}',
        b'{"choices": ["x"]}',
        b'{"choices": [{"delta": "text"}]}',
        b'{"choices": [{"delta": {"content": 5}}]}',
    ],
)
def test_malformed_chunks_are_value_errors(data: bytes) -> None:
    with pytest.raises(MalformedChunkError):
        parse_chunk(data)
    assert issubclass(MalformedChunkError, ValueError)  # classified as upstream_malformed


# UpstreamStream through AsyncOpenAI (httpx2.MockTransport as the upstream)

CALL = UpstreamCall("m", [{"role": "user", "content": "hi"}], None, {"x-request-id": "r1"})
Handler = Callable[[httpx2.Request], httpx2.Response]


def _client(handler: Handler) -> openai.AsyncOpenAI:
    transport = httpx2.MockTransport(handler)
    return openai.AsyncOpenAI(
        api_key="k",
        base_url="http://upstream.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=transport),
    )


async def _body(*reads: bytes, then: Exception | None = None) -> AsyncIterator[bytes]:
    for read in reads:
        yield read
    if then is not None:
        raise then


def _sse(*reads: bytes, then: Exception | None = None) -> Handler:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["x-request-id"] == "r1"
        assert request.headers["authorization"] == "Bearer k"
        assert json.loads(request.content)["stream"] is True
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=_body(*reads, then=then)
        )

    return handler


async def _deltas(handler: Handler) -> list[Delta]:
    out: list[Delta] = []
    async with _client(handler) as client, await open_stream(client, CALL) as upstream:
        while (delta := await upstream.next_delta()) is not None:
            out.append(delta)
        assert upstream.done
        await upstream.drain()
    return out


async def test_a_stream_read_in_odd_pieces() -> None:
    events = b"".join(
        b"data: " + c + b"\n\n"
        for c in (
            _chunk([_choice({"role": "assistant", "content": ""})]),
            _chunk([_choice({"content": "a\n\nb"})]),
            _chunk([_choice({}, "stop")]),
            _chunk([], usage={"prompt_tokens": 1, "completion_tokens": 1}),
            b"[DONE]",
        )
    )
    reads = [events[i : i + 7] for i in range(0, len(events), 7)]
    expected = [NO_TOKEN, Delta("a\n\nb", False), Delta(None, True), NO_TOKEN]
    assert await _deltas(_sse(*reads)) == expected


@pytest.mark.parametrize(
    ("then", "sdk_error"),
    [
        (httpx2.ReadTimeout("slow"), openai.APITimeoutError),
        (httpx2.RemoteProtocolError("peer closed"), openai.APIConnectionError),
        (httpx2.ReadError("reset"), openai.APIConnectionError),
    ],
)
async def test_transport_failures_become_the_sdks_exceptions(
    then: Exception, sdk_error: type[openai.APIError]
) -> None:
    first = b"data: " + _chunk([_choice({"content": "a"})]) + b"\n\n"
    with pytest.raises(sdk_error):
        await _deltas(_sse(first, then=then))


async def test_an_error_event_is_the_sdks_api_error() -> None:
    with pytest.raises(openai.APIError) as info:
        await _deltas(_sse(b'data: {"error": {"message": "overloaded"}}\n\n'))
    assert type(info.value) is openai.APIError
    assert info.value.body == {"message": "overloaded"}


async def test_the_end_of_the_body_without_done_ends_the_stream() -> None:
    client = _client(_sse(b"data: " + _chunk([_choice({}, "stop")]) + b"\n\n"))
    async with client, await open_stream(client, CALL) as upstream:
        assert await upstream.next_delta() == Delta(None, True)
        assert await upstream.next_delta() is None
        assert (upstream.done, upstream.ended) == (False, True)


async def test_an_http_error_status_is_raised_by_the_sdk_before_any_stream() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(429, headers={"retry-after": "7"}, json={"error": {"message": "x"}})

    async with _client(handler) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await open_stream(client, CALL)
    assert info.value.response.headers["retry-after"] == "7"
