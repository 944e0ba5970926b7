"""Chunk rules, request ids, and which HTTP stack each client runs on."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk

from service.settings import ServiceSettings
from service.upstream import (
    async_client,
    chunk_finished,
    chunk_text,
    fast_client,
    forwarded_headers,
    request_id_from,
)
from service.upstream_transport import LeanTransport


def _chunk(
    choices: list[dict[str, Any]], usage: dict[str, int] | None = None
) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
         "choices": choices, "usage": usage}
    )  # fmt: skip


def _choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish}


def test_content_chunk_is_a_token() -> None:
    assert chunk_text(_chunk([_choice({"content": " hi"})])) == " hi"


@pytest.mark.parametrize(
    "chunk",
    [
        _chunk([_choice({"role": "assistant", "content": ""})]),  # role-only first chunk
        _chunk([_choice({})], None),  # empty delta
        _chunk([_choice({}, "stop")]),  # finish chunk
        _chunk([], {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),  # usage
    ],
)
def test_chunks_without_text_are_not_tokens(chunk: ChatCompletionChunk) -> None:
    assert chunk_text(chunk) is None


def test_finish_detection() -> None:
    assert chunk_finished(_chunk([_choice({}, "length")]))
    assert not chunk_finished(_chunk([_choice({"content": "a"})]))
    assert not chunk_finished(_chunk([], {"prompt_tokens": 1, "completion_tokens": 1,
                                          "total_tokens": 2}))  # fmt: skip


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123", True), ("a.b:c_d", True), ("", False), ("has space", False), ("x" * 129, False)],
)
def test_request_id_is_kept_only_when_sane(given: str, kept: bool) -> None:
    made = request_id_from({"x-request-id": given})
    assert (made == given) is kept
    assert len(request_id_from({})) == 32


def test_mock_headers_are_forwarded_only_when_enabled() -> None:
    headers = {"x-mock-tokens": "5", "authorization": "Bearer client", "X-Mock-Fault": "drop"}
    off = forwarded_headers("rid", headers, ServiceSettings())
    on = forwarded_headers("rid", headers, ServiceSettings(forward_mock_headers=True))
    assert off == {"x-request-id": "rid"}
    assert on == {"x-request-id": "rid", "x-mock-tokens": "5", "x-mock-fault": "drop"}


async def test_only_reference_fast_runs_on_the_lean_transport() -> None:
    """``--upstream-http`` picks reference_fast's stack; the SDK client keeps its own."""
    settings = ServiceSettings()
    clients = {
        "fast": fast_client(settings),
        "fast_httpx2": fast_client(ServiceSettings(upstream_http="httpx2")),
        "sdk": async_client(settings),
    }
    try:
        stacks = {name: type(c._client._transport) for name, c in clients.items()}
    finally:
        for client in clients.values():
            await client.close()
    assert stacks["fast"] is LeanTransport
    assert stacks["fast_httpx2"] is not LeanTransport
    assert stacks["sdk"] is not LeanTransport
