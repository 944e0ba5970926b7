"""What peer benchmark clients need: any model id, ``--models`` to restrict, ``ignore_eos``."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest

from loadtests.systems.processes import ServerProcess

MESSAGES = [{"role": "user", "content": "hi"}]


def client_for(mock: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock.url}/v1", api_key="k", max_retries=0)


def test_any_model_id_streams_and_comes_back_in_every_chunk(shared_mock: ServerProcess) -> None:
    with client_for(shared_mock) as client:
        chunks = list(
            client.chat.completions.create(
                model="Qwen/Qwen2.5-7B-Instruct", messages=MESSAGES, stream=True
            )
        )
    assert {c.model for c in chunks} == {"Qwen/Qwen2.5-7B-Instruct"}


def test_models_restricts_the_ids_and_the_list(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock("--models", "a,b")
    with client_for(mock) as client:
        assert [m.id for m in client.models.list()] == ["a", "b"]
        assert client.models.retrieve("b").id == "b"
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("c")
        with pytest.raises(openai.NotFoundError) as info:
            client.chat.completions.create(model="c", messages=MESSAGES, stream=True)
        assert info.value.code == "model_not_found"
        assert info.value.param == "model"
        assert client.chat.completions.create(model="a", messages=MESSAGES).model == "a"
    assert httpx.get(f"{mock.url}/mock/stats").json()["models"] == ["a", "b"]


def test_ignore_eos_gives_exactly_max_tokens(shared_mock: ServerProcess) -> None:
    """The shared mock's tokens setting is 10; 64 asked with ignore_eos: 64 arrive."""
    with client_for(shared_mock) as client:
        stream = client.chat.completions.create(
            model="mock-gpt",
            messages=MESSAGES,
            stream=True,
            max_tokens=64,
            stream_options={"include_usage": True},
            extra_body={"ignore_eos": True},
        )
        chunks = list(stream)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 64
    assert chunks[-2].choices[0].finish_reason == "length"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 64


def test_the_length_rule_is_said_at_startup_and_in_stats(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock("--tokens", "12", "--length-mode", "max_tokens")
    stats = httpx.get(f"{mock.url}/mock/stats").json()
    assert stats["length_rule"].startswith(
        "exactly max_tokens when the request sends it, else 12 tokens (length_mode max_tokens)"
    )
    assert stats["models"] is None  # any id
    assert mock.log_path is not None
    lines = Path(mock.log_path).read_text(encoding="utf-8").splitlines()
    assert f"mock_llm: length rule: {stats['length_rule']}" in lines
