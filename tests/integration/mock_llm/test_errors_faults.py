"""Errors arrive in OpenAI's envelope and map to the SDK's exception classes; faults fire."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import openai
import pytest

from loadtests.systems.processes import ServerProcess

MESSAGES = [{"role": "user", "content": "hi"}]


def client_for(mock: ServerProcess, **kw: object) -> openai.OpenAI:
    opts: dict[str, object] = {"api_key": "k", "max_retries": 0, **kw}
    return openai.OpenAI(base_url=f"{mock.url}/v1", **opts)  # type: ignore[arg-type]


def stream_with_fault(mock: ServerProcess, fault: dict[str, object], **kw: object) -> list[str]:
    with client_for(mock) as client:
        stream = client.chat.completions.create(
            model="mock-gpt",
            messages=MESSAGES,
            stream=True,
            extra_body={"mock": {"fault": fault, "tokens": 6, **kw}},
        )
        return [c.choices[0].delta.content or "" for c in stream if c.choices]


@pytest.mark.parametrize(
    ("status", "exc"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
@pytest.mark.parametrize("use_async", [False, True])
async def test_status_faults_map_to_sdk_classes(
    shared_mock: ServerProcess, status: int, exc: type[Exception], use_async: bool
) -> None:
    fault = {"mock": {"fault": {"kind": "status", "status": status}}}
    if use_async:
        async with openai.AsyncOpenAI(
            base_url=f"{shared_mock.url}/v1", api_key="k", max_retries=0
        ) as aclient:
            with pytest.raises(exc) as info:
                await aclient.chat.completions.create(
                    model="mock-gpt", messages=MESSAGES, stream=True, extra_body=fault
                )
    else:
        with client_for(shared_mock) as client, pytest.raises(exc) as info:
            client.chat.completions.create(
                model="mock-gpt", messages=MESSAGES, stream=True, extra_body=fault
            )
    error = info.value
    assert isinstance(error, openai.APIStatusError)
    assert error.status_code == status
    body = error.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}


def test_429_carries_retry_after_and_ratelimit_headers(shared_mock: ServerProcess) -> None:
    r = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        json={
            "model": "mock-gpt",
            "messages": MESSAGES,
            "mock": {"fault": {"kind": "status", "status": 429, "retry_after": 3}},
        },
    )
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    assert "x-ratelimit-limit-requests" in r.headers
    assert r.json()["error"]["code"] == "rate_limit_exceeded"


def test_sdk_retry_honours_retry_after(shared_mock: ServerProcess) -> None:
    """First attempt 429 with Retry-After: 1; the SDK waits about 1 s and the retry succeeds."""
    rid = f"retry-{uuid.uuid4().hex}"
    fault = {"kind": "status", "status": 429, "retry_after": 1, "times": 1}
    with client_for(shared_mock, max_retries=2) as client:
        start = time.monotonic()
        result = client.chat.completions.create(
            model="mock-gpt",
            messages=MESSAGES,
            extra_body={"mock": {"fault": fault}},
            extra_headers={"x-request-id": rid},
        )
        elapsed = time.monotonic() - start
    assert result.choices[0].message.content
    assert 0.9 <= elapsed < 5
    records = httpx.get(f"{shared_mock.url}/mock/requests", params={"id": rid}).json()["requests"]
    assert [r["status"] for r in records] == [429, 200]


def test_api_key_required_when_configured(start_mock) -> None:  # type: ignore[no-untyped-def]
    mock = start_mock("--api-key", "sekret")
    with client_for(mock) as client, pytest.raises(openai.AuthenticationError):
        client.models.list()
    with openai.OpenAI(base_url=f"{mock.url}/v1", api_key="sekret", max_retries=0) as ok:
        assert ok.chat.completions.create(model="mock-gpt", messages=MESSAGES).choices


def test_error_event_mid_stream(shared_mock: ServerProcess) -> None:
    with pytest.raises(openai.APIError, match="injected error"):
        stream_with_fault(shared_mock, {"kind": "error_event", "at": 3})


@pytest.mark.parametrize("mode", ["close", "reset"])
def test_drop_mid_stream(shared_mock: ServerProcess, mode: str) -> None:
    got: list[str] = []
    with client_for(shared_mock) as client, pytest.raises(openai.APIConnectionError):  # noqa: PT012
        stream = client.chat.completions.create(
            model="mock-gpt",
            messages=MESSAGES,
            stream=True,
            extra_body={"mock": {"fault": {"kind": "drop", "at": 3, "mode": mode}}},
        )
        got.extend(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert len([t for t in got if t]) == 2


def test_stall_delays_the_rest(shared_mock: ServerProcess) -> None:
    start = time.monotonic()
    tokens = stream_with_fault(shared_mock, {"kind": "stall", "at": 2, "seconds": 0.6}, itl_ms=1)
    assert 0.6 <= time.monotonic() - start < 3
    assert len([t for t in tokens if t]) == 6


def test_malformed_chunk_breaks_json(shared_mock: ServerProcess) -> None:
    with pytest.raises(json.JSONDecodeError):
        stream_with_fault(shared_mock, {"kind": "malformed", "at": 2})


def test_missing_done(shared_mock: ServerProcess) -> None:
    body = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        json={
            "model": "mock-gpt",
            "messages": MESSAGES,
            "stream": True,
            "mock": {"fault": {"kind": "no_done"}, "tokens": 2},
        },
    ).text
    assert "[DONE]" not in body
    assert '"finish_reason":"stop"' in body


def test_seeded_fault_rate(start_mock) -> None:  # type: ignore[no-untyped-def]
    """``--fault-rate 0.5`` faults about half the requests, the same ones for the same seed."""

    def outcomes() -> list[int]:
        mock = start_mock(
            "--fault-rate",
            "0.5",
            "--fault-kinds",
            "status",
            "--tokens",
            "2",
            "--ttft-ms",
            "0",
            "--itl-ms",
            "0",
        )
        return [
            httpx.post(
                f"{mock.url}/v1/chat/completions", json={"model": "mock-gpt", "messages": MESSAGES}
            ).status_code
            for _ in range(40)
        ]

    first = outcomes()
    assert 8 <= first.count(500) <= 32
    assert first == outcomes()


@pytest.mark.parametrize("when_full", ["queue", "reject"])
def test_max_concurrent(start_mock, when_full: str) -> None:  # type: ignore[no-untyped-def]
    """Over the limit: a queued request's wait counts in its TTFT, or it gets 429 at once."""
    import concurrent.futures

    mock = start_mock(
        "--max-concurrent",
        "1",
        "--when-full",
        when_full,
        "--ttft-ms",
        "300",
        "--itl-ms",
        "0",
        "--tokens",
        "1",
    )

    def call() -> tuple[int, float]:
        start = time.monotonic()
        r = httpx.post(
            f"{mock.url}/v1/chat/completions",
            json={"model": "mock-gpt", "messages": MESSAGES},
            timeout=10,
        )
        return r.status_code, time.monotonic() - start

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(call)
        time.sleep(0.1)
        second = pool.submit(call)
        results = sorted([first.result(), second.result()], key=lambda x: x[1])
    if when_full == "queue":
        assert [s for s, _ in results] == [200, 200]
        assert results[1][1] >= 0.45  # waited ~200 ms for the slot, then 300 ms TTFT
    else:
        assert sorted(s for s, _ in results) == [200, 429]
