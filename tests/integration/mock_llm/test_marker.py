"""The prompt's marker through a real process and the real SDK: no header, still correlated."""

from __future__ import annotations

import uuid

import httpx
import openai

from loadtests.systems.processes import ServerProcess


def client_for(mock: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock.url}/v1", api_key="k", max_retries=0)


def records(mock: ServerProcess, request_id: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = httpx.get(
        f"{mock.url}/mock/requests", params={"id": request_id}
    ).json()["requests"]
    return found


def test_a_streamed_chat_with_only_the_marker_is_found_by_its_id(start_mock) -> None:  # type: ignore[no-untyped-def]
    """The SDK sends its own headers only; the ledger files the stream under the marker's id."""
    mock = start_mock("--tokens", "10")
    rid = f"mk-{uuid.uuid4().hex}"
    with client_for(mock) as client:
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": f"Say something. [sg:{rid} tokens=7 itl-ms=1]"}],
            stream=True,
        )
        content = [c.choices[0].delta.content for c in stream if c.choices]
    assert len([t for t in content if t]) == 7
    (record,) = records(mock, rid)
    assert record["model"] == "gpt-4o-mini"
    assert record["tokens_planned"] == record["tokens_written"] == 7
    assert record["finish_reason"] == "completed"
    stats = httpx.get(f"{mock.url}/mock/stats").json()
    assert (stats["markers_seen"], stats["markers_malformed"]) == (1, 0)


def test_a_completion_prompt_carries_it_too(shared_mock: ServerProcess) -> None:
    rid = f"mk-{uuid.uuid4().hex}"
    with client_for(shared_mock) as client:
        result = client.completions.create(
            model="mock-gpt", prompt=["first", f"second [sg:{rid} tokens=3]"]
        )
    assert result.usage is not None
    assert result.usage.completion_tokens == 3
    assert result.id == f"cmpl-{rid[-24:]}"
    assert len(records(shared_mock, rid)) == 1


def test_headers_win_over_the_marker(shared_mock: ServerProcess) -> None:
    rid, header_id = f"mk-{uuid.uuid4().hex}", f"hd-{uuid.uuid4().hex}"
    response = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        json={
            "model": "mock-gpt",
            "messages": [{"role": "user", "content": f"hi [sg:{rid} tokens=3]"}],
        },
        headers={"x-request-id": header_id, "x-mock-tokens": "2"},
    )
    assert response.headers["x-request-id"] == header_id
    assert response.json()["usage"]["completion_tokens"] == 2
    assert records(shared_mock, rid) == []
    assert len(records(shared_mock, header_id)) == 1


def test_a_malformed_marker_is_counted_not_used(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock()
    response = httpx.post(
        f"{mock.url}/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi [sg:bad ttft=1]"}]},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"].startswith("mock-")
    assert records(mock, "bad") == []
    stats = httpx.get(f"{mock.url}/mock/stats").json()
    assert (stats["markers_seen"], stats["markers_malformed"]) == (0, 1)
    assert stats["marker_malformed_last"] == "unknown key 'ttft'"
