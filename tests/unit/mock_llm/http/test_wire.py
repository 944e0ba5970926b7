"""Chunk encoding: every pre-rendered byte string is the JSON OpenAI would send."""

from __future__ import annotations

import json

import pytest

from mock_llm.engine.vocabulary import HARD, Vocabulary
from mock_llm.http.wire import ChunkEncoder, Usage, full_response, http_chunk, rate_limited


def event_json(raw: bytes) -> dict[str, object]:
    assert raw.startswith(b"data: ")
    assert raw.endswith(b"\n\n")
    parsed: dict[str, object] = json.loads(raw[len(b"data: ") : -2])
    return parsed


def chat(include_usage: bool = False) -> ChunkEncoder:
    return ChunkEncoder(
        endpoint="chat",
        completion_id="chatcmpl-1",
        created=7,
        model="m",
        include_usage=include_usage,
    )


def test_http_chunk_framing() -> None:
    assert http_chunk(b"hello") == b"5\r\nhello\r\n"
    assert http_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"


def test_role_chunk() -> None:
    e = event_json(chat().role())
    assert e["object"] == "chat.completion.chunk"
    assert e["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": "", "refusal": None},
            "logprobs": None,
            "finish_reason": None,
        }
    ]
    assert "usage" not in e


@pytest.mark.parametrize("text", ["plain", *HARD])
def test_content_chunk_round_trips_hard_text(text: str) -> None:
    vocab = Vocabulary()
    e = event_json(chat(include_usage=True).content(vocab.encoded(text)))
    assert e["choices"] == [
        {"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}
    ]
    assert e["usage"] is None
    assert {"id", "object", "created", "model", "system_fingerprint"} <= set(e)


def test_finish_and_usage_chunks() -> None:
    enc = chat(include_usage=True)
    finish = event_json(enc.finish("length"))
    assert finish["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "length"}
    ]
    usage = event_json(enc.usage(Usage(3, 4)))
    assert usage["choices"] == []
    assert usage["usage"] == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}


def test_legacy_completion_chunks() -> None:
    enc = ChunkEncoder(
        endpoint="completion", completion_id="cmpl-1", created=1, model="m", include_usage=False
    )
    assert enc.role() == b""
    e = event_json(enc.content(b'"hi"'))
    assert e["object"] == "text_completion"
    assert e["choices"] == [{"text": "hi", "index": 0, "logprobs": None, "finish_reason": None}]


def test_malformed_chunk_is_not_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        event_json(chat().malformed())


def test_full_response_has_usage() -> None:
    body = json.loads(
        full_response(
            endpoint="chat",
            completion_id="c",
            created=1,
            model="m",
            text="hi",
            finish_reason="stop",
            usage=Usage(2, 1),
        )
    )
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "hi"
    assert body["usage"]["total_tokens"] == 3


def test_rate_limit_envelope_and_headers() -> None:
    err = rate_limited(2, limit=5)
    assert err.status == 429
    assert dict(err.headers)["retry-after"] == "2"
    assert json.loads(err.body())["error"]["code"] == "rate_limit_exceeded"
    assert err.event().startswith(b'data: {"error":')


@pytest.mark.parametrize("endpoint", ["chat", "completion"])
@pytest.mark.parametrize("include_usage", [False, True])
def test_hand_rendered_chunks_match_json_dumps(endpoint: str, include_usage: bool) -> None:
    """Role, content and finish chunks are byte-identical to the json.dumps rendering.

    The head is rendered by hand for speed; an id or model with quotes,
    backslashes, '%' or non-ASCII must come out exactly as json.dumps writes it.
    """
    enc = ChunkEncoder(
        endpoint=endpoint,  # type: ignore[arg-type]
        completion_id='chatcmpl-a"b\\c%d中',
        created=1_700_000_000,
        model="m/🙂%s",
        include_usage=include_usage,
    )
    head = {
        "id": 'chatcmpl-a"b\\c%d中',
        "object": "chat.completion.chunk" if endpoint == "chat" else "text_completion",
        "created": 1_700_000_000,
        "model": "m/🙂%s",
        "system_fingerprint": "fp_streamgauge",
    }

    def dumped(choice: dict[str, object]) -> bytes:
        body: dict[str, object] = {**head, "choices": [choice]}
        if include_usage:
            body["usage"] = None
        return b"data: " + json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    if endpoint == "chat":
        role = {
            "index": 0,
            "delta": {"role": "assistant", "content": "", "refusal": None},
            "logprobs": None,
            "finish_reason": None,
        }
        assert enc.role() == dumped(role) + b"\n\n"
        finish: dict[str, object] = {
            "index": 0,
            "delta": {},
            "logprobs": None,
            "finish_reason": "length",
        }
    else:
        assert enc.role() == b""
        finish = {"text": "", "index": 0, "logprobs": None, "finish_reason": "length"}
    assert enc.finish("length") == dumped(finish) + b"\n\n"
