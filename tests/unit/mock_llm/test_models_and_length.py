"""Other clients' habits: any model id, ``ignore_eos``; the length rule the server states."""

from __future__ import annotations

import json

import pytest

from mock_llm.http.completion_request import parse_request
from mock_llm.http.wire import ApiError
from tests.unit.mock_llm.server_driver import chat, completed, content_tokens, started


async def test_any_model_id_is_served_and_echoed_back() -> None:
    server = started(tokens=2)
    try:
        body = chat("hi", stream=True)
        body["model"] = "meta-llama/Llama-3.1-8B-Instruct"
        record, written = await completed(server, body)
        assert (record.status, record.model) == (200, "meta-llama/Llama-3.1-8B-Instruct")
        events = [json.loads(line[6:]) for line in written.split(b"\n") if line[:7] == b"data: {"]
        assert {e["model"] for e in events} == {"meta-llama/Llama-3.1-8B-Instruct"}
    finally:
        server.close()


async def test_models_restricts_with_openais_404() -> None:
    server = started(models=["a", "b"], tokens=2)
    try:
        body = chat("hi")
        body["model"] = "c"
        record, written = await completed(server, body)
        assert record.status == 404
        assert written.startswith(b"HTTP/1.1 404 ")
        assert json.loads(written.split(b"\r\n\r\n", 1)[1]) == {
            "error": {
                "message": "The model `c` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": "model",
                "code": "model_not_found",
            }
        }
        body["model"] = "b"
        record, _ = await completed(server, body)
        assert record.status == 200
    finally:
        server.close()


async def test_ignore_eos_streams_exactly_max_tokens() -> None:
    """``tokens`` says 5, the client asks 64 with ignore_eos: 64 content tokens, ``length``."""
    server = started(tokens=5)
    try:
        body = chat("hi", stream=True, max_tokens=64, ignore_eos=True)
        record, written = await completed(server, body)
        assert len(content_tokens(written)) == record.tokens_written == 64
        assert b'"finish_reason":"length"' in written
        record, written = await completed(server, chat("hi", stream=True, max_tokens=64))
        assert len(content_tokens(written)) == 5
    finally:
        server.close()


@pytest.mark.parametrize(("value", "parsed"), [(True, True), (False, False), (None, False)])
def test_ignore_eos_is_a_boolean(value: object, parsed: bool) -> None:
    body = {"model": "m", "prompt": "x", "ignore_eos": value}
    assert parse_request("completion", json.dumps(body).encode()).ignore_eos is parsed
    assert parse_request("completion", b'{"model": "m", "prompt": "x"}').ignore_eos is False


def test_a_non_boolean_ignore_eos_is_a_400() -> None:
    with pytest.raises(ApiError) as info:
        parse_request("completion", b'{"model": "m", "prompt": "x", "ignore_eos": "yes"}')
    assert (info.value.status, info.value.param) == (400, "ignore_eos")


async def test_the_server_states_its_length_rule() -> None:
    server = started(tokens=7)
    try:
        assert server.length_rule.startswith("7 tokens (length_mode fixed); ")
        assert "ignore_eos with max_tokens: exactly max_tokens" in server.length_rule
    finally:
        server.close()
