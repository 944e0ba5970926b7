"""mock_llm speaks OpenAI's wire format well enough for the real SDK, sync and async."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from loadtests.systems.processes import ServerProcess

MESSAGES = [{"role": "user", "content": "hello mock"}]


def sync_client(mock: ServerProcess, **kw: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock.url}/v1", api_key="k", max_retries=0, **kw)  # type: ignore[arg-type]


def async_client(mock: ServerProcess, **kw: object) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{mock.url}/v1", api_key="k", max_retries=0, **kw)  # type: ignore[arg-type]


def test_chat_stream_shape_sync(shared_mock: ServerProcess) -> None:
    """Role-only first chunk, content chunks, finish chunk, usage chunk with choices == []."""
    with sync_client(shared_mock) as client:
        chunks = list(
            client.chat.completions.create(
                model="mock-gpt",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_body={"mock": {"tokens": 5}},
            )
        )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    content = [c.choices[0].delta.content for c in chunks[1:6]]
    assert all(isinstance(t, str) and t for t in content)
    finish = chunks[6]
    assert finish.choices[0].finish_reason == "stop"
    assert finish.choices[0].delta.content is None
    usage_chunk = chunks[7]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 5
    assert len(chunks) == 8
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].system_fingerprint


async def test_chat_stream_async_and_max_tokens(shared_mock: ServerProcess) -> None:
    """max_tokens caps the output and the finish reason says ``length``."""
    async with async_client(shared_mock) as client:
        stream = await client.chat.completions.create(
            model="mock-gpt",
            messages=MESSAGES,
            stream=True,
            max_completion_tokens=3,
            extra_body={"mock": {"tokens": 50}},
        )
        chunks = [c async for c in stream]
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) == 3
    assert chunks[-1].choices[0].finish_reason == "length"
    assert all(c.usage is None for c in chunks)


@pytest.mark.parametrize("stream", [True, False])
async def test_legacy_completions(shared_mock: ServerProcess, stream: bool) -> None:
    async with async_client(shared_mock) as client:
        if stream:
            chunks = [
                c
                async for c in await client.completions.create(
                    model="mock-gpt",
                    prompt="hi",
                    stream=True,
                    max_tokens=4,
                    stream_options={"include_usage": True},
                )
            ]
            assert chunks[-1].choices == []
            assert chunks[-1].usage is not None
            assert chunks[-1].usage.completion_tokens == 4
            text = "".join(c.choices[0].text for c in chunks if c.choices)
            assert chunks[-2].choices[0].finish_reason == "length"
            assert {c.object for c in chunks} == {"text_completion"}
        else:
            result = await client.completions.create(model="mock-gpt", prompt="hi", max_tokens=4)
            text = result.choices[0].text
            assert result.usage is not None
            assert result.usage.completion_tokens == 4
            assert result.choices[0].finish_reason == "length"
    assert text.strip()


def test_non_streaming_chat_has_usage(shared_mock: ServerProcess) -> None:
    with sync_client(shared_mock) as client:
        result = client.chat.completions.create(
            model="mock-gpt", messages=MESSAGES, extra_body={"mock": {"tokens": 7}}
        )
    assert result.object == "chat.completion"
    assert result.choices[0].message.role == "assistant"
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.completion_tokens == 7
    assert result.usage.prompt_tokens >= 1


def test_models_and_readiness(shared_mock: ServerProcess) -> None:
    """Unrestricted (the default): ``mock-gpt`` is listed, and any id retrieves (it is served)."""
    with sync_client(shared_mock) as client:
        assert [m.id for m in client.models.list()] == ["mock-gpt"]
        assert client.models.retrieve("anything").id == "anything"
    assert httpx.get(f"{shared_mock.url}/ready").json() == {"status": "ok"}


def test_seeded_text_is_deterministic(start_mock) -> None:  # type: ignore[no-untyped-def]
    """Same seed, same request order: same tokens; another seed: other tokens."""

    def first_text(*flags: str) -> str:
        mock = start_mock("--seed", *flags)
        with sync_client(mock) as client:
            r = client.chat.completions.create(model="mock-gpt", messages=MESSAGES)
        return r.choices[0].message.content or ""

    assert first_text("7") == first_text("7")
    assert first_text("7") != first_text("8")


def test_hard_tokens_survive_the_sdk(shared_mock: ServerProcess) -> None:
    """Hard mode emits newlines, quotes, backslashes, ``data:``, CJK and emoji, JSON-escaped."""
    with sync_client(shared_mock) as client:
        tokens = [
            c.choices[0].delta.content
            for c in client.chat.completions.create(
                model="mock-gpt",
                messages=MESSAGES,
                stream=True,
                extra_body={"mock": {"text_mode": "hard", "tokens": 40, "itl_ms": 0}},
            )
            if c.choices and c.choices[0].delta.content
        ]
    joined = "".join(tokens)
    for hard in ("\n\n", '"', "\\", "data: ", "中文", "🙂"):
        assert hard in joined


def test_echo_mode_and_tokens_per_chunk(shared_mock: ServerProcess) -> None:
    with sync_client(shared_mock) as client:
        chunks = [
            c.choices[0].delta.content
            for c in client.chat.completions.create(
                model="mock-gpt",
                messages=[{"role": "user", "content": "alpha beta gamma"}],
                stream=True,
                extra_body={"mock": {"text_mode": "echo", "tokens": 6, "tokens_per_chunk": 2}},
            )
            if c.choices and c.choices[0].delta.content
        ]
    assert chunks == ["alpha beta", " gamma alpha", " beta gamma"]


def test_request_id_echoed_and_headers_override(shared_mock: ServerProcess) -> None:
    rid = f"t-{uuid.uuid4().hex}"
    with httpx.stream(
        "POST",
        f"{shared_mock.url}/v1/chat/completions",
        json={"model": "mock-gpt", "messages": MESSAGES, "stream": True},
        headers={"x-request-id": rid, "x-mock-tokens": "3", "x-mock-ttft-ms": "0"},
    ) as response:
        body = response.read().decode()
    assert response.headers["x-request-id"] == rid
    assert response.headers["content-type"].startswith("text/event-stream")
    assert body.count('"content":') == 4  # role chunk + 3 tokens
    assert body.endswith("data: [DONE]\n\n")
