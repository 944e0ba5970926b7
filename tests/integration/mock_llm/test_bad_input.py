"""Bad input gets OpenAI-style 4xx JSON; the server keeps serving and leaks no connection."""

from __future__ import annotations

import socket

import httpx
import pytest

from loadtests.systems.processes import ServerProcess

GOOD = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model"),
        (b'{"model": "mock-gpt"}', "messages"),
        (b'{"model": 5, "messages": []}', "model"),
        (b'{"model": "mock-gpt", "messages": "hello"}', "messages"),
        (b'{"model": "mock-gpt", "messages": [{"content": "x"}]}', "messages[0]"),
        (
            b'{"model": "mock-gpt", "messages": [{"role": "user", "content": 5}]}',
            "messages[0].content",
        ),
        (
            b'{"model": "mock-gpt", "messages": [{"role": "u", "content": "x"}], "stream": "yes"}',
            "stream",
        ),
        (
            b'{"model": "mock-gpt", "messages": [{"role": "u", "content": "x"}], "max_tokens": -1}',
            "max_tokens",
        ),
        (
            b'{"model": "mock-gpt", "messages": [{"role": "u", "content": "x"}], "mock": {"x": 1}}',
            "mock",
        ),
        (b'{"model": "mock-gpt", "messages": [{"role": "u", "content": "x"}], "mock": 3}', "mock"),
        (b"\xff\xfe", None),
    ],
)
def test_invalid_bodies_get_400(shared_mock: ServerProcess, body: bytes, param: str | None) -> None:
    r = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_unknown_route_and_method(shared_mock: ServerProcess) -> None:
    r = httpx.post(f"{shared_mock.url}/v1/nothing", json={})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_url"
    assert httpx.get(f"{shared_mock.url}/v1/chat/completions").status_code == 405


def test_wrong_content_type_and_oversized_body(shared_mock: ServerProcess) -> None:
    r = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        content=b"a=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    big = (
        b'{"model": "mock-gpt", "messages": [{"role": "u", "content": "'
        + b"x" * 2_000_000
        + b'"}]}'
    )
    r = httpx.post(
        f"{shared_mock.url}/v1/chat/completions",
        content=big,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"


def raw_exchange(url: str, payload: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "payload",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n",
    ],
)
def test_malformed_http_gets_400_and_close(shared_mock: ServerProcess, payload: bytes) -> None:
    reply = raw_exchange(shared_mock.url, payload)
    assert reply.startswith(b"HTTP/1.1 400")
    # ...and the server is still serving.
    assert httpx.post(f"{shared_mock.url}/v1/chat/completions", json=GOOD).status_code == 200


def test_abandoned_connections_are_not_leaked(start_mock) -> None:  # type: ignore[no-untyped-def]
    """Half-sent requests and closed streams leave no active stream behind."""
    mock = start_mock("--ttft-ms", "50", "--itl-ms", "5", "--tokens", "100")
    host, port = mock.url.removeprefix("http://").split(":")
    for _ in range(20):
        with socket.create_connection((host, int(port))) as s:
            s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 100\r\n\r\n{")
    for _ in range(20):
        with httpx.stream(
            "POST", f"{mock.url}/v1/chat/completions", json={**GOOD, "stream": True}
        ) as r:
            next(r.iter_raw())
    import time

    time.sleep(0.3)
    stats = httpx.get(f"{mock.url}/mock/stats").json()
    assert stats["active_streams"] == 0
    assert stats["disconnects"] == 20
